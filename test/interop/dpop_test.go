package interop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/internal/poll"
	"github.com/resource-server/resource-server/store/storetest"
)

// Issue 13's DPoP (RFC 9449), against oidc-provider (opaque-provider.mjs)
// issuing DPoP-bound JWT access tokens (cnf.jkt), with two instances of the
// program sharing a Redis: a valid proof is accepted once, on either
// instance; proofs for another method, URL or key, without ath, or with an
// iat outside the window are refused; the bound token sent as Bearer is
// refused; with Redis down DPoP requests are 503, and 200 again once it is
// back, without restarting the program.

const (
	// dpopPublicURL is both instances' public_url: the URL clients reach
	// them at (behind a load balancer), hence every proof's htu.
	dpopPublicURL = "http://api.example.test"
	// redisBackBound bounds how long the program takes to use Redis again
	// after it restarts.
	redisBackBound = 15 * time.Second
)

// dpopKey is a client's DPoP key: ES256 (P-256).
type dpopKey struct {
	priv   *ecdsa.PrivateKey
	signer jose.Signer
	jkt    string // RFC 7638 thumbprint, base64url: the token's cnf.jkt
}

func newDPoPKey(t *testing.T) *dpopKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &dpopKey{priv: priv, signer: signer, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// proofClaims are a proof's claims; newProofClaims fills them as a valid
// proof has them, and a test changes one to make an invalid proof.
type proofClaims map[string]any

// newProofClaims: a fresh jti (128 random bits), htm, htu, iat now, and
// ath = base64url(SHA-256(token)) when token is not "".
func newProofClaims(t *testing.T, method, htu, token string) proofClaims {
	t.Helper()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		t.Fatal(err)
	}
	c := proofClaims{
		"jti": base64.RawURLEncoding.EncodeToString(jti),
		"htm": method,
		"htu": htu,
		"iat": time.Now().Unix(),
	}
	if token != "" {
		c["ath"] = tokenHash(token)
	}
	return c
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// sign makes the proof: a JWS with typ dpop+jwt, alg ES256 and the public
// key in jwk.
func (k *dpopKey) sign(t *testing.T, c proofClaims) string {
	t.Helper()
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// proof is a valid proof for method and htu with token.
func (k *dpopKey) proof(t *testing.T, method, htu, token string) string {
	t.Helper()
	return k.sign(t, newProofClaims(t, method, htu, token))
}

// dpopToken gets a DPoP-bound JWT access token for api://default:
// client_credentials with a resource indicator and a proof of key (htm
// POST, htu the token endpoint, no ath) in the DPoP header; the answer's
// token_type must be DPoP.
func (op *opaqueProvider) dpopToken(t *testing.T, key *dpopKey) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"api://default"}, "scope": {"api:read"}}
	r, err := postForm(op.tokenURL(), opClientID, opClientSecret, form,
		http.Header{"Dpop": {key.proof(t, http.MethodPost, op.tokenURL(), "")}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("POST %s with a DPoP proof: %s", op.tokenURL(), r)
	}
	if tok.TokenType != "DPoP" {
		t.Fatalf("POST %s with a DPoP proof: token_type %q, want DPoP", op.tokenURL(), tok.TokenType)
	}
	return tok.AccessToken
}

// dpopGet is GET url with "Authorization: DPoP token" and, unless proof is
// "", "DPoP: proof".
func dpopGet(t *testing.T, u, token, proof string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "DPoP "+token)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", u, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

var challengeScheme = regexp.MustCompile(`^\s*([A-Za-z]+)`)

// firstChallenge is the scheme of the first WWW-Authenticate field.
func firstChallenge(h http.Header) string {
	m := challengeScheme.FindStringSubmatch(h.Get("WWW-Authenticate"))
	if m == nil {
		return ""
	}
	return m[1]
}

// refusedInvalidProof checks a 401 whose first challenge is
// `DPoP … error="invalid_dpop_proof"` and whose body's "error" is
// invalid_dpop_proof (bearer's documented refusal of a proof).
func refusedInvalidProof(t *testing.T, who string, r response) {
	t.Helper()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(r.body, &body)
	if r.status != http.StatusUnauthorized || firstChallenge(r.header) != "DPoP" || challengeError(r.header) != "invalid_dpop_proof" || body.Error != "invalid_dpop_proof" {
		t.Fatalf("%s: want 401 with WWW-Authenticate: DPoP … error=\"invalid_dpop_proof\" and body error invalid_dpop_proof, got %s (all challenges %q)", who, r, r.header.Values("WWW-Authenticate"))
	}
}

// TestDPoPProviderTokens checks the client side alone, without the
// program: oidc-provider accepts our proof at its token endpoint (an
// independent check of how the proofs are made) and binds the JWT to our
// key: cnf.jkt is the key's RFC 7638 thumbprint.
func TestDPoPProviderTokens(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	op := startOpaqueProvider(t, node)
	key := newDPoPKey(t)
	tok := op.dpopToken(t, key)
	h, c := jwtParts(t, tok)
	cnf, _ := c["cnf"].(map[string]any)
	if cnf == nil || cnf["jkt"] != key.jkt {
		t.Fatalf("DPoP-bound token: cnf %v, want jkt %s (claims %v)", c["cnf"], key.jkt, c)
	}
	if h["typ"] != "at+jwt" || c["aud"] != "api://default" || c["iss"] != op.issuer || c["scope"] != "api:read" {
		t.Fatalf("DPoP-bound token: header %v claims %v", h, c)
	}
	// A replayed proof is refused by the provider too (its own replay
	// check; oidc-provider 9 answers invalid_grant at the token endpoint),
	// and a proof of another method is.
	p := key.proof(t, http.MethodPost, op.tokenURL(), "")
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"api://default"}}
	first, err := postForm(op.tokenURL(), opClientID, opClientSecret, form, http.Header{"Dpop": {p}})
	if err != nil || first.status != http.StatusOK {
		t.Fatalf("token request with a fresh proof: %v %s", err, first)
	}
	again, err := postForm(op.tokenURL(), opClientID, opClientSecret, form, http.Header{"Dpop": {p}})
	if err != nil || again.status != http.StatusBadRequest {
		t.Fatalf("token request with a replayed proof: %v %s, want 400", err, again)
	}
	wrong := key.proof(t, http.MethodGet, op.tokenURL(), "")
	if r, err := postForm(op.tokenURL(), opClientID, opClientSecret, form, http.Header{"Dpop": {wrong}}); err != nil || r.status != http.StatusBadRequest {
		t.Fatalf("token request with a proof for GET: %v %s, want 400", err, r)
	}
	// Without a proof the JWT is bound to nothing.
	plain := clientCredentials(t, op.tokenURL(), opClientID, opClientSecret, map[string][]string{"resource": {"api://default"}, "scope": {"api:read"}})
	if _, c := jwtParts(t, plain); c["cnf"] != nil {
		t.Fatalf("token requested without a proof carries cnf %v", c["cnf"])
	}
}

// TestDPoP runs two instances of the program, sharing a Redis, against the
// provider's DPoP-bound tokens.
func TestDPoP(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	redisURL, redis := storetest.StartRedis(t)
	op := startOpaqueProvider(t, node)
	cfg := storeConfig{
		issuer:    op.issuer,
		dpop:      "allowed",
		store:     redisURL,
		publicURL: dpopPublicURL,
	}
	rs1 := startStoreServer(t, "resource-server #1 (dpop allowed, redis)", cfg)
	rs2 := startStoreServer(t, "resource-server #2 (dpop allowed, redis)", cfg)

	key := newDPoPKey(t)
	tok := op.dpopToken(t, key)
	if _, c := jwtParts(t, tok); c["cnf"] == nil {
		t.Fatalf("the DPoP-bound token has no cnf: %v", c)
	}
	htu := dpopPublicURL + "/api/messages"
	api1, api2 := rs1.url+"/api/messages", rs2.url+"/api/messages"

	t.Run("valid proof accepted once", func(t *testing.T) {
		p := key.proof(t, http.MethodGet, htu, tok)
		messagesOK(t, rs1.name+", DPoP token with a valid proof", dpopGet(t, api1, tok, p))
		refusedInvalidProof(t, rs1.name+", the same proof again", dpopGet(t, api1, tok, p))
		refusedInvalidProof(t, rs2.name+", the proof used on #1 replayed to #2", dpopGet(t, api2, tok, p))

		p2 := key.proof(t, http.MethodGet, htu, tok)
		messagesOK(t, rs2.name+", DPoP token with a fresh proof", dpopGet(t, api2, tok, p2))
		refusedInvalidProof(t, rs1.name+", the proof used on #2 replayed to #1", dpopGet(t, api1, tok, p2))
	})

	t.Run("invalid proofs", func(t *testing.T) {
		other := newDPoPKey(t)
		now := time.Now()
		cases := []struct {
			name  string
			proof func() string
		}{
			{"another method (htm POST)", func() string { return key.proof(t, http.MethodPost, htu, tok) }},
			{"another URL (htu /secure)", func() string { return key.proof(t, http.MethodGet, dpopPublicURL+"/secure", tok) }},
			{"another host (htu the instance's own address)", func() string { return key.proof(t, http.MethodGet, api1, tok) }},
			{"another key", func() string { return other.proof(t, http.MethodGet, htu, tok) }},
			{"without ath", func() string { return key.proof(t, http.MethodGet, htu, "") }},
			{"ath of another token", func() string {
				c := newProofClaims(t, http.MethodGet, htu, tok)
				c["ath"] = tokenHash(tok + "x")
				return key.sign(t, c)
			}},
			{"iat 10 minutes ago", func() string {
				c := newProofClaims(t, http.MethodGet, htu, tok)
				c["iat"] = now.Add(-10 * time.Minute).Unix()
				return key.sign(t, c)
			}},
			{"iat 10 minutes ahead", func() string {
				c := newProofClaims(t, http.MethodGet, htu, tok)
				c["iat"] = now.Add(10 * time.Minute).Unix()
				return key.sign(t, c)
			}},
			{"no DPoP header", func() string { return "" }},
		}
		for _, tc := range cases {
			r := dpopGet(t, api1, tok, tc.proof())
			refusedInvalidProof(t, rs1.name+", proof "+tc.name, r)
			t.Logf("proof %s: %s", tc.name, r.body)
		}
		// The token is still good with a valid proof.
		messagesOK(t, rs1.name+", valid proof after the invalid ones", dpopGet(t, api1, tok, key.proof(t, http.MethodGet, htu, tok)))
	})

	t.Run("bound token as Bearer", func(t *testing.T) {
		r := get(t, api1, "Bearer "+tok)
		if r.status != http.StatusUnauthorized || firstChallenge(r.header) != "Bearer" || challengeError(r.header) != "invalid_token" {
			t.Fatalf("DPoP-bound token sent as Bearer: want 401 with WWW-Authenticate: Bearer … error=\"invalid_token\", got %s (all challenges %q)", r, r.header.Values("WWW-Authenticate"))
		}
		// dpop: allowed still takes a token bound to no key as Bearer.
		plain := clientCredentials(t, op.tokenURL(), opClientID, opClientSecret, map[string][]string{"resource": {"api://default"}, "scope": {"api:read"}})
		messagesOK(t, rs1.name+", unbound JWT as Bearer (dpop: allowed)", get(t, api1, "Bearer "+plain))
	})

	t.Run("redis down then back", func(t *testing.T) {
		used := key.proof(t, http.MethodGet, htu, tok)
		messagesOK(t, rs1.name+", proof before Redis stops", dpopGet(t, api1, tok, used))

		redis.Stop()
		for _, rs := range []*storeServer{rs1, rs2} {
			r := dpopGet(t, rs.url+"/api/messages", tok, key.proof(t, http.MethodGet, htu, tok))
			if r.status != http.StatusServiceUnavailable {
				t.Fatalf("%s: fresh proof with Redis stopped: want 503, got %s", rs.name, r)
			}
			t.Logf("%s with Redis stopped: %s retry-after=%q", rs.name, r, r.header.Get("Retry-After"))
			// A replay is never accepted: 503, or 401 if this instance
			// remembers the proof itself.
			r = dpopGet(t, rs.url+"/api/messages", tok, used)
			if r.status == http.StatusOK || (r.status != http.StatusServiceUnavailable && r.status != http.StatusUnauthorized) {
				t.Fatalf("%s: replayed proof with Redis stopped: want 503 (or 401), got %s", rs.name, r)
			}
		}

		redis.Start()
		start := time.Now()
		for _, rs := range []*storeServer{rs1, rs2} {
			var last response
			if !poll.Until(redisBackBound, func() bool {
				last = dpopGet(t, rs.url+"/api/messages", tok, key.proof(t, http.MethodGet, htu, tok))
				return last.status == http.StatusOK
			}) {
				t.Fatalf("%s: DPoP requests not accepted %s after Redis restarted (last: %s)", rs.name, redisBackBound, last)
			}
			messagesOK(t, rs.name+", fresh proof after Redis restarted", last)
		}
		timings.add(t, "DPoP accepted again after Redis restarted, after", time.Since(start))
		// The store works again: a replay across instances is refused.
		p := key.proof(t, http.MethodGet, htu, tok)
		messagesOK(t, rs2.name+", proof after Redis is back", dpopGet(t, api2, tok, p))
		refusedInvalidProof(t, rs1.name+", that proof replayed after Redis is back", dpopGet(t, api1, tok, p))
	})
}
