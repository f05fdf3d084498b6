package gateway_test

import (
	"net/http"
	"testing"

	"github.com/resource-server/resource-server/gateway"
)

// TestForwardAuth: the forward-auth endpoint, asked nginx's way or
// Traefik's (and Caddy's), gives the answers the gateway gives, and
// claim headers on a 200 where the gateway sets them upstream.
func TestForwardAuth(t *testing.T) {
	iss := newIssuer(t)
	_, gw := start(t, gateway.Config{Routes: table(echo, t), Verifier: iss.v})
	plain := iss.mint(t, nil)
	rich := iss.mint(t, map[string]any{"groups": []string{"Admins", "Staff"}, "scp": []string{"orders:read"}})
	claimHeaders := []string{"X-Auth-Subject", "X-Auth-Groups", "X-Auth-Tenant"}
	tests := []struct {
		name, method, uri, token string
	}{
		{"public", "GET", "/public/x", ""},
		{"no token", "GET", "/api/me", ""},
		{"bad token", "GET", "/api/me", plain + "x"},
		{"claim headers", "GET", "/api/me", rich},
		{"scope missing", "GET", "/api/orders/1", plain},
		{"scope held", "GET", "/api/orders/1", rich},
		{"any scope missing", "GET", "/api/reports", rich},
		{"assertion fails", "GET", "/api/admin", plain},
		{"assertion holds", "GET", "/api/admin", rich},
		{"token in the query", "GET", "/api/me?access_token=abc", plain},
		{"unmatched", "GET", "/nowhere", plain},
		{"unmatched method", "DELETE", "/api/me", plain},
	}
	styles := map[string]func(method, uri string) []string{
		"nginx": func(m, u string) []string { return []string{"X-Original-Method: " + m, "X-Original-URI: " + u} },
		"traefik": func(m, u string) []string {
			return []string{"X-Forwarded-Method: " + m, "X-Forwarded-Uri: " + u, "X-Forwarded-Host: gw.example", "X-Forwarded-Proto: https"}
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			direct := do(t, tt.method, gw.URL+tt.uri, tt.token, "X-Auth-Subject: forged")
			for style, headers := range styles {
				fa := do(t, "GET", gw.URL+gateway.DefaultForwardAuthPath, tt.token, append(headers(tt.method, tt.uri), "X-Auth-Subject: forged")...)
				if fa.status != direct.status {
					t.Fatalf("%s: forward-auth %d (%s), gateway %d (%s)", style, fa.status, fa.body, direct.status, direct.body)
				}
				if fa.status != http.StatusOK {
					if fa.body != direct.body || fa.header.Get("WWW-Authenticate") != direct.header.Get("WWW-Authenticate") {
						t.Errorf("%s: forward-auth %q %q, gateway %q %q", style, fa.header.Get("WWW-Authenticate"), fa.body,
							direct.header.Get("WWW-Authenticate"), direct.body)
					}
					continue
				}
				if fa.body != "" {
					t.Errorf("%s: a 200 with a body %q: the endpoint proxied?", style, fa.body)
				}
				up := direct.seen(t).Header
				for _, name := range claimHeaders {
					if got, want := fa.header.Values(name), up.Values(name); len(got) != len(want) || len(got) == 1 && got[0] != want[0] {
						t.Errorf("%s: %s %q at forward-auth, %q upstream", style, name, got, want)
					}
				}
			}
		})
	}
}

func TestForwardAuthBadRequests(t *testing.T) {
	iss := newIssuer(t)
	_, gw := start(t, gateway.Config{Routes: table(echo, t), Verifier: iss.v, ForwardAuthPath: "/auth/check"})
	tok := iss.mint(t, nil)
	tests := []struct {
		name    string
		method  string
		headers []string
		status  int
		code    string
	}{
		{"no original URI", "GET", nil, 400, "invalid_request"},
		{"absolute URI", "GET", []string{"X-Original-URI: http://evil/api/me"}, 400, "invalid_request"},
		{"bad method", "GET", []string{"X-Forwarded-Uri: /api/me", "X-Forwarded-Method: G(E)T"}, 400, "invalid_request"},
		{"bad host", "GET", []string{"X-Forwarded-Uri: /api/me", "X-Forwarded-Host: a/b"}, 400, "invalid_request"},
		{"the endpoint itself", "GET", []string{"X-Original-URI: /auth/check"}, 404, "not_found"},
		// nginx sends the subrequest with the client's method unless told
		// otherwise: the endpoint takes any method, and uses it.
		{"method of the subrequest", "POST", []string{"X-Original-URI: /api/me"}, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedLike(t, do(t, tt.method, gw.URL+"/auth/check", tok, tt.headers...), tt.status, tt.code)
		})
	}
	if r := do(t, "HEAD", gw.URL+"/auth/check", tok, "X-Original-URI: /api/me", "X-Original-Method: GET"); r.status != 200 {
		t.Errorf("HEAD to the endpoint: %d", r.status)
	}
}

// TestForwardAuthBesideCatchAll: the endpoint is answered before the routes,
// so a route taking every GET ("GET /") neither conflicts with it nor
// shadows it, and the endpoint never vouches for its own path.
func TestForwardAuthBesideCatchAll(t *testing.T) {
	iss := newIssuer(t)
	routes := []gateway.Route{{Match: "GET /", Upstream: upstream(t, echo)}}
	_, gw := start(t, gateway.Config{Routes: routes, Verifier: iss.v})
	tok := iss.mint(t, nil)
	if r := do(t, "GET", gw.URL+"/_auth", tok, "X-Original-URI: /anything", "X-Original-Method: GET"); r.status != 200 {
		t.Errorf("forward-auth for GET /anything: %d, want 200", r.status)
	}
	refusedLike(t, do(t, "GET", gw.URL+"/_auth", tok, "X-Original-URI: /_auth", "X-Original-Method: GET"), 404, "not_found")
	if r := do(t, "GET", gw.URL+"/anything", tok); r.status != 200 {
		t.Errorf("GET /anything through the gateway: %d, want 200", r.status)
	}
}
