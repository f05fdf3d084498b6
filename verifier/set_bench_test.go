package verifier_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// setIssuers is how many issuers BenchmarkSet configures.
const setIssuers = 10

// BenchmarkSet verifies RS256 tokens of the first and of the last of ten
// issuers of a Set, first seen (cache off) and cached, beside a lone
// Verifier of the same issuer: what choosing the issuer by "iss" costs.
// The ten issuers share srv's keys (each has its own key set, fetched from
// the same URL) and differ by their path.
func BenchmarkSet(b *testing.B) {
	srv := devissuertest.Start(b, devissuer.Options{TokenLifetime: 24 * time.Hour})
	issuer := func(i int) string { return fmt.Sprintf("%s/issuer-%d", origin(srv), i) }
	configs := func(disableCache bool) []verifier.Config {
		out := make([]verifier.Config, setIssuers)
		for i := range out {
			out[i] = devissuertest.VerifierConfig(srv)
			out[i].Issuer, out[i].JWKSURL, out[i].DisableCache = issuer(i), srv.URL+"/v1/keys", disableCache
		}
		return out
	}
	tokens := []string{
		mintB(b, srv, map[string]any{"iss": issuer(0)}),
		mintB(b, srv, map[string]any{"iss": issuer(setIssuers - 1)}),
	}
	ctx := context.Background()
	for _, mode := range []struct {
		name         string
		disableCache bool
	}{{"FirstSeen", true}, {"Cached", false}} {
		single, err := verifier.New(configs(mode.disableCache)[0])
		if err != nil {
			b.Fatal(err)
		}
		set, err := verifier.NewSet(configs(mode.disableCache)...)
		if err != nil {
			b.Fatal(err)
		}
		if err := set.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
		rows := []struct {
			name  string
			v     accessVerifier
			token string
		}{{"single", single, tokens[0]}, {"issuer-1-of-10", set, tokens[0]}, {"issuer-10-of-10", set, tokens[1]}}
		for _, r := range rows {
			b.Run(mode.name+"/"+r.name, func(b *testing.B) {
				if _, err := r.v.VerifyAccessToken(ctx, r.token); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.v.VerifyAccessToken(ctx, r.token); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func mintB(b *testing.B, srv *devissuer.Server, overrides map[string]any) string {
	b.Helper()
	tok, err := srv.Issuer.MintAccessToken(overrides)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// setTenants is how many distinct tenants BenchmarkSetTenants presents.
const setTenants = 10_000

// BenchmarkSetTenants verifies one token of each of 10,000 tenants with a
// template issuer under AnyTenant (EdDSA, cache off, so that only the
// tenant state grows), and reports the heap the Set keeps afterwards
// (retained-B, measured after a GC) and the tenants it holds: bounded by
// MaxTenants, DefaultMaxTenants (1000) and, for comparison, all 10,000.
// One run is enough: -benchtime 1x.
func BenchmarkSetTenants(b *testing.B) {
	srv := devissuertest.Start(b, devissuer.Options{Algorithm: "EdDSA", TokenLifetime: 24 * time.Hour})
	tokens := make([]string, setTenants)
	for i := range tokens {
		tokens[i] = tenantToken(b, srv, fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), nil)
	}
	for _, maxTenants := range []int{0, setTenants} {
		b.Run(fmt.Sprintf("MaxTenants=%d", maxTenants), func(b *testing.B) {
			var held int
			var retained float64
			for b.Loop() {
				held, retained = tenantsRetained(b, srv, maxTenants, tokens)
			}
			if limit := max(maxTenants, verifier.DefaultMaxTenants); held > limit {
				b.Errorf("%d tenants held, more than the bound %d", held, limit)
			}
			b.ReportMetric(float64(held), "tenants-held")
			b.ReportMetric(retained, "retained-B")
			b.ReportMetric(retained/float64(held), "retained-B/tenant-held")
		})
	}
}

// tenantsRetained verifies tokens with a new Set of a template issuer and
// returns the tenants it holds and the heap it keeps, its keys included.
func tenantsRetained(b *testing.B, srv *devissuer.Server, maxTenants int, tokens []string) (int, float64) {
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := verifier.NewSet(templateConfig(srv, func(c *verifier.Config) {
		c.Algorithms, c.Tenants, c.AnyTenant, c.MaxTenants, c.DisableCache = []string{"EdDSA"}, nil, true, maxTenants, true
	}))
	if err != nil {
		b.Fatal(err)
	}
	for _, tok := range tokens {
		if _, err := s.VerifyAccessToken(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := s.Status()[0].Tenants
	runtime.KeepAlive(s)
	return held, float64(after.HeapAlloc) - float64(before.HeapAlloc)
}
