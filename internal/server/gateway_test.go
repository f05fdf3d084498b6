package server_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/internal/server"
)

// gatewayTable is the route table of the gateway tests: an upstream route
// with a scope and a claim header, a built-in handler with any_scopes, and
// a public subtree.
func gatewayTable(upstream *url.URL) []gateway.Route {
	return []gateway.Route{
		{Match: "GET /orders/{id}", Upstream: upstream, Scopes: []string{"orders:read"},
			Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub"}}},
		{Match: "GET /api/messages", Handler: server.Builtins(nil)["messages"], AnyScopes: []string{"messages:read", "admin"}},
		{Match: "/public/", Upstream: upstream, Public: true},
	}
}

// startUpstream serves, on loopback until the test ends, an upstream that
// answers "PATH X-Auth-Subject", counting its requests.
func startUpstream(t *testing.T) (*url.URL, *atomic.Int64) {
	t.Helper()
	hits := new(atomic.Int64)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, r.URL.Path+" "+r.Header.Get("X-Auth-Subject"))
	}))
	t.Cleanup(up.Close)
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u, hits
}

// startGateway runs an issuer, an upstream and the program's gateway
// handler (gatewayTable, deps edited by edit), all on loopback.
func startGateway(t *testing.T, edit func(*server.Deps)) (*fixture, *atomic.Int64) {
	t.Helper()
	iss, v := issuerAndVerifier(t)
	upstream, hits := startUpstream(t)
	deps := server.Deps{Verifier: v, Logger: quiet, Routes: gatewayTable(upstream)}
	if edit != nil {
		edit(&deps)
	}
	h, err := server.NewGateway(deps)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{issuer: iss, api: httptest.NewServer(h)}
	t.Cleanup(f.api.Close)
	return f, hits
}

// scoped are the overrides of a token for alice holding scopes alone.
func scoped(scopes ...string) map[string]any {
	return map[string]any{"sub": "alice", "scp": scopes, "scope": nil}
}

// challengeOf is the 401 challenge of a request without a token to a route
// whose resource path is resource.
func challengeOf(base, resource string) string {
	return `Bearer realm="api", resource_metadata="` + base + gateway.MetadataPath(resource) + `"`
}

// TestGatewayRoutes: beside the table's routes, the gateway mode serves
// the program's health and readiness, answers an unmatched request 404
// JSON, and points each challenge at the metadata of the route's resource.
func TestGatewayRoutes(t *testing.T) {
	t.Parallel()
	f, hits := startGateway(t, nil)
	base := f.api.URL
	orders, messages := f.token(t, scoped("orders:read")), f.token(t, scoped("messages:read"))
	tests := []struct {
		name, method, path string
		header             http.Header
		status             int
		body, challenge    string // body: a part of it
	}{
		{"healthz", "GET", "/healthz", nil, 200, `{"status":"ok"}`, ""},
		{"unmatched", "GET", "/nope", nil, 404, `"error":"not_found"`, ""},
		{"method not routed", "POST", "/orders/7", bearerHeader(orders), 404, `"error":"not_found"`, ""},
		{"no token", "GET", "/orders/7", nil, 401, `"error"`, challengeOf(base, "/orders")},
		{"scope missing", "GET", "/orders/7", bearerHeader(messages), 403, `"error":"insufficient_scope"`,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope(s) orders:read", scope="orders:read", resource_metadata="` + base + `/.well-known/oauth-protected-resource/orders"`},
		{"proxied", "GET", "/orders/7", bearerHeader(orders), 200, "/orders/7 alice", ""},
		{"handler, no token", "GET", "/api/messages", nil, 401, `"error"`, challengeOf(base, "/api/messages")},
		{"handler", "GET", "/api/messages", bearerHeader(messages), 200, "I am a robot.", ""},
		{"public, forged claim header", "GET", "/public/x", http.Header{"X-Auth-Subject": {"mallory"}}, 200, "/public/x ", ""},
	}
	for _, tt := range tests {
		resp, body := f.do(t, tt.method, tt.path, tt.header)
		if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != tt.status || !strings.Contains(body, tt.body) || ch != tt.challenge {
			t.Errorf("%s: %d %q %s, want %d %q and %s", tt.name, resp.StatusCode, ch, body, tt.status, tt.challenge, tt.body)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("the upstream got %d requests, want 2 (proxied, public)", n)
	}
	resp, body := f.do(t, "GET", "/readyz", nil)
	var ready readyBody
	if err := json.Unmarshal([]byte(body), &ready); err != nil || resp.StatusCode != 200 || ready.Status != "ready" ||
		len(ready.Issuers) != 1 || ready.Issuers[0].Issuer != f.issuer.URL {
		t.Errorf("readyz: %d %s", resp.StatusCode, body)
	}
}

// TestGatewayForwardAuthChallenge: the forward-auth endpoint refuses a
// request as its route does, with the same challenge (gateway/doc.go),
// whose resource_metadata is the route's resource's.
func TestGatewayForwardAuthChallenge(t *testing.T) {
	t.Parallel()
	f, hits := startGateway(t, nil)
	direct, _ := f.do(t, "GET", "/orders/7", nil)
	resp, _ := f.do(t, "GET", "/_auth", http.Header{"X-Original-Uri": {"/orders/7"}})
	got, want := resp.Header.Get("WWW-Authenticate"), direct.Header.Get("WWW-Authenticate")
	if resp.StatusCode != direct.StatusCode || got != want || want != challengeOf(f.api.URL, "/orders") || hits.Load() != 0 {
		t.Errorf("forward auth: %d %q; the route: %d %q; upstream hits %d", resp.StatusCode, got, direct.StatusCode, want, hits.Load())
	}
}

// TestGatewayMetadata: each route's resource has its RFC 9728 metadata at
// the well-known path followed by the resource's path, whose resource is
// base + that path and whose scopes_supported are its routes'; the root's
// are every route's. PublicURL is the base of both the metadata and the
// challenges.
func TestGatewayMetadata(t *testing.T) {
	t.Parallel()
	resources := []struct {
		path, request string // request: a path of the resource; "" for none
		scopes        []string
	}{
		{"", "", []string{"admin", "messages:read", "orders:read"}},
		{"/orders", "/orders/7", []string{"orders:read"}},
		{"/api/messages", "/api/messages", []string{"admin", "messages:read"}},
		{"/public", "", nil},
	}
	for _, publicURL := range []string{"", "https://api.example.com/"} {
		t.Run("PublicURL "+publicURL, func(t *testing.T) {
			t.Parallel()
			f, _ := startGateway(t, func(d *server.Deps) { d.PublicURL = publicURL })
			base := strings.TrimSuffix(publicURL, "/")
			if base == "" {
				base = f.api.URL
			}
			for _, r := range resources {
				resp, body := f.do(t, "GET", gateway.MetadataPath(r.path), nil)
				var md struct {
					Resource string   `json:"resource"`
					Servers  []string `json:"authorization_servers"`
					Scopes   []string `json:"scopes_supported"`
				}
				if err := json.Unmarshal([]byte(body), &md); err != nil || resp.StatusCode != 200 || md.Resource != base+r.path ||
					!slices.Equal(md.Servers, []string{f.issuer.URL}) || !slices.Equal(md.Scopes, r.scopes) {
					t.Errorf("metadata of %q: %d %s, want resource %q, scopes %q", r.path, resp.StatusCode, body, base+r.path, r.scopes)
				}
				if r.request == "" {
					continue
				}
				resp, _ = f.do(t, "GET", r.request, nil)
				if ch := resp.Header.Get("WWW-Authenticate"); ch != challengeOf(base, r.path) {
					t.Errorf("GET %s: challenge %q, want %q", r.request, ch, challengeOf(base, r.path))
				}
			}
		})
	}
}

// TestGatewayRefusesTheProgramsPatterns: a route whose pattern conflicts
// with one of the program's own routes is refused by NewGateway, naming
// both patterns.
func TestGatewayRefusesTheProgramsPatterns(t *testing.T) {
	t.Parallel()
	_, v := issuerAndVerifier(t)
	up := &url.URL{Scheme: "http", Host: "127.0.0.1:9"}
	tests := []struct{ match, own string }{
		{"GET /healthz", "GET /healthz"},
		{"GET /readyz", "GET /readyz"},
		{"HEAD /{name}", "GET /healthz"},
		{"/.well-known/oauth-protected-resource/orders", "GET /.well-known/oauth-protected-resource/{path...}"},
		{"GET /.well-known/oauth-protected-resource/{rest...}", "GET /.well-known/oauth-protected-resource/{path...}"},
	}
	for _, tt := range tests {
		routes := []gateway.Route{{Match: "GET /orders/{id}", Upstream: up}, {Match: tt.match, Upstream: up}}
		h, err := server.NewGateway(server.Deps{Verifier: v, Logger: quiet, Routes: routes})
		var conflict *gateway.ConflictError
		if h != nil || !errors.As(err, &conflict) ||
			!strings.Contains(err.Error(), `"`+tt.match+`"`) || !strings.Contains(err.Error(), `"`+tt.own+`"`) {
			t.Errorf("route %q: NewGateway = %v, %v; want a conflict naming %q and %q", tt.match, h != nil, err, tt.match, tt.own)
		}
	}
}

// TestGatewayCORSAndMetrics: the gateway mode answers CORS as the sample's
// routes do (preflight 204, Vary: Origin, the challenge exposed), and its
// metrics time requests and count decisions by the table's patterns.
func TestGatewayCORSAndMetrics(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	f, _ := startGateway(t, func(d *server.Deps) { m = metrics.New(d.Verifier.(metrics.Source)); d.Metrics = m })
	origin := "http://localhost:8080"
	resp, _ := f.do(t, "OPTIONS", "/orders/7", http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"GET"},
		"Access-Control-Request-Headers": {"authorization"}})
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = f.do(t, "GET", "/orders/7", http.Header{"Origin": {origin}})
	if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Www-Authenticate") {
		t.Errorf("refused with Origin: %d %v", resp.StatusCode, resp.Header)
	}
	for _, path := range []string{"/orders/7", "/healthz", "/public/x"} {
		if resp, _ := f.do(t, "GET", path, nil); !slices.Equal(resp.Header.Values("Vary"), []string{"Origin"}) {
			t.Errorf("GET %s: Vary %q, want [Origin]", path, resp.Header.Values("Vary"))
		}
	}
	f.do(t, "GET", "/orders/8", bearerHeader(f.token(t, scoped("orders:read"))))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", metrics.Path, nil))
	for _, want := range []string{
		`resource_server_request_duration_seconds_count{route="GET /orders/{id}"} 3`,
		`resource_server_request_duration_seconds_count{route="unmatched"} 1`, // the preflight,
		`resource_server_request_duration_seconds_count{route="GET /healthz"} 1`,
		`resource_server_request_duration_seconds_count{route="/public/"} 1`,
		`resource_server_auth_decisions_total{issuer="unknown",reason="missing_token",result="denied",route="GET /orders/{id}"} 2`,
		`resource_server_auth_decisions_total{issuer="` + f.issuer.URL + `",reason="ok",result="allowed",route="GET /orders/{id}"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestNewWithRoutesPanics: New is the sample's routes; a route table is
// NewGateway's, and New says so by panicking.
func TestNewWithRoutesPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "NewGateway") {
			t.Errorf("New with Routes: panic %v, want one naming NewGateway", p)
		}
	}()
	server.New(server.Deps{Verifier: fakeSet{}, Routes: []gateway.Route{{Match: "/", Handler: http.NotFoundHandler()}}})
}
