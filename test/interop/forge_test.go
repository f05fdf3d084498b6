package interop

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// forge is a minimal Okta-like issuer whose key the test holds: discovery at
// <issuer>/.well-known/openid-configuration and keys at <issuer>/v1/keys,
// served by httptest on 127.0.0.1. The differential test crafts its tokens
// with it. It is written here, with the standard library only, rather than
// taken from our own devissuer, so that the oracle comparison shares no code
// with the system under test.
type forge struct {
	issuer string
	key    *rsaKey
}

func startForge(t *testing.T) *forge {
	t.Helper()
	f := &forge{key: newRSAKey(t, "forge-key-1")}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.issuer = srv.URL + "/oauth2/default"
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /oauth2/default/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{
			"issuer":                                f.issuer,
			"jwks_uri":                              f.issuer + "/v1/keys",
			"token_endpoint":                        f.issuer + "/v1/token",
			"authorization_endpoint":                f.issuer + "/v1/authorize",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /oauth2/default/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": f.issuer, "jwks_uri": f.issuer + "/v1/keys", "token_endpoint": f.issuer + "/v1/token"})
	})
	mux.HandleFunc("GET /oauth2/default/v1/keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"keys": []any{f.key.publicJWK()}})
	})
	return f
}

func segment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// rs256 signs header.claims with key (header as given: no kid is added).
func rs256(t *testing.T, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	input := segment(t, header) + "." + segment(t, claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// hs256 signs with secret as an HMAC key.
func hs256(t *testing.T, secret []byte, header, claims map[string]any) string {
	t.Helper()
	input := segment(t, header) + "." + segment(t, claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

// publicPEM is the issuer's RSA public key as PEM: the secret a key-confusion
// attacker feeds to HS256.
func (f *forge) publicPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&f.key.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// flipSignature changes one byte in the middle of the signature and
// re-encodes it canonically, so only the signature check can catch it.
func flipSignature(t *testing.T, token string) string {
	t.Helper()
	i := strings.LastIndexByte(token, '.')
	sig, err := b64dec(token[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x55
	return token[:i+1] + b64(sig)
}

func cloneMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// with returns a copy of m with overrides applied; a nil value deletes.
func with(m map[string]any, overrides map[string]any) map[string]any {
	c := cloneMap(m)
	for k, v := range overrides {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}
