// Package gateway tests resource-server's gateway mode against real parts:
// the program built from cmd/resource-server, a development issuer serving
// real signed tokens over HTTP, an application that is not Go
// (testdata/upstream.py, Python's standard library: echo, streamed upload,
// server-sent events, WebSocket echo), and the proxies the README shows in
// front of the forward-auth endpoint: Debian's nginx (auth_request) and
// Caddy (forward_auth), and Traefik (ForwardAuth) when a binary is given.
//
//   - TestThroughTheGateway and TestThroughProxies send one table of cases
//     (frontCases) through each front door, which must give the same
//     answers: status, the error of the Bearer challenge, the X-Auth-*
//     headers the application sees, a client's own X-Auth-* headers never
//     reaching it, 404 where no route matches, 503 when the issuer's keys
//     cannot be had. The proxies start from the README's snippets
//     (testdata/nginx.conf.tmpl, Caddyfile.tmpl, traefik.yml), whose ports
//     8080 (the proxy), 8000 (resource-server) and 9000 (the application)
//     are replaced by free ones. Each proxy is tested both with the program
//     and with a stub forward-auth endpoint, so that a snippet's own faults
//     show apart from the program's.
//   - TestMinimalConfig runs the README's smallest configuration
//     (testdata/gateway-min.yaml: an issuers: list, top-level headers:)
//     through the gateway, nginx and Caddy (and Traefik when given), with
//     cases of its own (minimalCases).
//   - TestForwardAuthEndpoint asks /_auth directly with the headers nginx,
//     Traefik and Caddy send.
//   - TestWebSocket, TestUploadStreams (100 MiB, the program's memory
//     bounded), TestSSEStreams (events one by one) and TestIdleWebSockets
//     (1,000 connections at once, memory bounded) go through the gateway.
//
// nginx, caddy and python3 are found on $PATH (or $NGINX, $CADDY,
// $PYTHON3); without one the tests that need it skip, unless the CI
// environment variable is set, in which case they fail (scripts/test
// installs them). Traefik is no Debian package: its tests run when $TRAEFIK
// names a binary or one is on $PATH, and skip otherwise.
//
// Run them with:
//
//	cd test && go test ./gateway
package gateway
