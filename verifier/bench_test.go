package verifier_test

// Benchmarks of the verification hot path, each beside its floor: the work no
// verifier can skip (strict base64url of the three segments, the header and
// claims decoded into small structs, the signature check of the standard
// library). scripts/bench-go runs them and prints the ratios; the figures
// are never asserted, the machine is shared.
//
// Names are Benchmark<Group>/<variant>: the variant "floor" is the baseline
// of its group, variants starting with "ours" are this package.

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/floor"
	"github.com/resource-server/resource-server/verifier"
)

// benchAlgorithms are the algorithms devissuer can sign with.
var benchAlgorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}

// benchFixture is one issuer with a key per algorithm, and a token signed
// with each.
type benchFixture struct {
	srv    *devissuer.Server
	kids   map[string]string // alg → kid
	tokens map[string]string // alg → a valid access token
}

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	srv := devissuertest.Start(b, devissuer.Options{TokenLifetime: 24 * time.Hour})
	f := &benchFixture{srv: srv, kids: map[string]string{}, tokens: map[string]string{}}
	for _, alg := range benchAlgorithms {
		kid := srv.Issuer.CurrentKeyID()
		if alg != devissuer.DefaultAlgorithm {
			var err error
			if kid, err = srv.Issuer.AddKey(alg); err != nil {
				b.Fatal(err)
			}
		}
		f.kids[alg] = kid
		f.tokens[alg] = f.mint(b, alg)
	}
	return f
}

// mint returns a new valid access token signed with the key of alg.
func (f *benchFixture) mint(b *testing.B, alg string) string {
	b.Helper()
	tok, err := f.srv.Issuer.SignWith(f.kids[alg], nil, f.srv.Issuer.AccessTokenClaims())
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// verifier returns a verifier for alg holding the issuer's keys, configured
// as the program configures one. edit, when not nil, changes the Config.
func (f *benchFixture) verifier(b *testing.B, alg string, edit func(*verifier.Config)) *verifier.Verifier {
	b.Helper()
	cfg := devissuertest.VerifierConfig(f.srv)
	cfg.Algorithms = []string{alg}
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
	return v
}

// noVerifiedCache configures a verifier whose every verification is a first
// verification: the verified-token cache is off.
func noVerifiedCache(c *verifier.Config) { c.DisableCache = true }

// BenchmarkFirstSeen verifies a token the verifier has not seen before (no
// verified-token cache answers), per algorithm, beside the floor.
func BenchmarkFirstSeen(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	for _, alg := range benchAlgorithms {
		tok := f.tokens[alg]
		pub := f.srv.Issuer.PublicKey(f.kids[alg])
		b.Run(alg+"/floor", func(b *testing.B) {
			if pub == nil {
				b.Fatal("no public key")
			}
			if err := floor.Verify(tok, alg, pub, f.srv.URL); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ReportMetric(float64(len(tok)), "token-bytes")
			for b.Loop() {
				if err := floor.Verify(tok, alg, pub, f.srv.URL); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/ours", func(b *testing.B) {
			v := f.verifier(b, alg, noVerifiedCache)
			if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ReportMetric(float64(len(tok)), "token-bytes")
			for b.Loop() {
				if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCached verifies the same token again and again with the verifier
// as configured by default: once the verified-token cache exists, every call
// after the first is answered from it.
func BenchmarkCached(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	tok := f.tokens["RS256"]
	v := f.verifier(b, "RS256", nil)
	if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.Run("RS256/ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Every goroutine presents the same token: what a lock on the hot path
	// would show. ns/op is wall time per verification over all cores.
	b.Run("RS256/ours-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkCacheFill verifies tokens never seen before with the cache on, as
// a server meets new tokens: ns/op is a first verification plus the cache
// insert. It also reports the heap each cached token keeps,
// retained-B/token, measured after a GC with cacheFillTokens tokens cached;
// each token is a fresh copy, as a request's is, so that a cache holding
// the token text would show it.
func BenchmarkCacheFill(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	tokens := f.mintMany(b, "RS256", cacheFillTokens)
	b.Run("RS256/ours", func(b *testing.B) {
		var v *verifier.Verifier
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%len(tokens) == 0 {
				b.StopTimer()
				v = f.verifier(b, "RS256", nil) // an empty cache
				b.StartTimer()
			}
			if _, err := v.VerifyAccessToken(ctx, strings.Clone(tokens[i%len(tokens)])); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.StopTimer()
		b.ReportMetric(retainedPerToken(b, f.verifier(b, "RS256", nil), tokens), "retained-B/token")
	})
}

// cacheFillTokens is how many distinct tokens BenchmarkCacheFill mints
// (RSA signing, about a millisecond each).
const cacheFillTokens = 2000

// retainedPerToken verifies every token once with v and returns the heap
// the verifier keeps per token, its own copy of each token included.
func retainedPerToken(b *testing.B, v *verifier.Verifier, tokens []string) float64 {
	ctx := context.Background()
	copies := make([]string, len(tokens))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i, t := range tokens {
		copies[i] = strings.Clone(t)
	}
	for i := range copies {
		if _, err := v.VerifyAccessToken(ctx, copies[i]); err != nil {
			b.Fatal(err)
		}
	}
	clear(copies) // only the verifier holds them now
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(len(tokens))
}

// mintMany mints n distinct tokens for alg on every core.
func (f *benchFixture) mintMany(b *testing.B, alg string, n int) []string {
	b.Helper()
	out := make([]string, n)
	var wg sync.WaitGroup
	var failed atomic.Bool
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				tok, err := f.srv.Issuer.SignWith(f.kids[alg], nil, f.srv.Issuer.AccessTokenClaims())
				if err != nil {
					failed.Store(true)
					return
				}
				out[i] = tok
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		b.Fatal("minting failed")
	}
	return out
}

// BenchmarkRefuse measures the refusal of tokens that must cost less than a
// valid one: garbage, and a 1 MiB token (over the size limit). A forged
// signature, which costs a full signature check by nature, is measured for
// comparison.
func BenchmarkRefuse(b *testing.B) {
	f := newBenchFixture(b)
	ctx := context.Background()
	v := f.verifier(b, "RS256", nil)
	valid := f.tokens["RS256"]
	huge := hugeToken(valid, 1<<20)
	cases := []struct {
		name, token string
		want        error
	}{
		{"garbage", "Zm9vYmFyYmF6" + strings.Repeat("x", 700), verifier.ErrMalformed},
		{"three-garbage-segments", "eyJhbGciOi.Jub25lIn0.garbage", verifier.ErrMalformed},
		{"1MiB", huge, verifier.ErrMalformed},
		{"forged-signature", forge(valid), verifier.ErrInvalidSignature},
	}
	for _, c := range cases {
		b.Run(c.name+"/ours", func(b *testing.B) {
			if _, err := v.VerifyAccessToken(ctx, c.token); !errors.Is(err, c.want) {
				b.Fatalf("got %v, want %v", err, c.want)
			}
			b.ReportAllocs()
			b.ReportMetric(float64(len(c.token)), "token-bytes")
			for b.Loop() {
				_, _ = v.VerifyAccessToken(ctx, c.token)
			}
		})
	}
}

// hugeToken pads the payload of tok with a long claim until the token is
// size bytes: well-formed but over any sane limit.
func hugeToken(tok string, size int) string {
	parts := strings.Split(tok, ".")
	pad := size - len(tok)
	filler := strings.Repeat("A", pad/4*4)
	return parts[0] + "." + parts[1] + filler + "." + parts[2]
}

// forge changes one byte in the middle of the signature: well-formed, but
// the signature does not verify.
func forge(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
