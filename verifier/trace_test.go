package verifier_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// accessVerifier is what both a Verifier and a Set are.
type accessVerifier interface {
	VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error)
}

// traced verifies token with a trace and returns the checks reported.
func traced(v accessVerifier, token string, audiences ...string) ([]verifier.Check, error) {
	var checks []verifier.Check
	ctx := verifier.WithTrace(context.Background(), func(c verifier.Check) { checks = append(checks, c) })
	_, err := v.VerifyAccessToken(ctx, token, audiences...)
	return checks, err
}

func checkNames(checks []verifier.Check) []string {
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.Name
	}
	return names
}

func TestNewTraceReportsEachCheck(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	sub := srv.Issuer.AccessTokenClaims()["sub"]
	strict := func(c *verifier.Config) {
		c.ClientID = devissuer.DefaultClientID
		c.AssertClaims = map[string]any{"sub": sub, "scp.includes": "openid"}
	}
	v := newVerifier(t, srv, strict)
	cfg := devissuertest.VerifierConfig(srv)
	strict(&cfg)
	s := newSet(t, cfg, templateConfig(srv, nil))
	all := []string{"size and shape", "header", "claims", "issuer", "key", "signature", "exp", "nbf", "iat", "aud", "client", "assert scp.includes", "assert sub"}
	upTo := func(name string) []string { return slices.Clone(all[:slices.Index(all, name)+1]) }
	past := time.Now().Add(-time.Hour).Unix()
	for _, tt := range []struct {
		name  string
		token string
		aud   []string
		verif string // "set" for the Set only; "" for both
		want  []string
	}{
		{"accepted", mint(t, srv, nil), nil, "", all},
		{"malformed", "not-a-token", nil, "", upTo("size and shape")},
		{"alg HS256", sign(t, srv, map[string]any{"alg": "HS256"}, srv.Issuer.AccessTokenClaims()), nil, "", upTo("header")},
		{"exp not a date", mint(t, srv, map[string]any{"exp": "soon"}), nil, "", upTo("claims")},
		{"expired", mint(t, srv, map[string]any{"exp": past}), nil, "", upTo("exp")},
		{"another audience", mint(t, srv, nil), []string{"api://other"}, "", upTo("aud")},
		{"another client", mint(t, srv, map[string]any{"cid": "x", "client_id": "x"}), nil, "", upTo("client")},
		{"an assertion fails", mint(t, srv, map[string]any{"sub": "mallory"}), nil, "", all},
		{"token_use id", mint(t, srv, map[string]any{"token_use": "id"}), nil, "", slices.Concat(upTo("aud"), []string{"token_use"})},
		{"an issuer not configured", mint(t, srv, map[string]any{"iss": "https://elsewhere.example"}), nil, "set", []string{"size and shape", "issuer"}},
		{"a payload that is not JSON", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", nil, "set", []string{"size and shape", "claims"}},
		{"a tenant not listed", tenantToken(t, srv, tenantB, nil), nil, "set", upTo("issuer")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				name string
				v    accessVerifier
			}{{"Verifier", v}, {"Set", s}} {
				if tt.verif == "set" && c.name != "Set" {
					continue
				}
				checkTrace(t, c.name, c.v, tt.token, tt.aud, tt.want)
			}
		})
	}
}

// checkTrace verifies token with v, traced and not, and checks the trace:
// the checks named want, each passed but a failed last one, whose detail
// is the error, which is the untraced error, and no token in any detail.
func checkTrace(t *testing.T, name string, v accessVerifier, token string, aud, want []string) {
	t.Helper()
	checks, err := traced(v, token, aud...)
	if got := checkNames(checks); !slices.Equal(got, want) {
		t.Errorf("%s: checks %q, want %q", name, got, want)
	}
	_, plain := v.VerifyAccessToken(context.Background(), token, aud...)
	if fmt.Sprint(err) != fmt.Sprint(plain) {
		t.Errorf("%s: traced answer %v, untraced %v", name, err, plain)
	}
	for i, ch := range checks {
		last := i == len(checks)-1
		if ch.Passed == (last && err != nil) {
			t.Errorf("%s: check %q passed=%v (last %v, error %v)", name, ch.Name, ch.Passed, last, err)
		}
		if sig := token[strings.LastIndexByte(token, '.')+1:]; len(sig) > 8 && strings.Contains(ch.Detail, sig) {
			t.Errorf("%s: check %q holds the token's signature", name, ch.Name)
		}
	}
	if err != nil && checks[len(checks)-1].Detail != err.Error() {
		t.Errorf("%s: the failed check says %q, the error %q", name, checks[len(checks)-1].Detail, err)
	}
}

func TestNewTraceBypassesTheCache(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	s := newSet(t, devissuertest.VerifierConfig(srv))
	tok := mint(t, srv, nil)
	for _, c := range []struct {
		name  string
		v     accessVerifier
		stats func() verifier.CacheStats
	}{{"Verifier", v, v.CacheStats}, {"Set", s, s.CacheStats}} {
		if _, err := c.v.VerifyAccessToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		before := c.stats()
		checks, err := traced(c.v, tok)
		if err != nil || len(checks) < 10 {
			t.Errorf("%s: a cached token traced: %v, %d checks", c.name, err, len(checks))
		}
		if after := c.stats(); after != before {
			t.Errorf("%s: a traced verification touched the cache: %+v, then %+v", c.name, before, after)
		}
	}
	if ctx := verifier.WithTrace(context.Background(), nil); ctx != context.Background() {
		t.Error("WithTrace(ctx, nil) is not ctx")
	}
}
