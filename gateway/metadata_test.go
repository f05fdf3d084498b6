package gateway_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/internal/logtest"
)

func TestScopesSupported(t *testing.T) {
	iss := newIssuer(t)
	g, _ := start(t, gateway.Config{Routes: table(echo, t), Verifier: iss.v})
	for prefix, want := range map[string][]string{
		"":            {"admin", "orders:read", "reports:read"},
		"/api/":       {"admin", "orders:read", "reports:read"},
		"/api/orders": {"orders:read"},
		"/api/ord":    nil, // not a path segment
		"/public":     nil,
	} {
		if got := g.ScopesSupported(prefix); !slices.Equal(got, want) {
			t.Errorf("ScopesSupported(%q) = %q, want %q", prefix, got, want)
		}
	}
}

func TestMetadataURL(t *testing.T) {
	for in, want := range map[string]string{"": "/.well-known/oauth-protected-resource", "/": "/.well-known/oauth-protected-resource",
		"/api/": "/.well-known/oauth-protected-resource/api"} {
		if got := gateway.MetadataPath(in); got != want {
			t.Errorf("MetadataPath(%q) = %q, want %q", in, got, want)
		}
	}
	f := gateway.MetadataURL("https://rs.example/", "/api", "/api/orders")
	for path, want := range map[string]string{
		"/api/orders/1": "https://rs.example/.well-known/oauth-protected-resource/api/orders",
		"/api/me":       "https://rs.example/.well-known/oauth-protected-resource/api",
		"/other":        "",
	} {
		if got := f(httptest.NewRequest("GET", path, nil)); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	// Wired into the challenges, the gateway's own 403s included.
	iss := newIssuer(t)
	_, gw := start(t, gateway.Config{Routes: table(echo, t), Verifier: iss.v, Bearer: bearer.Options{ResourceMetadataFunc: f}})
	tok := iss.mint(t, nil)
	for path, want := range map[string]string{"/api/reports": "/api", "/api/orders/1": "/api/orders"} {
		c := do(t, "GET", gw.URL+path, tok).header.Get("WWW-Authenticate")
		if !strings.HasSuffix(c, `, resource_metadata="https://rs.example/.well-known/oauth-protected-resource`+want+`"`) {
			t.Errorf("%s: challenge %q", path, c)
		}
	}
}

// TestInvalidClaimValueLoggedOnce: a claim that would inject a header line
// is never sent, and is logged once.
func TestInvalidClaimValueLoggedOnce(t *testing.T) {
	iss := newIssuer(t)
	var logs logtest.Buffer
	_, gw := start(t, gateway.Config{Verifier: iss.v, Logger: logtest.TextLogger(&logs), Routes: []gateway.Route{
		{Match: "/", Upstream: upstream(t, echo), Headers: []gateway.ClaimHeader{{Name: "X-Auth-Name", Claim: "/name"}}}}})
	tok := iss.mint(t, map[string]any{"name": "Eve\r\nX-Admin: true"})
	for range 2 {
		h := do(t, "GET", gw.URL+"/", tok).seen(t).Header
		if h.Get("X-Auth-Name") != "" || h.Get("X-Admin") != "" {
			t.Fatalf("upstream saw %v", h)
		}
	}
	if n := strings.Count(logs.String(), "X-Auth-Name"); n != 1 || strings.Contains(logs.String(), tok) {
		t.Errorf("%d log records name the header (want 1), or the token is logged:\n%s", n, logs.String())
	}
}
