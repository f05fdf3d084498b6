package bench

// The verifier beside the floor and its peers, on the same token and key, in
// one run. Every contender is configured as strictly as it allows and is fed
// by the same JWKS: a devissuer served by httptest on 127.0.0.1.
//
// Names are Benchmark<Group>/<alg or case>/<variant>. cmd/ratios takes the
// variant "floor" as its group's baseline and compares every variant whose
// name starts with "ours" with every other one. Nothing here asserts a
// timing: the figures come from scripts/bench-go.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/internal/floor"
	"github.com/resource-server/resource-server/verifier"
)

const (
	audience = devissuer.DefaultAudience
	leeway   = 30 * time.Second // verifier.DefaultLeeway, given to every peer that takes one
)

var algorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture is the issuer shared by every benchmark of the binary.
type fixture struct {
	srv     *httptest.Server
	iss     *devissuer.Issuer
	issuer  string // the issuer URL
	jwksURL string
	kids    map[string]string // alg → kid
	tokens  map[string]string // alg → a valid access token
}

var (
	fixtureOnce sync.Once
	shared      *fixture
	fixtureErr  error
)

func getFixture(b *testing.B) *fixture {
	b.Helper()
	fixtureOnce.Do(func() { shared, fixtureErr = newFixture() })
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return shared
}

func newFixture() (*fixture, error) {
	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1
	issuer := "http://" + srv.Listener.Addr().String() + devissuer.DefaultIssuerPath
	iss, err := devissuer.New(devissuer.Options{Issuer: issuer, Logger: quiet, TokenLifetime: 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	f := &fixture{srv: srv, iss: iss, issuer: issuer, jwksURL: issuer + "/v1/keys",
		kids: map[string]string{}, tokens: map[string]string{}}
	for _, alg := range algorithms {
		kid := iss.CurrentKeyID()
		if alg != devissuer.DefaultAlgorithm {
			if kid, err = iss.AddKey(alg); err != nil {
				return nil, err
			}
		}
		f.kids[alg] = kid
		if f.tokens[alg], err = iss.SignWith(kid, nil, iss.AccessTokenClaims()); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// verify is one contender's verification of one token.
type verify func(ctx context.Context, token string) error

// contender builds a verify function for alg.
type contender struct {
	name  string
	build func(b *testing.B, f *fixture, alg string) verify
}

var contenders = []contender{
	{"floor", buildFloor},
	{"ours-nocache", buildOurs(disableCache)},
	{"ours-cached", buildOurs(nil)},
	{"go-oidc", buildGoOIDC},
	{"golang-jwt", buildGolangJWT},
	{"go-jose", buildGoJose},
}

// BenchmarkVerify verifies a valid access token, per algorithm, with every
// contender. Only "ours-cached" remembers verified tokens; for every other
// contender each call is a first verification.
func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	ctx := context.Background()
	for _, alg := range algorithms {
		tok := f.tokens[alg]
		for _, c := range contenders {
			b.Run(alg+"/"+c.name, func(b *testing.B) {
				v := c.build(b, f, alg)
				if err := v(ctx, tok); err != nil {
					b.Fatalf("%s refuses a valid token: %v", c.name, err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := v(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRefuse measures refusals: garbage, a 1 MiB token, and a forged
// signature (ours both with the cache on, as by default, and off), which costs a signature check by nature (and, for go-oidc, a
// JWKS fetch: it refetches the keys on every failed verification; the
// jwks-fetches/op metric counts them).
func BenchmarkRefuse(b *testing.B) {
	f := getFixture(b)
	ctx := context.Background()
	valid := f.tokens["RS256"]
	cases := []struct{ name, token string }{
		{"garbage", "Zm9vYmFyYmF6" + strings.Repeat("x", 700)},
		{"1MiB", hugeToken(valid, 1<<20)},
		{"forged-signature", forge(valid)},
	}
	// Ours as configured by default (cache on: the cache is looked up before
	// anything else, so its cost is part of every refusal) comes first, then
	// with the cache off, then the peers.
	var refusers []contender
	for _, name := range []string{"ours-cached", "ours-nocache", "go-oidc", "golang-jwt", "go-jose"} {
		for _, c := range contenders {
			if c.name == name {
				refusers = append(refusers, c)
			}
		}
	}
	for _, tc := range cases {
		for _, c := range refusers {
			b.Run(tc.name+"/"+c.name, func(b *testing.B) {
				v := c.build(b, f, "RS256")
				if err := v(ctx, tc.token); err == nil {
					b.Fatalf("%s accepts the %s token", c.name, tc.name)
				}
				before := f.iss.Requests("/v1/keys")
				b.ReportAllocs()
				for b.Loop() {
					if err := v(ctx, tc.token); err == nil {
						b.Fatal("accepted")
					}
				}
				b.ReportMetric(float64(f.iss.Requests("/v1/keys")-before)/float64(b.N), "jwks-fetches/op")
			})
		}
	}
}

func hugeToken(tok string, size int) string {
	parts := strings.Split(tok, ".")
	filler := strings.Repeat("A", (size-len(tok))/4*4)
	return parts[0] + "." + parts[1] + filler + "." + parts[2]
}

func forge(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// ours is the library, configured as the program configures it.
func buildOurs(edit func(*verifier.Config)) func(b *testing.B, f *fixture, alg string) verify {
	return func(b *testing.B, f *fixture, alg string) verify {
		cfg := verifier.Config{
			Issuer:            f.issuer,
			Audiences:         []string{audience},
			Algorithms:        []string{alg},
			InsecureAllowHTTP: true,
			Logger:            quiet,
		}
		if edit != nil {
			edit(&cfg)
		}
		v, err := verifier.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
		return func(ctx context.Context, token string) error {
			_, err := v.VerifyAccessToken(ctx, token)
			return err
		}
	}
}

// peerClaims are the claims every peer decodes besides the registered ones,
// as our Token does: the client and the scopes.
type peerClaims struct {
	ClientID string   `json:"cid"`
	Scopes   []string `json:"scp"`
}

// go-oidc: discovery, its remote key set, the expected audience as ClientID
// (an access token's aud is the API), one algorithm. It offers nothing
// stricter; it has no leeway on exp.
func buildGoOIDC(b *testing.B, f *fixture, alg string) verify {
	ctx := oidc.ClientContext(context.Background(), http.DefaultClient)
	p, err := oidc.NewProvider(ctx, f.issuer)
	if err != nil {
		b.Fatal(err)
	}
	v := p.Verifier(&oidc.Config{ClientID: audience, SupportedSigningAlgs: []string{alg}})
	return func(ctx context.Context, token string) error {
		t, err := v.Verify(ctx, token)
		if err != nil {
			return err
		}
		var c peerClaims
		return t.Claims(&c)
	}
}

// golang-jwt v5 with keyfunc v3 fetching the JWKS: every option that makes
// it stricter.
func buildGolangJWT(b *testing.B, f *fixture, alg string) verify {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel) // stops keyfunc's background refresh
	kf, err := keyfunc.NewDefaultCtx(ctx, []string{f.jwksURL})
	if err != nil {
		b.Fatal(err)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{alg}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(f.issuer),
		jwt.WithAudience(audience),
		jwt.WithStrictDecoding(),
		jwt.WithLeeway(leeway),
	)
	type claims struct {
		jwt.RegisteredClaims
		peerClaims
	}
	return func(ctx context.Context, token string) error {
		t, err := parser.ParseWithClaims(token, &claims{}, kf.Keyfunc)
		if err != nil {
			return err
		}
		if !t.Valid {
			return errors.New("golang-jwt: not valid")
		}
		return nil
	}
}

// go-jose v4 used directly: the JWKS fetched once, the compact serialization
// only, one algorithm, the key chosen by kid, then its jwt package's claim
// validation, with exp required by hand (go-jose does not require it).
func buildGoJose(b *testing.B, f *fixture, alg string) verify {
	resp, err := http.Get(f.jwksURL)
	if err != nil {
		b.Fatal(err)
	}
	var set jose.JSONWebKeySet
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	algs := []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)}
	return func(ctx context.Context, token string) error {
		jws, err := jose.ParseSignedCompact(token, algs)
		if err != nil {
			return err
		}
		keys := set.Key(jws.Signatures[0].Header.KeyID)
		if len(keys) != 1 {
			return fmt.Errorf("go-jose: %d keys for kid %q", len(keys), jws.Signatures[0].Header.KeyID)
		}
		payload, err := jws.Verify(keys[0])
		if err != nil {
			return err
		}
		var c struct {
			josejwt.Claims
			peerClaims
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			return err
		}
		if c.Expiry == nil {
			return errors.New("go-jose: no exp")
		}
		return c.ValidateWithLeeway(josejwt.Expected{Issuer: f.issuer, AnyAudience: josejwt.Audience{audience}, Time: time.Now()}, leeway)
	}
}

// The floor: what no verifier can skip for a first-seen token. Split, strict
// base64url of the three segments, header and claims into small structs,
// issuer and expiry compared, the standard library's signature check. It
// refuses nothing else, so it is not a verifier.
func buildFloor(b *testing.B, f *fixture, alg string) verify {
	pub := f.iss.PublicKey(f.kids[alg])
	if pub == nil {
		b.Fatal("no public key")
	}
	return func(ctx context.Context, token string) error { return floor.Verify(token, alg, pub, f.issuer) }
}
