package verifier_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// dpopNow is the fixed clock of the proof tests.
var dpopNow = time.Unix(1_900_000_000, 0)

const (
	dpopURL   = "https://api.example.com/messages"
	dpopToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" // any string: VerifyProof only hashes it
)

// clientKey is a DPoP client's key pair.
type clientKey struct {
	signer crypto.Signer
	alg    string
	jwk    map[string]any // the public JWK, as a header member
	jkt    string         // its RFC 7638 thumbprint
}

func newClientKey(t testing.TB, alg string) *clientKey {
	t.Helper()
	var signer crypto.Signer
	var err error
	switch alg {
	case "ES256":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	case "RS256", "PS256":
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil || signer == nil {
		t.Fatalf("key for %s: %v", alg, err)
	}
	pub := jose.JSONWebKey{Key: signer.Public()}
	raw, err := pub.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	k := &clientKey{signer: signer, alg: alg}
	if err := json.Unmarshal(raw, &k.jwk); err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	k.jkt = base64.RawURLEncoding.EncodeToString(tp)
	return k
}

var jtiCounter atomic.Int64

// proofParts returns the header and claims of a valid proof for a GET of
// dpopURL with dpopToken at dpopNow, for a test to edit.
func (k *clientKey) proofParts(token string, now time.Time) (header, claims map[string]any) {
	sum := sha256.Sum256([]byte(token))
	header = map[string]any{"typ": "dpop+jwt", "alg": k.alg, "jwk": k.jwk}
	claims = map[string]any{
		"jti": "jti-" + big.NewInt(jtiCounter.Add(1)).String(),
		"htm": "GET",
		"htu": dpopURL,
		"iat": now.Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(sum[:]),
	}
	return header, claims
}

// proof returns a proof signed by k, after edit (when not nil) changed its
// header and claims; a nil value deletes a member.
func (k *clientKey) proof(t testing.TB, edit func(h, c map[string]any)) string {
	t.Helper()
	h, c := k.proofParts(dpopToken, dpopNow)
	if edit != nil {
		edit(h, c)
	}
	return k.sign(t, mustJSON(t, h), mustJSON(t, c))
}

func mustJSON(t testing.TB, m map[string]any) string {
	t.Helper()
	for name, v := range m {
		if v == nil {
			delete(m, name)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign makes a compact JWS of header and claims as written, signed with
// the standard library, so that tests can send what go-jose would refuse
// to write (a private member, a case variant, a duplicate).
func (k *clientKey) sign(t testing.TB, header, claims string) string {
	t.Helper()
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	var sig []byte
	var err error
	switch key := k.signer.(type) {
	case *ecdsa.PrivateKey:
		d := sha256.Sum256([]byte(input))
		var r, s *big.Int
		if r, s, err = ecdsa.Sign(rand.Reader, key, d[:]); err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	case ed25519.PrivateKey:
		sig = ed25519.Sign(key, []byte(input))
	case *rsa.PrivateKey:
		d := sha256.Sum256([]byte(input))
		if k.alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// fakeStore is a ReplayStore that fails, or records keys.
type fakeStore struct {
	err  error
	keys map[string]time.Time
}

func (s *fakeStore) Remember(_ context.Context, key string, until time.Time) (bool, error) {
	if s.err != nil {
		return false, s.err
	}
	if _, ok := s.keys[key]; ok {
		return false, nil
	}
	s.keys[key] = until
	return true, nil
}

func newDPoP(t testing.TB, edit func(*verifier.DPoPConfig)) *verifier.DPoPVerifier {
	t.Helper()
	cfg := verifier.DPoPConfig{Now: func() time.Time { return dpopNow }}
	if edit != nil {
		edit(&cfg)
	}
	d, err := verifier.NewDPoPVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func request(k *clientKey) verifier.ProofRequest {
	return verifier.ProofRequest{Method: "GET", URL: dpopURL, AccessToken: dpopToken, KeyThumbprint: k.jkt}
}

// wantProofError checks err's kind and the check it names.
func wantProofError(t *testing.T, err, kind error, claim string) {
	t.Helper()
	var ve *verifier.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, kind) {
		t.Fatalf("error %v, want a *ValidationError of kind %v", err, kind)
	}
	if ve.Claim != claim {
		t.Errorf("error %v names %q, want %q", err, ve.Claim, claim)
	}
}

// proofCase is a proof made by proof, checked against request(k) as edit
// changes it; kind nil means accepted, claim is the check named.
type proofCase struct {
	name  string
	proof func(t *testing.T) string
	edit  func(*verifier.ProofRequest)
	kind  error
	claim string
}

func setClaim(name string, v any) func(h, c map[string]any) {
	return func(_, c map[string]any) { c[name] = v }
}

func setHeader(name string, v any) func(h, c map[string]any) {
	return func(h, _ map[string]any) { h[name] = v }
}

func runProofCases(t *testing.T, k *clientKey, cases []proofCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDPoP(t, nil)
			p := request(k)
			if c.edit != nil {
				c.edit(&p)
			}
			err := d.VerifyProof(context.Background(), c.proof(t), p)
			switch {
			case c.kind == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case c.kind != nil && c.claim != "":
				wantProofError(t, err, c.kind, c.claim)
			case c.kind != nil && !errors.Is(err, c.kind):
				t.Fatalf("error %v, want kind %v", err, c.kind)
			}
		})
	}
}

func TestVerifyProofClaims(t *testing.T) {
	k := newClientKey(t, "ES256")
	other := newClientKey(t, "ES256")
	with := func(edit func(h, c map[string]any)) func(t *testing.T) string {
		return func(t *testing.T) string { return k.proof(t, edit) }
	}
	invalid := verifier.ErrInvalidProof
	runProofCases(t, k, []proofCase{
		{name: "valid", proof: with(nil)},
		{name: "other method", proof: with(setClaim("htm", "POST")), kind: invalid, claim: "htm"},
		{name: "method case", proof: with(setClaim("htm", "get")), kind: invalid, claim: "htm"},
		{name: "other URL", proof: with(setClaim("htu", "https://api.example.com/other")), kind: invalid, claim: "htu"},
		{name: "other host", proof: with(setClaim("htu", "https://evil.example.com/messages")), kind: invalid, claim: "htu"},
		{name: "htu not a URL", proof: with(setClaim("htu", "/messages")), kind: invalid, claim: "htu"},
		{name: "other key than cnf.jkt", proof: func(t *testing.T) string { return other.proof(t, nil) }, kind: invalid, claim: "jwk"},
		{name: "missing ath", proof: with(setClaim("ath", nil)), kind: invalid, claim: "ath"},
		{name: "wrong ath", proof: with(setClaim("ath", strings.Repeat("A", 43))), kind: invalid, claim: "ath"},
		{name: "ath of another token", proof: with(nil), edit: func(p *verifier.ProofRequest) { p.AccessToken += "x" }, kind: invalid, claim: "ath"},
		{name: "iat too old", proof: with(setClaim("iat", dpopNow.Add(-6*time.Minute).Unix())), kind: invalid, claim: "iat"},
		{name: "iat at MaxAge", proof: with(setClaim("iat", dpopNow.Add(-5*time.Minute).Unix()))},
		{name: "iat in the future", proof: with(setClaim("iat", dpopNow.Add(time.Minute).Unix())), kind: invalid, claim: "iat"},
		{name: "iat within leeway", proof: with(setClaim("iat", dpopNow.Add(4*time.Second).Unix()))},
		{name: "iat a string", proof: with(setClaim("iat", "1900000000")), kind: invalid, claim: "iat"},
		{name: "missing jti", proof: with(setClaim("jti", nil)), kind: invalid, claim: "jti"},
		{name: "jti too long", proof: with(setClaim("jti", strings.Repeat("j", 257))), kind: invalid, claim: "jti"},
		{name: "missing htm", proof: with(setClaim("htm", nil)), kind: invalid, claim: "htm"},
		{name: "missing htu", proof: with(setClaim("htu", nil)), kind: invalid, claim: "htu"},
		{name: "missing iat", proof: with(setClaim("iat", nil)), kind: invalid, claim: "iat"},
		{name: "token not bound", proof: with(nil), edit: func(p *verifier.ProofRequest) { p.KeyThumbprint = "" }, kind: invalid},
		{name: "too large", proof: with(setClaim("pad", strings.Repeat("x", 9000))), kind: invalid},
	})
}

func TestVerifyProofHeader(t *testing.T) {
	k := newClientKey(t, "ES256")
	other := newClientKey(t, "ES256")
	with := func(edit func(h, c map[string]any)) func(t *testing.T) string {
		return func(t *testing.T) string { return k.proof(t, edit) }
	}
	invalid := verifier.ErrInvalidProof
	runProofCases(t, k, []proofCase{
		{name: "jwk of another key than the signer", proof: with(setHeader("jwk", other.jwk)),
			edit: func(p *verifier.ProofRequest) { p.KeyThumbprint = other.jkt }, kind: invalid},
		{name: "typ JWT", proof: with(setHeader("typ", "JWT")), kind: invalid, claim: "typ"},
		{name: "typ missing", proof: with(setHeader("typ", nil)), kind: invalid, claim: "typ"},
		{name: "typ with media type prefix", proof: with(setHeader("typ", "application/dpop+jwt"))},
		{name: "alg none", proof: with(setHeader("alg", "none")), kind: invalid, claim: "alg"},
		{name: "alg HS256", proof: with(setHeader("alg", "HS256")), kind: invalid, claim: "alg"},
		{name: "alg not allowed", proof: with(setHeader("alg", "ES384")), kind: invalid, claim: "alg"},
		{name: "jwk with private d", proof: with(setHeader("jwk", withMember(k.jwk, "d", "AAAA"))), kind: invalid, claim: "jwk"},
		{name: "jwk symmetric", proof: with(setHeader("jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0"})), kind: invalid, claim: "jwk"},
		{name: "jwk missing", proof: with(setHeader("jwk", nil)), kind: invalid, claim: "jwk"},
		{name: "crit", proof: with(setHeader("crit", []string{"x"})), kind: invalid, claim: "crit"},
		{name: "bad signature", proof: func(t *testing.T) string {
			p := k.proof(t, nil)
			return p[:strings.LastIndexByte(p, '.')+1] + strings.Repeat("A", 86)
		}, kind: invalid},
		{name: "not a JWS", proof: func(t *testing.T) string { return "a.b" }, kind: invalid},
	})
}

func withMember(m map[string]any, name string, v any) map[string]any {
	out := map[string]any{name: v}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestVerifyProofStrictJSON sends what a lenient reader would take for a
// valid proof: case variants and duplicates of registered members.
func TestVerifyProofStrictJSON(t *testing.T) {
	k := newClientKey(t, "ES256")
	h, c := k.proofParts(dpopToken, dpopNow)
	header, claims := mustJSON(t, h), mustJSON(t, c)
	for _, tc := range []struct{ name, header, claims string }{
		{"header case variant", strings.Replace(header, `"typ"`, `"Typ"`, 1), claims},
		{"claim case variant", header, strings.Replace(claims, `"htu"`, `"HTU"`, 1)},
		{"duplicate htu", header, strings.Replace(claims, `{`, `{"htu":"https://evil.example/",`, 1)},
		{"duplicate alg", strings.Replace(header, `{`, `{"alg":"none",`, 1), claims},
		{"jwk case variant", strings.Replace(header, `"crv"`, `"CRV"`, 1), claims},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := newDPoP(t, nil).VerifyProof(context.Background(), k.sign(t, tc.header, tc.claims), request(k))
			if !errors.Is(err, verifier.ErrInvalidProof) {
				t.Fatalf("error %v, want ErrInvalidProof", err)
			}
		})
	}
	// The error never holds the proof or the token.
	p := k.sign(t, header, strings.Replace(claims, `"htu"`, `"HTU"`, 1))
	err := newDPoP(t, nil).VerifyProof(context.Background(), p, request(k))
	if err == nil || strings.Contains(err.Error(), p[:40]) || strings.Contains(err.Error(), dpopToken) {
		t.Errorf("error %q holds the proof or the token", err)
	}
}

func TestVerifyProofReplay(t *testing.T) {
	k := newClientKey(t, "ES256")
	store := &fakeStore{keys: map[string]time.Time{}}
	d := newDPoP(t, func(c *verifier.DPoPConfig) { c.Replay = store })
	p := k.proof(t, nil)
	if err := d.VerifyProof(context.Background(), p, request(k)); err != nil {
		t.Fatal(err)
	}
	wantProofError(t, d.VerifyProof(context.Background(), p, request(k)), verifier.ErrProofReplayed, "jti")
	// The key is hex(SHA-256(jkt, 0, jti)), kept until iat+MaxAge+Leeway.
	for key, until := range store.keys {
		if len(key) != 64 || !until.Equal(dpopNow.Add(verifier.DefaultProofMaxAge+verifier.DefaultProofLeeway)) {
			t.Errorf("recorded %q until %s", key, until)
		}
	}
	// A refused proof is not recorded: its jti stays usable.
	bad := k.proof(t, func(_, c map[string]any) { c["jti"], c["htm"] = "reused", "POST" })
	if err := d.VerifyProof(context.Background(), bad, request(k)); !errors.Is(err, verifier.ErrInvalidProof) {
		t.Fatal(err)
	}
	good := k.proof(t, func(_, c map[string]any) { c["jti"] = "reused" })
	if err := d.VerifyProof(context.Background(), good, request(k)); err != nil {
		t.Fatalf("a jti of a refused proof was recorded: %v", err)
	}
	// The same jti from another key is another proof.
	other := newClientKey(t, "ES256")
	if err := d.VerifyProof(context.Background(), other.proof(t, func(_, c map[string]any) { c["jti"] = "reused" }), request(other)); err != nil {
		t.Fatalf("jti shared across keys: %v", err)
	}
}

func TestVerifyProofStoreDown(t *testing.T) {
	k := newClientKey(t, "ES256")
	d := newDPoP(t, func(c *verifier.DPoPConfig) { c.Replay = &fakeStore{err: errors.New("connection refused")} })
	err := d.VerifyProof(context.Background(), k.proof(t, nil), request(k))
	if !errors.Is(err, verifier.ErrStoreUnavailable) {
		t.Fatalf("error %v, want ErrStoreUnavailable", err)
	}
	// A proof refused before the store is asked says so, not unavailable.
	err = d.VerifyProof(context.Background(), k.proof(t, func(_, c map[string]any) { c["htm"] = "PUT" }), request(k))
	if !errors.Is(err, verifier.ErrInvalidProof) {
		t.Fatalf("error %v, want ErrInvalidProof", err)
	}
}

func TestHTUNormalization(t *testing.T) {
	k := newClientKey(t, "ES256")
	for _, c := range []struct {
		htu, url string
		ok       bool
	}{
		{"HTTPS://API.Example.COM:443/a/../messages", "https://api.example.com/messages", true},
		{"https://api.example.com/messages?x=1#frag", "https://api.example.com/messages", true},
		{"https://api.example.com/messages", "https://api.example.com/messages?page=2", true},
		{"https://api.example.com/./a/./b/", "https://api.example.com/a/b/", true},
		{"https://api.example.com/%7Euser/%61", "https://api.example.com/~user/a", true},
		{"https://api.example.com/a%2fb", "https://api.example.com/a%2Fb", true},
		{"https://api.example.com/caf%C3%A9", "https://api.example.com/café", true},
		{"https://api.example.com/%2E%2E/x", "https://api.example.com/x", true},
		{"http://api.example.com:80", "http://api.example.com/", true},
		{"https://api.example.com:0443/", "https://api.example.com", true},
		{"https://[::1]:443/x", "https://[::1]/x", true},
		{"http://api.example.com/messages", "https://api.example.com/messages", false},
		{"https://api.example.com:8443/messages", "https://api.example.com/messages", false},
		{"https://api.example.com/a%2Fb", "https://api.example.com/a/b", false},
		{"https://api.example.com/Messages", "https://api.example.com/messages", false},
		{"https://user@api.example.com/messages", "https://api.example.com/messages", false},
		{"https://api.example.com.evil/messages", "https://api.example.com/messages", false},
		{"ftp://api.example.com/messages", "ftp://api.example.com/messages", false},
		{"https://api.example.com/%zz", "https://api.example.com/%zz", false},
		{"https://api.example.com:x/", "https://api.example.com/", false},
	} {
		p := k.proof(t, func(_, cl map[string]any) { cl["htu"] = c.htu })
		req := request(k)
		req.URL = c.url
		err := newDPoP(t, nil).VerifyProof(context.Background(), p, req)
		if c.ok && err != nil {
			t.Errorf("htu %q for %q refused: %v", c.htu, c.url, err)
		}
		if !c.ok {
			wantProofError(t, err, verifier.ErrInvalidProof, "htu")
		}
	}
}

func TestVerifyProofNonce(t *testing.T) {
	k := newClientKey(t, "ES256")
	now := dpopNow
	d := newDPoP(t, func(c *verifier.DPoPConfig) {
		c.NonceKey = []byte(strings.Repeat("k", 32))
		c.Now = func() time.Time { return now }
	})
	withNonce := func(n string) string {
		return k.proof(t, func(_, c map[string]any) {
			c["iat"] = now.Unix()
			if n != "" {
				c["nonce"] = n
			}
		})
	}
	// No nonce: use_dpop_nonce with the nonce to send.
	err := d.VerifyProof(context.Background(), withNonce(""), request(k))
	wantProofError(t, err, verifier.ErrUseNonce, "nonce")
	var ch *verifier.NonceChallenge
	if !errors.As(err, &ch) || ch.Nonce == "" || ch.Nonce != d.Nonce() {
		t.Fatalf("challenge %+v, want the current nonce %q", ch, d.Nonce())
	}
	if strings.Contains(err.Error(), ch.Nonce) {
		t.Errorf("error %q holds the nonce", err)
	}
	// The fresh nonce passes.
	fresh := ch.Nonce
	if err := d.VerifyProof(context.Background(), withNonce(fresh), request(k)); err != nil {
		t.Fatalf("fresh nonce refused: %v", err)
	}
	// In the next bucket it still passes; the nonce has changed.
	now = now.Add(verifier.DefaultNonceLifetime)
	if err := d.VerifyProof(context.Background(), withNonce(fresh), request(k)); err != nil {
		t.Fatalf("previous bucket's nonce refused: %v", err)
	}
	if d.Nonce() == fresh {
		t.Error("the nonce did not change with the bucket")
	}
	// Two buckets later it is stale.
	now = now.Add(verifier.DefaultNonceLifetime)
	wantProofError(t, d.VerifyProof(context.Background(), withNonce(fresh), request(k)), verifier.ErrUseNonce, "nonce")
	wantProofError(t, d.VerifyProof(context.Background(), withNonce("made-up"), request(k)), verifier.ErrUseNonce, "nonce")
	// Another instance with the same key accepts the same nonce.
	d2 := newDPoP(t, func(c *verifier.DPoPConfig) {
		c.NonceKey = []byte(strings.Repeat("k", 32))
		c.Now = func() time.Time { return now }
	})
	if d2.Nonce() != d.Nonce() {
		t.Error("two instances with one key disagree on the nonce")
	}
	if newDPoP(t, nil).Nonce() != "" {
		t.Error("a nonce without NonceKey")
	}
}

func TestVerifyProofAlgorithms(t *testing.T) {
	for _, alg := range []string{"EdDSA", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			k := newClientKey(t, alg)
			p := k.proof(t, nil)
			if err := newDPoP(t, nil).VerifyProof(context.Background(), p, request(k)); !errors.Is(err, verifier.ErrInvalidProof) {
				t.Fatalf("%s accepted by default: %v", alg, err)
			}
			d := newDPoP(t, func(c *verifier.DPoPConfig) { c.Algorithms = []string{"ES256", alg} })
			if err := d.VerifyProof(context.Background(), p, request(k)); err != nil {
				t.Fatalf("%s refused: %v", alg, err)
			}
		})
	}
	// The alg must fit the key: an ES256 header on an Ed25519 key.
	k := newClientKey(t, "EdDSA")
	d := newDPoP(t, func(c *verifier.DPoPConfig) { c.Algorithms = []string{"ES256", "EdDSA"} })
	wantProofError(t, d.VerifyProof(context.Background(), k.proof(t, func(h, _ map[string]any) { h["alg"] = "ES256" }), request(k)),
		verifier.ErrInvalidProof, "alg")
}

// TestVerifyProofGoJose checks a proof as go-jose writes it, with a token
// the development issuer bound to the key.
func TestVerifyProofGoJose(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := devissuertest.Verifier(t, srv)
	k := newClientKey(t, "ES256")
	at, err := srv.Issuer.MintAccessToken(map[string]any{"cnf": map[string]any{"jkt": k.jkt}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.VerifyAccessToken(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.signer}, &jose.SignerOptions{
		ExtraHeaders: map[jose.HeaderKey]any{"typ": "dpop+jwt", "jwk": jose.JSONWebKey{Key: k.signer.Public()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, claims := k.proofParts(at, now)
	obj, err := signer.Sign([]byte(mustJSON(t, claims)))
	if err != nil {
		t.Fatal(err)
	}
	proof, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	d, err := verifier.NewDPoPVerifier(verifier.DPoPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := verifier.ProofRequest{Method: "GET", URL: dpopURL, AccessToken: at, KeyThumbprint: tok.KeyThumbprint()}
	if err := d.VerifyProof(context.Background(), proof, p); err != nil {
		t.Fatal(err)
	}
}

func TestNewDPoPVerifierConfig(t *testing.T) {
	for _, cfg := range []verifier.DPoPConfig{
		{Algorithms: []string{"HS256"}},
		{Algorithms: []string{"none"}},
		{Algorithms: []string{"es256"}},
		{NonceKey: []byte("short")},
		{MaxAge: -time.Second},
	} {
		var ce *verifier.ConfigError
		if _, err := verifier.NewDPoPVerifier(cfg); !errors.As(err, &ce) {
			t.Errorf("%+v: error %v, want a *ConfigError", cfg, err)
		}
	}
	d, err := verifier.NewDPoPVerifier(verifier.DPoPConfig{})
	if err != nil || strings.Join(d.Algorithms(), " ") != "ES256" {
		t.Errorf("default algorithms %v, %v", d.Algorithms(), err)
	}
}

func TestMemoryReplayStore(t *testing.T) {
	s := verifier.NewMemoryReplayStore(2)
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	for i, want := range []bool{true, false} {
		if first, err := s.Remember(ctx, "a", until); first != want || err != nil {
			t.Fatalf("call %d: %v, %v", i, first, err)
		}
	}
	if first, err := s.Remember(ctx, "b", until); !first || err != nil {
		t.Fatal(first, err)
	}
	// Full of unexpired entries: refused, not forgotten.
	if _, err := s.Remember(ctx, "c", until); err == nil {
		t.Fatal("a full store accepted a new key")
	}
	// Expired entries make room, and an expired key is new again.
	s = verifier.NewMemoryReplayStore(1)
	if first, _ := s.Remember(ctx, "a", time.Now().Add(-time.Second)); !first {
		t.Fatal("not first")
	}
	if first, err := s.Remember(ctx, "b", until); !first || err != nil {
		t.Fatalf("expired entry not swept: %v, %v", first, err)
	}
	if s.Len() != 1 {
		t.Errorf("Len %d", s.Len())
	}
}

// TestVerifyProofKeyCache: a key read from an earlier proof answers the
// same as one read anew.
func TestVerifyProofKeyCache(t *testing.T) {
	k := newClientKey(t, "ES256")
	other := newClientKey(t, "ES256")
	d := newDPoP(t, func(c *verifier.DPoPConfig) { c.Algorithms = []string{"ES256", "ES384"} })
	ctx := context.Background()
	for i := range 2 {
		if err := d.VerifyProof(ctx, k.proof(t, nil), request(k)); err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
		wantProofError(t, d.VerifyProof(ctx, k.proof(t, nil), request(other)), verifier.ErrInvalidProof, "jwk")
		wantProofError(t, d.VerifyProof(ctx, k.proof(t, setHeader("alg", "ES384")), request(k)), verifier.ErrInvalidProof, "alg")
		wantProofError(t, d.VerifyProof(ctx, k.proof(t, setHeader("jwk", other.jwk)), request(other)), verifier.ErrInvalidProof, "")
	}
}
