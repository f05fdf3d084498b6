package main

import (
	"fmt"
	"github.com/resource-server/resource-server/bench/internal/report"
	"math"
	"strings"
)

// criterion is one row of the criteria table: a value computed in each
// round from the runs of that round, and the test its median must pass
// (nil: a reference figure, no target). An optional row is left out when
// it was not measured (another row stands in for it).
type criterion struct {
	name, scenario string
	value          func(map[string]line) (float64, bool)
	holds          func(float64) bool
	format         func(float64) string
	optional       bool
}

// Ratios of the peers to the same kind of plain Go proxy (httputil.ReverseProxy,
// pooled transport), repeated token, measured earlier on this machine with
// the same wrk settings; the "≥ 3× oauth2-proxy and ≥ 4× Oathkeeper"
// is 0.90 × the plain proxy given these. oauth2-proxy is measured in the
// run itself when scripts/bench-gateway could build it; its implied row
// stands in only when it did not run.
const (
	oauth2ProxyVsPlain = 0.26
	oathkeeperVsPlain  = 0.21
	oauth2ProxyVersion = "v7.15.6"
)

func criteria(b *strings.Builder, meta line, rs runs) {
	cpu := func(l line) float64 { return l.cpu(l.TargetTicks, meta.ClkTck) }
	verification := func(r map[string]line) (float64, bool) {
		f, okF := r["floor"]
		c, okC := r["ceiling"]
		return cpu(f) - cpu(c), okF && okC
	}
	newToken := func(r map[string]line) (float64, bool) {
		g, okG := r["gateway"]
		p, okP := r["plain-proxy"]
		v, okV := verification(r)
		return cpu(g) / (cpu(p) + v), okG && okP && okV
	}
	ratio := func(a, base string) func(map[string]line) (float64, bool) {
		return func(r map[string]line) (float64, bool) { return div(r, a, base, line.rps) }
	}
	list := []criterion{
		{"repeated token: gateway ÷ plain proxy, requests/s ≥ 0.90", "repeated", ratio("gateway", "plain-proxy"), atLeast(0.90), ratio3, false},
		{"repeated token: gateway ÷ the plain proxy with pooled buffers (like for like: the cost of authentication alone)", "repeated", ratio("gateway", "plain-proxy-pooled"), nil, ratio3, false},
		{"new token per request: the floor's verification, CPU per request (floor server − ceiling, same round)", "distinct", verification, nil, report.Micros, false},
		{"new token per request: gateway CPU/req ÷ (plain proxy CPU/req + the floor's verification) ≤ 1.2", "distinct", newToken, atMost(1.2), ratio3, false},
		{"forward auth: nginx auth_request → /_auth ÷ nginx auth_request → no-op endpoint, requests/s ≥ 0.90", "repeated", ratio("nginx-gateway", "nginx-noop"), atLeast(0.90), ratio3, false},
		{"repeated token: gateway ÷ Caddy reverse_proxy without authentication, requests/s (aim: past it, > 1)", "repeated", ratio("gateway", "caddy-proxy"), atLeast(1), ratio3, false},
		{"repeated token: gateway ÷ oauth2-proxy " + oauth2ProxyVersion + ", requests/s ≥ 3", "repeated", ratio("gateway", "oauth2-proxy"), atLeast(3), ratio3, true},
		{"new token per request: gateway ÷ oauth2-proxy " + oauth2ProxyVersion + ", requests/s", "distinct", ratio("gateway", "oauth2-proxy"), nil, ratio3, true},
	}
	b.WriteString("| criterion | median of the per-round values | each round | |\n|---|--:|---|---|\n")
	for _, c := range list {
		m, each := perRound(rs[c.scenario], c.value)
		if len(each) == 0 {
			if !c.optional {
				fmt.Fprintf(b, "| %s | – | | not measured |\n", c.name)
			}
			continue
		}
		var parts []string
		for _, v := range each {
			parts = append(parts, c.format(v))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", c.name, c.format(m), strings.Join(parts, " "), verdict(c.holds, m))
	}
	implied(b, rs)
	reuse(b, meta, rs)
}

// implied writes the gateway's ratios to the peers that did not run, as
// they follow from its ratio to the plain proxy in this run: Oathkeeper
// always, oauth2-proxy when it was not measured in this run.
func implied(b *strings.Builder, rs runs) {
	r, each := perRound(rs["repeated"], func(m map[string]line) (float64, bool) { return div(m, "gateway", "plain-proxy", line.rps) })
	if len(each) == 0 {
		b.WriteString("\n")
		return
	}
	if _, measured := perRound(rs["repeated"], func(m map[string]line) (float64, bool) { return div(m, "gateway", "oauth2-proxy", line.rps) }); len(measured) == 0 {
		fmt.Fprintf(b, "| implied: gateway ÷ oauth2-proxy %s (%.2f × the plain proxy when measured here), requests/s ≥ 3 | %.1f | not run in this run | %s |\n",
			oauth2ProxyVersion, oauth2ProxyVsPlain, r/oauth2ProxyVsPlain, verdict(atLeast(3), r/oauth2ProxyVsPlain))
	}
	fmt.Fprintf(b, "| implied: gateway ÷ Ory Oathkeeper v0.40.9 (%.2f × the plain proxy when measured here), requests/s ≥ 4 | %.1f | not run in this run | %s |\n\n",
		oathkeeperVsPlain, r/oathkeeperVsPlain, verdict(atLeast(4), r/oathkeeperVsPlain))
}

// reuse says how many requests of the new-token scenario could not have a
// new token: the tokens file wraps around.
func reuse(b *strings.Builder, meta line, rs runs) {
	var reqs []float64
	for _, l := range rs["distinct"]["gateway"] {
		reqs = append(reqs, l.Result.Requests)
	}
	n := report.Median(reqs)
	if math.IsNaN(n) || meta.Tokens == 0 {
		return
	}
	fmt.Fprintf(b, "In the *new token* scenario the gateway served %.0f requests per round (median; its warm-up used the repeated token) from %d distinct tokens, "+
		"on a fresh process each round: %.0f%% of them reused a token already seen in that round.\n\n",
		n, meta.Tokens, 100*math.Max(0, n-float64(meta.Tokens))/n)
}

// ratio3 shows a ratio with three decimals, so that one just short of its
// bound does not print as the bound itself.
func ratio3(v float64) string { return fmt.Sprintf("%.3f", v) }

func atLeast(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }
func atMost(x float64) func(float64) bool  { return func(v float64) bool { return v <= x } }

func verdict(holds func(float64) bool, v float64) string {
	switch {
	case holds == nil:
		return "reference"
	case holds(v):
		return "holds"
	default:
		return "**misses**"
	}
}
