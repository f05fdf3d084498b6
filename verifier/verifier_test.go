package verifier_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/internal/poll"
	"github.com/resource-server/resource-server/verifier"
)

// newVerifier returns a verifier of srv's tokens; edit adjusts the config.
func newVerifier(t *testing.T, srv *devissuer.Server, edit func(*verifier.Config)) *verifier.Verifier {
	t.Helper()
	cfg := devissuertest.VerifierConfig(srv)
	if edit != nil {
		edit(&cfg)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mint(t *testing.T, srv *devissuer.Server, overrides map[string]any) string {
	t.Helper()
	tok, err := srv.Issuer.MintAccessToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sign(t *testing.T, srv *devissuer.Server, header, claims map[string]any) string {
	t.Helper()
	tok, err := srv.Issuer.Sign(header, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// claimsWith returns the default access-token claims with overrides applied
// (nil deletes).
func claimsWith(srv *devissuer.Server, overrides map[string]any) map[string]any {
	c := srv.Issuer.AccessTokenClaims()
	for k, v := range overrides {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// rawToken assembles a token from JSON texts and a signature segment, for
// shapes no signer would produce. Checks that fail before the signature
// need no valid signature.
func rawToken(header, payload, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + sig
}

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     verifier.Config
		field   string
		message string
	}{
		{"no issuer", verifier.Config{}, "Issuer", "issuer URL"},
		{"placeholder", verifier.Config{Issuer: "https://{yourOktaDomain}/oauth2/default"}, "Issuer", "placeholder"},
		{"http", verifier.Config{Issuer: "http://example.com/oauth2/default"}, "Issuer", "use https"},
		{"relative", verifier.Config{Issuer: "example.com/oauth2/default"}, "Issuer", "absolute URL"},
		{"admin domain", verifier.Config{Issuer: "https://dev-1-admin.okta.com/oauth2/default"}, "Issuer", "-admin"},
		{"client placeholder", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", ClientID: "{clientId}"}, "ClientID", "placeholder"},
		{"hmac algorithm", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", Algorithms: []string{"HS256"}}, "Algorithms", "asymmetric"},
		{"alg none", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", Algorithms: []string{"none"}}, "Algorithms", "asymmetric"},
		{"empty audience", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", Audiences: []string{""}}, "Audiences", "empty audience"},
		{"http jwks", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", JWKSURL: "http://dev-1.okta.com/keys"}, "JWKSURL", "use https"},
		{"missing audience without a client", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", AllowMissingAudience: true}, "ClientID", "binds a token without"},
		{"max key age under refresh", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", MaxKeyAge: time.Minute}, "MaxKeyAge", "longer than RefreshInterval (15m0s)"},
		{"assertion type", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", AssertClaims: map[string]any{"groups": []string{"a"}}}, "AssertClaims", "groups.includes"},
		{"no audience", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default"}, "Audiences", "every access token is refused"},
		{"any audience beside audiences", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", Audiences: []string{"api://default"}, AnyAudience: true}, "AnyAudience", "unset it, or empty Audiences"},
		{"issuer with a query", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default?p=1", Audiences: []string{"api://default"}}, "Issuer", "an issuer identifier has none (RFC 8414"},
		{"issuer with a fragment", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default#x", Audiences: []string{"api://default"}}, "Issuer", "remove the fragment"},
		{"jwks url with a fragment", verifier.Config{Issuer: "https://dev-1.okta.com/oauth2/default", Audiences: []string{"api://default"}, JWKSURL: "https://dev-1.okta.com/keys?p=1#x"}, "JWKSURL", "remove the fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifier.New(tt.cfg)
			var ce *verifier.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New: got %v, want a *ConfigError", err)
			}
			if ce.Field != tt.field || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("New: got %q (field %s), want field %s and a message containing %q", err, ce.Field, tt.field, tt.message)
			}
		})
	}
	if _, err := verifier.New(verifier.Config{Issuer: "http://127.0.0.1:1/oauth2/default", Audiences: []string{"api://default"}, InsecureAllowHTTP: true, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Errorf("http issuer with InsecureAllowHTTP: %v", err)
	}
}

func TestVerifyAccessToken(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	iss := srv.Issuer
	psKID, _ := iss.AddKey("PS256")
	esKID, _ := iss.AddKey("ES256")
	edKID, _ := iss.AddKey("EdDSA")
	now := time.Now()
	signWith := func(kid string, header, claims map[string]any) string {
		tok, err := iss.SignWith(kid, header, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := mint(t, srv, nil)
	parts := strings.Split(valid, ".")
	allAlgs := func(c *verifier.Config) { c.Algorithms = []string{"RS256", "PS256", "ES256", "EdDSA"} }
	strictTyp := func(c *verifier.Config) { c.RequireAccessTokenType = true }

	tests := []struct {
		name    string
		token   string
		edit    func(*verifier.Config)
		aud     []string
		want    error  // nil: accepted
		message string // part of the error text
	}{
		{name: "valid", token: valid},
		{name: "aud array holding ours", token: mint(t, srv, map[string]any{"aud": []string{"other", "api://default"}})},
		{name: "aud of another API", token: mint(t, srv, map[string]any{"aud": "api://other"}), want: verifier.ErrWrongAudience, message: `claim "aud" is "api://other", expected "api://default"`},
		{name: "aud array without ours", token: mint(t, srv, map[string]any{"aud": []string{"a", "b"}}), want: verifier.ErrWrongAudience, message: `["a", "b"]`},
		{name: "aud absent", token: mint(t, srv, map[string]any{"aud": nil}), want: verifier.ErrMissingClaim, message: `"aud"`},
		{name: "aud of wrong type", token: mint(t, srv, map[string]any{"aud": 7}), want: verifier.ErrInvalidClaim, message: `"aud"`},
		{name: "per-call audience", token: mint(t, srv, map[string]any{"aud": "api://orders"}), aud: []string{"api://orders"}},
		{name: "per-call audience replaces config", token: valid, aud: []string{"api://orders"}, want: verifier.ErrWrongAudience},
		{name: "no audience configured, a token with one", token: valid, edit: func(c *verifier.Config) { c.Audiences, c.AllowMissingAudience, c.ClientID = nil, true, "dev-client" }, want: verifier.ErrWrongAudience, message: "no expected audience"},
		{name: "wrong issuer", token: mint(t, srv, map[string]any{"iss": "https://evil.example.com/oauth2/default"}), want: verifier.ErrWrongIssuer, message: `claim "iss" is "https://evil.example.com/oauth2/default", expected "` + srv.URL + `"`},
		{name: "issuer with trailing slash", token: mint(t, srv, map[string]any{"iss": srv.URL + "/"}), want: verifier.ErrWrongIssuer},
		{name: "issuer absent", token: mint(t, srv, map[string]any{"iss": nil}), want: verifier.ErrMissingClaim, message: `"iss"`},
		{name: "exp absent", token: mint(t, srv, map[string]any{"exp": nil}), want: verifier.ErrMissingClaim, message: `claim "exp"`},
		{name: "expired", token: mint(t, srv, map[string]any{"exp": now.Add(-time.Hour).Unix()}), want: verifier.ErrExpired, message: `claim "exp" is ` + now.Add(-time.Hour).UTC().Format(time.RFC3339)},
		{name: "expired within leeway", token: mint(t, srv, map[string]any{"exp": now.Add(-10 * time.Second).Unix()})},
		{name: "expired, no leeway", token: mint(t, srv, map[string]any{"exp": now.Add(-10 * time.Second).Unix()}), edit: func(c *verifier.Config) { c.Leeway = verifier.NoLeeway }, want: verifier.ErrExpired},
		{name: "exp as a string", token: mint(t, srv, map[string]any{"exp": "9999999999"}), want: verifier.ErrInvalidClaim, message: `"exp"`},
		{name: "exp fractional", token: mint(t, srv, map[string]any{"exp": float64(now.Add(time.Hour).Unix()) + 0.5})},
		{name: "nbf ahead", token: mint(t, srv, map[string]any{"nbf": now.Add(time.Hour).Unix()}), want: verifier.ErrNotYetValid, message: `claim "nbf"`},
		{name: "nbf within leeway", token: mint(t, srv, map[string]any{"nbf": now.Add(10 * time.Second).Unix()})},
		{name: "iat in the future", token: mint(t, srv, map[string]any{"iat": now.Add(time.Hour).Unix()}), want: verifier.ErrNotYetValid, message: `claim "iat"`},
		{name: "cid matches", token: valid, edit: func(c *verifier.Config) { c.ClientID = "dev-client" }},
		{name: "cid differs", token: valid, edit: func(c *verifier.Config) { c.ClientID = "spa" }, want: verifier.ErrWrongClientID, message: `claim "cid" is "dev-client", expected "spa"`},
		{name: "client_id only", token: mint(t, srv, map[string]any{"cid": nil}), edit: func(c *verifier.Config) { c.ClientID = "dev-client" }},
		{name: "no client claim", token: mint(t, srv, map[string]any{"cid": nil, "client_id": nil}), edit: func(c *verifier.Config) { c.ClientID = "dev-client" }, want: verifier.ErrWrongClientID, message: "absent"},
		{name: "no cid, none asked", token: mint(t, srv, map[string]any{"cid": nil, "client_id": nil})},
		{name: "assert exact", token: mint(t, srv, map[string]any{"tier": "gold"}), edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"tier": "gold"} }},
		{name: "assert exact fails", token: mint(t, srv, map[string]any{"tier": "silver"}), edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"tier": "gold"} }, want: verifier.ErrClaimMismatch, message: `claim "tier" is "\"silver\"", expected gold`},
		{name: "assert absent claim", token: valid, edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"tier": "gold"} }, want: verifier.ErrMissingClaim},
		{name: "assert number", token: mint(t, srv, map[string]any{"level": 3}), edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"level": 3} }},
		{name: "includes", token: mint(t, srv, map[string]any{"groups": []string{"Everyone", "Admins"}}), edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"groups.includes": "Admins"} }},
		{name: "includes all", token: mint(t, srv, map[string]any{"groups": []string{"Everyone", "Admins"}}), edit: func(c *verifier.Config) {
			c.AssertClaims = map[string]any{"groups.includes": []string{"Admins", "Everyone"}}
		}},
		{name: "includes missing", token: mint(t, srv, map[string]any{"groups": []string{"Everyone"}}), edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"groups.includes": "Admins"} }, want: verifier.ErrClaimMismatch, message: "including Admins"},
		{name: "includes is no substring", token: mint(t, srv, map[string]any{"role": "Administrators"}), edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"role.includes": "Admin"} }, want: verifier.ErrClaimMismatch},
		{name: "includes on a scope string", token: valid, edit: func(c *verifier.Config) { c.AssertClaims = map[string]any{"scope.includes": "openid"} }},
		{name: "PS256", token: signWith(psKID, nil, claimsWith(srv, nil)), edit: allAlgs},
		{name: "ES256", token: signWith(esKID, nil, claimsWith(srv, nil)), edit: allAlgs},
		{name: "EdDSA", token: signWith(edKID, nil, claimsWith(srv, nil)), edit: allAlgs},
		{name: "ES256 not allowed", token: signWith(esKID, nil, claimsWith(srv, nil)), want: verifier.ErrAlgorithmNotAllowed, message: `claim "alg" is "ES256", expected one of RS256`},
		{name: "alg of another key type", token: sign(t, srv, map[string]any{"kid": esKID}, claimsWith(srv, nil)), edit: allAlgs, want: verifier.ErrAlgorithmNotAllowed, message: "not a key for this algorithm"},
		{name: "alg none", token: rawToken(`{"alg":"none","kid":"`+iss.CurrentKeyID()+`"}`, `{}`, parts[2]), want: verifier.ErrAlgorithmNotAllowed, message: "unsigned tokens are never accepted"},
		{name: "alg NoNe", token: rawToken(`{"alg":"NoNe"}`, `{}`, parts[2]), want: verifier.ErrAlgorithmNotAllowed},
		{name: "alg absent", token: rawToken(`{"kid":"x"}`, `{}`, parts[2]), want: verifier.ErrAlgorithmNotAllowed},
		{name: "HS256", token: rawToken(`{"alg":"HS256","kid":"`+iss.CurrentKeyID()+`"}`, `{}`, parts[2]), want: verifier.ErrAlgorithmNotAllowed},
		{name: "unknown kid", token: sign(t, srv, map[string]any{"kid": "no-such-key"}, claimsWith(srv, nil)), want: verifier.ErrUnknownKey, message: `claim "kid" is "no-such-key"`},
		{name: "no kid, several keys", token: sign(t, srv, map[string]any{"kid": nil}, claimsWith(srv, nil)), want: verifier.ErrUnknownKey, message: "names no key"},
		{name: "bad signature", token: parts[0] + "." + parts[1] + "." + flipFirst(parts[2]), want: verifier.ErrInvalidSignature},
		{name: "claims of another token", token: parts[0] + "." + strings.Split(mint(t, srv, map[string]any{"sub": "admin"}), ".")[1] + "." + parts[2], want: verifier.ErrInvalidSignature},
		{name: "crit", token: sign(t, srv, map[string]any{"crit": []string{"exp"}, "exp": 1}, claimsWith(srv, nil)), want: verifier.ErrUnsupportedHeader, message: `"crit"`},
		{name: "b64 false", token: rawToken(`{"alg":"RS256","b64":false,"crit":["b64"]}`, `{}`, parts[2]), want: verifier.ErrUnsupportedHeader},
		{name: "nested JWT", token: sign(t, srv, map[string]any{"cty": "JWT"}, claimsWith(srv, nil)), want: verifier.ErrUnsupportedHeader, message: "nested"},
		{name: "typ JWT", token: sign(t, srv, map[string]any{"typ": "JWT"}, claimsWith(srv, nil))},
		{name: "typ absent", token: sign(t, srv, map[string]any{"typ": nil}, claimsWith(srv, nil))},
		{name: "typ application/at+jwt", token: sign(t, srv, map[string]any{"typ": "application/at+jwt"}, claimsWith(srv, nil))},
		{name: "token_use access", token: mint(t, srv, map[string]any{"token_use": "access"})},
		{name: "token_use id", token: mint(t, srv, map[string]any{"token_use": "id"}), want: verifier.ErrInvalidClaim, message: `claim "token_use" is "id", expected "access"`},
		{name: "token_use not a string", token: mint(t, srv, map[string]any{"token_use": 1}), want: verifier.ErrInvalidClaim, message: `"token_use" is "1", expected "access" (not a string)`},
		{name: "Token_use case variant", token: mint(t, srv, map[string]any{"token_use": "access", "Token_use": "id"}), want: verifier.ErrMalformed, message: "case variant"},
		{name: "strict typing: at+jwt", edit: strictTyp, token: mint(t, srv, nil)},
		{name: "strict typing: application/AT+JWT", edit: strictTyp, token: sign(t, srv, map[string]any{"typ": "application/AT+JWT"}, claimsWith(srv, nil))},
		{name: "strict typing: JWT", edit: strictTyp, token: sign(t, srv, map[string]any{"typ": "JWT"}, claimsWith(srv, nil)), want: verifier.ErrUnsupportedHeader, message: `expected "at+jwt" (RequireAccessTokenType)`},
		{name: "strict typing: typ absent", edit: strictTyp, token: sign(t, srv, map[string]any{"typ": nil}, claimsWith(srv, nil)), want: verifier.ErrUnsupportedHeader, message: `"typ" is absent`},
		{name: "typ dpop+jwt", token: sign(t, srv, map[string]any{"typ": "dpop+jwt"}, claimsWith(srv, nil)), want: verifier.ErrUnsupportedHeader, message: `"typ"`},
		{name: "empty", token: "", want: verifier.ErrMalformed, message: "empty"},
		{name: "not a JWT", token: "not-a-jwt", want: verifier.ErrMalformed, message: "3 dot-separated segments"},
		{name: "two segments", token: parts[0] + "." + parts[1], want: verifier.ErrMalformed},
		{name: "JWE shape", token: "a.b.c.d.e", want: verifier.ErrMalformed, message: "JWE"},
		{name: "four dots", token: valid + ".x", want: verifier.ErrMalformed},
		{name: "empty signature", token: parts[0] + "." + parts[1] + ".", want: verifier.ErrMalformed, message: "signature segment is empty"},
		{name: "padding", token: valid + "=", want: verifier.ErrMalformed, message: "base64url"},
		{name: "newline inside", token: parts[0] + ".\n" + parts[1] + "." + parts[2], want: verifier.ErrMalformed},
		{name: "space around", token: " " + valid, want: verifier.ErrMalformed},
		{name: "standard base64", token: strings.ReplaceAll(valid, "_", "/") + "+", want: verifier.ErrMalformed},
		{name: "non-canonical signature bits", token: parts[0] + "." + parts[1] + "." + nonCanonical(parts[2]), want: verifier.ErrMalformed, message: "non-canonical"},
		{name: "too big", token: strings.Repeat("a", 1<<20), want: verifier.ErrMalformed, message: "limit"},
		{name: "header not JSON", token: rawToken(`not json`, `{}`, parts[2]), want: verifier.ErrMalformed},
		{name: "header an array", token: rawToken(`["RS256"]`, `{}`, parts[2]), want: verifier.ErrMalformed, message: "not a JSON object"},
		{name: "duplicate header member", token: rawToken(`{"alg":"none","alg":"RS256"}`, `{}`, parts[2]), want: verifier.ErrMalformed, message: "duplicate"},
		{name: "case-variant header", token: rawToken(`{"alg":"RS256","ALG":"none"}`, `{}`, parts[2]), want: verifier.ErrMalformed, message: "case variant"},
		{name: "duplicate claim", token: rawToken(`{"alg":"RS256"}`, `{"iss":"https://evil","iss":"`+srv.URL+`"}`, parts[2]), want: verifier.ErrMalformed, message: "duplicate member \"iss\""},
		{name: "case-variant claim", token: rawToken(`{"alg":"RS256"}`, `{"aud":"x","AUD":"api://default"}`, parts[2]), want: verifier.ErrMalformed, message: "case variant"},
		{name: "trailing data", token: rawToken(`{"alg":"RS256"}{}`, `{}`, parts[2]), want: verifier.ErrMalformed},
		{name: "invalid UTF-8", token: rawToken(`{"alg":"RS256"}`, "{\"sub\":\"\xff\"}", parts[2]), want: verifier.ErrMalformed, message: "UTF-8"},
		{name: "payload not JSON", token: rawToken(`{"alg":"RS256"}`, `eyJ`, parts[2]), want: verifier.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, srv, tt.edit)
			tok, err := v.VerifyAccessToken(context.Background(), tt.token, tt.aud...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused a good token: %v", err)
				}
				if tok == nil || tok.Issuer() != srv.URL {
					t.Fatalf("accepted, but the token is %+v", tok)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted a token that must be refused with %v", tt.want)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want kind %v", err, tt.want)
			}
			var ve *verifier.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not say %q", err, tt.message)
			}
			if tt.token != "" && len(tt.token) > 20 && strings.Contains(err.Error(), tt.token[len(tt.token)-20:]) {
				t.Errorf("error %q repeats the token", err)
			}
		})
	}
}

// flipFirst changes the first character of a base64url segment.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// nonCanonical sets unused trailing bits of the last character: the same
// bytes, another spelling.
func nonCanonical(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last|1])
}

func TestTokenAccessors(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok, err := v.VerifyAccessToken(context.Background(), mint(t, srv, map[string]any{
		"sub": "alice", "exp": exp.Unix(), "scp": []string{"read", "write"}, "jti": "id-1", "groups": []string{"g1"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Subject() != "alice" || tok.ID() != "id-1" || tok.ClientID() != "dev-client" || !tok.Expiry().Equal(exp) {
		t.Errorf("accessors: sub %q jti %q cid %q exp %v", tok.Subject(), tok.ID(), tok.ClientID(), tok.Expiry())
	}
	if !tok.HasScope("write") || tok.HasScope("admin") || len(tok.Scopes()) != 2 {
		t.Errorf("scopes: %v", tok.Scopes())
	}
	if h := tok.Header(); h.Algorithm != "RS256" || h.KeyID != srv.Issuer.CurrentKeyID() || h.Type != "at+jwt" {
		t.Errorf("header: %+v", h)
	}
	var groups []string
	if ok, err := tok.Claim("groups", &groups); !ok || err != nil || len(groups) != 1 {
		t.Errorf("Claim(groups): %v %v %v", ok, err, groups)
	}
	if c := tok.Claims(); c["sub"] != "alice" {
		t.Errorf("Claims()[sub] = %v", c["sub"])
	}
	// The space-separated RFC 9068 "scope" is read when "scp" is absent.
	tok, err = v.VerifyAccessToken(context.Background(), mint(t, srv, map[string]any{"scp": nil, "scope": "a b"}))
	if err != nil || !tok.HasScope("b") {
		t.Errorf("scope string: %v %v", err, tok)
	}
}

func TestVerifyIDToken(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, func(c *verifier.Config) { c.ClientID = "dev-spa" })
	idClaims := func(over map[string]any) map[string]any {
		return claimsWith(srv, mergeMaps(map[string]any{"aud": "dev-spa", "nonce": "n-1", "cid": nil, "client_id": nil, "scp": nil, "scope": nil}, over))
	}
	tests := []struct {
		name  string
		token string
		nonce string
		want  error
	}{
		{"valid", sign(t, srv, map[string]any{"typ": "JWT"}, idClaims(nil)), "n-1", nil},
		{"no nonce asked", sign(t, srv, map[string]any{"typ": nil}, idClaims(nil)), "", nil},
		{"wrong nonce", sign(t, srv, map[string]any{"typ": "JWT"}, idClaims(nil)), "n-2", verifier.ErrWrongNonce},
		{"aud of another client", sign(t, srv, map[string]any{"typ": "JWT"}, idClaims(map[string]any{"aud": "other"})), "", verifier.ErrWrongAudience},
		{"no sub", sign(t, srv, map[string]any{"typ": "JWT"}, idClaims(map[string]any{"sub": nil})), "", verifier.ErrMissingClaim},
		{"access token as ID token", sign(t, srv, nil, idClaims(nil)), "", verifier.ErrUnsupportedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.VerifyIDToken(context.Background(), tt.token, "", tt.nonce)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	// An ID token is not an access token: its audience is the client.
	if _, err := v.VerifyAccessToken(context.Background(), sign(t, srv, map[string]any{"typ": "JWT"}, idClaims(nil))); !errors.Is(err, verifier.ErrWrongAudience) {
		t.Errorf("ID token accepted as access token: %v", err)
	}
}

func mergeMaps(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

func TestKeyRotation(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	ctx := context.Background()
	old := mint(t, srv, nil)
	if _, err := v.VerifyAccessToken(ctx, old); err != nil {
		t.Fatal(err)
	}
	oldKID := srv.Issuer.CurrentKeyID()
	if _, err := srv.Issuer.RotateKey(); err != nil {
		t.Fatal(err)
	}
	// The first token signed by the new key is accepted at once, though the
	// keys were fetched a moment ago.
	if _, err := v.VerifyAccessToken(ctx, mint(t, srv, nil)); err != nil {
		t.Fatalf("token of the rotated key refused: %v", err)
	}
	if _, err := v.VerifyAccessToken(ctx, old); err != nil {
		t.Fatalf("token of the old, still published key refused: %v", err)
	}
	if err := srv.Issuer.RetireKey(oldKID); err != nil {
		t.Fatal(err)
	}
	if err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyAccessToken(ctx, old); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Fatalf("token of a removed key: got %v, want ErrUnknownKey", err)
	}
	if got := srv.Issuer.Requests("/v1/keys"); got != 3 {
		t.Errorf("JWKS fetched %d times, want 3 (first use, rotation, Refresh)", got)
	}
}

func TestUnknownKIDFloodIsRateLimited(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	ctx := context.Background()
	claims := claimsWith(srv, nil)
	tokens := make([]string, 1000)
	for i := range tokens {
		tokens[i] = sign(t, srv, map[string]any{"kid": "forged-" + string(rune('a'+i%26)) + strings.Repeat("x", i%50)}, claims)
	}
	var wg sync.WaitGroup
	var refused atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(tokens); i += 8 {
				if _, err := v.VerifyAccessToken(ctx, tokens[i]); errors.Is(err, verifier.ErrUnknownKey) {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if refused.Load() != 1000 {
		t.Errorf("refused %d of 1000 forged-kid tokens with ErrUnknownKey", refused.Load())
	}
	if got := srv.Issuer.Requests("/v1/keys"); got > 2 {
		t.Errorf("1000 unknown kids caused %d JWKS fetches, want at most 2", got)
	}
	// A token naming no key, while the set holds several, never refetches.
	if _, err := srv.Issuer.AddKey("RS256"); err != nil {
		t.Fatal(err)
	}
	v.Refresh(ctx)
	before := srv.Issuer.Requests("/v1/keys")
	kidless := sign(t, srv, map[string]any{"kid": nil}, claims)
	for i := 0; i < 10; i++ {
		if _, err := v.VerifyAccessToken(ctx, kidless); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Fatalf("kid-less token, several keys: %v", err)
		}
	}
	if got := srv.Issuer.Requests("/v1/keys"); got != before {
		t.Errorf("kid-less tokens caused %d fetches", got-before)
	}
	// A known kid with a bad signature never refetches.
	before = srv.Issuer.Requests("/v1/keys")
	parts := strings.Split(mint(t, srv, nil), ".")
	for i := 0; i < 100; i++ {
		v.VerifyAccessToken(ctx, parts[0]+"."+parts[1]+"."+flipFirst(parts[2]))
	}
	if got := srv.Issuer.Requests("/v1/keys"); got != before {
		t.Errorf("bad signatures caused %d fetches", got-before)
	}
}

func TestRefetchIntervalPassesWithTheClock(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	v := newVerifier(t, srv, func(c *verifier.Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	ctx := context.Background()
	forged := sign(t, srv, map[string]any{"kid": "forged"}, claimsWith(srv, nil))
	for i := 0; i < 3; i++ {
		v.VerifyAccessToken(ctx, forged)
	}
	if got := srv.Issuer.Requests("/v1/keys"); got != 2 {
		t.Fatalf("fetches: %d, want 2 (first use, one refetch)", got)
	}
	clock.Add(int64(verifier.DefaultMinRefetchInterval))
	if _, err := srv.Issuer.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyAccessToken(ctx, mint(t, srv, map[string]any{"exp": time.Unix(0, clock.Load()).Add(time.Hour).Unix()})); err != nil {
		t.Fatalf("after the interval, the rotated key is fetched: %v", err)
	}
}

func TestBackgroundRefreshAndStaleKeys(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	v := newVerifier(t, srv, func(c *verifier.Config) { c.Now = now })
	ctx := context.Background()
	tok := mint(t, srv, nil)
	if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	// Old keys are refreshed in the background, without delaying the request.
	clock.Add(int64(verifier.DefaultRefreshInterval + time.Second))
	refreshed := now()
	tok = mint(t, srv, map[string]any{"iat": now().Unix(), "exp": now().Add(time.Hour).Unix()})
	if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	// Wait until the verifier holds the refreshed keys, not until the
	// issuer has served them: the fetch stores its keys a moment after the
	// response, and the clock jump below must not fall in that moment.
	waitFor(t, func() bool { return !verifier.KeysFetchedAt(v).Before(refreshed) })
	if got := srv.Issuer.Requests("/v1/keys"); got != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (first use, background refresh)", got)
	}
	// The issuer goes away: the keys held keep working, within MaxKeyAge.
	srv.Close()
	clock.Add(int64(verifier.DefaultMaxKeyAge - time.Minute))
	tok2 := mint(t, srv, map[string]any{"iat": now().Unix(), "exp": now().Add(time.Hour).Unix()})
	for i := 0; i < 3; i++ {
		if _, err := v.VerifyAccessToken(ctx, tok2); err != nil {
			t.Fatalf("issuer down, cached key: %v", err)
		}
	}
}

// flappingIssuer is a development issuer behind a switch: while down, every
// request to it fails with 503.
type flappingIssuer struct {
	*devissuer.Issuer
	down atomic.Bool
}

func startFlappingIssuer(t *testing.T, now func() time.Time) *flappingIssuer {
	t.Helper()
	f := &flappingIssuer{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		f.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	iss, err := devissuer.New(devissuer.Options{Issuer: ts.URL + devissuer.DefaultIssuerPath, Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.Issuer = iss
	return f
}

func TestMaxKeyAge(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	ctx := context.Background()

	t.Run("keys too stale to trust are not used, cached tokens included", func(t *testing.T) {
		iss := startFlappingIssuer(t, now)
		var logs logtest.Buffer
		v, err := verifier.New(verifier.Config{
			Issuer: iss.URL(), Audiences: []string{"api://default"}, InsecureAllowHTTP: true,
			MaxKeyAge: 2 * time.Hour, RefreshInterval: time.Hour, Now: now,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := iss.MintAccessToken(map[string]any{"exp": now().Add(10 * time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyAccessToken(ctx, tok); err != nil || !v.Ready() {
			t.Fatalf("issuer up: %v (ready %v)", err, v.Ready())
		}
		iss.down.Store(true)
		clock.Add(int64(2*time.Hour - time.Second))
		if _, err := v.VerifyAccessToken(ctx, tok); err != nil || !v.Ready() {
			t.Fatalf("issuer down, keys just within MaxKeyAge: %v (ready %v)", err, v.Ready())
		}
		clock.Add(int64(2 * time.Second))
		for i := 0; i < 3; i++ {
			_, err = v.VerifyAccessToken(ctx, tok)
			if !errors.Is(err, verifier.ErrKeysUnavailable) {
				t.Fatalf("keys past MaxKeyAge, attempt %d: got %v, want ErrKeysUnavailable", i, err)
			}
		}
		if !strings.Contains(err.Error(), "longer than MaxKeyAge (2h0m0s)") || strings.Contains(err.Error(), tok) {
			t.Errorf("error does not say why (or shows the token): %v", err)
		}
		if v.Ready() {
			t.Error("Ready with keys past MaxKeyAge")
		}
		if n := strings.Count(logs.String(), "older than MaxKeyAge"); n != 1 {
			t.Errorf("staleness logged %d times, want once:\n%s", n, logs.String())
		}
		// The issuer answers again: the next attempt after the minimum
		// interval fetches, and the same token is accepted.
		iss.down.Store(false)
		clock.Add(int64(verifier.DefaultMinRefetchInterval))
		if _, err := v.VerifyAccessToken(ctx, tok); err != nil || !v.Ready() {
			t.Fatalf("issuer back: %v (ready %v)", err, v.Ready())
		}
	})

	t.Run("NoMaxKeyAge keeps keys for ever", func(t *testing.T) {
		iss := startFlappingIssuer(t, now)
		v, err := verifier.New(verifier.Config{
			Issuer: iss.URL(), Audiences: []string{"api://default"}, InsecureAllowHTTP: true,
			MaxKeyAge: verifier.NoMaxKeyAge, Now: now, Logger: slog.New(slog.DiscardHandler), DisableCache: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		iss.down.Store(true)
		clock.Add(int64(1000 * time.Hour))
		tok, err := iss.MintAccessToken(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyAccessToken(ctx, tok); err != nil || !v.Ready() {
			t.Fatalf("NoMaxKeyAge, issuer down 1000h: %v (ready %v)", err, v.Ready())
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	if !poll.Until(5*time.Second, cond) {
		t.Fatal("condition not met within 5s")
	}
}

func TestKeysUnavailable(t *testing.T) {
	v, err := verifier.New(verifier.Config{Issuer: "http://127.0.0.1:1/oauth2/default", InsecureAllowHTTP: true, Audiences: []string{"api://default"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyAccessToken(context.Background(), rawToken(`{"alg":"RS256","kid":"k"}`, `{"iss":"http://127.0.0.1:1/oauth2/default"}`, "AAAA"))
	if !errors.Is(err, verifier.ErrKeysUnavailable) || v.Ready() {
		t.Fatalf("got %v (ready %v), want ErrKeysUnavailable", err, v.Ready())
	}
	if !strings.Contains(err.Error(), "discovery failed") {
		t.Errorf("error %q does not say discovery failed", err)
	}
}

// issuerDouble serves hand-written discovery and JWKS documents.
func issuerDouble(t *testing.T, handler func(issuer string, w http.ResponseWriter, r *http.Request)) string {
	t.Helper()
	var issuer string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler(issuer, w, r) }))
	t.Cleanup(ts.Close)
	issuer = ts.URL + "/oauth2/default"
	return issuer
}

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name    string
		serve   func(issuer string, w http.ResponseWriter, r *http.Request)
		message string // "" when the keys must load
	}{
		{"openid-configuration", func(iss string, w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/oauth2/default/.well-known/openid-configuration":
				io.WriteString(w, `{"issuer":"`+iss+`","jwks_uri":"`+strings.TrimSuffix(iss, "/oauth2/default")+`/keys"}`)
			case "/keys":
				io.WriteString(w, testJWKS)
			default:
				http.NotFound(w, r)
			}
		}, ""},
		{"RFC 8414 inserted path", func(iss string, w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/.well-known/oauth-authorization-server/oauth2/default":
				io.WriteString(w, `{"issuer":"`+iss+`","jwks_uri":"`+iss+`/v1/keys"}`)
			case "/oauth2/default/v1/keys":
				io.WriteString(w, testJWKS)
			default:
				http.NotFound(w, r)
			}
		}, ""},
		{"another issuer's document", func(iss string, w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"issuer":"https://evil.example.com","jwks_uri":"`+iss+`/v1/keys"}`)
		}, `names issuer "https://evil.example.com"`},
		{"no jwks_uri", func(iss string, w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"issuer":"`+iss+`"}`)
		}, "has no jwks_uri"},
		{"HTML", func(iss string, w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `<html>hello</html>`)
		}, "not valid JSON"},
		{"500", func(iss string, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", 500)
		}, "status 500"},
		{"huge JWKS", func(iss string, w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/v1/keys") {
				io.WriteString(w, `{"keys":[`+strings.Repeat(" ", 2<<20)+`]}`)
				return
			}
			io.WriteString(w, `{"issuer":"`+iss+`","jwks_uri":"`+iss+`/v1/keys"}`)
		}, "larger than"},
		{"no usable key", func(iss string, w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/v1/keys") {
				io.WriteString(w, `{"keys":[{"kty":"oct","k":"AAAA","kid":"h"}]}`)
				return
			}
			io.WriteString(w, `{"issuer":"`+iss+`","jwks_uri":"`+iss+`/v1/keys"}`)
		}, "no usable signing key"},
		{"redirect to another host", func(iss string, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://localhost:1/elsewhere", http.StatusFound)
		}, "another host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := issuerDouble(t, tt.serve)
			v, err := verifier.New(verifier.Config{Issuer: issuer, Audiences: []string{"api://default"}, InsecureAllowHTTP: true, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			err = v.Refresh(context.Background())
			if tt.message == "" {
				if err != nil || !v.Ready() {
					t.Fatalf("keys not loaded: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("got %v, want an error saying %q", err, tt.message)
			}
		})
	}
}

// testJWKS holds one RSA-2048 public key.
const testJWKS = `{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","e":"AQAB","n":"` +
	"u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw" +
	`"}]}`

func TestKeySetSkipsUnfitKeys(t *testing.T) {
	weak := `{"kty":"RSA","kid":"weak","e":"AQAB","n":"` + strings.Repeat("A", 170) + `"}`
	enc := `{"kty":"RSA","kid":"enc","use":"enc","e":"AQAB","n":"u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw"}`
	offCurve := `{"kty":"EC","kid":"off","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"}`
	issuer := issuerDouble(t, func(iss string, w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/v1/keys") {
			io.WriteString(w, `{"keys":[`+weak+`,`+enc+`,`+offCurve+`]}`)
			return
		}
		io.WriteString(w, `{"issuer":"`+iss+`","jwks_uri":"`+iss+`/v1/keys"}`)
	})
	v, err := verifier.New(verifier.Config{Issuer: issuer, Audiences: []string{"api://default"}, InsecureAllowHTTP: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "no usable signing key among 3 keys") {
		t.Fatalf("a set of a short RSA key, an encryption key and an off-curve point: %v", err)
	}
}

// A cached answer allocates only the caller's Token (the text it presented
// and a pointer to the cached claims, shared and immutable): the target
// of issue 5 (at most one allocation), which a stray fmt or strconv call on
// the hot path would break without changing any answer.
func TestCachedVerificationAllocations(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	ctx := context.Background()
	tok := mint(t, srv, nil)
	for _, tt := range []struct {
		name string
		edit func(*verifier.Config)
		aud  []string
	}{
		{"configured audience", nil, nil},
		{"audience of the call", nil, []string{"api://default"}},
		{"client id and assertions", func(c *verifier.Config) {
			c.ClientID = devissuer.DefaultClientID
			c.AssertClaims = map[string]any{"sub": srv.Issuer.AccessTokenClaims()["sub"]}
		}, nil},
	} {
		v := newVerifier(t, srv, tt.edit)
		if _, err := v.VerifyAccessToken(ctx, tok, tt.aud...); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := v.VerifyAccessToken(ctx, tok, tt.aud...); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 1 {
			t.Errorf("%s: %v allocations per cached verification, want at most 1", tt.name, allocs)
		}
	}
}

func TestVerifiedTokenCache(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	ctx := context.Background()
	t.Run("a cached answer is the fresh answer", func(t *testing.T) {
		v := newVerifier(t, srv, nil)
		fresh := newVerifier(t, srv, func(c *verifier.Config) { c.DisableCache = true })
		tok := mint(t, srv, map[string]any{"sub": "alice"})
		first, err := v.VerifyAccessToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		second, err := v.VerifyAccessToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		j1, _ := first.MarshalJSON()
		j2, _ := second.MarshalJSON()
		if string(j1) != string(j2) || second.Subject() != "alice" || second.ID() != first.ID() {
			t.Errorf("cached token differs: %s vs %s", j1, j2)
		}
		// Another audience for the same token: the cached token is refused
		// exactly as a fresh verification refuses it.
		_, cached := v.VerifyAccessToken(ctx, tok, "api://orders")
		_, uncached := fresh.VerifyAccessToken(ctx, tok, "api://orders")
		if cached == nil || uncached == nil || cached.Error() != uncached.Error() {
			t.Errorf("cached answer %v, fresh answer %v", cached, uncached)
		}
	})
	t.Run("refusals are identical, cached or not", func(t *testing.T) {
		edit := func(c *verifier.Config) { c.ClientID = "spa"; c.AssertClaims = map[string]any{"tier": "gold"} }
		v := newVerifier(t, srv, edit)
		tok := mint(t, srv, map[string]any{"tier": "silver"})
		_, e1 := v.VerifyAccessToken(ctx, tok)
		_, e2 := v.VerifyAccessToken(ctx, tok)
		if e1 == nil || e2 == nil || e1.Error() != e2.Error() || !errors.Is(e2, verifier.ErrWrongClientID) {
			t.Errorf("first %v, second %v", e1, e2)
		}
	})
	t.Run("expiry is checked on every hit", func(t *testing.T) {
		var clock atomic.Int64
		clock.Store(time.Now().UnixNano())
		v := newVerifier(t, srv, func(c *verifier.Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
		exp := time.Unix(0, clock.Load()).Add(time.Minute)
		tok := mint(t, srv, map[string]any{"exp": exp.Unix()})
		if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		clock.Store(exp.Add(verifier.DefaultLeeway + time.Second).UnixNano())
		if _, err := v.VerifyAccessToken(ctx, tok); !errors.Is(err, verifier.ErrExpired) {
			t.Errorf("a cached token past exp and leeway: %v", err)
		}
	})
	t.Run("a cached token dies with its key", func(t *testing.T) {
		v := newVerifier(t, srv, nil)
		tok := mint(t, srv, nil)
		if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		old := srv.Issuer.CurrentKeyID()
		srv.Issuer.RotateKey()
		srv.Issuer.RetireKey(old)
		if err := v.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyAccessToken(ctx, tok); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Errorf("cached token of a removed key: %v", err)
		}
	})
}
