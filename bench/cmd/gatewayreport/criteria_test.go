package main

import (
	"strings"
	"testing"
)

// fakeRuns makes a repeated-token scenario of the given rounds in which
// each target served the given requests per second.
func fakeRuns(rounds int, rps map[string][]float64) runs {
	rs := runs{"repeated": {}}
	for target, perRound := range rps {
		rs["repeated"][target] = map[int]line{}
		for r := 1; r <= rounds; r++ {
			rs["repeated"][target][r] = line{Type: "run", Scenario: "repeated", Round: r, Target: target,
				Result: wrkResult{Requests: perRound[r-1], DurationUS: 1e6}}
		}
	}
	return rs
}

func TestCriteriaOAuth2ProxyMeasured(t *testing.T) {
	rs := fakeRuns(3, map[string][]float64{
		"plain-proxy":  {20000, 20000, 20000},
		"gateway":      {19000, 18000, 20000},
		"oauth2-proxy": {5000, 6000, 4000},
	})
	var b strings.Builder
	criteria(&b, line{ClkTck: 100}, rs)
	out := b.String()
	// Per-round ratios 3.8, 3.0, 5.0: median 3.8.
	want := "| repeated token: gateway ÷ oauth2-proxy v7.15.6, requests/s ≥ 3 | 3.800 | 3.800 3.000 5.000 | holds |"
	if !strings.Contains(out, want) {
		t.Errorf("no measured row %q in\n%s", want, out)
	}
	if strings.Contains(out, "implied: gateway ÷ oauth2-proxy") {
		t.Errorf("the implied oauth2-proxy row is there although it was measured:\n%s", out)
	}
	if !strings.Contains(out, "implied: gateway ÷ Ory Oathkeeper") {
		t.Errorf("the implied Oathkeeper row is missing:\n%s", out)
	}
	if strings.Contains(out, "new token per request: gateway ÷ oauth2-proxy") {
		t.Errorf("a row for the new-token scenario, which did not run:\n%s", out)
	}
}

func TestCriteriaOAuth2ProxyImplied(t *testing.T) {
	rs := fakeRuns(1, map[string][]float64{
		"plain-proxy": {20000},
		"gateway":     {18000},
	})
	var b strings.Builder
	criteria(&b, line{ClkTck: 100}, rs)
	out := b.String()
	if strings.Contains(out, "| repeated token: gateway ÷ oauth2-proxy") {
		t.Errorf("a measured oauth2-proxy row although it did not run:\n%s", out)
	}
	// 0.90 ÷ 0.26 = 3.46…
	want := "| implied: gateway ÷ oauth2-proxy v7.15.6 (0.26 × the plain proxy when measured here), requests/s ≥ 3 | 3.5 | not run in this run | holds |"
	if !strings.Contains(out, want) {
		t.Errorf("no implied row %q in\n%s", want, out)
	}
}
