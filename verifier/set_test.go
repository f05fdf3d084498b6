package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// A Set is what the bearer middleware takes.
var _ bearer.AccessTokenVerifier = (*verifier.Set)(nil)

func newSet(t *testing.T, issuers ...verifier.Config) *verifier.Set {
	t.Helper()
	s, err := verifier.NewSet(issuers...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// origin is the scheme and host of srv, under which a test serves a
// template issuer ("<origin>/{tenantid}/v2.0").
func origin(srv *devissuer.Server) string {
	return srv.URL[:len(srv.URL)-len(devissuer.DefaultIssuerPath)]
}

const (
	tenantA = "5b1a9e8f-3c2d-4e6f-8a7b-9c0d1e2f3a4b"
	tenantB = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// templateConfig is a template issuer served by srv: its tenants' tokens
// are srv's, with iss "<origin>/<tenant>/v2.0", verified with srv's keys.
func templateConfig(srv *devissuer.Server, edit func(*verifier.Config)) verifier.Config {
	cfg := devissuertest.VerifierConfig(srv)
	cfg.Issuer = origin(srv) + "/{tenantid}/v2.0"
	cfg.JWKSURL = srv.URL + "/v1/keys"
	cfg.Tenants = []string{tenantA}
	if edit != nil {
		edit(&cfg)
	}
	return cfg
}

// tenantToken mints srv's token for tenant: iss of the template, and tid.
func tenantToken(t testing.TB, srv *devissuer.Server, tenant string, overrides map[string]any) string {
	t.Helper()
	claims := map[string]any{"iss": origin(srv) + "/" + tenant + "/v2.0", "tid": tenant}
	for k, v := range overrides {
		claims[k] = v
	}
	tok, err := srv.Issuer.MintAccessToken(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestNewSetSelectsTheIssuerByIss(t *testing.T) {
	a := devissuertest.Start(t, devissuer.Options{})
	b := devissuertest.Start(t, devissuer.Options{Audience: "api://b"})
	stranger := devissuertest.Start(t, devissuer.Options{}) // configured nowhere
	s := newSet(t, devissuertest.VerifierConfig(a), devissuertest.VerifierConfig(b))
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		token string
		want  error // nil: accepted
	}{
		{"issuer A", mint(t, a, nil), nil},
		{"issuer B, with its own audience", mint(t, b, nil), nil},
		{"issuer B's token with A's audience", mint(t, b, map[string]any{"aud": "api://default"}), verifier.ErrWrongAudience},
		{"an issuer not configured", mint(t, stranger, nil), verifier.ErrWrongIssuer},
		{"iss that differs by a trailing slash", mint(t, a, map[string]any{"iss": a.URL + "/"}), verifier.ErrWrongIssuer},
		{"no iss", mint(t, a, map[string]any{"iss": nil}), verifier.ErrMissingClaim},
		{"iss not a string", mint(t, a, map[string]any{"iss": 42}), verifier.ErrInvalidClaim},
		{"iss with an escape", mint(t, a, map[string]any{"iss": strings.Replace(a.URL, "/", `\/`, 1)}), verifier.ErrWrongIssuer},
		{"A's iss, signed by B's key under B's kid", sign(t, b, nil, claimsWith(b, map[string]any{"iss": a.URL})), verifier.ErrUnknownKey},
		{"A's iss, signed by B's key under A's kid", sign(t, b, map[string]any{"kid": a.Issuer.CurrentKeyID()}, claimsWith(b, map[string]any{"iss": a.URL, "aud": "api://default"})), verifier.ErrInvalidSignature},
		{"not a token", "a.b", verifier.ErrMalformed},
		{"a payload that is not JSON", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", verifier.ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := s.VerifyAccessToken(ctx, tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || tok != nil {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.token[strings.LastIndexByte(tt.token, '.')+1:]) {
				t.Errorf("the error holds the token's signature: %v", err)
			}
		})
	}
	if n := stranger.Issuer.Requests(""); n != 0 {
		t.Errorf("the issuer no Config names got %d requests, want 0", n)
	}
}

func TestNewSetUnknownIssuerCostsNoRequest(t *testing.T) {
	a := devissuertest.Start(t, devissuer.Options{})
	stranger := devissuertest.Start(t, devissuer.Options{})
	s := newSet(t, devissuertest.VerifierConfig(a), templateConfig(a, nil))
	for _, tok := range []string{
		mint(t, stranger, nil),
		tenantToken(t, stranger, tenantA, nil), // the template's path, another host
	} {
		if _, err := s.VerifyAccessToken(context.Background(), tok); !errors.Is(err, verifier.ErrWrongIssuer) {
			t.Errorf("got %v, want ErrWrongIssuer", err)
		}
	}
	if n, m := a.Issuer.Requests(""), stranger.Issuer.Requests(""); n+m != 0 {
		t.Errorf("tokens of an issuer not configured caused %d requests to the configured one and %d to theirs, want none", n, m)
	}
}

func TestNewSetConfigErrors(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	good := devissuertest.VerifierConfig(srv)
	tmpl := templateConfig(srv, nil)
	edit := func(c verifier.Config, f func(*verifier.Config)) verifier.Config { f(&c); return c }
	for _, tt := range []struct {
		name     string
		issuers  []verifier.Config
		field    string
		position int
	}{
		{"none", nil, "Issuer", 0},
		{"the same issuer twice", []verifier.Config{good, good}, "Issuer", 2},
		{"the second without audience", []verifier.Config{tmpl, edit(good, func(c *verifier.Config) { c.Audiences = nil })}, "Audiences", 2},
		{"a template without JWKSURL", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.JWKSURL = "" })}, "JWKSURL", 1},
		{"a template JWKSURL with a placeholder", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.JWKSURL = origin(srv) + "/{tenantid}/keys" })}, "JWKSURL", 1},
		{"a template without tenants", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.Tenants = nil })}, "Tenants", 1},
		{"a template with Tenants and AnyTenant", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.AnyTenant = true })}, "AnyTenant", 1},
		{"a tenant with a slash", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.Tenants = []string{"a/b"} })}, "Tenants", 1},
		{"a tenant of dots", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.Tenants = []string{".."} })}, "Tenants", 1},
		{"the placeholder in the host", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.Issuer = "http://{tenantid}.example.com/v2.0" })}, "Issuer", 1},
		{"the placeholder inside a segment", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.Issuer = origin(srv) + "/t-{tenantid}/v2.0" })}, "Issuer", 1},
		{"the placeholder twice", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.Issuer = origin(srv) + "/{tenantid}/{tenantid}" })}, "Issuer", 1},
		{"Entra's {tid} spelling", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.Issuer = origin(srv) + "/{tid}/v2.0" })}, "Issuer", 1},
		{"Tenants without a template", []verifier.Config{edit(good, func(c *verifier.Config) { c.Tenants = []string{tenantA} })}, "Tenants", 1},
		{"MaxTenants negative", []verifier.Config{edit(tmpl, func(c *verifier.Config) { c.MaxTenants = -1 })}, "MaxTenants", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := verifier.NewSet(tt.issuers...)
			var ce *verifier.ConfigError
			if s != nil || !errors.As(err, &ce) {
				t.Fatalf("NewSet = %v, %v; want a *ConfigError", s, err)
			}
			if ce.Field != tt.field || ce.Position != tt.position {
				t.Errorf("ConfigError on %s of issuer %d, want %s of issuer %d: %v", ce.Field, ce.Position, tt.field, tt.position, err)
			}
			if tt.position > 0 && (ce.Issuer != tt.issuers[tt.position-1].Issuer || !strings.Contains(err.Error(), fmt.Sprintf("issuer %d", tt.position))) {
				t.Errorf("the error does not name issuer %d (%s): %v", tt.position, tt.issuers[tt.position-1].Issuer, err)
			}
		})
	}
}

func TestNewSetIsolatesAnIssuerOutage(t *testing.T) {
	up := devissuertest.Start(t, devissuer.Options{})
	down := devissuertest.Start(t, devissuer.Options{})
	upTok, downTok := mint(t, up, nil), mint(t, down, nil)
	down.Close() // before its keys were ever fetched
	s := newSet(t, devissuertest.VerifierConfig(down), devissuertest.VerifierConfig(up))
	ctx := context.Background()

	err := s.Refresh(ctx)
	if err == nil || !strings.Contains(err.Error(), down.URL) || strings.Contains(err.Error(), up.URL) {
		t.Errorf("Refresh = %v, want the error of %s only", err, down.URL)
	}
	if _, err := s.VerifyAccessToken(ctx, downTok); !errors.Is(err, verifier.ErrKeysUnavailable) {
		t.Errorf("the token of the issuer down: %v, want ErrKeysUnavailable", err)
	}
	if _, err := s.VerifyAccessToken(ctx, upTok); err != nil {
		t.Errorf("the token of the issuer up: %v", err)
	}
	if !s.Ready() {
		t.Errorf("Ready = false with one issuer of two ready; the rule: %s", verifier.ReadyRule)
	}
	st := s.Status()
	if len(st) != 2 || st[0].Issuer != down.URL || st[0].Ready || st[0].LastError == "" || st[0].FetchFailures == 0 || st[0].KeyCount != 0 ||
		st[1].Issuer != up.URL || !st[1].Ready || st[1].LastError != "" || st[1].KeyCount != 1 || st[1].Fetches == 0 || st[1].KeysFetched.IsZero() {
		t.Errorf("Status = %+v", st)
	}
	if got := s.Issuers(); !slices.Equal(got, []string{down.URL, up.URL}) {
		t.Errorf("Issuers = %v", got)
	}
}

func TestNewSetNotReadyWhenNoIssuerIs(t *testing.T) {
	a := devissuertest.Start(t, devissuer.Options{})
	s := newSet(t, devissuertest.VerifierConfig(a), templateConfig(a, nil))
	if s.Ready() {
		t.Error("Ready before any key was fetched")
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.Ready() {
		t.Error("not Ready with every issuer's keys held")
	}
}

func TestNewSetTemplateIssuer(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	listed := newSet(t, templateConfig(srv, nil))
	anyTenant := newSet(t, templateConfig(srv, func(c *verifier.Config) { c.Tenants, c.AnyTenant = nil, true }))
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		token     string
		listed    error // Tenants: [tenantA]
		anyTenant error
	}{
		{"a listed tenant", tenantToken(t, srv, tenantA, nil), nil, nil},
		{"another tenant", tenantToken(t, srv, tenantB, nil), verifier.ErrWrongIssuer, nil},
		{"a tenant that is not a tenant id", tenantToken(t, srv, "a_b", nil), verifier.ErrWrongIssuer, verifier.ErrWrongIssuer},
		{"a tenant of two segments", tenantToken(t, srv, tenantA+"/x", nil), verifier.ErrWrongIssuer, verifier.ErrWrongIssuer},
		{"no tenant", tenantToken(t, srv, "", nil), verifier.ErrWrongIssuer, verifier.ErrWrongIssuer},
		{"tid of another tenant", tenantToken(t, srv, tenantA, map[string]any{"tid": tenantB}), verifier.ErrWrongIssuer, verifier.ErrWrongIssuer},
		{"no tid", tenantToken(t, srv, tenantA, map[string]any{"tid": nil}), verifier.ErrMissingClaim, verifier.ErrMissingClaim},
		{"tid not a string", tenantToken(t, srv, tenantA, map[string]any{"tid": 7}), verifier.ErrWrongIssuer, verifier.ErrWrongIssuer},
		{"tid beside a case variant", tenantToken(t, srv, tenantA, map[string]any{"TID": tenantB}), verifier.ErrMalformed, verifier.ErrMalformed},
		{"the template itself as iss", mint(t, srv, map[string]any{"iss": origin(srv) + "/{tenantid}/v2.0", "tid": "{tenantid}"}), verifier.ErrWrongIssuer, verifier.ErrWrongIssuer},
		{"another suffix", mint(t, srv, map[string]any{"iss": origin(srv) + "/" + tenantA + "/v1.0", "tid": tenantA}), verifier.ErrWrongIssuer, verifier.ErrWrongIssuer},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				name string
				s    *verifier.Set
				want error
			}{{"Tenants", listed, tt.listed}, {"AnyTenant", anyTenant, tt.anyTenant}} {
				tok, err := c.s.VerifyAccessToken(ctx, tt.token)
				switch {
				case c.want == nil && err != nil:
					t.Errorf("%s: refused: %v", c.name, err)
				case c.want == nil && tok.Issuer() == "":
					t.Errorf("%s: the token's Issuer is empty", c.name)
				case c.want != nil && !errors.Is(err, c.want):
					t.Errorf("%s: got %v, want %v", c.name, err, c.want)
				}
			}
		})
	}
	// A template works as well in a lone Verifier.
	v, err := verifier.New(templateConfig(srv, nil))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.VerifyAccessToken(ctx, tenantToken(t, srv, tenantA, nil))
	if err != nil || tok.Issuer() != origin(srv)+"/"+tenantA+"/v2.0" {
		t.Errorf("a Verifier of a template: %v, issuer %q", err, tok.Issuer())
	}
	if st := v.Status(); len(st) != 1 || st[0].Tenants != 1 || st[0].Issuer != origin(srv)+"/{tenantid}/v2.0" {
		t.Errorf("Status = %+v", st)
	}
}

func TestNewSetExactIssuerWinsOverTemplate(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	exact := devissuertest.VerifierConfig(srv)
	exact.Issuer = origin(srv) + "/" + tenantB + "/v2.0"
	exact.JWKSURL = srv.URL + "/v1/keys"
	exact.ClientID = "only-the-exact-issuer-wants-this"
	s := newSet(t, templateConfig(srv, func(c *verifier.Config) { c.Tenants = []string{tenantB} }), exact)
	_, err := s.VerifyAccessToken(context.Background(), tenantToken(t, srv, tenantB, nil))
	if !errors.Is(err, verifier.ErrWrongClientID) {
		t.Errorf("got %v, want the exact issuer's rules (ErrWrongClientID)", err)
	}
}

// jwksWithIssuers serves srv's current key with the "issuer" member Entra
// puts in its keys, and returns the key set's URL.
func jwksWithIssuers(t *testing.T, srv *devissuer.Server, issuer string) string {
	t.Helper()
	kid := srv.Issuer.CurrentKeyID()
	raw, err := jose.JSONWebKey{Key: srv.Issuer.PublicKey(kid), KeyID: kid, Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var key map[string]any
	if err := json.Unmarshal(raw, &key); err != nil {
		t.Fatal(err)
	}
	key["issuer"] = issuer
	body, err := json.Marshal(map[string]any{"keys": []any{key}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/common/discovery/v2.0/keys"
}

func TestNewSetKeyIsBoundToItsIssuer(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	tmpl := origin(srv) + "/{tenantid}/v2.0"
	of := func(tenant string) string { return origin(srv) + "/" + tenant + "/v2.0" }
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		keyIssuer string // the key's "issuer" member
		template  bool   // a template verifier, else one of tenantA
		want      error
	}{
		{"templated key, template issuer", tmpl, true, nil},
		{"templated key, exact issuer", tmpl, false, nil},
		{"key of the tenant, template issuer", of(tenantA), true, nil},
		{"key of the tenant, exact issuer", of(tenantA), false, nil},
		{"key of another tenant, template issuer", of(tenantB), true, verifier.ErrWrongIssuer},
		{"key of another tenant, exact issuer", of(tenantB), false, verifier.ErrWrongIssuer},
		{"key of another issuer's template", "https://login.example/{tenantid}/v2.0", true, verifier.ErrWrongIssuer},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := templateConfig(srv, func(c *verifier.Config) { c.Tenants = []string{tenantA, tenantB} })
			if !tt.template {
				cfg.Issuer, cfg.Tenants = of(tenantA), nil
			}
			cfg.JWKSURL = jwksWithIssuers(t, srv, tt.keyIssuer)
			s := newSet(t, cfg)
			_, err := s.VerifyAccessToken(ctx, tenantToken(t, srv, tenantA, nil))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewSetTenantStateIsBounded(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{Algorithm: "EdDSA"})
	const maxTenants, tenants = 16, 50
	s := newSet(t, templateConfig(srv, func(c *verifier.Config) {
		c.Algorithms, c.Tenants, c.AnyTenant, c.MaxTenants = []string{"EdDSA"}, nil, true, maxTenants
	}))
	ctx := context.Background()
	for i := range tenants {
		tenant := fmt.Sprintf("tenant-%03d", i)
		tok, err := s.VerifyAccessToken(ctx, tenantToken(t, srv, tenant, nil))
		if err != nil {
			t.Fatalf("tenant %s: %v", tenant, err)
		}
		if tok.Issuer() != origin(srv)+"/"+tenant+"/v2.0" {
			t.Fatalf("tenant %s: Issuer %q", tenant, tok.Issuer())
		}
	}
	if n := s.Status()[0].Tenants; n != maxTenants {
		t.Errorf("%d tenants seen, %d held, want MaxTenants (%d)", tenants, n, maxTenants)
	}
}

func TestNewSetSharesOneCache(t *testing.T) {
	a := devissuertest.Start(t, devissuer.Options{})
	b := devissuertest.Start(t, devissuer.Options{})
	noCache := devissuertest.VerifierConfig(b)
	noCache.DisableCache = true
	s := newSet(t, devissuertest.VerifierConfig(a), noCache)
	ctx := context.Background()
	ta, tb := mint(t, a, nil), mint(t, b, nil)
	for range 3 {
		for _, tok := range []string{ta, tb} {
			if _, err := s.VerifyAccessToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
	}
	// ta: a miss, then 2 hits; tb (not cached): 3 misses.
	if st := s.CacheStats(); st.Hits != 2 || st.Misses != 4 || st.Entries != 1 {
		t.Errorf("CacheStats = %+v, want 2 hits, 4 misses, 1 entry", st)
	}
	// A cached answer is still checked against the audiences of the call.
	if _, err := s.VerifyAccessToken(ctx, ta, "api://other"); !errors.Is(err, verifier.ErrWrongAudience) {
		t.Errorf("cached token, another audience: %v, want ErrWrongAudience", err)
	}
}

func TestNewVerifierStatusAndCacheStats(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	ctx := context.Background()
	tok := mint(t, srv, nil)
	for range 2 {
		if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if st := v.CacheStats(); st.Hits != 1 || st.Misses != 1 || st.Entries != 1 {
		t.Errorf("CacheStats = %+v", st)
	}
	st := v.Status()
	if len(st) != 1 || st[0].Issuer != srv.URL || !st[0].Ready || st[0].KeyCount != 1 || st[0].Fetches != 1 || st[0].FetchFailures != 0 || st[0].Tenants != 0 {
		t.Errorf("Status = %+v", st)
	}
	if got := v.Issuers(); !slices.Equal(got, []string{srv.URL}) {
		t.Errorf("Issuers = %v", got)
	}
}
