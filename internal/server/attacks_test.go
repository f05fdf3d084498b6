package server_test

// The attack suite: one case (or a few) per entry of ANCHORS.md §6, each
// forging its token as an attacker would and sending it through the real
// HTTP stack (internal/server.New with a real verifier and a development
// issuer on loopback). Every case asserts the status, the error code of the
// WWW-Authenticate challenge, the reason in its error_description, and
// what was fetched: the issuer's JWKS and discovery (devissuer.Requests)
// and an attacker's server that tokens point to (jku, x5u, URLs in kid),
// which must never be contacted.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

// productionMaxHeaderBytes is cmd/resource-server's http.Server limit.
const productionMaxHeaderBytes = 64 << 10

type attackBed struct {
	iss      *devissuer.Server
	v        *verifier.Verifier
	api      string
	client   *http.Client
	esKID    string
	attacker *attackerServer
	atk      *rawKey // the attacker's own RSA key
}

// startAttackBed runs a devissuer with an RS256 and an ES256 key and the
// API in front of a verifier whose allow-list is widened (RS256, RS384,
// PS256, ES256, EdDSA), so that cross-algorithm forgeries are refused by the
// key binding rather than by the allow-list. The unknown-kid refetch
// interval is an hour: at most one refetch can happen during the suite.
func startAttackBed(t *testing.T) *attackBed {
	t.Helper()
	iss := devissuertest.Start(t, devissuer.Options{})
	esKID, err := iss.Issuer.AddKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	atk := newRSAKey(t, "attacker-key", 2048)
	jwks, _ := json.Marshal(map[string]any{"keys": []any{atk.jwk(nil)}})
	attacker := startAttacker(t, jwks)
	cfg := devissuertest.VerifierConfig(iss)
	cfg.Algorithms = []string{"RS256", "RS384", "PS256", "ES256", "EdDSA"}
	cfg.MinRefetchInterval = time.Hour
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(server.New(server.Deps{Verifier: v, Logger: quiet, SecureRoute: true}))
	srv.Config.MaxHeaderBytes = productionMaxHeaderBytes
	srv.Start()
	t.Cleanup(srv.Close)
	return &attackBed{iss: iss, v: v, api: srv.URL, client: newClient(t, 10*time.Second), esKID: esKID, attacker: attacker, atk: atk}
}

func (b *attackBed) sign(t *testing.T, kid string, header, claims map[string]any) string {
	t.Helper()
	tok, err := b.iss.Issuer.SignWith(kid, header, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (b *attackBed) claims(over map[string]any) map[string]any {
	c := b.iss.Issuer.AccessTokenClaims()
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

type fetchCounts struct{ keys, discovery, attacker int64 }

func (b *attackBed) counts() fetchCounts {
	return fetchCounts{
		keys:      b.iss.Issuer.Requests("/v1/keys"),
		discovery: b.iss.Issuer.Requests("/.well-known/openid-configuration") + b.iss.Issuer.Requests("/.well-known/oauth-authorization-server"),
		attacker:  b.attacker.hits.Load(),
	}
}

// attack is one forged request and what the server must answer.
type attack struct {
	anchor string      // the ANCHORS.md §6 entry
	name   string      // the forgery
	header http.Header // the request's headers
	query  string      // raw query of GET /api/messages
	status int
	code   string // the challenge's error attribute; "" for none
	reason string // a part of error_description; "" to skip
	// unknownKID marks a token whose kid the issuer does not have: it may
	// cause the one rate-limited refetch of the issuer's JWKS.
	unknownKID bool
}

func TestAttacks(t *testing.T) {
	b := startAttackBed(t)
	rsKID := b.iss.Issuer.CurrentKeyID()
	valid := b.sign(t, rsKID, nil, b.claims(nil))
	parts := strings.Split(valid, ".")
	validES := b.sign(t, b.esKID, nil, b.claims(nil))
	esParts := strings.Split(validES, ".")
	claimsJSON, _ := json.Marshal(b.claims(nil))
	rawTok := func(header, payload, sig string) string {
		return b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload)) + "." + sig
	}
	atkSign := func(header map[string]any, claims map[string]any) string {
		h := map[string]any{"alg": "RS256", "typ": "at+jwt"}
		for k, v := range header {
			h[k] = v
		}
		return b.atk.sign(t, h, claims)
	}
	bigClaim := func(n int) map[string]any { return b.claims(map[string]any{"pad": strings.Repeat("x", n)}) }

	// ECDSA signatures as an attacker shapes them.
	esSig, _ := b64.DecodeString(esParts[2])
	r, s := new(big.Int).SetBytes(esSig[:32]), new(big.Int).SetBytes(esSig[32:])
	der, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	n := elliptic.P256().Params().N
	// The attacker's certificate for x5c.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: b.iss.URL}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, b.atk.priv.Public(), b.atk.priv)
	if err != nil {
		t.Fatal(err)
	}
	// An ID token as the devissuer's token endpoint makes it.
	idClaims := map[string]any{"iss": b.iss.URL, "aud": devissuer.DefaultSPAClientID, "sub": "demo", "iat": time.Now().Unix(),
		"exp": time.Now().Add(time.Hour).Unix(), "auth_time": time.Now().Unix(), "nonce": "n-0S6", "jti": "ID.1", "amr": []string{"pwd"}}

	// Non-canonical base64url: set an unused trailing bit of the signature.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := parts[2][len(parts[2])-1]
	trailingBits := parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + string(alphabet[strings.IndexByte(alphabet, last)|1])
	stdAlphabet := parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2])
	if stdAlphabet == valid {
		stdAlphabet = parts[0] + "." + parts[1] + "." + "+/" + parts[2][2:]
	}

	dupClaims := `{"iss":"https://evil.example.com",` + string(claimsJSON[1:])
	attacks := []attack{
		// alg none, in any casing, with or without a signature.
		{anchor: "alg none", name: "none, empty signature", header: authz(b.sign(t, rsKID, map[string]any{"alg": "none"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "signature segment is empty"},
		{anchor: "alg none", name: "none, signature kept", header: authz(rawTok(`{"alg":"none","kid":"`+rsKID+`"}`, string(claimsJSON), parts[2])), status: 401, code: "invalid_token", reason: "unsigned tokens are never accepted"},
		{anchor: "alg none", name: "None", header: authz(rawTok(`{"alg":"None","kid":"`+rsKID+`"}`, string(claimsJSON), parts[2])), status: 401, code: "invalid_token", reason: "unsigned tokens are never accepted"},
		{anchor: "alg none", name: "NONE", header: authz(rawTok(`{"alg":"NONE","kid":"`+rsKID+`"}`, string(claimsJSON), parts[2])), status: 401, code: "invalid_token", reason: "unsigned tokens are never accepted"},
		{anchor: "alg none", name: "nOnE", header: authz(rawTok(`{"alg":"nOnE","kid":"`+rsKID+`"}`, string(claimsJSON), parts[2])), status: 401, code: "invalid_token", reason: "unsigned tokens are never accepted"},
		{anchor: "alg none", name: "alg absent", header: authz(rawTok(`{"kid":"`+rsKID+`"}`, string(claimsJSON), parts[2])), status: 401, code: "invalid_token", reason: "claim alg is absent"},

		// Key confusion: HMAC keyed with the public key; a JWK's alg binds it.
		{anchor: "key confusion", name: "HS256 keyed with the RSA public key (PEM)", header: authz(b.sign(t, rsKID, map[string]any{"alg": "HS256"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "claim alg is HS256"},
		{anchor: "key confusion", name: "HS512 keyed with the EC public key (PEM)", header: authz(b.sign(t, b.esKID, map[string]any{"alg": "HS512"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "claim alg is HS512"},
		{anchor: "key confusion", name: "RS384 by the RS256 key (allow-listed alg, JWK alg RS256)", header: authz(b.sign(t, rsKID, map[string]any{"alg": "RS384"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "not a key for this algorithm"},
		{anchor: "key confusion", name: "PS256 by the RS256 key", header: authz(b.sign(t, rsKID, map[string]any{"alg": "PS256"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "not a key for this algorithm"},
		{anchor: "key confusion", name: "ES256 header naming the RSA key", header: authz(rawTok(`{"alg":"ES256","kid":"`+rsKID+`"}`, string(claimsJSON), esParts[2])), status: 401, code: "invalid_token", reason: "not a key for this algorithm"},

		// Keys named by the token itself.
		{anchor: "jwk/x5c/jku/x5u", name: "embedded jwk of the attacker, issuer's kid", header: authz(atkSign(map[string]any{"kid": rsKID, "jwk": b.atk.jwk(nil)}, b.claims(nil))), status: 401, code: "invalid_token", reason: "signature does not verify"},
		{anchor: "jwk/x5c/jku/x5u", name: "embedded jwk of the attacker, attacker's kid", header: authz(atkSign(map[string]any{"kid": b.atk.kid, "jwk": b.atk.jwk(nil)}, b.claims(nil))), status: 401, code: "invalid_token", reason: "unknown signing key", unknownKID: true},
		{anchor: "jwk/x5c/jku/x5u", name: "jku to the attacker's JWKS", header: authz(atkSign(map[string]any{"kid": rsKID, "jku": b.attacker.URL + "/jwks.json"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "signature does not verify"},
		{anchor: "jwk/x5c/jku/x5u", name: "jku to the attacker's JWKS, attacker's kid", header: authz(atkSign(map[string]any{"kid": b.atk.kid, "jku": b.attacker.URL + "/jwks.json"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "unknown signing key", unknownKID: true},
		{anchor: "jwk/x5c/jku/x5u", name: "x5u to the attacker's certificate", header: authz(atkSign(map[string]any{"kid": rsKID, "x5u": b.attacker.URL + "/cert.pem"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "signature does not verify"},
		{anchor: "jwk/x5c/jku/x5u", name: "x5c with the attacker's self-signed certificate", header: authz(atkSign(map[string]any{"kid": rsKID, "x5c": []string{base64.StdEncoding.EncodeToString(certDER)}}, b.claims(nil))), status: 401, code: "invalid_token", reason: "signature does not verify"},
		{anchor: "jwk/x5c/jku/x5u", name: "token of the attacker's issuer", header: authz(atkSign(map[string]any{"kid": b.atk.kid, "jku": b.attacker.URL + "/jwks.json"}, b.claims(map[string]any{"iss": b.attacker.URL}))), status: 401, code: "invalid_token", reason: "wrong issuer: claim iss is " + b.attacker.URL},

		// Hostile kids: opaque, length-capped map keys.
		{anchor: "hostile kid", name: "path traversal", header: authz(b.sign(t, rsKID, map[string]any{"kid": "../../../../etc/passwd"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "unknown signing key", unknownKID: true},
		{anchor: "hostile kid", name: "SQL", header: authz(b.sign(t, rsKID, map[string]any{"kid": "' OR '1'='1' --"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "unknown signing key", unknownKID: true},
		{anchor: "hostile kid", name: "URL of the attacker", header: authz(b.sign(t, rsKID, map[string]any{"kid": b.attacker.URL + "/kid"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "unknown signing key", unknownKID: true},
		{anchor: "hostile kid", name: "NUL and newline", header: authz(b.sign(t, rsKID, map[string]any{"kid": "a\x00b\nc"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "unknown signing key", unknownKID: true},
		{anchor: "hostile kid", name: "kid of 2 KiB", header: authz(b.sign(t, rsKID, map[string]any{"kid": strings.Repeat("k", 2048)}, b.claims(nil))), status: 401, code: "invalid_token", reason: "longer than 1024 bytes"},
		{anchor: "hostile kid", name: "kid of 20 KiB (token over the 16 KiB cap)", header: authz(b.sign(t, rsKID, map[string]any{"kid": strings.Repeat("k", 20<<10)}, b.claims(nil))), status: 401, code: "invalid_token", reason: "more than the limit"},

		// ECDSA.
		{anchor: "ECDSA", name: "psychic signature r=s=0", header: authz(esParts[0] + "." + esParts[1] + "." + b64.EncodeToString(make([]byte, 64))), status: 401, code: "invalid_token", reason: "signature does not verify"},
		{anchor: "ECDSA", name: "r=s=n (the group order)", header: authz(esParts[0] + "." + esParts[1] + "." + b64.EncodeToString(append(n.FillBytes(make([]byte, 32)), n.FillBytes(make([]byte, 32))...))), status: 401, code: "invalid_token", reason: "signature does not verify"},
		{anchor: "ECDSA", name: "DER-encoded signature of the right key", header: authz(esParts[0] + "." + esParts[1] + "." + b64.EncodeToString(der)), status: 401, code: "invalid_token", reason: "signature does not verify"},
		{anchor: "ECDSA", name: "truncated r||s", header: authz(esParts[0] + "." + esParts[1] + "." + b64.EncodeToString(esSig[:63])), status: 401, code: "invalid_token", reason: "signature does not verify"},

		// Size and shape, refused before parsing.
		{anchor: "size and shape", name: "60 KiB token", header: authz(b.sign(t, rsKID, nil, bigClaim(45<<10))), status: 401, code: "invalid_token", reason: "more than the limit of 16384"},
		{anchor: "size and shape", name: "many dots", header: authz(strings.Repeat("a.", 5000) + "a"), status: 401, code: "invalid_token", reason: "3 dot-separated segments; this one has 5001"},
		{anchor: "size and shape", name: "only dots", header: authz(strings.Repeat(".", 2)), status: 401, code: "invalid_token", reason: "segment is empty"},
		{anchor: "size and shape", name: "JWE (five segments)", header: authz("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.ZW5j.aXY.Y2lwaGVy.dGFn"), status: 401, code: "invalid_token", reason: "encrypted token (JWE)"},
		{anchor: "size and shape", name: "JWS JSON serialization", header: authz(b64.EncodeToString([]byte(`{"payload":"` + parts[1] + `","signatures":[]}`))), status: 401, code: "invalid_token", reason: "3 dot-separated segments"},

		// JSON tricks and headers that change the meaning of the token.
		{anchor: "JSON and header tricks", name: "duplicate header member (alg none, then RS256)", header: authz(rawTok(`{"alg":"none","alg":"RS256","kid":"`+rsKID+`"}`, string(claimsJSON), parts[2])), status: 401, code: "invalid_token", reason: "duplicate member alg"},
		{anchor: "JSON and header tricks", name: "duplicate claim (iss evil, then good)", header: authz(rawTok(`{"alg":"RS256","kid":"`+rsKID+`"}`, dupClaims, parts[2])), status: 401, code: "invalid_token", reason: "duplicate member iss"},
		{anchor: "JSON and header tricks", name: "case-variant claim AUD, validly signed", header: authz(b.sign(t, rsKID, nil, b.claims(map[string]any{"aud": "api://other", "AUD": "api://default"}))), status: 401, code: "invalid_token", reason: "case variant of"},
		{anchor: "JSON and header tricks", name: "Unicode case variant ſub (long s), validly signed", header: authz(b.sign(t, rsKID, nil, b.claims(map[string]any{"sub": "alice", "ſub": "admin"}))), status: 401, code: "invalid_token", reason: "case variant of"},
		{anchor: "JSON and header tricks", name: "case-variant header ALG", header: authz(b.sign(t, rsKID, map[string]any{"ALG": "none"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "case variant of"},
		{anchor: "JSON and header tricks", name: "Kelvin-sign Kid (K U+212A) beside kid", header: authz(b.sign(t, rsKID, map[string]any{"\u212Aid": "other"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "case variant of"},
		{anchor: "JSON and header tricks", name: "unknown crit", header: authz(b.sign(t, rsKID, map[string]any{"crit": []string{"exp"}, "exp": 1}, b.claims(nil))), status: 401, code: "invalid_token", reason: "claim crit is"},
		{anchor: "JSON and header tricks", name: "b64 false with crit b64 (RFC 7797)", header: authz(b.sign(t, rsKID, map[string]any{"b64": false, "crit": []string{"b64"}}, b.claims(nil))), status: 401, code: "invalid_token", reason: "claim crit is"},
		{anchor: "JSON and header tricks", name: "b64 false without crit", header: authz(b.sign(t, rsKID, map[string]any{"b64": false}, b.claims(nil))), status: 401, code: "invalid_token", reason: "unencoded payloads"},
		{anchor: "JSON and header tricks", name: "nested JWT (cty JWT)", header: authz(b.sign(t, rsKID, map[string]any{"cty": "JWT"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "nested tokens"},
		{anchor: "JSON and header tricks", name: "nested JWT (cty jwt, lower case)", header: authz(b.sign(t, rsKID, map[string]any{"cty": "jwt"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "nested tokens"},

		// Encoding: one spelling per token.
		{anchor: "encoding", name: "padding on the signature", header: authz(valid + "="), status: 401, code: "invalid_token", reason: "not unpadded base64url"},
		{anchor: "encoding", name: "trailing bits set in the signature", header: authz(trailingBits), status: 401, code: "invalid_token", reason: "non-canonical base64url"},
		{anchor: "encoding", name: "standard base64 alphabet (+ /)", header: authz(stdAlphabet), status: 401, code: "invalid_token", reason: "not unpadded base64url"},
		{anchor: "encoding", name: "space inside the token", header: authz(parts[0] + ". " + parts[1] + "." + parts[2]), status: 400, code: "invalid_request", reason: "outside the RFC 6750 token syntax"},
		{anchor: "encoding", name: "tab between scheme and token", header: http.Header{"Authorization": {"Bearer\t" + valid}}, status: 400, code: "invalid_request", reason: "tab"},

		// Authorization header rules.
		{anchor: "Authorization rules", name: "token in the query string", query: "access_token=" + valid, status: 400, code: "invalid_request", reason: "tokens in the URL are not accepted"},
		{anchor: "Authorization rules", name: "header and query (two methods)", header: authz(valid), query: "access_token=" + valid, status: 400, code: "invalid_request", reason: "tokens in the URL are not accepted"},
		{anchor: "Authorization rules", name: "query name percent-encoded", query: "access%5Ftoken=" + valid, status: 400, code: "invalid_request", reason: "tokens in the URL"},
		{anchor: "Authorization rules", name: "Basic and Bearer headers", header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz", "Bearer " + valid}}, status: 400, code: "invalid_request", reason: "more than one Authorization header"},
		{anchor: "Authorization rules", name: "character outside the token syntax", header: authz(valid + "!"), status: 400, code: "invalid_request", reason: "outside the RFC 6750 token syntax"},
		{anchor: "Authorization rules", name: "scheme glued to the token (xxBearer)", header: http.Header{"Authorization": {"xxBearer " + valid}}, status: 401, code: ""},

		// Token kinds.
		{anchor: "ID token as access token", name: "ID token of the SPA client", header: authz(b.sign(t, rsKID, map[string]any{"typ": "JWT"}, idClaims)), status: 401, code: "invalid_token", reason: "claim aud is dev-spa, expected api://default"},
		{anchor: "ID token as access token", name: "typ id_token+jwt", header: authz(b.sign(t, rsKID, map[string]any{"typ": "id_token+jwt"}, b.claims(nil))), status: 401, code: "invalid_token", reason: "claim typ is id_token+jwt"},
	}
	before := b.counts()
	kidMisses := 0
	for _, a := range attacks {
		t.Run(a.anchor+"/"+a.name, func(t *testing.T) {
			c0 := b.counts()
			u := b.api + "/api/messages"
			if a.query != "" {
				u += "?" + a.query
			}
			res := call(b.client, "GET", u, a.header)
			if res.err != nil {
				t.Fatal(res.err)
			}
			c1 := b.counts()
			if res.status != a.status || res.code() != a.code {
				t.Errorf("got %d %q, want %d with error=%q\nbody: %s", res.status, res.challenge, a.status, a.code, res.body)
			}
			if !strings.HasPrefix(res.challenge, `Bearer realm="api"`) {
				t.Errorf("challenge %q", res.challenge)
			}
			if a.reason != "" && !strings.Contains(res.description(), a.reason) {
				t.Errorf("error_description %q does not say %q", res.description(), a.reason)
			}
			if c1.attacker != c0.attacker {
				t.Errorf("the attacker's server was contacted %d times", c1.attacker-c0.attacker)
			}
			if c1.discovery != c0.discovery {
				t.Errorf("discovery fetched %d times", c1.discovery-c0.discovery)
			}
			keys := c1.keys - c0.keys
			if keys > 0 {
				kidMisses++
			}
			if keys > 1 || (keys > 0 && !a.unknownKID) {
				t.Errorf("the issuer's JWKS was fetched %d times", keys)
			}
			// /secure answers the same way.
			if res2 := call(b.client, "GET", strings.Replace(u, "/api/messages", "/secure", 1), a.header); res2.status != a.status || res2.code() != a.code {
				t.Errorf("/secure: %d %q", res2.status, res2.challenge)
			}
		})
	}
	if kidMisses > 1 {
		t.Errorf("%d attacks caused a JWKS fetch; unknown kids may cause one per MinRefetchInterval (an hour here)", kidMisses)
	}

	t.Run("random-kid flood/no fetch storm", func(t *testing.T) {
		c0 := b.counts()
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for i := range 64 {
			tok := b.sign(t, rsKID, map[string]any{"kid": fmt.Sprintf("forged-%d-%d", i, time.Now().UnixNano())}, b.claims(nil))
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := call(b.client, "GET", b.api+"/api/messages", authz(tok))
				mu.Lock()
				statuses[res.status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if c1 := b.counts(); c1.keys-c0.keys > 1 || c1.attacker != c0.attacker {
			t.Errorf("64 random kids: %d JWKS fetches, %d attacker hits", c1.keys-c0.keys, c1.attacker-c0.attacker)
		}
		if statuses[401] != 64 {
			t.Errorf("statuses %v, want 64 × 401", statuses)
		}
	})
	t.Run("known kid, bad signatures/no refetch", func(t *testing.T) {
		c0 := b.counts()
		var wg sync.WaitGroup
		for range 32 {
			tok := atkSign(map[string]any{"kid": rsKID}, b.claims(nil))
			wg.Add(1)
			go func() {
				defer wg.Done()
				if res := call(b.client, "GET", b.api+"/api/messages", authz(tok)); res.status != 401 {
					t.Errorf("forged signature with a known kid: %d", res.status)
				}
			}()
		}
		wg.Wait()
		if c1 := b.counts(); c1.keys != c0.keys {
			t.Errorf("bad signatures with a known kid caused %d JWKS fetches", c1.keys-c0.keys)
		}
	})

	t.Run("size and shape/1 MiB token", func(t *testing.T) {
		// Refused by the HTTP server's header limit, as in production, before
		// any handler runs: 431, or the connection closed mid-upload.
		c0 := b.counts()
		huge := b.sign(t, rsKID, nil, bigClaim(1<<20))
		res := call(b.client, "GET", b.api+"/api/messages", authz(huge))
		if res.err == nil && res.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("1 MiB token: %d, want 431", res.status)
		}
		if res.elapsed > 5*time.Second {
			t.Errorf("1 MiB token refused in %v", res.elapsed)
		}
		if c1 := b.counts(); c1 != c0 {
			t.Errorf("fetches during the 1 MiB token: %+v → %+v", c0, c1)
		}
		t.Logf("1 MiB token: status %d, err %v, %v", res.status, res.err, res.elapsed.Round(time.Millisecond))
	})
	t.Run("hostile kid/1 MiB kid", func(t *testing.T) {
		tok := b.sign(t, rsKID, map[string]any{"kid": strings.Repeat("k", 1<<20)}, b.claims(nil))
		res := call(b.client, "GET", b.api+"/api/messages", authz(tok))
		if res.err == nil && res.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("1 MiB kid: %d, want 431", res.status)
		}
		// Behind a proxy with larger header limits the verifier refuses it
		// by its length alone, in microseconds.
		start := time.Now()
		for range 100 {
			if _, err := b.v.VerifyAccessToken(context.Background(), tok); !errors.Is(err, verifier.ErrMalformed) {
				t.Fatalf("1 MiB kid: %v", err)
			}
		}
		if per := time.Since(start) / 100; per > 5*time.Millisecond {
			t.Errorf("refusing a 1 MiB token took %v each", per)
		} else {
			t.Logf("verifier refuses a 1 MiB token in %v", per)
		}
	})
	t.Run("encoding/whitespace around the token", func(t *testing.T) {
		// At the HTTP layer leading and trailing blanks of a header value are
		// optional whitespace that net/http strips (RFC 9110 §5.5); the
		// verifier itself refuses any white space.
		for _, tok := range []string{" " + valid, valid + " ", valid + "\n", "\t" + valid, parts[0] + ".\n" + parts[1] + "." + parts[2]} {
			if _, err := b.v.VerifyAccessToken(context.Background(), tok); !errors.Is(err, verifier.ErrMalformed) {
				t.Errorf("token with white space %q…: %v", tok[:3], err)
			}
		}
	})

	// The bed still accepts what it should, and nothing was fetched that
	// should not have been.
	if res := call(b.client, "GET", b.api+"/api/messages", authz(valid)); res.status != 200 {
		t.Errorf("valid RS256 token after the attacks: %d %s", res.status, res.challenge)
	}
	if res := call(b.client, "GET", b.api+"/api/messages", authz(validES)); res.status != 200 {
		t.Errorf("valid ES256 token after the attacks: %d %s", res.status, res.challenge)
	}
	after := b.counts()
	if after.attacker != 0 || after.discovery != before.discovery || after.keys-before.keys > 1 {
		t.Errorf("fetches during the suite: %+v → %+v (want no attacker hit, no discovery, at most one JWKS refetch)", before, after)
	}
}

// TestAttackUnfitKeysInJWKS serves a JWKS that mixes a good key with keys a
// verifier must not use: a 1024-bit RSA key, an 8200-bit one, an EC point
// off its curve, an encryption-only key, an HMAC secret. Tokens signed by
// (or claiming) the unfit keys are refused; the good key keeps working.
func TestAttackUnfitKeysInJWKS(t *testing.T) {
	good := newRSAKey(t, "good", 2048)
	short := newRSAKey(t, "short-1024", 1024)
	encOnly := newRSAKey(t, "encrypt-only", 2048)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	offCurve := &rawKey{kid: "off-curve", alg: "ES256", priv: ecPriv}
	offJWK := offCurve.jwk(nil)
	y, _ := b64.DecodeString(offJWK["y"].(string))
	y[len(y)-1] ^= 1 // the point leaves the curve
	offJWK["y"] = b64.EncodeToString(y)
	hugeN := new(big.Int).SetBit(new(big.Int).Lsh(big.NewInt(12345), 8100), 8199, 1) // 8200 bits; not a real key
	huge := map[string]any{"kty": "RSA", "kid": "rsa-8200", "use": "sig", "alg": "RS256", "e": "AQAB", "n": b64.EncodeToString(hugeN.Bytes())}
	hmac := map[string]any{"kty": "oct", "kid": "hmac", "alg": "HS256", "k": b64.EncodeToString([]byte("a shared secret of thirty-two by"))}
	keys := []any{short.jwk(nil), offJWK, huge, encOnly.jwk(map[string]any{"use": nil, "key_ops": []string{"encrypt"}}), hmac, good.jwk(nil)}
	delete(keys[3].(map[string]any), "use") // key_ops instead of use

	var issuer string
	var jwksHits, discoveryHits int64
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			discoveryHits++
			json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": issuer + "/keys"})
		case "/keys":
			jwksHits++
			json.NewEncoder(w).Encode(map[string]any{"keys": keys})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	issuer = srv.URL
	logs := &logtest.Buffer{}
	v, err := verifier.New(verifier.Config{Issuer: issuer, Audiences: []string{"api://default"}, InsecureAllowHTTP: true,
		Algorithms: []string{"RS256", "ES256"}, Logger: logtest.TextLogger(logs), MinRefetchInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(server.New(server.Deps{Verifier: v, Logger: quiet}))
	defer api.Close()
	client := newClient(t, 10*time.Second)

	now := time.Now()
	claims := map[string]any{"iss": issuer, "aud": "api://default", "sub": "u", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	hdr := func(k *rawKey) map[string]any { return map[string]any{"alg": k.alg, "kid": k.kid, "typ": "at+jwt"} }
	hugeTok := good.sign(t, map[string]any{"alg": "RS256", "kid": "rsa-8200"}, claims)
	cases := []struct {
		name   string
		token  string
		status int
		reason string
	}{
		{"good key", good.sign(t, hdr(good), claims), 200, ""},
		{"1024-bit RSA key", short.sign(t, hdr(short), claims), 401, "unknown signing key"},
		{"EC key off its curve", offCurve.sign(t, hdr(offCurve), claims), 401, "unknown signing key"},
		{"8200-bit RSA key", hugeTok, 401, "unknown signing key"},
		{"encryption-only key (key_ops)", encOnly.sign(t, hdr(encOnly), claims), 401, "unknown signing key"},
		{"HMAC secret from the JWKS", segment(t, `{"alg":"HS256","kid":"hmac"}`) + "." + segment(t, claims) + ".c2ln", 401, "claim alg is HS256"},
	}
	for _, c := range cases {
		res := call(client, "GET", api.URL+"/api/messages", authz(c.token))
		if res.status != c.status || (c.reason != "" && !strings.Contains(res.description(), c.reason)) {
			t.Errorf("%s: %d %q, want %d %q", c.name, res.status, res.challenge, c.status, c.reason)
		}
	}
	mu.Lock()
	if jwksHits > 2 || discoveryHits != 1 {
		t.Errorf("JWKS fetched %d times, discovery %d times", jwksHits, discoveryHits)
	}
	mu.Unlock()
	// Each skipped key is logged with its reason.
	out := logs.String()
	for _, want := range []string{"short-1024", "1024 bits", "modulus too large", "not on declared curve", "encrypt-only", "does not allow verify", "hmac", "symmetric"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not mention %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "skipping a key") < 5*int(jwksHits) {
		t.Errorf("want five skipped keys per fetch in the log:\n%s", out)
	}
}
