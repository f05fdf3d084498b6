package interop

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/resource-server/resource-server/store/storetest"
)

// Issue 13's opaque tokens, against oidc-provider (opaque-provider.mjs):
// an opaque token is accepted through RFC 7662 introspection, one
// introspection call serves 1,000 requests, and a revoked token is refused
// within the cache's bound — by the issuer's revocation alone within
// cache_ttl, and at once on every instance sharing a Redis after POST
// /revoke on one instance's admin listener.

const (
	// longCacheTTL is the introspection cache of the instances that count
	// calls and take POST /revoke: far longer than the test, so that only
	// the cache explains one call per 1,000 requests and only /revoke
	// explains a refusal.
	longCacheTTL = 10 * time.Minute
	// shortCacheTTL and shortInactiveTTL are the instance that learns of a
	// revocation from the issuer alone.
	shortCacheTTL    = 2 * time.Second
	shortInactiveTTL = 1 * time.Second
	// revocationSlack is added to cache_ttl: the time a request and an
	// introspection call take, and the poll's pace.
	revocationSlack = 3 * time.Second
	// revokePropagation bounds how long an instance takes to refuse a token
	// after POST /revoke on itself or on another instance sharing the
	// Redis (a PUBLISH away): far below longCacheTTL.
	revokePropagation = 3 * time.Second
	// loadRequests are sent with one token; loadConcurrency at a time after
	// the first.
	loadRequests    = 1000
	loadConcurrency = 8
)

// TestOpaqueProviderTokens checks the provider side alone, without the
// program: the token is opaque and the provider's introspection says it is
// active for api://default, then inactive once revoked; the provider's
// counts see the calls.
func TestOpaqueProviderTokens(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	op := startOpaqueProvider(t, node)
	tok := op.opaqueToken(t)
	before := op.counts(t)
	in := op.introspect(t, tok)
	if in["active"] != true || in["aud"] != "api://default" || in["client_id"] != opClientID || in["iss"] != op.issuer || in["scope"] != "api:read" {
		t.Fatalf("introspection of the opaque token: %v, want active, aud api://default, client_id %s, iss %s, scope api:read", in, opClientID, op.issuer)
	}
	if _, ok := in["cnf"]; ok {
		t.Fatalf("the opaque token is sender-constrained: %v", in)
	}
	if got := op.counts(t); got.Introspection != before.Introspection+1 {
		t.Fatalf("provider counted %d introspection calls for one, before %d", got.Introspection, before.Introspection)
	}
	op.revoke(t, tok)
	if in := op.introspect(t, tok); in["active"] != false {
		t.Fatalf("introspection after revocation at the provider: %v, want active false", in)
	}
	if got := op.counts(t); got.Revocation != before.Revocation+1 {
		t.Fatalf("provider counted %d revocations for one", got.Revocation-before.Revocation)
	}
	// A JWT access token (resource indicator api://default) is not
	// introspectable at oidc-provider (it refuses structured tokens), which
	// is why the program verifies JWTs locally.
	jwt := clientCredentials(t, op.tokenURL(), opClientID, opClientSecret, map[string][]string{"resource": {"api://default"}, "scope": {"api:read"}})
	if _, c := jwtParts(t, jwt); c["aud"] != "api://default" || c["iss"] != op.issuer {
		t.Fatalf("JWT access token claims: %v", c)
	}
}

// TestOpaqueTokens runs the program against the provider's opaque tokens.
func TestOpaqueTokens(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	redisURL, _ := storetest.StartRedis(t)
	op := startOpaqueProvider(t, node)

	// Two instances sharing a Redis, with a long cache; the endpoint
	// named in the file.
	shared := storeConfig{
		issuer:           op.issuer,
		introspect:       true,
		introspectionURL: op.introspectionURL(),
		cacheTTL:         longCacheTTL.String(),
		inactiveTTL:      shortInactiveTTL.String(),
		store:            redisURL,
	}
	rs1 := startStoreServer(t, "resource-server #1 (redis, cache 10m)", shared)
	rs2 := startStoreServer(t, "resource-server #2 (redis, cache 10m)", shared)
	// One alone with a short cache, the endpoint found by discovery
	// (introspection_endpoint), the default store (memory).
	rsShort := startStoreServer(t, "resource-server #3 (memory, cache 2s)", storeConfig{
		issuer:      op.issuer,
		introspect:  true,
		cacheTTL:    shortCacheTTL.String(),
		inactiveTTL: shortInactiveTTL.String(),
	})

	t.Run("one introspection for 1000 requests", func(t *testing.T) {
		tok := op.opaqueToken(t)
		before := op.counts(t).Introspection
		start := time.Now()
		messagesOK(t, rs1.name+", opaque token", get(t, rs1.url+"/api/messages", "Bearer "+tok))
		if got := op.counts(t).Introspection - before; got != 1 {
			t.Fatalf("first request with an opaque token: %d introspection calls at the provider, want 1", got)
		}
		loadOpaque(t, rs1, tok, loadRequests-1)
		timings.add(t, fmt.Sprintf("%d requests with one opaque token", loadRequests), time.Since(start))
		if got := op.counts(t).Introspection - before; got != 1 {
			t.Fatalf("%d requests with one opaque token: %d introspection calls at the provider, want 1", loadRequests, got)
		}
	})

	t.Run("unknown opaque token", func(t *testing.T) {
		refusedInvalidToken(t, rs1.name+", a token the issuer never issued", get(t, rs1.url+"/api/messages", "Bearer "+randomOpaque(t)))
	})

	t.Run("revoked at the issuer, refused within cache_ttl", func(t *testing.T) {
		tok := op.opaqueToken(t)
		messagesOK(t, rsShort.name+", opaque token", get(t, rsShort.url+"/api/messages", "Bearer "+tok))
		op.revoke(t, tok)
		took := untilRefused(t, rsShort, tok, shortCacheTTL+revocationSlack)
		timings.add(t, "opaque token revoked at the issuer: refused after (cache_ttl 2s)", took)
	})

	t.Run("revoked at the issuer and POST /revoke, refused on both instances", func(t *testing.T) {
		tok := op.opaqueToken(t)
		// Both instances have the token cached as active, for 10 minutes.
		messagesOK(t, rs1.name+", opaque token", get(t, rs1.url+"/api/messages", "Bearer "+tok))
		messagesOK(t, rs2.name+", opaque token", get(t, rs2.url+"/api/messages", "Bearer "+tok))
		op.revoke(t, tok)
		if r := rs1.revoke(t, tok); r.status != http.StatusOK {
			t.Fatalf("%s: POST /revoke on the admin listener: %s, want 200 (RFC 7009)", rs1.name, r)
		}
		took1 := untilRefused(t, rs1, tok, revokePropagation)
		took2 := untilRefused(t, rs2, tok, revokePropagation)
		timings.add(t, "POST /revoke on #1: refused on #1 after", took1)
		timings.add(t, "POST /revoke on #1: refused on #2 (shared Redis) after", took2)
		// Another token of the same issuer is not affected.
		other := op.opaqueToken(t)
		messagesOK(t, rs2.name+", another opaque token after a revocation", get(t, rs2.url+"/api/messages", "Bearer "+other))
	})
}

// loadOpaque sends n requests with token, loadConcurrency at a time, each
// of which must be 200.
func loadOpaque(t *testing.T, s *storeServer, token string, n int) {
	t.Helper()
	client := &http.Client{
		Timeout:   requestTimeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: loadConcurrency},
	}
	defer client.CloseIdleConnections()
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range loadConcurrency {
		wg.Go(func() {
			for i := range jobs {
				r, err := bearerGet(client, s.url+"/api/messages", token)
				if err == nil && r.status != http.StatusOK {
					err = fmt.Errorf("request %d: %s", i, r)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	var first error
	failed := 0
	for err := range errs {
		if first == nil {
			first = err
		}
		failed++
	}
	if failed > 0 {
		t.Fatalf("%s: %d of %d requests with an opaque token failed; the first: %v", s.name, failed, n, first)
	}
}

// randomOpaque is a string shaped like oidc-provider's opaque tokens (43
// base64url characters) that it never issued.
func randomOpaque(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
