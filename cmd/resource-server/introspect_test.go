package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/poll"
)

// TestRunIntrospection: an opaque token is accepted through introspection,
// with one call for many requests; on an introspect: always route a JWT
// is introspected too, so that its revocation at the issuer takes effect
// within the cache's TTL, on every route.
func TestRunIntrospection(t *testing.T) {
	t.Parallel()
	iss := devissuertest.Start(t, devissuer.Options{})
	in := devissuertest.Introspection(iss)
	up, _ := countingUpstream(t)
	conf := fmt.Sprintf(`issuers:
  - issuer: %s
    audiences: [api://default]
    introspection:
      client_id: %s
      client_secret: %s
      cache_ttl: 1s
      inactive_ttl: 500ms
routes:
  - match: GET /api/messages
    handler: messages
  - match: GET /orders/{id}
    upstream: %s
    introspect: always
`, iss.URL, in.ClientID, in.ClientSecret, up)
	file := filepath.Join(t.TempDir(), "rs.yaml")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(freePort(t))
	api := "http://127.0.0.1:" + port
	startRun(t, []string{"--config=" + file}, map[string]string{"PORT": port, "HOST": "127.0.0.1",
		"OKTA_TESTING_DISABLEHTTPSCHECK": "true", "LOG_LEVEL": "error"}, api+"/readyz")

	opaque, err := iss.Issuer.MintOpaqueToken(nil)
	if err != nil {
		t.Fatal(err)
	}
	before := iss.Issuer.Introspections()
	for range 100 {
		if status, _, body := get(t, api+"/api/messages", opaque); status != 200 {
			t.Fatalf("opaque token: %d %s", status, body)
		}
	}
	if calls := iss.Issuer.Introspections() - before; calls != 1 {
		t.Errorf("100 requests with one opaque token made %d introspection calls, want 1", calls)
	}

	jwt := mint(t, iss, nil)
	if status, _, body := get(t, api+"/orders/7", jwt); status != 200 {
		t.Fatalf("JWT on an introspect: always route: %d %s", status, body)
	}
	iss.Issuer.Revoke(jwt)
	var status int
	if !poll.Until(5*time.Second, func() bool { status, _, _ = get(t, api+"/orders/7", jwt); return status == 401 }) {
		t.Errorf("a JWT revoked at the issuer still answers %d after the 1 s cache TTL", status)
	}
	// Found inactive, it is forgotten until its exp: refused on every
	// route, not only on the one that asked the issuer, and after the
	// inactive answer's TTL (500 ms) too.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if status, _, _ := get(t, api+"/api/messages", jwt); status != 401 {
			t.Fatalf("the JWT found inactive, on a route that does not introspect: %d, want 401", status)
		}
	}
}
