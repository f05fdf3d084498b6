package bearer_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// dpopBase is the public URL the tests' middleware is told it serves at.
const dpopBase = "https://api.example.com"

// dpopClient is a DPoP client: its key, signing proofs with go-jose.
type dpopClient struct {
	jkt    string
	signer jose.Signer
}

func newDPoPClient(t testing.TB) *dpopClient {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newDPoPClientWith(t, jose.ES256, key, &key.PublicKey)
}

// newDPoPClientWith is a DPoP client signing with key (alg), whose public
// key is pub.
func newDPoPClientWith(t testing.TB, alg jose.SignatureAlgorithm, key, pub crypto.PublicKey) *dpopClient {
	t.Helper()
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		&jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{"typ": "dpop+jwt", "jwk": jwk}})
	if err != nil {
		t.Fatal(err)
	}
	return &dpopClient{jkt: base64.RawURLEncoding.EncodeToString(tp), signer: signer}
}

// proof returns a new proof for method and url with token, carrying nonce
// when not empty.
func (c *dpopClient) proof(t testing.TB, method, url, token, nonce string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	claims := map[string]any{"jti": rand.Text(), "htm": method, "htu": url, "iat": time.Now().Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(sum[:])}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := c.signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	p, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dpopFixture is an issuer, a verifier of its tokens, a client with a
// token bound to its key, and an unbound token.
type dpopFixture struct {
	srv            *devissuer.Server
	v              *verifier.Verifier
	client         *dpopClient
	bound, unbound string
}

func newDPoPFixture(t testing.TB) *dpopFixture {
	t.Helper()
	srv := devissuertest.Start(t, devissuer.Options{})
	f := &dpopFixture{srv: srv, v: verifierFor(t, srv), client: newDPoPClient(t)}
	var err error
	if f.bound, err = srv.Issuer.MintAccessToken(map[string]any{"cnf": map[string]any{"jkt": f.client.jkt}}); err != nil {
		t.Fatal(err)
	}
	if f.unbound, err = srv.Issuer.MintAccessToken(nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// handler returns Middleware with DPoP through dv in mode, around a
// handler that answers "ok" when it finds the token.
func (f *dpopFixture) handler(dv *verifier.DPoPVerifier, mode bearer.DPoPMode, observe func(*http.Request, bearer.Decision)) http.Handler {
	return bearer.Middleware(f.v, bearer.Options{Logger: discard, Observe: observe, DPoP: &bearer.DPoPOptions{
		Verifier: dv, Mode: mode,
		URL: func(r *http.Request) string { return dpopBase + r.URL.EscapedPath() },
	}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := bearer.FromContext(r.Context()); ok {
			io.WriteString(w, "ok")
			if bearer.DPoPFromContext(r.Context()) {
				io.WriteString(w, " dpop")
			}
		}
	}))
}

func newDPoPVerifier(t testing.TB, cfg verifier.DPoPConfig) *verifier.DPoPVerifier {
	t.Helper()
	dv, err := verifier.NewDPoPVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dv
}

// dpopRequest is a GET of /api/messages with scheme and token, and the
// given DPoP header values.
func dpopRequest(scheme, token string, proofs ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
	r.Header.Set("Authorization", scheme+" "+token)
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// wantAnswer checks the status and the WWW-Authenticate values, each
// compared by prefix.
func wantAnswer(t *testing.T, w *httptest.ResponseRecorder, status int, challenges ...string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; WWW-Authenticate %q; body %s", w.Code, status, w.Header().Values("WWW-Authenticate"), w.Body)
	}
	got := w.Header().Values("WWW-Authenticate")
	if len(got) != len(challenges) {
		t.Fatalf("WWW-Authenticate %q, want %d challenges %q", got, len(challenges), challenges)
	}
	for i, want := range challenges {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("challenge %d is %q, want it to start with %q", i, got[i], want)
		}
	}
}

func TestDPoPMiddleware(t *testing.T) {
	f := newDPoPFixture(t)
	h := f.handler(newDPoPVerifier(t, verifier.DPoPConfig{}), bearer.DPoPAllowed, nil)
	url := dpopBase + "/api/messages"
	c := f.client

	proof := c.proof(t, "GET", url, f.bound, "")
	w := serve(h, dpopRequest("DPoP", f.bound, proof))
	wantAnswer(t, w, http.StatusOK)
	if w.Body.String() != "ok dpop" || w.Header().Get("DPoP-Nonce") != "" {
		t.Errorf("body %q, DPoP-Nonce %q", w.Body, w.Header().Get("DPoP-Nonce"))
	}
	t.Run("replayed proof", func(t *testing.T) {
		w := serve(h, dpopRequest("DPoP", f.bound, proof))
		wantAnswer(t, w, http.StatusUnauthorized, `DPoP algs="ES256", error="invalid_dpop_proof", error_description="DPoP proof replayed`, `Bearer realm="api"`)
		if !strings.Contains(w.Body.String(), `"error":"invalid_dpop_proof"`) {
			t.Errorf("body %s", w.Body)
		}
	})
	if w := serve(h, dpopRequest("Bearer", f.unbound)); w.Body.String() != "ok" {
		t.Errorf("Bearer request: body %q, want ok (not DPoP)", w.Body)
	}
	t.Run("scheme case-insensitive", func(t *testing.T) {
		wantAnswer(t, serve(h, dpopRequest("dpop", f.bound, c.proof(t, "GET", url, f.bound, ""))), http.StatusOK)
	})
	for _, tc := range []struct {
		name       string
		r          *http.Request
		status     int
		challenges []string
	}{
		{"bound token as Bearer", dpopRequest("Bearer", f.bound), 401,
			[]string{`Bearer realm="api", error="invalid_token", error_description="a DPoP-bound token must be sent with the DPoP scheme and a proof"`, `DPoP algs="ES256"`}},
		{"bound token as Bearer with a proof", dpopRequest("Bearer", f.bound, c.proof(t, "GET", url, f.bound, "")), 401,
			[]string{`Bearer realm="api", error="invalid_token"`, `DPoP algs="ES256"`}},
		{"unbound token as Bearer", dpopRequest("Bearer", f.unbound), 200, nil},
		{"unbound token as DPoP", dpopRequest("DPoP", f.unbound, c.proof(t, "GET", url, f.unbound, "")), 401,
			[]string{`DPoP algs="ES256", error="invalid_token"`, `Bearer realm="api"`}},
		{"no proof", dpopRequest("DPoP", f.bound), 401,
			[]string{`DPoP algs="ES256", error="invalid_dpop_proof", error_description="the request carries no DPoP header`, `Bearer realm="api"`}},
		{"two DPoP headers", dpopRequest("DPoP", f.bound, c.proof(t, "GET", url, f.bound, ""), c.proof(t, "GET", url, f.bound, "")), 401,
			[]string{`DPoP algs="ES256", error="invalid_dpop_proof", error_description="the request carries more than one DPoP header`, `Bearer realm="api"`}},
		{"proof for another URL", dpopRequest("DPoP", f.bound, c.proof(t, "GET", dpopBase+"/api/other", f.bound, "")), 401,
			[]string{`DPoP algs="ES256", error="invalid_dpop_proof", error_description="invalid DPoP proof: claim htu`, `Bearer realm="api"`}},
		{"proof for another method", dpopRequest("DPoP", f.bound, c.proof(t, "POST", url, f.bound, "")), 401,
			[]string{`DPoP algs="ES256", error="invalid_dpop_proof"`, `Bearer realm="api"`}},
		{"proof of another key", dpopRequest("DPoP", f.bound, newDPoPClient(t).proof(t, "GET", url, f.bound, "")), 401,
			[]string{`DPoP algs="ES256", error="invalid_dpop_proof"`, `Bearer realm="api"`}},
		{"forged token as DPoP", dpopRequest("DPoP", f.bound+"x", c.proof(t, "GET", url, f.bound+"x", "")), 401,
			[]string{`DPoP algs="ES256", error="invalid_token"`, `Bearer realm="api"`}},
		{"DPoP scheme with a tab", dpopRequest("DPoP\t", f.bound), 400,
			[]string{`DPoP algs="ES256", error="invalid_request"`, `Bearer realm="api"`}},
		{"no credentials", httptest.NewRequest("GET", "/api/messages", nil), 401,
			[]string{`Bearer realm="api"`, `DPoP algs="ES256"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAnswer(t, serve(h, tc.r), tc.status, tc.challenges...)
		})
	}
}

// TestDPoPDisabled: without Options.DPoP, the DPoP scheme is another
// scheme, as before DPoP existed.
func TestDPoPDisabled(t *testing.T) {
	f := newDPoPFixture(t)
	h := bearer.Middleware(f.v, bearer.Options{Logger: discard})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	w := serve(h, dpopRequest("DPoP", f.bound, f.client.proof(t, "GET", dpopBase+"/api/messages", f.bound, "")))
	wantAnswer(t, w, http.StatusUnauthorized, `Bearer realm="api"`)
	if len(w.Header().Values("WWW-Authenticate")) != 1 || !strings.Contains(w.Body.String(), "another scheme") {
		t.Errorf("answer %q %s", w.Header().Values("WWW-Authenticate"), w.Body)
	}
}

func TestDPoPRequired(t *testing.T) {
	f := newDPoPFixture(t)
	h := f.handler(newDPoPVerifier(t, verifier.DPoPConfig{}), bearer.DPoPRequired, nil)
	wantAnswer(t, serve(h, dpopRequest("Bearer", f.unbound)), http.StatusUnauthorized, `DPoP algs="ES256"`)
	wantAnswer(t, serve(h, dpopRequest("Bearer", f.bound)), http.StatusUnauthorized, `DPoP algs="ES256"`)
	wantAnswer(t, serve(h, httptest.NewRequest("GET", "/api/messages", nil)), http.StatusUnauthorized, `DPoP algs="ES256"`)
	w := serve(h, dpopRequest("DPoP", f.bound, f.client.proof(t, "GET", dpopBase+"/api/messages", f.bound, "")))
	wantAnswer(t, w, http.StatusOK)
	w = serve(h, dpopRequest("DPoP", f.bound))
	wantAnswer(t, w, http.StatusUnauthorized, `DPoP algs="ES256", error="invalid_dpop_proof"`)
}

func TestDPoPNonce(t *testing.T) {
	f := newDPoPFixture(t)
	dv := newDPoPVerifier(t, verifier.DPoPConfig{NonceKey: []byte(strings.Repeat("n", 32))})
	h := f.handler(dv, bearer.DPoPAllowed, nil)
	url := dpopBase + "/api/messages"
	w := serve(h, dpopRequest("DPoP", f.bound, f.client.proof(t, "GET", url, f.bound, "")))
	wantAnswer(t, w, http.StatusUnauthorized, `DPoP algs="ES256", error="use_dpop_nonce"`, `Bearer realm="api"`)
	nonce := w.Header().Get("DPoP-Nonce")
	if nonce == "" || nonce != dv.Nonce() {
		t.Fatalf("DPoP-Nonce %q, want %q", nonce, dv.Nonce())
	}
	if !strings.Contains(w.Body.String(), `"error":"use_dpop_nonce"`) {
		t.Errorf("body %s", w.Body)
	}
	w = serve(h, dpopRequest("DPoP", f.bound, f.client.proof(t, "GET", url, f.bound, nonce)))
	wantAnswer(t, w, http.StatusOK)
	if w.Header().Get("DPoP-Nonce") != nonce {
		t.Errorf("success carries DPoP-Nonce %q, want %q", w.Header().Get("DPoP-Nonce"), nonce)
	}
	w = serve(h, dpopRequest("DPoP", f.bound, f.client.proof(t, "GET", url, f.bound, "stale")))
	wantAnswer(t, w, http.StatusUnauthorized, `DPoP algs="ES256", error="use_dpop_nonce"`, `Bearer realm="api"`)
}

type downStore struct{}

func (downStore) Remember(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("dial tcp 10.0.0.1:6379: connection refused")
}

func TestDPoPStoreDown(t *testing.T) {
	f := newDPoPFixture(t)
	h := f.handler(newDPoPVerifier(t, verifier.DPoPConfig{Replay: downStore{}}), bearer.DPoPAllowed, nil)
	w := serve(h, dpopRequest("DPoP", f.bound, f.client.proof(t, "GET", dpopBase+"/api/messages", f.bound, "")))
	wantAnswer(t, w, http.StatusServiceUnavailable, `DPoP algs="ES256"`, `Bearer realm="api"`)
	if w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "temporarily_unavailable") {
		t.Errorf("Retry-After %q, body %s", w.Header().Get("Retry-After"), w.Body)
	}
	if strings.Contains(w.Header().Get("WWW-Authenticate"), "error=") {
		t.Errorf("a 503 challenge with an error: %q", w.Header().Values("WWW-Authenticate"))
	}
}

// TestDPoPObserve: one decision per request, DPoP ones marked, a refused
// proof with the check that failed.
func TestDPoPObserve(t *testing.T) {
	f := newDPoPFixture(t)
	var mu sync.Mutex
	var got []bearer.Decision
	h := f.handler(newDPoPVerifier(t, verifier.DPoPConfig{}), bearer.DPoPAllowed, func(_ *http.Request, d bearer.Decision) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, d)
	})
	proof := f.client.proof(t, "GET", dpopBase+"/api/messages", f.bound, "")
	serve(h, dpopRequest("DPoP", f.bound, proof))
	serve(h, dpopRequest("DPoP", f.bound, proof))
	serve(h, dpopRequest("Bearer", f.unbound))
	serve(h, dpopRequest("Bearer", f.bound))
	if len(got) != 4 {
		t.Fatalf("%d decisions, want 4", len(got))
	}
	if !got[0].Admitted() || !got[0].DPoP || got[0].Token == nil {
		t.Errorf("DPoP admission %+v", got[0])
	}
	var ve *verifier.ValidationError
	if got[1].Admitted() || !got[1].DPoP || !errors.Is(got[1].Cause, verifier.ErrProofReplayed) || !errors.As(got[1].Cause, &ve) || ve.Claim != "jti" {
		t.Errorf("replay refusal %+v", got[1])
	}
	if got[1].Err.Code != bearer.CodeInvalidDPoPProof || got[1].Token == nil {
		t.Errorf("replay refusal %+v", got[1].Err)
	}
	if !got[2].Admitted() || got[2].DPoP {
		t.Errorf("Bearer admission %+v", got[2])
	}
	if got[3].Admitted() || got[3].DPoP || got[3].Err.Code != bearer.CodeInvalidToken {
		t.Errorf("bound-as-Bearer refusal %+v", got[3])
	}
}

// TestDPoPScopes: RequireScopes inside Middleware answers a DPoP request
// in the DPoP challenge.
func TestDPoPScopes(t *testing.T) {
	f := newDPoPFixture(t)
	h := bearer.Middleware(f.v, bearer.Options{Logger: discard, DPoP: &bearer.DPoPOptions{
		Verifier: newDPoPVerifier(t, verifier.DPoPConfig{}),
	}})(bearer.RequireScopes("admin")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	// The default URL: https from r.TLS, r.Host and the path.
	r := httptest.NewRequest(http.MethodGet, dpopBase+"/api/messages", nil)
	r.Header.Set("Authorization", "DPoP "+f.bound)
	r.Header.Set("DPoP", f.client.proof(t, "GET", dpopBase+"/api/messages", f.bound, ""))
	w := serve(h, r)
	wantAnswer(t, w, http.StatusForbidden, `DPoP algs="ES256", error="insufficient_scope"`, `Bearer realm="api"`)
	if !strings.Contains(w.Header().Get("WWW-Authenticate"), `scope="admin"`) {
		t.Errorf("challenge %q", w.Header().Get("WWW-Authenticate"))
	}
}

// uncachedVerifier returns a verifier of srv's tokens without the
// verified-token cache; with alg, also a token signed by a new key of alg.
func uncachedVerifier(b *testing.B, srv *devissuer.Server, alg string) (*verifier.Verifier, string) {
	cfg := devissuertest.VerifierConfig(srv)
	cfg.DisableCache = true
	var tok string
	if alg != "" {
		kid, err := srv.Issuer.AddKey(alg)
		if err != nil {
			b.Fatal(err)
		}
		if tok, err = srv.Issuer.SignWith(kid, nil, srv.Issuer.AccessTokenClaims()); err != nil {
			b.Fatal(err)
		}
		cfg.Algorithms = []string{alg}
	}
	v, err := verifier.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return v, tok
}

// BenchmarkDPoP compares, through Middleware with the development issuer's
// RS256 tokens: a repeated Bearer token (the verified-token cache answers),
// a Bearer token the verifier has not seen (no cache: a full verification;
// also with an ES256 token), the repeated Bearer token with DPoP enabled
// (what DPoP costs requests that do not use it), and a repeated DPoP-bound
// token with a new ES256 proof on every request (the cache answers for the
// token; the proof costs its parse, one ES256 signature check and a
// replay-store insert, its key's parse and thumbprint being cached), from
// a P-256 client and from an RSA 2048 one. The DPoP figure over
// first-seen's is the ratio to watch, like for like: an ES256 check costs
// about twice an RS256 one here, so dpop compares with
// bearer-first-seen-ES256 and dpop-RS256-proof with bearer-first-seen.
func BenchmarkDPoP(b *testing.B) {
	f := newDPoPFixture(b)
	if err := f.v.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	uncached, _ := uncachedVerifier(b, f.srv, "")
	// The same for a token signed with ES256, the proof's algorithm.
	uncachedES256, es256 := uncachedVerifier(b, f.srv, "ES256")
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	dv := newDPoPVerifier(b, verifier.DPoPConfig{Replay: verifier.NewMemoryReplayStore(1 << 22)})
	opts := bearer.Options{Logger: discard}
	withDPoP := opts
	withDPoP.DPoP = &bearer.DPoPOptions{Verifier: dv, URL: func(r *http.Request) string { return dpopBase + r.URL.EscapedPath() }}
	bench := func(name string, h http.Handler, scheme, token string, proofs func(n int) []string) {
		b.Run(name, func(b *testing.B) {
			r := dpopRequest(scheme, token)
			var ps []string
			if proofs != nil {
				ps = proofs(b.N)
			}
			w := httptest.NewRecorder()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if ps != nil {
					r.Header["Dpop"] = ps[i : i+1]
				}
				h.ServeHTTP(w, r)
			}
			b.StopTimer()
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %q", w.Code, w.Header().Values("WWW-Authenticate"))
			}
		})
	}
	bench("bearer-cached", bearer.Middleware(f.v, opts)(noop), "Bearer", f.unbound, nil)
	bench("bearer-first-seen", bearer.Middleware(uncached, opts)(noop), "Bearer", f.unbound, nil)
	bench("bearer-first-seen-ES256", bearer.Middleware(uncachedES256, opts)(noop), "Bearer", es256, nil)
	bench("bearer-cached-dpop-enabled", bearer.Middleware(f.v, withDPoP)(noop), "Bearer", f.unbound, nil)
	proofs := func(c *dpopClient, token string) func(n int) []string {
		return func(n int) []string {
			ps := make([]string, n)
			for i := range ps {
				ps[i] = c.proof(b, "GET", dpopBase+"/api/messages", token, "")
			}
			return ps
		}
	}
	bench("dpop", bearer.Middleware(f.v, withDPoP)(noop), "DPoP", f.bound, proofs(f.client, f.bound))
	// The like for like of bearer-first-seen: a client whose key is RSA
	// 2048, as the issuer's, so that the proof's check costs what the
	// token's does.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	rsaClient := newDPoPClientWith(b, jose.RS256, rsaKey, &rsaKey.PublicKey)
	rsaBound, err := f.srv.Issuer.MintAccessToken(map[string]any{"cnf": map[string]any{"jkt": rsaClient.jkt}})
	if err != nil {
		b.Fatal(err)
	}
	withRS256 := opts
	withRS256.DPoP = &bearer.DPoPOptions{URL: withDPoP.DPoP.URL, Verifier: newDPoPVerifier(b,
		verifier.DPoPConfig{Algorithms: []string{"ES256", "RS256"}, Replay: verifier.NewMemoryReplayStore(1 << 22)})}
	bench("dpop-RS256-proof", bearer.Middleware(f.v, withRS256)(noop), "DPoP", rsaBound, proofs(rsaClient, rsaBound))
}

// TestDPoPModeFor: a mode chosen per token (the program's per-issuer
// dpop:) refuses an unbound token sent as Bearer where DPoP is required,
// and the DPoP scheme where it is off.
func TestDPoPModeFor(t *testing.T) {
	f := newDPoPFixture(t)
	dv := newDPoPVerifier(t, verifier.DPoPConfig{})
	for _, tt := range []struct {
		name             string
		mode             bearer.DPoPMode
		scheme           string
		bound, withProof bool
		status           int
	}{
		{"required, unbound as Bearer", bearer.DPoPRequired, "Bearer", false, false, 401},
		{"required, bound with a proof", bearer.DPoPRequired, "DPoP", true, true, 200},
		{"off, unbound as Bearer", bearer.DPoPOff, "Bearer", false, false, 200},
		{"off, bound with a proof", bearer.DPoPOff, "DPoP", true, true, 401},
		{"off, bound as Bearer", bearer.DPoPOff, "Bearer", true, false, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := bearer.Middleware(f.v, bearer.Options{Logger: discard, DPoP: &bearer.DPoPOptions{
				Verifier: dv, ModeFor: func(*verifier.Token) bearer.DPoPMode { return tt.mode },
				URL: func(r *http.Request) string { return dpopBase + r.URL.EscapedPath() },
			}})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			tok := f.unbound
			if tt.bound {
				tok = f.bound
			}
			var proofs []string
			if tt.withProof {
				proofs = append(proofs, f.client.proof(t, "GET", dpopBase+"/api/messages", tok, ""))
			}
			if w := serve(h, dpopRequest(tt.scheme, tok, proofs...)); w.Code != tt.status {
				t.Errorf("status %d, want %d; %q", w.Code, tt.status, w.Header().Values("WWW-Authenticate"))
			}
		})
	}
}
