// Command loadreport turns the results of scripts/bench-load (JSON lines)
// into a Markdown report, with medians over the rounds, the ratios ours ÷
// ceiling, ours ÷ floor server and ours ÷ Express, the load targets, and an SVG chart
// drawn here with no other tool.
//
// Usage:
//
//	loadreport -in results.jsonl [-title T] -svg docs/bench-load.svg [-update docs/BENCHMARKS.md -section bench-load] [-o FILE]
package main

import (
	"flag"
	"fmt"
	"github.com/resource-server/resource-server/bench/internal/report"
	"html"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/resource-server/resource-server/bench/internal/mdsection"
)

// line is one JSON line of the results file.
type line struct {
	Type string `json:"type"` // "meta", "run" or "memory"

	// meta
	Command     string  `json:"command"`
	Date        string  `json:"date"`
	CPU         string  `json:"cpu"`
	NProc       int     `json:"nproc"`
	ClkTck      float64 `json:"clk_tck"`
	FloorUS     float64 `json:"floor_us"`
	Duration    string  `json:"duration"`
	Connections int     `json:"connections"`
	Threads     int     `json:"threads"`
	Tokens      int     `json:"tokens"`
	Rounds      int     `json:"rounds"`
	GoVersion   string  `json:"go"`
	Node        string  `json:"node"`
	Wrk         string  `json:"wrk_version"`
	Note        string  `json:"note"`
	CacheMax    float64 `json:"cache_entries"` // the program's cache bound, entries

	// run
	Scenario string `json:"scenario"`
	Round    int    `json:"round"`
	Target   string `json:"target"`
	Result   struct {
		Requests    float64 `json:"requests"`
		DurationUS  float64 `json:"duration_us"`
		Non2xx      float64 `json:"non2xx"`
		Connect     float64 `json:"connect_errors"`
		Read        float64 `json:"read_errors"`
		Write       float64 `json:"write_errors"`
		Timeouts    float64 `json:"timeouts"`
		P50         float64 `json:"p50_us"`
		P90         float64 `json:"p90_us"`
		P99         float64 `json:"p99_us"`
		Max         float64 `json:"max_us"`
		MeanLatency float64 `json:"mean_us"`
	} `json:"wrk"`
	Before procStat `json:"before"`
	After  procStat `json:"after"`

	// memory
	Fill      feedResult `json:"fill"`      // N new tokens
	Hit       feedResult `json:"hit"`       // the same N again
	More      feedResult `json:"more"`      // N further new tokens
	Start     procStat   `json:"start"`     // after the warm-up
	Full      procStat   `json:"full"`      // after Fill
	AfterHit  procStat   `json:"after_hit"` // after Hit
	AfterMore procStat   `json:"after_more"`
}

type procStat struct {
	HWM  float64 `json:"vmhwm_kb"`
	RSS  float64 `json:"vmrss_kb"`
	Tick float64 `json:"cpu_ticks"`
}

type feedResult struct {
	Requests float64        `json:"requests"`
	RPS      float64        `json:"rps"`
	Statuses map[string]int `json:"statuses"`
}

// scenarios in report order, with their titles.
var scenarios = []struct{ id, title, short string }{
	{"repeated", "valid, one repeated token", "valid|repeated"},
	{"distinct", "valid, a new token on every request", "valid|new each time"},
	{"forged", "forged signature, a new token on every request", "forged|new each time"},
	{"garbage", "garbage instead of a token", "garbage"},
}

var targets = []struct{ id, title, color string }{
	{"ceiling", "ceiling (net/http, no auth)", "#9e9e9e"},
	{"floor", "floor server (ceiling + RSA floor per request, no cache)", "#6e40c9"},
	{"ours", "ours (resource-server)", "#1f6feb"},
	{"ours-metrics", "ours with metrics on (decisions counted, requests timed)", "#2da44e"},
	{"express", "Express sample (@okta/jwt-verifier)", "#e36209"},
}

// cell is the medians of one target in one scenario.
type cell struct {
	n                      int
	rps, p50, p99, cpuUS   float64
	hwmMiB, non2xx, errors float64
	requests               float64 // median per round
}

func main() {
	in := flag.String("in", "", "results file (JSON lines)")
	title := flag.String("title", "Load: ceiling, ours, Express", "heading of the report")
	svg := flag.String("svg", "", "SVG chart to write")
	update := flag.String("update", "", "Markdown file whose section is replaced")
	section := flag.String("section", "bench-load", "section name in -update")
	out := flag.String("o", "-", "where to write the report too; - is standard output")
	flag.Parse()
	lines, err := report.ReadLines[line](*in)
	if err != nil {
		fail(err)
	}
	var meta line
	runs := map[string]map[string][]line{}
	var mem []line
	for _, l := range lines {
		switch l.Type {
		case "meta":
			meta = l
		case "run":
			if runs[l.Scenario] == nil {
				runs[l.Scenario] = map[string][]line{}
			}
			runs[l.Scenario][l.Target] = append(runs[l.Scenario][l.Target], l)
		case "memory":
			mem = append(mem, l)
		}
	}
	if meta.ClkTck == 0 {
		meta.ClkTck = 100
	}
	cells := map[string]map[string]cell{}
	for s, byTarget := range runs {
		cells[s] = map[string]cell{}
		for t, ls := range byTarget {
			cells[s][t] = summarize(ls, meta.ClkTck)
		}
	}
	text := render(*title, meta, cells, mem, *svg, *update)
	text = strings.TrimSuffix(text, "\n") + roundRatios(runs["repeated"])
	if *svg != "" {
		if err := os.WriteFile(*svg, []byte(chart(meta, cells)), 0o644); err != nil {
			fail(err)
		}
	}
	if err := mdsection.Publish(text, *out, *update, *section); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadreport:", err)
	os.Exit(1)
}

// roundRatios reports, for the repeated-token scenario, ours ÷ ceiling and
// ours with metrics ÷ ceiling as the median of the per-round ratios (the
// targets of a round ran seconds apart, so that a ratio within a round is
// less noisy than a ratio of medians), with the target for metrics on.
func roundRatios(byTarget map[string][]line) string {
	var b strings.Builder
	for _, t := range []struct {
		id, name string
		min      float64
	}{{"ours", "repeated token, metrics off", 0}, {"ours-metrics", "repeated token, metrics on: ≥ 0.95 × the ceiling's requests/s", 0.95}} {
		r, each := perRound(byTarget[t.id], byTarget["ceiling"])
		if len(each) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\n| ÷ ceiling, per round (repeated token) | median of the per-round ratios | each round | |\n|---|--:|---|---|\n")
		}
		verdict := "reference"
		if t.min > 0 {
			verdict = "holds"
			if r < t.min {
				verdict = "**misses**"
			}
		}
		fmt.Fprintf(&b, "| %s | %.3f | %s | %s |\n", t.name, r, strings.Join(each, " "), verdict)
	}
	return b.String()
}

// perRound pairs the runs of two targets by round and returns the median
// of their requests/s ratios and each ratio.
func perRound(a, base []line) (float64, []string) {
	rps := func(l line) float64 { return l.Result.Requests / (l.Result.DurationUS / 1e6) }
	byRound := map[int]float64{}
	for _, l := range base {
		byRound[l.Round] = rps(l)
	}
	var ratios []float64
	var each []string
	for _, l := range a {
		if c, ok := byRound[l.Round]; ok && c > 0 {
			ratios = append(ratios, rps(l)/c)
			each = append(each, fmt.Sprintf("%.2f", rps(l)/c))
		}
	}
	return report.Median(ratios), each
}

func summarize(ls []line, clk float64) cell {
	var rps, p50, p99, cpu, non2xx, errs, reqs []float64
	c := cell{n: len(ls)}
	for _, l := range ls {
		r := l.Result
		secs := r.DurationUS / 1e6
		rps = append(rps, r.Requests/secs)
		reqs = append(reqs, r.Requests)
		p50 = append(p50, r.P50)
		p99 = append(p99, r.P99)
		if r.Requests > 0 && l.After.Tick > 0 {
			cpu = append(cpu, (l.After.Tick-l.Before.Tick)/clk*1e6/r.Requests)
		}
		non2xx = append(non2xx, r.Non2xx/math.Max(1, r.Requests))
		errs = append(errs, r.Connect+r.Read+r.Write+r.Timeouts)
		c.hwmMiB = math.Max(c.hwmMiB, l.After.HWM/1024)
	}
	c.rps, c.p50, c.p99, c.cpuUS = report.Median(rps), report.Median(p50), report.Median(p99), report.Median(cpu)
	c.non2xx, c.errors, c.requests = report.Median(non2xx), report.Median(errs), report.Median(reqs)
	return c
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func render(title string, meta line, cells map[string]map[string]cell, mem []line, svgPath, mdPath string) string {
	var b strings.Builder
	b.WriteString("### " + title + "\n\n")
	fmt.Fprintf(&b, "Measured %s on %d cores (%s; %s; Node %s; %s). Every target on 127.0.0.1, driven by the same wrk "+
		"(%d threads, %d connections, %s per round) on the same machine, %d rounds interleaved "+
		"(each round starts every target afresh, warms it up, then measures it); medians over the rounds, peak RSS is the highest VmHWM. "+
		"*CPU/req* is the server's own CPU time (utime + stime) per request.\n\n",
		meta.Date, meta.NProc, meta.CPU, meta.GoVersion, report.Version(meta.Node), meta.Wrk,
		meta.Threads, meta.Connections, meta.Duration, meta.Rounds)
	if meta.Note != "" {
		b.WriteString(meta.Note + "\n\n")
	}
	fmt.Fprintf(&b, "Command: `%s`\n\n", meta.Command)
	if svgPath != "" {
		rel := svgPath
		if mdPath != "" {
			if r, err := filepath.Rel(filepath.Dir(mdPath), svgPath); err == nil {
				rel = r
			}
		}
		fmt.Fprintf(&b, "![requests/s and p99 latency per target](%s)\n\n", rel)
	}
	b.WriteString("| scenario | target | requests/s | p50 | p99 | peak RSS | CPU/req | non-2xx | socket errors |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range scenarios {
		for _, t := range targets {
			c, ok := cells[s.id][t.id]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.0f MiB | %s | %.0f%% | %s |\n",
				s.title, t.id, report.Count(c.rps), report.Micros(c.p50), report.Micros(c.p99), c.hwmMiB, report.Micros(c.cpuUS), 100*c.non2xx, report.Count(c.errors))
		}
	}
	b.WriteString("\n| scenario | ours ÷ ceiling (req/s) | ours ÷ floor server (req/s) | ours ÷ floor server (CPU/req) | ours ÷ Express (req/s) | ours ÷ Express (CPU/req) |\n|---|--:|--:|--:|--:|--:|\n")
	for _, s := range scenarios {
		o, ok := cells[s.id]["ours"]
		if !ok {
			continue
		}
		c, f, e := cells[s.id]["ceiling"], cells[s.id]["floor"], cells[s.id]["express"]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", s.title, ratio(o.rps, nanIfZero(c.rps)),
			ratio(o.rps, nanIfZero(f.rps)), ratio(o.cpuUS, nanIfZero(f.cpuUS)),
			ratio(o.rps, nanIfZero(e.rps)), ratio(o.cpuUS, nanIfZero(e.cpuUS)))
	}
	b.WriteString("\n")
	if o, ok := cells["distinct"]["ours"]; ok && meta.Tokens > 0 {
		reused := math.Max(0, o.requests-float64(meta.Tokens)) / o.requests
		fmt.Fprintf(&b, "In the *new token* scenario ours served %.0f requests per round (median) from %d distinct tokens, on a fresh process each round: "+
			"%.0f%% of the requests reused a token already cached in that round.\n\n", o.requests, meta.Tokens, 100*reused)
	}

	// Targets.
	type row struct{ target, measured, verdict string }
	var rows []row
	verdict := func(ok bool) string {
		if ok {
			return "holds"
		}
		return "**misses**"
	}
	if o, ok := cells["repeated"]["ours"]; ok {
		if c, ok := cells["repeated"]["ceiling"]; ok {
			x := o.rps / c.rps
			rows = append(rows, row{"repeated token: ≥ 0.90 × the ceiling's requests/s", fmt.Sprintf("%.0f vs %.0f: %.2f×", o.rps, c.rps, x), verdict(x >= 0.90)})
		}
		if e, ok := cells["repeated"]["express"]; ok {
			x := o.rps / e.rps
			rows = append(rows, row{"repeated token: ≥ 12 × Express's requests/s", fmt.Sprintf("%.0f vs %.0f: %.1f×", o.rps, e.rps, x), verdict(x >= 12)})
		}
	}
	if o, ok := cells["distinct"]["ours"]; ok {
		if f, ok := cells["distinct"]["floor"]; ok {
			x := f.rps / o.rps
			rows = append(rows, row{"new token per request: within 1.2 × of what the RSA floor allows on these cores (the floor server's requests/s, same load, same cores)",
				fmt.Sprintf("%.0f vs %.0f requests/s: the floor server serves %.2f× ours", o.rps, f.rps, x), verdict(x <= 1.2)})
			if !math.IsNaN(f.cpuUS) {
				y := o.cpuUS / f.cpuUS
				rows = append(rows, row{"new token per request, per CPU time: server CPU per request ≤ 1.2 × the floor server's",
					fmt.Sprintf("%s vs %s: %.2f×", report.Micros(o.cpuUS), report.Micros(f.cpuUS), y), verdict(y <= 1.2)})
			}
		}
	}
	if o, ok := cells["distinct"]["ours"]; ok && meta.FloorUS > 0 {
		// For reference only: the floor measured by a Go benchmark on an idle
		// core, multiplied by the cores, ignores that wrk shares them; the
		// floor server above is the same work under the same load.
		const ref = "reference (idle floor)"
		allowed := float64(meta.NProc) * 1e6 / meta.FloorUS
		rows = append(rows, row{fmt.Sprintf("new token per request vs the idle benchmark floor × %d cores (%.0f/s at %.1f µs per verification)", meta.NProc, allowed, meta.FloorUS),
			fmt.Sprintf("%.0f requests/s: %.2f× short (the load generator shares the cores)", o.rps, allowed/o.rps), ref})
		if c, ok := cells["distinct"]["ceiling"]; ok && !math.IsNaN(c.cpuUS) {
			rows = append(rows, row{"new token per request, server CPU per request vs the idle floor + the ceiling's CPU per request",
				fmt.Sprintf("%s vs %.1f + %s: %.2f×", report.Micros(o.cpuUS), meta.FloorUS, report.Micros(c.cpuUS), o.cpuUS/(meta.FloorUS+c.cpuUS)), ref})
		}
	}
	for _, m := range mem {
		mib := m.Full.RSS / 1024
		if m.Hit.RPS < 1.3*m.Fill.RPS {
			rows = append(rows, row{"(the memory rows below)", fmt.Sprintf("the second pass was not faster than the first (%.0f vs %.0f req/s): no sign of a verified-token cache, so the memory figures say nothing about one", m.Hit.RPS, m.Fill.RPS), ""})
		}
		rows = append(rows, row{fmt.Sprintf("resident memory with %.0f distinct valid tokens cached ≤ 150 MiB", m.Fill.Requests),
			fmt.Sprintf("RSS %.0f MiB once they were sent (%.0f MiB before; %s); sent again: %.0f MiB (%.0f req/s vs %.0f req/s the first time, %s)",
				mib, m.Start.RSS/1024, statuses(m.Fill), m.AfterHit.RSS/1024, m.Hit.RPS, m.Fill.RPS, statuses(m.Hit)), verdict(mib <= 150)})
		if m.More.Requests > 0 && meta.CacheMax > 0 && m.Fill.Requests >= meta.CacheMax {
			grow := m.AfterMore.RSS / math.Max(1, m.Full.RSS)
			rows = append(rows, row{"memory bounded whatever the traffic",
				fmt.Sprintf("after %.0f further new tokens: RSS %.0f MiB (%.2f× the full cache), peak %.0f MiB", m.More.Requests, m.AfterMore.RSS/1024, grow, m.AfterMore.HWM/1024),
				verdict(grow <= 1.25)})
		}
	}
	if len(rows) > 0 {
		b.WriteString("| load target | measured (medians) | |\n|---|---|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", r.target, r.measured, r.verdict)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func statuses(f feedResult) string {
	var parts []string
	for code, n := range f.Statuses {
		parts = append(parts, fmt.Sprintf("%d × %s", n, code))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func nanIfZero(v float64) float64 {
	if v == 0 {
		return math.NaN()
	}
	return v
}

// chart draws two grouped bar charts side by side: requests/s and p99
// latency, one group per scenario, one bar per target.
func chart(meta line, cells map[string]map[string]cell) string {
	const (
		w, h             = 980, 380
		panelW           = 440
		top, bottom, lft = 50, 80, 60
	)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="18" font-size="14" font-weight="bold">Load on 127.0.0.1, %d cores, wrk %d threads × %d connections (%s)</text>`+"\n",
		lft, meta.NProc, meta.Threads, meta.Connections, html.EscapeString(meta.Date))
	panel := func(x0 int, title string, value func(cell) float64, format func(float64) string) {
		plotH := h - top - bottom
		maxV := 0.0
		for _, s := range scenarios {
			for _, t := range targets {
				if c, ok := cells[s.id][t.id]; ok && !math.IsNaN(value(c)) {
					maxV = math.Max(maxV, value(c))
				}
			}
		}
		if maxV == 0 {
			maxV = 1
		}
		step := niceStep(maxV / 4)
		maxV = math.Ceil(maxV/step) * step
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-weight="bold">%s</text>`+"\n", x0, top-12, html.EscapeString(title))
		for v := 0.0; v <= maxV+step/2; v += step {
			y := float64(top+plotH) - v/maxV*float64(plotH)
			fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, x0+panelW-lft, y, y)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", x0-4, y+4, format(v))
		}
		groupW := float64(panelW-lft) / float64(len(scenarios))
		barW := groupW / float64(len(targets)+1)
		for i, s := range scenarios {
			gx := float64(x0) + float64(i)*groupW + barW/2
			for j, t := range targets {
				c, ok := cells[s.id][t.id]
				if !ok || math.IsNaN(value(c)) {
					continue
				}
				bh := value(c) / maxV * float64(plotH)
				x := gx + float64(j)*barW
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`+"\n",
					x, float64(top+plotH)-bh, barW-2, bh, t.color, html.EscapeString(s.title), t.id, format(value(c)))
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="8" fill="#333">%s</text>`+"\n",
					x+(barW-2)/2, float64(top+plotH)-bh-3, format(value(c)))
			}
			words := strings.Split(s.short, "|")
			for k, wd := range words {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#333">%s</text>`+"\n",
					gx+groupW/2-barW/2, top+plotH+14+12*k, html.EscapeString(wd))
			}
		}
	}
	panel(lft, "requests/s (higher is better)", func(c cell) float64 { return c.rps }, func(v float64) string {
		if v >= 1000 {
			return fmt.Sprintf("%.1fk", v/1000)
		}
		return fmt.Sprintf("%.0f", v)
	})
	panel(lft+panelW+40, "p99 latency (lower is better)", func(c cell) float64 { return c.p99 }, func(v float64) string {
		switch {
		case v == 0:
			return "0"
		case v >= 10000:
			return fmt.Sprintf("%.0f ms", v/1000)
		case v >= 1000:
			return fmt.Sprintf("%.1f ms", v/1000)
		}
		return fmt.Sprintf("%.0f µs", v)
	})
	for j, t := range targets {
		x := lft + j*300
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			x, h-22, t.color, x+16, h-12, html.EscapeString(t.title))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceStep rounds a step up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
