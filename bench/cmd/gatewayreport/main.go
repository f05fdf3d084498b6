// Command gatewayreport turns the results of scripts/bench-gateway (JSON
// lines) into a Markdown report: per scenario a table of the targets
// (medians over the rounds of requests/s, CPU per request of the target
// and of the upstream, p99), then the gateway criteria, each the
// median of the per-round ratios (the targets of a round ran seconds
// apart, so that a ratio within a round is less noisy than a ratio of
// medians), marked as holding or not.
//
// Usage:
//
//	gatewayreport -in results.jsonl [-title T] [-update docs/BENCHMARKS.md -section bench-gateway] [-o FILE]
package main

import (
	"flag"
	"fmt"
	"github.com/resource-server/resource-server/bench/internal/report"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/resource-server/resource-server/bench/internal/mdsection"
)

// line is one JSON line of the results file.
type line struct {
	Type string `json:"type"` // "meta" or "run"

	// meta
	Command     string  `json:"command"`
	Note        string  `json:"note"`
	Date        string  `json:"date"`
	CPU         string  `json:"cpu"`
	NProc       int     `json:"nproc"`
	ClkTck      float64 `json:"clk_tck"`
	Duration    string  `json:"duration"`
	Connections int     `json:"connections"`
	Threads     int     `json:"threads"`
	Tokens      int     `json:"tokens"`
	Rounds      int     `json:"rounds"`
	GoVersion   string  `json:"go"`
	Nginx       string  `json:"nginx"`
	Caddy       string  `json:"caddy"`
	OAuth2Proxy string  `json:"oauth2_proxy"` // its version, when it took part
	Wrk         string  `json:"wrk_version"`

	// run
	Scenario      string    `json:"scenario"`
	Round         int       `json:"round"`
	Target        string    `json:"target"`
	Result        wrkResult `json:"wrk"`
	TargetTicks   float64   `json:"target_ticks"`
	UpstreamTicks float64   `json:"upstream_ticks"`
}

// wrkResult is what bench/load/bearer.lua writes.
type wrkResult struct {
	Requests   float64 `json:"requests"`
	DurationUS float64 `json:"duration_us"`
	Non2xx     float64 `json:"non2xx"`
	Connect    float64 `json:"connect_errors"`
	Read       float64 `json:"read_errors"`
	Write      float64 `json:"write_errors"`
	Timeouts   float64 `json:"timeouts"`
	P99        float64 `json:"p99_us"`
}

// runs holds the runs by scenario, target and round.
type runs map[string]map[string]map[int]line

var scenarios = []struct{ id, title string }{
	{"repeated", "one repeated token"},
	{"distinct", "a new token on every request"},
}

var targets = []struct{ id, title string }{
	{"upstream-direct", "the upstream alone (net/http, no auth)"},
	{"plain-proxy", "httputil.ReverseProxy, pooled transport, no auth (the baseline)"},
	{"plain-proxy-pooled", "the same, its copy buffers pooled as the gateway's are (like for like)"},
	{"gateway", "the program with a routes: config, claim header X-Auth-Subject"},
	{"ceiling", "net/http answering itself, no auth, no upstream (bench-load's ceiling)"},
	{"floor", "the ceiling + the RS256 floor on every token, no cache"},
	{"nginx-noop", "nginx auth_request → a Go endpoint that always says 200, proxy_pass"},
	{"nginx-gateway", "nginx auth_request → the program's /_auth, proxy_pass"},
	{"caddy-proxy", "Caddy reverse_proxy, no auth"},
	{"oauth2-proxy", "oauth2-proxy " + oauth2ProxyVersion + ", OIDC provider, JWT bearer tokens, Go's default transport, no token cache"},
}

func main() {
	in := flag.String("in", "", "results file (JSON lines)")
	title := flag.String("title", "Gateway: the program's routes and forward-auth beside plain proxies", "heading of the report")
	update := flag.String("update", "", "Markdown file whose section is replaced")
	section := flag.String("section", "bench-gateway", "section name in -update")
	out := flag.String("o", "-", "where to write the report too; - is standard output")
	flag.Parse()
	meta, rs, err := read(*in)
	if err != nil {
		fail(err)
	}
	var b strings.Builder
	header(&b, *title, meta)
	table(&b, meta, rs)
	criteria(&b, meta, rs)
	if err := mdsection.Publish(b.String(), *out, *update, *section); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gatewayreport:", err)
	os.Exit(1)
}

// read parses the results file.
func read(path string) (line, runs, error) {
	var meta line
	rs := runs{}
	lines, err := report.ReadLines[line](path)
	if err != nil {
		return meta, nil, err
	}
	for _, l := range lines {
		switch l.Type {
		case "meta":
			meta = l
		case "run":
			if rs[l.Scenario] == nil {
				rs[l.Scenario] = map[string]map[int]line{}
			}
			if rs[l.Scenario][l.Target] == nil {
				rs[l.Scenario][l.Target] = map[int]line{}
			}
			rs[l.Scenario][l.Target][l.Round] = l
		}
	}
	if meta.ClkTck == 0 {
		meta.ClkTck = 100
	}
	return meta, rs, nil
}

func (l line) rps() float64 { return l.Result.Requests / (l.Result.DurationUS / 1e6) }

// cpu is µs of CPU time per request from ticks over the measurement.
func (l line) cpu(ticks, clk float64) float64 {
	if l.Result.Requests == 0 {
		return math.NaN()
	}
	return ticks / clk * 1e6 / l.Result.Requests
}

func header(b *strings.Builder, title string, meta line) {
	b.WriteString("### " + title + "\n\n")
	peers := fmt.Sprintf("nginx %s; Caddy %s", report.Version(meta.Nginx), report.Version(meta.Caddy))
	if meta.OAuth2Proxy != "" {
		peers += "; oauth2-proxy " + meta.OAuth2Proxy + " built with go install from the Go module proxy"
	}
	fmt.Fprintf(b, "Measured %s on %d cores (%s; %s; %s; %s). Every target on 127.0.0.1 in front of the same upstream "+
		"(bench/cmd/upstream), driven by the same wrk (%d threads, %d connections, %s per measurement) with the same tokens, "+
		"%d round(s) interleaved (each round starts every target afresh, warms it up with the repeated token, waits for idle CPUs, then measures it); "+
		"medians over the rounds. *CPU/req* is the utime + stime per request of the target's own processes "+
		"(for nginx: its master and workers plus the auth endpoint), the upstream's apart; the load generator shares the cores.\n\n",
		meta.Date, meta.NProc, meta.CPU, meta.GoVersion, peers, meta.Wrk,
		meta.Threads, meta.Connections, meta.Duration, meta.Rounds)
	if meta.Note != "" {
		b.WriteString(meta.Note + "\n\n")
	}
	fmt.Fprintf(b, "Command: `%s`\n\n", meta.Command)
}

// table writes one row per scenario and target: medians over the rounds.
func table(b *strings.Builder, meta line, rs runs) {
	b.WriteString("| scenario | target | requests/s | ÷ plain proxy | CPU/req | upstream CPU/req | p99 | non-2xx | socket errors |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range scenarios {
		for _, t := range targets {
			byRound := rs[s.id][t.id]
			if len(byRound) == 0 {
				continue
			}
			var rps, cpu, up, p99, non2xx, errs []float64
			for _, l := range byRound {
				rps = append(rps, l.rps())
				cpu = append(cpu, l.cpu(l.TargetTicks, meta.ClkTck))
				if t.id != "upstream-direct" && t.id != "ceiling" && t.id != "floor" {
					up = append(up, l.cpu(l.UpstreamTicks, meta.ClkTck))
				}
				p99 = append(p99, l.Result.P99)
				non2xx = append(non2xx, l.Result.Non2xx/math.Max(1, l.Result.Requests))
				r := l.Result
				errs = append(errs, r.Connect+r.Read+r.Write+r.Timeouts)
			}
			vsPlain := math.NaN() // the ceiling and the floor server proxy nothing
			if t.id != "ceiling" && t.id != "floor" {
				vsPlain, _ = perRound(rs[s.id], func(r map[string]line) (float64, bool) {
					return div(r, t.id, "plain-proxy", line.rps)
				})
			}
			fmt.Fprintf(b, "| %s | %s: %s | %s | %s | %s | %s | %s | %.1f%% | %s |\n",
				s.title, t.id, t.title, report.Count(report.Median(rps)), fixed(vsPlain), report.Micros(report.Median(cpu)), report.Micros(report.Median(up)),
				report.Micros(report.Median(p99)), 100*report.Median(non2xx), report.Count(report.Median(errs)))
		}
	}
	b.WriteString("\n")
}

// perRound applies f to each round's runs of a scenario (target → run) and
// returns the median of the values it gives and each value, by round.
func perRound(byTarget map[string]map[int]line, f func(map[string]line) (float64, bool)) (float64, []float64) {
	rounds := map[int]map[string]line{}
	for t, byRound := range byTarget {
		for r, l := range byRound {
			if rounds[r] == nil {
				rounds[r] = map[string]line{}
			}
			rounds[r][t] = l
		}
	}
	var keys []int
	for r := range rounds {
		keys = append(keys, r)
	}
	slices.Sort(keys)
	var each []float64
	for _, r := range keys {
		if v, ok := f(rounds[r]); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			each = append(each, v)
		}
	}
	return report.Median(each), each
}

// div is value(a) ÷ value(b) in one round, when both ran.
func div(r map[string]line, a, b string, value func(line) float64) (float64, bool) {
	x, okA := r[a]
	y, okB := r[b]
	if !okA || !okB || value(y) == 0 {
		return math.NaN(), false
	}
	return value(x) / value(y), true
}

func fixed(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}
