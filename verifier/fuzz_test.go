package verifier

// Fuzz targets for the parsers that read untrusted bytes: the token (shape,
// header, claims), the JWKS, the discovery document, and the whole
// verification against a fixed key. Seed corpora are in
// testdata/fuzz/<FuzzName>/; plain `go test` runs them as regression tests,
// scripts/fuzz runs each target for a bounded time.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var fuzzLog = slog.New(slog.DiscardHandler)

var fuzzAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// FuzzParseToken drives the checks that run before any key is looked up:
// splitCompact, checkHeader, parseObject and readClaims.
func FuzzParseToken(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(`{"iss":"https://i","exp":1,"aud":["a"],"scp":["x"]}`)) + ".c2ln",
		enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{}`)) + ".",
		enc([]byte(`{"alg":"RS256","alg":"none"}`)) + "." + enc([]byte(`{}`)) + ".c2ln",
		enc([]byte(`{"alg":"RS256","crit":["exp"]}`)) + "." + enc([]byte(`{"AUD":"x","aud":"y"}`)) + ".c2ln",
		"a.b.c.d.e",
		"....",
		"eyJ.eyJ.e==",
	} {
		f.Add(s)
	}
	v := &Verifier{cfg: Config{Algorithms: fuzzAlgorithms}}
	f.Fuzz(func(t *testing.T, token string) {
		jws, err := splitCompact(token, DefaultMaxTokenBytes)
		if err != nil {
			fuzzCheckRefusal(t, token, err)
			return
		}
		segs := strings.Split(token, ".")
		if len(segs) != 3 || enc(jws.header) != segs[0] || enc(jws.payload) != segs[1] || enc(jws.signature) != segs[2] {
			t.Fatalf("splitCompact accepted a token that is not three canonical base64url segments: %q", token)
		}
		if jws.signingInput != segs[0]+"."+segs[1] {
			t.Fatalf("signing input %q", jws.signingInput)
		}
		for _, kind := range []tokenKind{accessToken, idToken} {
			h, err := v.checkHeader(jws.header, kind)
			if err != nil {
				fuzzCheckRefusal(t, token, err)
				continue
			}
			if !v.algorithmAllowed(h.Algorithm) || len(h.KeyID) > 1024 {
				t.Fatalf("checkHeader passed alg %q, kid of %d bytes", h.Algorithm, len(h.KeyID))
			}
		}
		members, err := parseObject(jws.payload, claimNames, 16)
		if dup, variant := fuzzObjectNames(jws.payload, claimNames); err == nil && (dup != "" || variant != "") {
			t.Fatalf("parseObject accepted a payload with duplicate member %q / case variant %q", dup, variant)
		}
		if err != nil {
			return
		}
		tok := &Token{raw: token, tokenClaims: &tokenClaims{}}
		if err := readClaims(tok, members); err != nil {
			fuzzCheckRefusal(t, token, err)
		}
	})
}

// fuzzObjectNames reads a JSON object's top-level member names with
// encoding/json, independently of parseObject, and returns a duplicate name
// and a name that is a case variant (Unicode simple folding, as
// encoding/json matches struct fields) of a registered one, if any.
func fuzzObjectNames(data []byte, registered *nameRegistry) (dup, variant string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return "", ""
		}
		if seen[name] && dup == "" {
			dup = name
		}
		seen[name] = true
		for _, r := range registered.list {
			if name != r && strings.EqualFold(name, r) && variant == "" {
				variant = name
			}
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return "", ""
		}
	}
	return dup, variant
}

// fuzzCheckRefusal: every refusal is a *ValidationError with a kind, and its
// text never carries the token (it goes to logs and WWW-Authenticate).
func fuzzCheckRefusal(t *testing.T, token string, err error) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Kind == nil {
		t.Fatalf("refusal %v (%T) is not a *ValidationError", err, err)
	}
	if len(token) > 80 && strings.Contains(err.Error(), token) {
		t.Fatalf("the error repeats the token: %v", err)
	}
	if len(err.Error()) > 2048 {
		t.Fatalf("error of %d bytes", len(err.Error()))
	}
}

// FuzzParseKeySet feeds JWKS documents to parseKeySet: whatever it keeps
// must be a usable asymmetric key within the size rules, from a set without
// duplicate or case-variant members.
func FuzzParseKeySet(f *testing.F) {
	for _, s := range []string{
		`{"keys":[]}`,
		`{"keys":[{"kty":"oct","k":"AAAA","kid":"h"}]}`,
		`{"keys":[{"kty":"EC","kid":"off","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"e","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`{"keys":[{"kty":"RSA","kid":"k","e":"AQAB","n":"AQAB","key_ops":["encrypt"]}]}`,
		`{"keys":{}}`,
		`[]`,
		`{"keys":[],"Keys":[{"kty":"OKP","crv":"Ed25519","kid":"e","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"e","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","USE":"enc"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		snap, err := parseKeySet(body, fuzzLog)
		if err != nil {
			if snap != nil {
				t.Fatal("a snapshot with an error")
			}
			return
		}
		if dup, variant := fuzzObjectNames(body, jwksNames); dup != "" || variant != "" {
			t.Fatalf("accepted a key set with duplicate member %q / case variant %q", dup, variant)
		}
		n := 0
		for kid, keys := range snap.byKID {
			for _, k := range keys {
				n++
				if k.kid != kid {
					t.Fatalf("key %q filed under %q", k.kid, kid)
				}
				fits := false
				for _, a := range fuzzAlgorithms {
					fits = fits || k.fitsAlgorithm(a)
				}
				if !fits {
					t.Fatalf("kept key %q (%T, alg %q) fits no supported algorithm", k.kid, k.key, k.alg)
				}
			}
		}
		if n != snap.count || n == 0 {
			t.Fatalf("count %d, %d keys filed", snap.count, n)
		}
	})
}

// FuzzParseDiscovery feeds metadata documents to parseDiscovery: what it
// returns must be an absolute https URL, from a document naming our issuer,
// without duplicate or case-variant members.
func FuzzParseDiscovery(f *testing.F) {
	const issuer = "https://issuer.example.com/oauth2/default"
	for _, s := range []string{
		`{"issuer":"` + issuer + `","jwks_uri":"` + issuer + `/v1/keys"}`,
		`{"issuer":"https://evil.example.com","jwks_uri":"https://evil.example.com/keys"}`,
		`{"issuer":"` + issuer + `","jwks_uri":"http://issuer.example.com/keys"}`,
		`{"issuer":"` + issuer + `"}`,
		`<html>`,
		`{"issuer":null,"jwks_uri":7}`,
		`{"issuer":"` + issuer + `","jwks_uri":"` + issuer + `/v1/keys","JWKS_URI":"https://evil.example.com/keys"}`,
		`{"issuer":"` + issuer + `/","jwks_uri":"` + issuer + `/v1/keys?p=policy"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := parseDiscovery(body, issuer+"/.well-known/openid-configuration", issuer, false)
		if err != nil {
			return
		}
		if dup, variant := fuzzObjectNames(body, discoveryNames); dup != "" || variant != "" {
			t.Fatalf("accepted a document with duplicate member %q / case variant %q", dup, variant)
		}
		p, perr := url.Parse(u)
		if perr != nil || p.Scheme != "https" || p.Host == "" {
			t.Fatalf("jwks_uri %q accepted", u)
		}
		var doc struct {
			Issuer string `json:"issuer"`
		}
		if json.Unmarshal(body, &doc) != nil || doc.Issuer != issuer {
			t.Fatalf("accepted a document whose issuer is %q", doc.Issuer)
		}
	})
}

// fuzzKey is a fixed P-256 test key, so that a token signed in one run
// verifies in every run.
func fuzzKey() *ecdsa.PrivateKey {
	d, _ := new(big.Int).SetString("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", 16)
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
	if err != nil {
		panic(err)
	}
	return priv
}

func fuzzSignES256(priv *ecdsa.PrivateKey, header, claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	input := enc([]byte(header)) + "." + enc([]byte(claims))
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + enc(sig)
}

type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in the fuzz test")
}

// FuzzVerifyAccessToken runs the whole verification against one fixed key
// held in memory: a token is accepted only if its header and payload are
// exactly those the key signed.
func FuzzVerifyAccessToken(f *testing.F) {
	const issuer = "https://issuer.example.com/oauth2/default"
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	priv := fuzzKey()
	header := `{"alg":"ES256","kid":"fuzz","typ":"at+jwt"}`
	claims := `{"iss":"` + issuer + `","aud":"api://default","sub":"u","exp":1924992000,"iat":1893456000,"scp":["read"],"jti":"j"}`
	valid := fuzzSignES256(priv, header, claims)
	f.Add(valid)
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Add(valid + "=")
	f.Add(fuzzSignES256(priv, `{"alg":"ES256","kid":"other"}`, claims))
	validSegs := strings.Split(valid, ".")

	cfg, err := checkConfig(Config{
		Issuer: issuer, Audiences: []string{"api://default"}, Algorithms: fuzzAlgorithms, DisableCache: true,
		HTTPClient: &http.Client{Transport: noNetwork{}}, Logger: fuzzLog, Now: func() time.Time { return now },
	})
	if err != nil {
		f.Fatal(err)
	}
	pub := &publicKey{kid: "fuzz", alg: "ES256", key: &priv.PublicKey}
	v := &Verifier{cfg: cfg, keys: newKeySet(cfg)}
	v.keys.current.Store(&keySnapshot{byKID: map[string][]*publicKey{"fuzz": {pub}}, count: 1, fetched: now})
	if _, err := v.VerifyAccessToken(context.Background(), valid); err != nil {
		f.Fatalf("the seed token is refused: %v", err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		tok, err := v.VerifyAccessToken(context.Background(), token)
		if err != nil {
			if tok != nil {
				t.Fatal("a token with an error")
			}
			fuzzCheckRefusal(t, token, err)
			if errors.Is(err, ErrKeysUnavailable) {
				t.Fatalf("keys are held, yet: %v", err)
			}
			return
		}
		segs := strings.Split(token, ".")
		if len(segs) != 3 || segs[0] != validSegs[0] || segs[1] != validSegs[1] {
			t.Fatalf("accepted a token whose signed content differs from what the key signed: %q", token)
		}
	})
}
