package devissuer_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

var allAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.PS256, jose.ES256, jose.EdDSA}

func getJSON(t *testing.T, url string, into any) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: status %d, body %q is not JSON: %v", url, resp.StatusCode, body, err)
		}
	}
	return resp
}

// decodeSegment returns the JSON object of the header or payload of a compact JWS.
func decodeSegment(t *testing.T, token string, n int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[n])
	if err != nil {
		t.Fatalf("segment %d: %v", n, err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("segment %d: %v", n, err)
	}
	return m
}

// verify checks token with go-jose against the issuer's public key kid.
func verify(t *testing.T, iss *devissuer.Issuer, kid, token string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, allAlgs)
	if err != nil {
		t.Fatalf("ParseSignedCompact: %v", err)
	}
	payload, err := jws.Verify(iss.PublicKey(kid))
	if err != nil {
		t.Fatalf("signature of %s does not verify with key %q: %v", token, kid, err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestNewIssuerURL(t *testing.T) {
	tests := []struct {
		name    string
		opts    devissuer.Options
		wantErr string
	}{
		{"ipv4 loopback", devissuer.Options{Issuer: "http://127.0.0.1:8000/oauth2/default"}, ""},
		{"other 127/8 address", devissuer.Options{Issuer: "http://127.0.0.2:8000/oauth2/default"}, ""},
		{"ipv6 loopback", devissuer.Options{Issuer: "http://[::1]:8000/oauth2/default"}, ""},
		{"localhost", devissuer.Options{Issuer: "http://localhost:8000/oauth2/default"}, ""},
		{"root issuer", devissuer.Options{Issuer: "http://localhost:8000"}, ""},
		{"public host refused", devissuer.Options{Issuer: "https://dev.example.com/oauth2/default"}, "not on a loopback address"},
		{"public IP refused", devissuer.Options{Issuer: "http://10.0.0.1/oauth2/default"}, "not on a loopback address"},
		{"localhost lookalike refused", devissuer.Options{Issuer: "http://localhost.example.com/oauth2/default"}, "not on a loopback address"},
		{"public host allowed", devissuer.Options{Issuer: "https://dev.example.com/oauth2/default", AllowNonLoopback: true}, ""},
		{"missing", devissuer.Options{}, "required"},
		{"trailing slash", devissuer.Options{Issuer: "http://127.0.0.1:8000/oauth2/default/"}, "must not end with '/'"},
		{"scheme", devissuer.Options{Issuer: "ftp://127.0.0.1/x"}, "http or https"},
		{"query", devissuer.Options{Issuer: "http://127.0.0.1/x?a=b"}, "query"},
		{"bad alg", devissuer.Options{Issuer: "http://127.0.0.1/x", Algorithm: "HS256"}, "unsupported key algorithm"},
		{"bad redirect", devissuer.Options{Issuer: "http://127.0.0.1/x", RedirectURIs: []string{"/callback"}}, "absolute URL"},
		{"same client IDs", devissuer.Options{Issuer: "http://127.0.0.1/x", ClientID: "a", SPAClientID: "a"}, "distinct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			iss, err := devissuer.New(tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if iss.URL() != tt.opts.Issuer {
					t.Errorf("URL() = %q, want %q", iss.URL(), tt.opts.Issuer)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	iss, err := devissuer.New(devissuer.Options{Issuer: "http://127.0.0.1:1/o", Logger: slog.New(slog.DiscardHandler), Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	o := iss.Options()
	got := []any{o.Audience, o.ClientID, o.ClientSecret, o.SPAClientID, o.RedirectURIs, o.Username, o.Password, o.Scopes, o.TokenLifetime, o.Algorithm}
	want := []any{"api://default", "dev-client", "dev-secret", "dev-spa", []string{"http://localhost:8080/login/callback"}, "demo", "s3cret", []string{"openid", "profile", "email"}, time.Hour, "RS256"}
	if jsonString(got) != jsonString(want) {
		t.Errorf("Options() = %s, want %s", jsonString(got), jsonString(want))
	}
	o.Scopes[0] = "changed"
	if iss.Options().Scopes[0] != "openid" {
		t.Errorf("Options() shares its slices with the issuer")
	}
}

func TestNewLogsWarning(t *testing.T) {
	var buf strings.Builder
	_, err := devissuer.New(devissuer.Options{Issuer: "http://127.0.0.1:1/o", Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "for development and tests only") {
		t.Errorf("log = %q, want a WARN saying the server is for development and tests only", buf.String())
	}
}

func TestDiscovery(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	if !strings.HasSuffix(s.URL, "/oauth2/default") || !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q, want http://127.0.0.1:PORT/oauth2/default", s.URL)
	}
	origin := strings.TrimSuffix(s.URL, "/oauth2/default")
	for _, url := range []string{
		s.URL + "/.well-known/openid-configuration",
		s.URL + "/.well-known/oauth-authorization-server",
		origin + "/.well-known/oauth-authorization-server/oauth2/default",
	} {
		t.Run(strings.TrimPrefix(url, origin), func(t *testing.T) {
			var doc map[string]any
			resp := getJSON(t, url, &doc)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			want := map[string]any{
				"issuer":                 s.URL,
				"authorization_endpoint": s.URL + "/v1/authorize",
				"token_endpoint":         s.URL + "/v1/token",
				"userinfo_endpoint":      s.URL + "/v1/userinfo",
				"end_session_endpoint":   s.URL + "/v1/logout",
				"jwks_uri":               s.URL + "/v1/keys",
			}
			for k, v := range want {
				if doc[k] != v {
					t.Errorf("%s = %v, want %v", k, doc[k], v)
				}
			}
			lists := map[string][]string{
				"response_types_supported":              {"code"},
				"grant_types_supported":                 {"authorization_code", "client_credentials"},
				"code_challenge_methods_supported":      {"S256"},
				"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post", "none"},
				"scopes_supported":                      {"openid", "profile", "email"},
				"id_token_signing_alg_values_supported": {"RS256"},
			}
			for k, v := range lists {
				if jsonString(doc[k]) != jsonString(v) {
					t.Errorf("%s = %v, want %v", k, doc[k], v)
				}
			}
			if claims, _ := doc["claims_supported"].([]any); !slices.Contains(claims, any("sub")) {
				t.Errorf("claims_supported = %v, want it to list sub", doc["claims_supported"])
			}
		})
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

func fetchJWKS(t *testing.T, s *devissuer.Server) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	resp := getJSON(t, s.URL+"/v1/keys", &set)
	if resp.StatusCode != 200 {
		t.Fatalf("JWKS status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Cache-Control"); got != "max-age=300" {
		t.Errorf("JWKS Cache-Control = %q, want max-age=300", got)
	}
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

func TestJWKS(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s := devissuertest.Start(t, devissuer.Options{Algorithm: alg})
			set := fetchJWKS(t, s)
			if len(set.Keys) != 1 {
				t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
			}
			k := set.Keys[0]
			if k.KeyID != s.Issuer.CurrentKeyID() || k.Algorithm != alg || k.Use != "sig" || !k.IsPublic() || !k.Valid() {
				t.Errorf("key = kid %q alg %q use %q public %v, want kid %q alg %s use sig public", k.KeyID, k.Algorithm, k.Use, k.IsPublic(), s.Issuer.CurrentKeyID(), alg)
			}
			tok, err := s.Issuer.MintAccessToken(nil)
			if err != nil {
				t.Fatal(err)
			}
			jws, err := jose.ParseSignedCompact(tok, allAlgs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jws.Verify(k); err != nil {
				t.Errorf("token does not verify with the published key: %v", err)
			}
		})
	}
}

func TestMintAccessToken(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	iss, err := devissuer.New(devissuer.Options{Issuer: "http://127.0.0.1:8000/oauth2/default", Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.MintAccessToken(map[string]any{"sub": "alice", "exp": nil, "extra": "x"})
	if err != nil {
		t.Fatal(err)
	}
	hdr := decodeSegment(t, tok, 0)
	wantHdr := map[string]any{"alg": "RS256", "kid": iss.CurrentKeyID(), "typ": "at+jwt"}
	if jsonString(hdr) != jsonString(wantHdr) {
		t.Errorf("header = %v, want %v", hdr, wantHdr)
	}
	claims := verify(t, iss, iss.CurrentKeyID(), tok)
	want := map[string]any{
		"iss": "http://127.0.0.1:8000/oauth2/default", "aud": "api://default", "sub": "alice",
		"cid": "dev-client", "client_id": "dev-client", "scope": "openid profile email",
		"iat": float64(now.Unix()), "extra": "x",
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if jsonString(claims["scp"]) != `["openid","profile","email"]` {
		t.Errorf("scp = %v", claims["scp"])
	}
	if _, ok := claims["exp"]; ok {
		t.Errorf("exp present although the override deleted it")
	}
	if jti, _ := claims["jti"].(string); jti == "" {
		t.Errorf("jti missing")
	}
	// Defaults carry exp = now + lifetime, and every token a fresh jti.
	def := iss.AccessTokenClaims()
	if def["exp"] != now.Add(time.Hour).Unix() || def["sub"] != "demo" {
		t.Errorf("AccessTokenClaims exp %v sub %v, want %v demo", def["exp"], def["sub"], now.Add(time.Hour).Unix())
	}
	if def["jti"] == iss.AccessTokenClaims()["jti"] {
		t.Errorf("jti repeats between calls")
	}
}

func TestSignHeaderOverrides(t *testing.T) {
	iss, err := devissuer.New(devissuer.Options{Issuer: "http://127.0.0.1:8000/oauth2/default", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	kid := iss.CurrentKeyID()
	tests := []struct {
		name       string
		header     map[string]any
		wantHeader map[string]any
		goJose     bool // whether go-jose itself verifies it (it refuses unknown crit)
	}{
		{"default", nil, map[string]any{"alg": "RS256", "kid": kid, "typ": "at+jwt"}, true},
		{"kid removed", map[string]any{"kid": nil}, map[string]any{"alg": "RS256", "typ": "at+jwt"}, true},
		{"typ removed", map[string]any{"typ": nil}, map[string]any{"alg": "RS256", "kid": kid}, true},
		{"typ JWT", map[string]any{"typ": "JWT"}, map[string]any{"alg": "RS256", "kid": kid, "typ": "JWT"}, true},
		{"bogus kid", map[string]any{"kid": "../../etc/passwd"}, map[string]any{"alg": "RS256", "kid": "../../etc/passwd", "typ": "at+jwt"}, true},
		{"extra member", map[string]any{"jku": "http://evil.example/keys"}, map[string]any{"alg": "RS256", "kid": kid, "typ": "at+jwt", "jku": "http://evil.example/keys"}, true},
		{"crit", map[string]any{"crit": []string{"exp"}, "exp": 1}, map[string]any{"alg": "RS256", "kid": kid, "typ": "at+jwt", "crit": []any{"exp"}, "exp": float64(1)}, false},
		{"other RSA alg", map[string]any{"alg": "RS384"}, map[string]any{"alg": "RS384", "kid": kid, "typ": "at+jwt"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := iss.Sign(tt.header, map[string]any{"sub": "x"})
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeSegment(t, tok, 0); jsonString(got) != jsonString(tt.wantHeader) {
				t.Errorf("header = %s, want %s", jsonString(got), jsonString(tt.wantHeader))
			}
			if tt.goJose {
				if c := verify(t, iss, kid, tok); c["sub"] != "x" {
					t.Errorf("claims = %v", c)
				}
			}
		})
	}
	t.Run("alg none", func(t *testing.T) {
		tok, err := iss.Sign(map[string]any{"alg": "nOnE"}, map[string]any{"sub": "x"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(tok, ".") {
			t.Errorf("alg none token %q has a signature", tok)
		}
	})
	t.Run("HS256 key confusion", func(t *testing.T) {
		tok, err := iss.Sign(map[string]any{"alg": "HS256"}, map[string]any{"sub": "x"})
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(iss.PublicKey(kid))
		if err != nil {
			t.Fatal(err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.HS256})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(secret); err != nil {
			t.Errorf("HS256 token is not an HMAC keyed with the public key PEM: %v", err)
		}
	})
	t.Run("impossible alg", func(t *testing.T) {
		if _, err := iss.Sign(map[string]any{"alg": "ES256"}, nil); err == nil {
			t.Errorf("ES256 with an RSA key: want an error")
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		if _, err := iss.SignWith("nope", nil, nil); !errors.Is(err, devissuer.ErrUnknownKey) {
			t.Errorf("err = %v, want ErrUnknownKey", err)
		}
	})
}

func TestRotateAndRetire(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	iss := s.Issuer
	first := iss.CurrentKeyID()
	oldTok, err := iss.MintAccessToken(nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := iss.RotateKey()
	if err != nil {
		t.Fatal(err)
	}
	if second == first || iss.CurrentKeyID() != second {
		t.Fatalf("after RotateKey current = %q (was %q, returned %q)", iss.CurrentKeyID(), first, second)
	}
	if got := kids(fetchJWKS(t, s)); !slices.Equal(got, []string{first, second}) {
		t.Errorf("JWKS after rotation = %v, want [%s %s]", got, first, second)
	}
	if hdr := decodeSegment(t, must(iss.MintAccessToken(nil)), 0); hdr["kid"] != second {
		t.Errorf("new tokens signed with %v, want %s", hdr["kid"], second)
	}
	added, err := iss.AddKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	if iss.CurrentKeyID() != second {
		t.Errorf("AddKey changed the current key")
	}
	if err := iss.RetireKey(second); err == nil {
		t.Errorf("RetireKey(current): want an error")
	}
	if err := iss.RetireKey("nope"); !errors.Is(err, devissuer.ErrUnknownKey) {
		t.Errorf("RetireKey(unknown) = %v, want ErrUnknownKey", err)
	}
	if err := iss.RetireKey(first); err != nil {
		t.Fatal(err)
	}
	if got := kids(fetchJWKS(t, s)); !slices.Equal(got, []string{second, added}) {
		t.Errorf("JWKS after retiring = %v, want [%s %s]", got, second, added)
	}
	// A retired key still signs and still has a public key, so tests can
	// show that verifiers refuse its tokens.
	retiredTok, err := iss.SignWith(first, nil, iss.AccessTokenClaims())
	if err != nil {
		t.Fatal(err)
	}
	verify(t, iss, first, retiredTok)
	verify(t, iss, first, oldTok)
	esTok, err := iss.SignWith(added, nil, iss.AccessTokenClaims())
	if err != nil {
		t.Fatal(err)
	}
	if hdr := decodeSegment(t, esTok, 0); hdr["alg"] != "ES256" {
		t.Errorf("SignWith(ES256 key) alg = %v", hdr["alg"])
	}
	verify(t, iss, added, esTok)
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestRotateEndpoint(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	before := s.Issuer.CurrentKeyID()
	tests := []struct {
		name   string
		method string
		origin string
		status int
	}{
		{"GET refused", http.MethodGet, "", http.StatusMethodNotAllowed},
		{"cross-origin browser POST refused", http.MethodPost, "http://evil.example", http.StatusForbidden},
		{"POST from loopback", http.MethodPost, "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.URL+"/v1/rotate", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == http.StatusOK {
				var body struct{ Kid string }
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				if body.Kid == before || body.Kid != s.Issuer.CurrentKeyID() {
					t.Errorf("rotate answered kid %q; current %q, before %q", body.Kid, s.Issuer.CurrentKeyID(), before)
				}
			}
		})
	}
}

func TestRequests(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	origin := strings.TrimSuffix(s.URL, "/oauth2/default")
	for range 3 {
		getJSON(t, s.URL+"/v1/keys", nil)
	}
	getJSON(t, s.URL+"/.well-known/openid-configuration", nil)
	getJSON(t, s.URL+"/.well-known/oauth-authorization-server", nil)
	getJSON(t, origin+"/.well-known/oauth-authorization-server/oauth2/default", nil)
	getJSON(t, origin+"/elsewhere/v1/keys", nil) // not the issuer's: not counted
	tests := []struct {
		suffix string
		want   int64
	}{
		{"/v1/keys", 3},
		{"/oauth2/default/v1/keys", 3},
		{"/.well-known/openid-configuration", 1},
		{"/.well-known/oauth-authorization-server", 2},
		{"/v1/token", 0},
	}
	for _, tt := range tests {
		if got := s.Issuer.Requests(tt.suffix); got != tt.want {
			t.Errorf("Requests(%q) = %d, want %d", tt.suffix, got, tt.want)
		}
	}
}

func TestStartServerPath(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{Issuer: "http://ignored.example:9999/custom/as"})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || !strings.HasSuffix(s.URL, "/custom/as") {
		t.Fatalf("URL = %q, want http://127.0.0.1:PORT/custom/as", s.URL)
	}
	var doc map[string]any
	if resp := getJSON(t, s.URL+"/.well-known/openid-configuration", &doc); resp.StatusCode != 200 || doc["issuer"] != s.URL {
		t.Errorf("discovery at the custom path: status %d issuer %v", resp.StatusCode, doc["issuer"])
	}
}
