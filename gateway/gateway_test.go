package gateway_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/gateway"
)

// table is the route table most tests use, proxying to up.
func table(up http.Handler, t testing.TB) []gateway.Route {
	u := upstream(t, up)
	builtin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := bearer.FromContext(r.Context())
		fmt.Fprintf(w, "sub=%s header=%s", tok.Subject(), r.Header.Get("X-Auth-Subject"))
	})
	return []gateway.Route{
		{Match: "/public/", Upstream: u, Public: true},
		{Match: "GET /api/me", Upstream: u, Headers: []gateway.ClaimHeader{
			{Name: "X-Auth-Subject", Claim: "/sub"},
			{Name: "X-Auth-Groups", Claim: "/groups"},
			{Name: "x-auth-tenant", Claim: "/org/tenant"},
		}},
		{Match: "GET /api/orders/{id}", Upstream: u, Scopes: []string{"orders:read"}},
		{Match: "GET /api/reports", Upstream: u, AnyScopes: []string{"reports:read", "admin"}},
		{Match: "GET /api/admin", Upstream: u, AssertClaims: map[string]any{"groups.includes": "Admins"}},
		{Match: "GET /api/private", Upstream: u, StripAuthorization: true},
		{Match: "GET /api/vhost", Upstream: u, PreserveHost: true},
		{Match: "GET /builtin", Handler: builtin, Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub"}}},
	}
}

func TestGateway(t *testing.T) {
	iss := newIssuer(t)
	_, gw := start(t, gateway.Config{Routes: table(echo, t), Verifier: iss.v})
	plain := iss.mint(t, nil)
	rich := iss.mint(t, map[string]any{"groups": []string{"Admins", "Staff"}, "scp": []string{"orders:read", "admin"}})
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		headers []string
		check   func(t *testing.T, r response)
	}{
		{"public route, no token", "GET", "/public/x?a=1", "", nil, func(t *testing.T, r response) {
			if s := r.seen(t); r.status != 200 || s.Path != "/public/x" || s.Query != "a=1" {
				t.Errorf("status %d, upstream saw %+v", r.status, s)
			}
		}},
		{"public route strips forged claim headers", "GET", "/public/x", "", []string{"X-Auth-Subject: admin", "X-Auth-Groups: Admins"}, func(t *testing.T, r response) {
			if h := r.seen(t).Header; h.Get("X-Auth-Subject") != "" || h.Get("X-Auth-Groups") != "" {
				t.Errorf("upstream saw forged headers: %v", h)
			}
		}},
		{"protected route, no token", "GET", "/api/me", "", nil, func(t *testing.T, r response) {
			refusedLike(t, r, 401, "unauthorized")
			if c := r.header.Get("WWW-Authenticate"); c != `Bearer realm="api"` {
				t.Errorf("challenge %q", c)
			}
		}},
		{"protected route, bad token", "GET", "/api/me", plain[:len(plain)-4] + "AAAA", nil, func(t *testing.T, r response) {
			refusedLike(t, r, 401, "invalid_token")
			if c := r.header.Get("WWW-Authenticate"); !strings.Contains(c, `error="invalid_token"`) {
				t.Errorf("challenge %q", c)
			}
		}},
		{"claim headers set, forged ones replaced or removed", "GET", "/api/me", rich, []string{"X-Auth-Subject: admin", "X-Auth-Tenant: evil"}, func(t *testing.T, r response) {
			h := r.seen(t).Header
			if h.Get("X-Auth-Subject") != "demo" || h.Get("X-Auth-Groups") != "Admins,Staff" {
				t.Errorf("upstream saw subject %q groups %q", h.Get("X-Auth-Subject"), h.Get("X-Auth-Groups"))
			}
			if v, ok := h["X-Auth-Tenant"]; ok {
				t.Errorf("X-Auth-Tenant (no such claim) reached the upstream: %q", v)
			}
			if h.Get("Authorization") != "Bearer "+rich {
				t.Error("Authorization was not passed on")
			}
			if len(h.Values("X-Auth-Subject")) != 1 {
				t.Errorf("X-Auth-Subject %q, want one value", h.Values("X-Auth-Subject"))
			}
		}},
		{"scope missing", "GET", "/api/orders/7", plain, nil, func(t *testing.T, r response) {
			refusedLike(t, r, 403, "insufficient_scope")
			if c := r.header.Get("WWW-Authenticate"); !strings.Contains(c, `scope="orders:read"`) || !strings.Contains(c, `error="insufficient_scope"`) {
				t.Errorf("challenge %q", c)
			}
		}},
		{"scope held", "GET", "/api/orders/7", rich, nil, func(t *testing.T, r response) {
			if s := r.seen(t); r.status != 200 || s.Path != "/api/orders/7" {
				t.Errorf("status %d, path %q", r.status, s.Path)
			}
		}},
		{"any scope: none held", "GET", "/api/reports", plain, nil, func(t *testing.T, r response) {
			refusedLike(t, r, 403, "insufficient_scope")
			if c := r.header.Get("WWW-Authenticate"); !strings.Contains(c, `scope="reports:read admin"`) || !strings.HasPrefix(c, `Bearer realm="api", error="insufficient_scope"`) {
				t.Errorf("challenge %q", c)
			}
		}},
		{"any scope: one held", "GET", "/api/reports", rich, nil, func(t *testing.T, r response) {
			if r.status != 200 {
				t.Errorf("status %d: %s", r.status, r.body)
			}
		}},
		{"claim assertion fails", "GET", "/api/admin", plain, nil, func(t *testing.T, r response) {
			refusedLike(t, r, 403, "insufficient_scope")
			desc, _ := r.json(t)["error_description"].(string)
			if !strings.Contains(desc, "groups") || strings.Contains(desc, plain) {
				t.Errorf("error_description %q should name the claim, never the token", desc)
			}
			if c := r.header.Get("WWW-Authenticate"); !strings.Contains(c, "groups") {
				t.Errorf("challenge %q", c)
			}
		}},
		{"claim assertion holds", "GET", "/api/admin", rich, nil, func(t *testing.T, r response) {
			if r.status != 200 {
				t.Errorf("status %d: %s", r.status, r.body)
			}
		}},
		{"Authorization stripped", "GET", "/api/private", plain, nil, func(t *testing.T, r response) {
			if s := r.seen(t); r.status != 200 || s.Header.Get("Authorization") != "" {
				t.Errorf("status %d, upstream saw Authorization %q", r.status, s.Header.Get("Authorization"))
			}
		}},
		{"X-Forwarded set by the gateway, Host the upstream's", "GET", "/public/x", "", []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-Host: evil"}, func(t *testing.T, r response) {
			s := r.seen(t)
			if xff := s.Header.Get("X-Forwarded-For"); xff != "127.0.0.1" || strings.Contains(s.Header.Get("X-Forwarded-Host"), "evil") {
				t.Errorf("X-Forwarded-For %q, X-Forwarded-Host %q", xff, s.Header.Get("X-Forwarded-Host"))
			}
			if strings.HasPrefix(gw.URL, "http://"+s.Host) {
				t.Errorf("upstream saw the gateway's Host %q", s.Host)
			}
		}},
		{"Host the upstream's by default", "GET", "/api/me", plain, []string{"Host: api.example"}, func(t *testing.T, r response) {
			if s := r.seen(t); r.status != 200 || s.Host == "api.example" || s.Header.Get("X-Forwarded-Host") != "api.example" {
				t.Errorf("status %d, upstream saw Host %q, X-Forwarded-Host %q", r.status, s.Host, s.Header.Get("X-Forwarded-Host"))
			}
		}},
		{"PreserveHost: the client's Host upstream", "GET", "/api/vhost", plain, []string{"Host: api.example"}, func(t *testing.T, r response) {
			if s := r.seen(t); r.status != 200 || s.Host != "api.example" || s.Header.Get("X-Forwarded-Host") != "api.example" {
				t.Errorf("status %d, upstream saw Host %q, X-Forwarded-Host %q", r.status, s.Host, s.Header.Get("X-Forwarded-Host"))
			}
		}},
		{"unmatched path", "GET", "/nowhere", plain, nil, func(t *testing.T, r response) { refusedLike(t, r, 404, "not_found") }},
		{"unmatched method", "POST", "/api/me", plain, nil, func(t *testing.T, r response) { refusedLike(t, r, 404, "not_found") }},
		{"handler route", "GET", "/builtin", plain, []string{"X-Auth-Subject: admin"}, func(t *testing.T, r response) {
			if r.status != 200 || r.body != "sub=demo header=demo" {
				t.Errorf("status %d, body %q", r.status, r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, do(t, tt.method, gw.URL+tt.path, tt.token, tt.headers...))
		})
	}
}

// TestObserveOneDecision: a 403 of AnyScopes or AssertClaims is reported to
// Options.Observe once, as a refusal, never also as an admission.
func TestObserveOneDecision(t *testing.T) {
	iss := newIssuer(t)
	decisions := make(chan bearer.Decision, 10)
	_, gw := start(t, gateway.Config{Routes: table(echo, t), Verifier: iss.v,
		Bearer: bearer.Options{Observe: func(_ *http.Request, d bearer.Decision) { decisions <- d }}})
	plain := iss.mint(t, nil)
	for _, c := range []struct {
		path   string
		status int
	}{{"/api/reports", 403}, {"/api/admin", 403}, {"/api/orders/1", 403}, {"/api/me", 200}} {
		do(t, "GET", gw.URL+c.path, plain)
		if d := <-decisions; d.Status != c.status {
			t.Errorf("%s: decision %d, want %d", c.path, d.Status, c.status)
		}
		if len(decisions) != 0 {
			t.Errorf("%s: %d more decisions reported", c.path, len(decisions))
			for len(decisions) > 0 {
				<-decisions
			}
		}
	}
}

// TestRouteVerifier: a route with its own Verifier checks its tokens with
// it, and the other routes keep the Config's.
func TestRouteVerifier(t *testing.T) {
	main, other := newIssuer(t), newIssuer(t)
	up := upstream(t, echo)
	routes := []gateway.Route{
		{Match: "GET /main/", Upstream: up},
		{Match: "GET /other/", Upstream: up, Verifier: other.v},
	}
	_, gw := start(t, gateway.Config{Routes: routes, Verifier: main.v})
	mainTok, otherTok := main.mint(t, nil), other.mint(t, nil)
	for _, tt := range []struct {
		path, token string
		status      int
	}{
		{"/main/x", mainTok, 200},
		{"/main/x", otherTok, 401},
		{"/other/x", otherTok, 200},
		{"/other/x", mainTok, 401},
	} {
		if r := do(t, "GET", gw.URL+tt.path, tt.token); r.status != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, r.status, tt.status)
		}
	}
}
