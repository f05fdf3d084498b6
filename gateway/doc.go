// Package gateway is the authenticating reverse proxy and the forward-auth
// endpoint: a route table of net/http ServeMux patterns, each saying what a
// request must carry and where it goes.
//
// # The path of a request
//
//  1. Every header that any route sets from claims (Route.Headers) is
//     removed from the request, whatever route it takes and whether or not
//     the claim exists: a client can never send one of its own.
//  2. The ServeMux finds the route (the most specific pattern wins). A
//     request no route matches is answered 404
//     {"error":"not_found",…}; a method a route does not take counts as
//     unmatched. ServeMux's redirects to a cleaned path, or to a path with
//     a trailing slash, are kept.
//  3. A non-public route runs bearer.Middleware (401 with an RFC 6750
//     challenge, 400, or 503 when the issuer's keys are unavailable), then
//     its Scopes (all), AnyScopes (at least one) and AssertClaims: a token
//     that fails them is answered 403 insufficient_scope, with scope="…"
//     listing Scopes then AnyScopes for a scope failure, and an
//     error_description naming the claim (never its value, never the token)
//     for an assertion failure.
//  4. The route's claim headers are set from the verified token (see Claim
//     headers).
//  5. Authorization is removed when StripAuthorization is set.
//  6. The request is proxied with httputil.ReverseProxy (Rewrite:
//     SetURL, then SetXForwarded, so X-Forwarded-For, -Host and -Proto are
//     the gateway's, never the client's), or served by the route's Handler
//     with the verified token in its context (bearer.FromContext).
//
// # Proxying
//
// The Host header sent upstream is the upstream's own (what SetURL sets,
// and nginx's proxy_pass default), because virtual-hosted and TLS upstreams
// expect it; the client's is in X-Forwarded-Host, and Route.PreserveHost
// sends it instead. Bodies stream both ways, never buffered; a response
// with Content-Type text/event-stream or of unknown length is flushed
// after each write (ReverseProxy does this); a 101 Switching Protocols
// answer (WebSocket) turns the connection into a two-way pipe.
//
// Route.Timeout bounds only the wait for the upstream's response headers
// (with an *http.Transport, counted from the end of the request body, as
// its ResponseHeaderTimeout is, so a long upload is not cut either): past
// it the client gets 504 {"error":"gateway_timeout"}. A body, an event
// stream or an upgraded connection lasts as long as both ends keep it. Nor
// is the token looked at again once a request is admitted: a token that
// expires during a long download or a WebSocket session does not cut it.
// Whoever needs shorter sessions closes them upstream. An upstream that
// cannot be reached, or answers with something that is not HTTP, gives 502
// {"error":"bad_gateway"}; the error is logged with the route and upstream,
// never with a header.
//
// The default transport (NewTransport) keeps 256 idle connections per
// upstream and ignores HTTP_PROXY; routes with the same Timeout (usually
// all) share one pool of it.
//
// # Claim headers
//
// ClaimHeader.Claim is a JSON Pointer (RFC 6901) into the token's claims:
// "/sub", "/realm_access/roles", "/groups/0", "/https:~1~1example.com~1tenant"
// ("~1" is "/", "~0" is "~"). The value is rendered so:
//
//	string                    as is
//	number, true, false       its JSON text: 42, 1.5, true
//	array of scalars          the elements joined with Separator (default ","):
//	                          a,b,c (strings unquoted, null elements skipped)
//	object, array of arrays   compact JSON
//	or of objects
//	absent, null, ""          no header
//
// A value holding a byte a header value cannot (CR, LF, NUL, another
// control character but tab, DEL) is never sent: the header is left out,
// and a warning is logged the first time for that header. An element that
// holds the separator is not escaped: choose a separator the values cannot
// hold.
//
// # Forward auth
//
// At Config.ForwardAuthPath (any method), the gateway answers for nginx
// auth_request, Traefik ForwardAuth and Caddy forward_auth. The request it
// is asked about is rebuilt from X-Original-URI and X-Original-Method
// (nginx: set them with proxy_set_header X-Original-URI $request_uri and
// X-Original-Method $request_method), or from X-Forwarded-Uri,
// X-Forwarded-Method and X-Forwarded-Host (Traefik and Caddy send them);
// the method defaults to the subrequest's own, the host to X-Forwarded-Host,
// X-Original-Host, then the subrequest's Host. Its route is found in the same
// table by ServeMux.Handler (remembered per method, host and path, up to
// 1,024 of them, since a proxy asks about the same paths again and again)
// and the same checks run, with the subrequest's
// Authorization header: the answer is 200 with the route's claim headers
// on the response (a public route: 200 with none), or the very 400, 401,
// 403 or 503 the gateway itself would give, with the same WWW-Authenticate
// and JSON body; 404 for a URI no route matches; 400 when the original
// URI is missing or malformed. Nothing is proxied.
//
// A claim header whose claim is absent is left out of the 200, not sent
// empty. Traefik (authResponseHeaders) removes the client's copy and then
// copies the header only when present, so an absent header reaches the
// upstream as no header, where an empty one would arrive as an empty value.
// nginx's auth_request_set reads an absent header as "", and
// proxy_set_header with an empty value sends nothing while still replacing
// the client's copy. Caddy is the exception: before caddyserver/caddy#7545
// (GHSA-7r4p-vjf4-gxv4), copy_headers skipped a header missing from the
// answer and let the client's copy through (2.9, 2.10), or sent the
// placeholder text itself (2.8, caddyserver/caddy#6610); an empty value
// does no better there. With those versions, remove the headers before
// forward_auth (request_header -X-Auth-Subject). Whatever the proxy, set
// every claim header from the answer, so that a client's copy is replaced
// or removed; and let only the proxy reach the endpoint, since it trusts
// the X-Forwarded-* headers it is sent.
//
// # Protected-resource metadata (RFC 9728)
//
// The program serves the metadata; the gateway says what goes in it.
// ScopesSupported(prefix) is the scopes_supported of the resource at a
// path prefix, MetadataPath(prefix) its well-known path, and MetadataURL
// builds the bearer.Options.ResourceMetadataFunc that points each
// challenge at the metadata of the request's resource.
package gateway
