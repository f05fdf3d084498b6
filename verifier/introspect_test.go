package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// introClock is a clock tests move by hand, shared by an issuer and its
// verifier.
type introClock struct{ ns atomic.Int64 }

func newIntroClock() *introClock {
	c := &introClock{}
	c.ns.Store(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}
func (c *introClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *introClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// introFixture is a development issuer that introspects, with a verifier of
// its tokens that introspects the opaque ones.
type introFixture struct {
	srv   *devissuer.Server
	clock *introClock
	v     *verifier.Verifier
}

func newIntroFixture(t testing.TB, opts devissuer.Options, edit func(*verifier.Config)) *introFixture {
	t.Helper()
	clock := newIntroClock()
	opts.Now = clock.Now
	srv := devissuertest.Start(t, opts)
	cfg := devissuertest.VerifierConfig(srv)
	cfg.Now = clock.Now
	cfg.Introspection = devissuertest.Introspection(srv)
	if edit != nil {
		edit(&cfg)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &introFixture{srv: srv, clock: clock, v: v}
}

func (f *introFixture) opaque(t testing.TB, overrides map[string]any) string {
	t.Helper()
	tok, err := f.srv.Issuer.MintOpaqueToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestIntrospectOpaqueToken(t *testing.T) {
	f := newIntroFixture(t, devissuer.Options{}, nil)
	ctx := context.Background()
	tok := f.opaque(t, map[string]any{"sub": "alice", "scope": "read write", "scp": nil, "cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}})
	got, err := f.v.VerifyAccessToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject() != "alice" || !got.HasScope("write") || got.Issuer() != f.srv.URL || got.ClientID() != devissuer.DefaultClientID ||
		got.KeyThumbprint() != "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" || got.Header() != (verifier.Header{}) {
		t.Errorf("token: sub %q scopes %v iss %q cid %q jkt %q header %+v", got.Subject(), got.Scopes(), got.Issuer(), got.ClientID(), got.KeyThumbprint(), got.Header())
	}
	if active := got.Claims()["active"]; active != true {
		t.Errorf("Claims()[active] = %v, want true", active)
	}
	var sub string
	if ok, err := got.Claim("sub", &sub); !ok || err != nil || sub != "alice" {
		t.Errorf("Claim(sub) = %v, %v, %q", ok, err, sub)
	}
	if got.Expiry().IsZero() {
		t.Error("Expiry is zero, want the answer's exp")
	}
}

func TestIntrospectRefusals(t *testing.T) {
	f := newIntroFixture(t, devissuer.Options{}, nil)
	ctx := context.Background()
	revoked := f.opaque(t, nil)
	f.srv.Issuer.Revoke(revoked)
	for _, c := range []struct {
		name  string
		token string
		aud   []string
		want  error
	}{
		{"revoked", revoked, nil, verifier.ErrTokenInactive},
		{"unknown", "unknown-opaque-token", nil, verifier.ErrTokenInactive},
		{"expired", f.opaque(t, map[string]any{"exp": f.clock.Now().Add(-time.Minute)}), nil, verifier.ErrTokenInactive},
		{"wrong audience", f.opaque(t, map[string]any{"aud": "api://other"}), nil, verifier.ErrWrongAudience},
		{"call's audience", f.opaque(t, nil), []string{"api://other"}, verifier.ErrWrongAudience},
		{"not a b64token", "opaque token with spaces", nil, verifier.ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := f.srv.Issuer.Introspections()
			_, err := f.v.VerifyAccessToken(ctx, c.token, c.aud...)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want == verifier.ErrMalformed && f.srv.Issuer.Introspections() != before {
				t.Error("a malformed token was sent to the issuer")
			}
		})
	}
}

// fixedEndpoint serves body with contentType and status at an
// introspection endpoint, and returns a verifier of issuer "https://as.example"
// that introspects there.
func fixedEndpoint(t *testing.T, status int, contentType, body string, edit func(*verifier.Config)) (*verifier.Verifier, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if id, secret, ok := r.BasicAuth(); !ok || id != "rs" || secret != "s%3Ae" || r.PostFormValue("token_type_hint") != "access_token" {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	clock := newIntroClock()
	cfg := verifier.Config{Issuer: "https://as.example", Audiences: []string{"api://default"}, InsecureAllowHTTP: true, Now: clock.Now, Logger: slog.New(slog.DiscardHandler),
		Introspection: &verifier.Introspection{URL: srv.URL, ClientID: "rs", ClientSecret: "s:e"}}
	if edit != nil {
		edit(&cfg)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v, &calls
}

func TestIntrospectResponses(t *testing.T) {
	exp := time.Date(2030, 1, 2, 4, 0, 0, 0, time.UTC).Unix()
	past := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC).Unix()
	const aud = `"aud":"api://default"`
	json := "application/json; charset=utf-8"
	for _, c := range []struct {
		name        string
		status      int
		contentType string
		body        string
		edit        func(*verifier.Config)
		want        error // nil: accepted
	}{
		{"active", 200, json, fmt.Sprintf(`{"active":true,%s,"exp":%d,"scope":"a b"}`, aud, exp), nil, nil},
		{"active without exp", 200, json, `{"active":true,` + aud + `}`, nil, nil},
		{"inactive", 200, json, `{"active":false}`, nil, verifier.ErrTokenInactive},
		{"active as a string", 200, json, `{"active":"true",` + aud + `}`, nil, verifier.ErrTokenInactive},
		{"active absent", 200, json, `{` + aud + `}`, nil, verifier.ErrTokenInactive},
		{"wrong issuer", 200, json, `{"active":true,"iss":"https://other.example",` + aud + `}`, nil, verifier.ErrWrongIssuer},
		{"wrong audience", 200, json, `{"active":true,"aud":"api://other"}`, nil, verifier.ErrWrongAudience},
		{"expired", 200, json, fmt.Sprintf(`{"active":true,%s,"exp":%d}`, aud, past), nil, verifier.ErrExpired},
		{"not yet valid", 200, json, fmt.Sprintf(`{"active":true,%s,"nbf":%d}`, aud, exp), nil, verifier.ErrNotYetValid},
		{"wrong client", 200, json, `{"active":true,"client_id":"other",` + aud + `}`, func(c *verifier.Config) { c.ClientID = "mine" }, verifier.ErrWrongClientID},
		{"assertion", 200, json, `{"active":true,"groups":["b"],` + aud + `}`, func(c *verifier.Config) { c.AssertClaims = map[string]any{"groups.includes": "a"} }, verifier.ErrClaimMismatch},
		{"refresh token", 200, json, `{"active":true,"token_use":"refresh_token",` + aud + `}`, nil, verifier.ErrInvalidClaim},
		{"bad scope", 200, json, `{"active":true,"scope":"a\u00a0b",` + aud + `}`, nil, verifier.ErrInvalidClaim},
		{"malformed", 200, json, `{"active":true,`, nil, verifier.ErrKeysUnavailable},
		{"duplicate member", 200, json, `{"active":false,"active":true,` + aud + `}`, nil, verifier.ErrKeysUnavailable},
		{"case variant", 200, json, `{"active":true,"Active":false,` + aud + `}`, nil, verifier.ErrKeysUnavailable},
		{"not an object", 200, json, `[true]`, nil, verifier.ErrKeysUnavailable},
		{"wrong content type", 200, "text/html", `{"active":true}`, nil, verifier.ErrKeysUnavailable},
		{"server error", 500, json, `{}`, nil, verifier.ErrKeysUnavailable},
		{"redirect", 307, json, `{}`, nil, verifier.ErrKeysUnavailable},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, _ := fixedEndpoint(t, c.status, c.contentType, c.body, c.edit)
			tok, err := v.VerifyAccessToken(context.Background(), "opaque-token_1")
			if !errors.Is(err, c.want) || (err == nil) != (tok != nil) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if err != nil && (contains(err.Error(), "opaque-token_1")) {
				t.Errorf("the error holds the token: %v", err)
			}
		})
	}
}

func contains(s, sub string) bool { return len(sub) > 0 && len(s) >= len(sub) && indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestIntrospectJWTResponse(t *testing.T) {
	f := newIntroFixture(t, devissuer.Options{IntrospectionJWT: true}, nil)
	tok := f.opaque(t, map[string]any{"sub": "bob"})
	got, err := f.v.VerifyAccessToken(context.Background(), tok)
	if err != nil || got.Subject() != "bob" {
		t.Fatalf("JWT answer: %v", err)
	}
	// A JWT answer signed by another issuer's key, and one of the right key
	// but the wrong typ, are refused.
	other := devissuertest.Start(t, devissuer.Options{})
	claims := map[string]any{"iss": "https://as.example", "aud": "rs", "iat": time.Now().Unix(),
		"token_introspection": map[string]any{"active": true, "aud": "api://default"}}
	forged, err := other.Issuer.Sign(map[string]any{"typ": "token-introspection+jwt"}, claims)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := fixedEndpoint(t, 200, "application/token-introspection+jwt", forged, func(c *verifier.Config) {
		c.JWKSURL = f.srv.URL + "/v1/keys"
		c.Now = nil
	})
	if _, err := v.VerifyAccessToken(context.Background(), "opaque"); !errors.Is(err, verifier.ErrKeysUnavailable) {
		t.Errorf("forged JWT answer: err = %v, want ErrKeysUnavailable", err)
	}
	wrongTyp, _ := f.srv.Issuer.Sign(nil, claims)
	v, _ = fixedEndpoint(t, 200, "application/token-introspection+jwt", wrongTyp, func(c *verifier.Config) {
		c.JWKSURL = f.srv.URL + "/v1/keys"
		c.Now = nil
	})
	if _, err := v.VerifyAccessToken(context.Background(), "opaque"); !errors.Is(err, verifier.ErrKeysUnavailable) {
		t.Errorf("JWT answer of typ at+jwt: err = %v, want ErrKeysUnavailable", err)
	}
	good, _ := f.srv.Issuer.Sign(map[string]any{"typ": "token-introspection+jwt"}, claims)
	v, _ = fixedEndpoint(t, 200, "application/token-introspection+jwt", good, func(c *verifier.Config) {
		c.JWKSURL = f.srv.URL + "/v1/keys"
		c.Now = nil
	})
	if _, err := v.VerifyAccessToken(context.Background(), "opaque"); err != nil {
		t.Errorf("JWT answer signed by the issuer's key: %v", err)
	}
}

func TestIntrospectionCallsShared(t *testing.T) {
	f := newIntroFixture(t, devissuer.Options{}, nil)
	ctx := context.Background()
	tok := f.opaque(t, nil)
	for range 1000 {
		if _, err := f.v.VerifyAccessToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.srv.Issuer.Introspections(); n != 1 {
		t.Errorf("1,000 verifications made %d introspection calls, want 1", n)
	}
	tok2 := f.opaque(t, nil)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			if _, err := f.v.VerifyAccessToken(ctx, tok2); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := f.srv.Issuer.Introspections(); n != 2 {
		t.Errorf("100 concurrent first verifications made %d calls, want 1", n-1)
	}
}

func TestIntrospectionTTL(t *testing.T) {
	for _, c := range []struct {
		name     string
		exp      time.Duration // token lifetime
		revoke   bool
		kept     time.Duration // still answered from the cache just before
		wantKept time.Duration
	}{
		{"CacheTTL before exp", time.Hour, false, 0, 5 * time.Minute},
		{"exp before CacheTTL", 2 * time.Minute, false, 0, 2 * time.Minute},
		{"inactive: InactiveTTL", time.Hour, true, 0, 10 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newIntroFixture(t, devissuer.Options{}, nil)
			ctx := context.Background()
			tok := f.opaque(t, map[string]any{"exp": f.clock.Now().Add(c.exp)})
			if c.revoke {
				f.srv.Issuer.Revoke(tok)
			}
			f.v.VerifyAccessToken(ctx, tok)
			f.clock.Advance(c.wantKept - time.Second)
			f.v.VerifyAccessToken(ctx, tok)
			if n := f.srv.Issuer.Introspections(); n != 1 {
				t.Errorf("%s after the first call: %d calls, want 1 (cached)", c.wantKept-time.Second, n)
			}
			f.clock.Advance(2 * time.Second)
			f.v.VerifyAccessToken(ctx, tok)
			if n := f.srv.Issuer.Introspections(); n != 2 {
				t.Errorf("%s after the first call: %d calls, want 2 (expired from the cache)", c.wantKept+time.Second, n)
			}
		})
	}
}

func TestIntrospectionIssuerDown(t *testing.T) {
	f := newIntroFixture(t, devissuer.Options{}, nil)
	tok := f.opaque(t, nil)
	v, err := verifier.New(verifier.Config{Issuer: f.srv.URL, Audiences: []string{"api://default"}, InsecureAllowHTTP: true, Logger: slog.New(slog.DiscardHandler),
		FetchTimeout:  200 * time.Millisecond,
		Introspection: &verifier.Introspection{URL: "http://127.0.0.1:1/introspect", ClientID: "a", ClientSecret: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyAccessToken(context.Background(), tok); !errors.Is(err, verifier.ErrKeysUnavailable) || !contains(err.Error(), "127.0.0.1:1/introspect") {
		t.Errorf("issuer down: err = %v, want ErrKeysUnavailable naming the endpoint", err)
	}
	// Wrong client credentials: the endpoint refuses; 503, not 401.
	bad := devissuertest.VerifierConfig(f.srv)
	bad.Introspection = &verifier.Introspection{ClientID: devissuer.DefaultClientID, ClientSecret: "wrong"}
	v, _ = verifier.New(bad)
	if _, err := v.VerifyAccessToken(context.Background(), tok); !errors.Is(err, verifier.ErrKeysUnavailable) {
		t.Errorf("wrong client secret: err = %v, want ErrKeysUnavailable", err)
	}
}

func TestForget(t *testing.T) {
	f := newIntroFixture(t, devissuer.Options{TokenLifetime: 2 * time.Hour}, nil)
	ctx := context.Background()
	jwt, err := f.srv.Issuer.MintAccessToken(nil)
	if err != nil {
		t.Fatal(err)
	}
	opaque := f.opaque(t, nil)
	for _, tok := range []string{jwt, opaque} {
		if _, err := f.v.VerifyAccessToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		f.v.Forget(verifier.Digest(tok), f.clock.Now().Add(time.Hour))
	}
	calls := f.srv.Issuer.Introspections()
	for _, tok := range []string{jwt, opaque} {
		if _, err := f.v.VerifyAccessToken(ctx, tok); !errors.Is(err, verifier.ErrTokenRevoked) {
			t.Errorf("forgotten token: err = %v, want ErrTokenRevoked", err)
		}
	}
	if _, err := f.v.IntrospectAccessToken(ctx, jwt); !errors.Is(err, verifier.ErrTokenRevoked) {
		t.Errorf("forgotten JWT introspected: err = %v, want ErrTokenRevoked", err)
	}
	if n := f.srv.Issuer.Introspections(); n != calls {
		t.Errorf("a forgotten token was sent to the issuer (%d calls, want %d)", n, calls)
	}
	f.clock.Advance(time.Hour)
	for _, tok := range []string{jwt, opaque} {
		if _, err := f.v.VerifyAccessToken(ctx, tok); err != nil {
			t.Errorf("after until: %v", err)
		}
	}
}

func TestInactiveIsForgotten(t *testing.T) {
	var told atomic.Int64
	f := newIntroFixture(t, devissuer.Options{}, func(c *verifier.Config) {
		c.Introspection.OnInactive = func([32]byte, time.Time) { told.Add(1) }
	})
	ctx := context.Background()
	jwt, _ := f.srv.Issuer.MintAccessToken(nil)
	if _, err := f.v.VerifyAccessToken(ctx, jwt); err != nil {
		t.Fatal(err)
	}
	f.srv.Issuer.Revoke(jwt)
	if _, err := f.v.IntrospectAccessToken(ctx, jwt); !errors.Is(err, verifier.ErrTokenInactive) {
		t.Fatalf("revoked JWT introspected: %v", err)
	}
	if told.Load() != 1 {
		t.Errorf("OnInactive called %d times, want 1", told.Load())
	}
	if _, err := f.v.VerifyAccessToken(ctx, jwt); !errors.Is(err, verifier.ErrTokenRevoked) {
		t.Errorf("a JWT found inactive, verified locally: err = %v, want ErrTokenRevoked", err)
	}
	// Past the inactive answer's TTL it is still refused: until its exp.
	f.clock.Advance(time.Minute)
	if _, err := f.v.VerifyAccessToken(ctx, jwt); !errors.Is(err, verifier.ErrTokenRevoked) {
		t.Errorf("a JWT found inactive, a minute later: err = %v, want ErrTokenRevoked", err)
	}
}

func TestIntrospectionConfig(t *testing.T) {
	base := func(in *verifier.Introspection) verifier.Config {
		return verifier.Config{Issuer: "https://as.example", Audiences: []string{"api://default"}, Introspection: in}
	}
	for _, c := range []struct {
		name  string
		in    verifier.Introspection
		field string
	}{
		{"no client id", verifier.Introspection{ClientSecret: "s"}, "Introspection.ClientID"},
		{"no secret", verifier.Introspection{ClientID: "c"}, "Introspection.ClientSecret"},
		{"placeholder", verifier.Introspection{ClientID: "{clientId}", ClientSecret: "s"}, "Introspection.ClientID"},
		{"http", verifier.Introspection{URL: "http://as.example/introspect", ClientID: "c", ClientSecret: "s"}, "Introspection.URL"},
		{"negative TTL", verifier.Introspection{ClientID: "c", ClientSecret: "s", CacheTTL: -1}, "Introspection.CacheTTL"},
		{"inactive longer", verifier.Introspection{ClientID: "c", ClientSecret: "s", CacheTTL: time.Second, InactiveTTL: time.Minute}, "Introspection.InactiveTTL"},
		{"negative entries", verifier.Introspection{ClientID: "c", ClientSecret: "s", MaxEntries: -1}, "Introspection.MaxEntries"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			err := base(&in).Validate()
			var ce *verifier.ConfigError
			if !errors.As(err, &ce) || ce.Field != c.field || ce.Fix == "" {
				t.Fatalf("err = %v, want a ConfigError on %s", err, c.field)
			}
		})
	}
	if err := base(&verifier.Introspection{ClientID: "c", ClientSecret: "s"}).Validate(); err != nil {
		t.Errorf("valid: %v", err)
	}
}

func TestSetIntrospection(t *testing.T) {
	f := newIntroFixture(t, devissuer.Options{}, nil)
	other := devissuertest.Start(t, devissuer.Options{})
	in := devissuertest.VerifierConfig(f.srv)
	in.Now, in.Introspection = f.clock.Now, devissuertest.Introspection(f.srv)
	jwtOnly := devissuertest.VerifierConfig(other)
	twice := devissuertest.VerifierConfig(other)
	twice.Introspection = devissuertest.Introspection(other)
	_, err := verifier.NewSet(in, twice)
	var ce *verifier.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Introspection" || ce.Position != 2 {
		t.Fatalf("two introspecting issuers: err = %v", err)
	}
	set, err := verifier.NewSet(jwtOnly, in)
	if err != nil {
		t.Fatal(err)
	}
	if set.IntrospectionIssuer() != f.srv.URL {
		t.Errorf("IntrospectionIssuer = %q", set.IntrospectionIssuer())
	}
	ctx := context.Background()
	if _, err := set.VerifyAccessToken(ctx, f.opaque(t, nil)); err != nil {
		t.Errorf("opaque token: %v", err)
	}
	own, _ := f.srv.Issuer.MintAccessToken(nil)
	if _, err := set.IntrospectAccessToken(ctx, own); err != nil {
		t.Errorf("JWT of the introspecting issuer: %v", err)
	}
	foreign, _ := other.Issuer.MintAccessToken(nil)
	calls := f.srv.Issuer.Introspections()
	if _, err := set.IntrospectAccessToken(ctx, foreign); !errors.Is(err, verifier.ErrWrongIssuer) || f.srv.Issuer.Introspections() != calls {
		t.Errorf("JWT of another issuer: err = %v, calls %d → %d", err, calls, f.srv.Issuer.Introspections())
	}
	set.Forget(verifier.Digest(foreign), time.Now().Add(time.Hour))
	if _, err := set.VerifyAccessToken(ctx, foreign); !errors.Is(err, verifier.ErrTokenRevoked) {
		t.Errorf("forgotten JWT in a Set: %v", err)
	}
}

// BenchmarkIntrospectionCached verifies one opaque token again and again:
// every call after the first is answered from the introspection cache.
// Compare with BenchmarkCached (a JWT).
func BenchmarkIntrospectionCached(b *testing.B) {
	f := newIntroFixture(b, devissuer.Options{TokenLifetime: 24 * time.Hour}, nil)
	ctx := context.Background()
	tok := f.opaque(b, nil)
	if _, err := f.v.VerifyAccessToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.Run("opaque", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.v.VerifyAccessToken(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("opaque-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.v.VerifyAccessToken(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkIntrospectionUncached verifies a new opaque token each time:
// one introspection call to the dev issuer on loopback per verification.
func BenchmarkIntrospectionUncached(b *testing.B) {
	f := newIntroFixture(b, devissuer.Options{TokenLifetime: 24 * time.Hour}, nil)
	ctx := context.Background()
	tokens := make([]string, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if len(tokens) == 0 {
			b.StopTimer()
			for range cap(tokens) {
				tokens = append(tokens, f.opaque(b, nil))
			}
			b.StartTimer()
		}
		tok := tokens[len(tokens)-1]
		tokens = tokens[:len(tokens)-1]
		if _, err := f.v.VerifyAccessToken(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
