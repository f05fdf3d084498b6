package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// rotationBound is how long a new key may take to be picked up after a
// rotation: our verifier refetches the key set on an unknown kid at most once
// per MinRefetchInterval (5 s by default), so the first try may fall inside
// that window if a fetch happened just before.
const rotationBound = 12 * time.Second

// accepted returns nil when the resource server answers 200 with the two
// messages to GET /api/messages with token.
func accepted(t *testing.T, rs *resourceServer, token string) error {
	t.Helper()
	r := get(t, rs.url+"/api/messages", "Bearer "+token)
	if r.status != 200 {
		return fmt.Errorf("%w: %s", errNotYet, r)
	}
	messagesOK(t, "resource server", r)
	return nil
}

func mustAccept(t *testing.T, rs *resourceServer, what, token string) {
	t.Helper()
	if err := accepted(t, rs, token); err != nil {
		t.Fatalf("%s: refused: %v", what, err)
	}
}

// acceptedAfterRotation waits (bounded) until token is accepted and logs how
// long it took.
func acceptedAfterRotation(t *testing.T, rs *resourceServer, what, token string) {
	t.Helper()
	d, n := eventually(t, rotationBound, func() error { return accepted(t, rs, token) })
	timings.add(t, what+": new token accepted after", d)
	if n > 1 {
		t.Logf("%s: accepted on attempt %d (a rate-limited refetch delayed it)", what, n)
	}
}

func claimsJSON(t *testing.T, token string) string {
	h, c := jwtParts(t, token)
	b, _ := json.Marshal(map[string]any{"header": h, "claims": c})
	return string(b)
}

// TestOIDCProvider runs the resource server against panva's oidc-provider:
// RS256 JWT access tokens (typ at+jwt, client_id rather than cid) obtained
// over HTTP with client_credentials and resource indicators.
func TestOIDCProvider(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	k1, k2, k3 := newRSAKey(t, "op-key-1"), newRSAKey(t, "op-key-2"), newRSAKey(t, "op-key-3")
	// An encryption key published beside the signing keys (Keycloak does
	// so): the verifier must skip it, not refuse the whole set.
	kEnc := newRSAKey(t, "op-key-enc")
	kEnc.enc = true

	op := startOIDCProvider(t, node, 0, k1, k2, kEnc)
	rs := startResourceServer(t, op.issuer)

	// Tokens from the token endpoint are accepted, on both routes.
	if keys := get(t, op.issuer+"/v1/keys"); !strings.Contains(string(keys.body), `"use":"enc"`) {
		t.Fatalf("oidc-provider does not publish the encryption key: %s", keys.body)
	}
	tok := op.token(t, "api://default")
	t.Logf("oidc-provider token: %s", claimsJSON(t, tok))
	if h, _ := jwtParts(t, tok); h["kid"] != k1.kid {
		t.Fatalf("oidc-provider signed with %v, want %s (the first key)", h["kid"], k1.kid)
	}
	mustAccept(t, rs, "oidc-provider token", tok)
	if r := get(t, rs.url+"/secure", "Bearer "+tok); r.status != 200 {
		t.Fatalf("GET /secure: %s", r)
	}
	// The default resource (no resource parameter) is api://default too.
	mustAccept(t, rs, "oidc-provider token, default resource", op.token(t, ""))

	// A token for another resource server is refused.
	other := op.token(t, "api://other")
	refusedInvalidToken(t, "oidc-provider token for api://other", get(t, rs.url+"/api/messages", "Bearer "+other))

	// The token names its client in client_id (RFC 9068), not Okta's cid: a
	// resource server asserting the client id must read client_id.
	rsClient := startResourceServer(t, op.issuer, "SPA_CLIENT_ID="+opClientID)
	mustAccept(t, rsClient, "oidc-provider token with SPA_CLIENT_ID=client_id", tok)
	rsClient.stop(t)
	rsOther := startResourceServer(t, op.issuer, "SPA_CLIENT_ID=some-other-client")
	refusedInvalidToken(t, "oidc-provider token with SPA_CLIENT_ID=some-other-client", get(t, rsOther.url+"/api/messages", "Bearer "+tok))
	rsOther.stop(t)

	// Keys from a configured JWKS_URL instead of discovery.
	rsJWKS := startResourceServer(t, op.issuer, "JWKS_URL="+op.issuer+"/v1/keys")
	mustAccept(t, rsJWKS, "oidc-provider token with JWKS_URL set", tok)
	rsJWKS.stop(t)

	// The sample, pointed at the same provider, takes its tokens too (string
	// aud; no cid asserted without SPA_CLIENT_ID).
	oracle := startOracle(t, node, op.issuer, op.issuer+"/v1/keys")
	messagesOK(t, "express oracle, oidc-provider token", get(t, oracle+"/api/messages", "Bearer "+tok))

	// A k1 token that the resource server has never seen, for after k1 is
	// retired.
	tokK1Unseen := op.token(t, "api://default")

	// Rotation to the second, already published key: the provider restarts on
	// the same port with the key order swapped; our server keeps running.
	op.proc.stop(t)
	op = startOIDCProvider(t, node, op.port, k2, k1)
	tok2 := op.token(t, "api://default")
	if h, _ := jwtParts(t, tok2); h["kid"] != k2.kid {
		t.Fatalf("after rotation oidc-provider signed with %v, want %s", h["kid"], k2.kid)
	}
	acceptedAfterRotation(t, rs, "oidc-provider rotation to published key 2", tok2)
	mustAccept(t, rs, "token signed by key 1 before the rotation (still published)", tok)

	// Rotation to a key never published before, with the keys published
	// without "alg" (as Entra ID publishes them; oidc-provider prefers a key
	// that names the algorithm, so neither does): needs a refetch on unknown
	// kid, and the key type to decide the algorithm.
	k2.noAlg, k3.noAlg = true, true
	op.proc.stop(t)
	op = startOIDCProvider(t, node, op.port, k3, k2)
	tok3 := op.token(t, "api://default")
	if h, _ := jwtParts(t, tok3); h["kid"] != k3.kid || h["alg"] != "RS256" {
		t.Fatalf("after the second rotation oidc-provider signed with %v/%v, want %s/RS256", h["kid"], h["alg"], k3.kid)
	}
	keys := get(t, op.issuer+"/v1/keys")
	if !strings.Contains(string(keys.body), `"kid":"op-key-3"`) || strings.Contains(string(keys.body), `"alg"`) {
		t.Fatalf("oidc-provider publishes %s; want op-key-3 and op-key-2 without alg", keys.body)
	}
	acceptedAfterRotation(t, rs, "oidc-provider rotation to new key 3", tok3)

	// Key 1 is no longer published: a token signed by it that we never saw is
	// refused; one we verified before is reported (a verified-token cache may
	// still answer for it until it expires).
	refusedInvalidToken(t, "never-seen token of retired key 1", get(t, rs.url+"/api/messages", "Bearer "+tokK1Unseen))
	t.Logf("observation: a token of retired key 1 verified before its retirement now gets %s", get(t, rs.url+"/api/messages", "Bearer "+tok))

	// With the issuer stopped, tokens signed by cached keys keep working:
	// tokUnseen has never been verified, so the verified-token cache cannot
	// answer for it; only the cached keys can.
	tokSeen, tokUnseen := op.token(t, "api://default"), op.token(t, "api://default")
	mustAccept(t, rs, "token before the issuer stops", tokSeen)
	op.proc.stop(t)
	mustAccept(t, rs, "seen token with the issuer stopped", tokSeen)
	mustAccept(t, rs, "unseen token with the issuer stopped (cached key)", tokUnseen)
	mustAccept(t, rs, "token of key 2 with the issuer stopped", tok2)
	// An unknown key while the issuer is down: a refusal, not a server error.
	stranger := newRSAKey(t, "op-key-unknown")
	_, c := jwtParts(t, tok3)
	forged := rs256(t, stranger.key, map[string]any{"alg": "RS256", "kid": stranger.kid, "typ": "at+jwt"}, c)
	refusedInvalidToken(t, "unknown kid with the issuer stopped", get(t, rs.url+"/api/messages", "Bearer "+forged))
	if r := get(t, rs.url+"/readyz"); r.status != 200 {
		t.Logf("note: /readyz answers %s while the issuer is stopped", r)
	}
}

// TestHydra runs the resource server against Ory Hydra v2.3.0: JWT access
// tokens whose aud is always an array, with no cid, keys at
// /.well-known/jwks.json (two key sets: ID tokens and access tokens), new
// keys at every restart.
func TestHydra(t *testing.T) {
	t.Parallel()
	bin := hydraBinary(t)
	pub, adm := freePort(t), freePort(t)
	h := startHydra(t, bin, pub, adm)
	rs := startResourceServer(t, h.issuer)

	tok := h.token(t, "api://default")
	t.Logf("hydra token: %s", claimsJSON(t, tok))
	_, claims := jwtParts(t, tok)
	if _, ok := claims["aud"].([]any); !ok {
		t.Logf("note: hydra's aud is %T, expected an array", claims["aud"])
	}
	mustAccept(t, rs, "hydra token (aud array)", tok)
	if r := get(t, rs.url+"/secure", "Bearer "+tok); r.status != 200 {
		t.Fatalf("GET /secure: %s", r)
	}

	// Hydra names the client in client_id (no cid): asserting the client id
	// must read it.
	rsClient := startResourceServer(t, h.issuer, "SPA_CLIENT_ID="+h.clientID)
	mustAccept(t, rsClient, "hydra token with SPA_CLIENT_ID=client_id", tok)
	rsClient.stop(t)

	// The Express sample refuses every Hydra token: it asserts aud by strict
	// equality and Hydra's aud is an array, even of one element.
	if node := nodeIfAvailable(t); node != "" {
		oracle := startOracle(t, node, h.issuer, h.base()+"/.well-known/jwks.json")
		r := get(t, oracle+"/api/messages", "Bearer "+tok)
		if r.status != 401 {
			t.Fatalf("express oracle took a hydra token (aud array): %s", r)
		}
		t.Logf("the Express sample on a hydra token: %d %q", r.status, r.body)
	}

	// Wrong audience, and no audience at all (Hydra then sends "aud": []).
	refusedInvalidToken(t, "hydra token for api://other", get(t, rs.url+"/api/messages", "Bearer "+h.token(t, "api://other")))
	refusedInvalidToken(t, "hydra token with aud []", get(t, rs.url+"/api/messages", "Bearer "+h.token(t, "")))

	// Restart: same ports, new keys, new client; our server keeps running.
	oldKid, _ := jwtParts(t, tok)
	oldUnseen := h.token(t, "api://default")
	h.proc.stop(t)
	h = startHydra(t, bin, pub, adm)
	tok2 := h.token(t, "api://default")
	if newKid, _ := jwtParts(t, tok2); newKid["kid"] == oldKid["kid"] {
		t.Fatalf("hydra kept its key id %v across a restart; the test needs new keys", newKid["kid"])
	}
	acceptedAfterRotation(t, rs, "hydra restart with new keys", tok2)
	// The old keys are gone from the new key set.
	refusedInvalidToken(t, "never-seen token of hydra's previous keys", get(t, rs.url+"/api/messages", "Bearer "+oldUnseen))
	t.Logf("observation: a token of hydra's previous keys verified before the restart now gets %s", get(t, rs.url+"/api/messages", "Bearer "+tok))

	// With the issuer stopped, tokens signed by cached keys keep working.
	tokSeen, tokUnseen := h.token(t, "api://default"), h.token(t, "api://default")
	mustAccept(t, rs, "token before hydra stops", tokSeen)
	h.proc.stop(t)
	mustAccept(t, rs, "seen token with hydra stopped", tokSeen)
	mustAccept(t, rs, "unseen token with hydra stopped (cached key)", tokUnseen)
}

// nodeIfAvailable is requireNode for tests that use Node for a side check
// only: without Node they go on (unless CI is set, where Node must be).
func nodeIfAvailable(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil && os.Getenv("CI") == "" {
		t.Logf("Node.js not found: skipping the Express sample side checks")
		return ""
	}
	return requireNode(t)
}

// startOracle starts express-oracle.js for issuer with its jwksUri option
// set to jwksURI, and returns its base URL.
func startOracle(t *testing.T, node, issuer, jwksURI string, env ...string) string {
	t.Helper()
	start := time.Now()
	p := startProc(t, "express-oracle", interopDir(t), append([]string{
		"ISSUER=" + issuer,
		"OKTA_TESTING_DISABLEHTTPSCHECK=true",
		"JWKS_URI=" + jwksURI,
		"PORT=0",
	}, env...), node, "express-oracle.js")
	u := fmt.Sprintf("http://127.0.0.1:%d", p.waitReady(t))
	timings.add(t, "express oracle start until READY", time.Since(start))
	return u
}
