// Command ratios reads the output of `go test -bench` (several runs of the
// same benchmarks, in any order, from several packages), takes the median of
// every metric, and writes a Markdown report: per package a table of the
// benchmarks with each one's ratio to its group's baseline (the variant
// named "floor" or "ceiling") and the ratio of ours (the first variant
// whose name starts with "ours") to every other variant; then the issue's
// targets, each marked as holding or not.
//
// Benchmark names are read as Benchmark<group>/<variant>, the variant being
// the last element.
//
// Usage:
//
//	ratios [-title T] [-command C] [-update FILE -section NAME] [-o FILE] bench-output...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/resource-server/resource-server/bench/internal/mdsection"
)

func main() {
	title := flag.String("title", "Go benchmarks", "heading of the report")
	command := flag.String("command", "", "the command that produced the input, quoted in the report")
	note := flag.String("note", "", "a line of text put under the heading")
	update := flag.String("update", "", "Markdown file whose section -section is replaced by the report")
	section := flag.String("section", "bench-go", "name of the section markers in -update")
	out := flag.String("o", "-", "where to write the report too; - is standard output")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: ratios [flags] bench-output...")
		os.Exit(2)
	}
	r := newReader()
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fail(err)
		}
		r.read(f)
		f.Close()
	}
	if len(r.order) == 0 {
		fail(fmt.Errorf("no benchmark results in %s", strings.Join(flag.Args(), ", ")))
	}
	report := r.report(*title, *command, *note)
	if err := mdsection.Publish(report, *out, *update, *section); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ratios:", err)
	os.Exit(1)
}

// result is every run of one benchmark.
type result struct {
	pkg, group, variant string
	values              map[string][]float64 // unit → one value per run
	units               []string             // in order of appearance
}

func (r *result) median(unit string) (float64, bool) {
	v := r.values[unit]
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// spread is (max-min)/median of a unit, the noise of the runs.
func (r *result) spread(unit string) float64 {
	v := r.values[unit]
	m, ok := r.median(unit)
	if !ok || m == 0 || len(v) < 2 {
		return 0
	}
	return (slices.Max(v) - slices.Min(v)) / m
}

// pairedRatio is the median over the runs of a's time divided by b's in the
// same run (the runs are rounds: the two ran a few seconds apart, so a
// burst of load from elsewhere falls on both); the ratio of the medians when
// the run counts differ.
func pairedRatio(a, b *result) float64 {
	x, y := a.values["ns/op"], b.values["ns/op"]
	if len(x) == 0 || len(x) != len(y) {
		ma, _ := a.median("ns/op")
		mb, _ := b.median("ns/op")
		return ma / mb
	}
	r := make([]float64, len(x))
	for i := range x {
		r[i] = x[i] / y[i]
	}
	slices.Sort(r)
	if n := len(r); n%2 == 1 {
		return r[n/2]
	} else {
		return (r[n/2-1] + r[n/2]) / 2
	}
}

type reader struct {
	pkg, cpu, goos string
	byKey          map[string]*result
	order          []string
}

func newReader() *reader { return &reader{byKey: map[string]*result{}} }

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.+)$`)

func (r *reader) read(in io.Reader) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			r.pkg = strings.TrimPrefix(line, "pkg: ")
			continue
		case strings.HasPrefix(line, "cpu: "):
			r.cpu = strings.TrimPrefix(line, "cpu: ")
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1]
		group, variant := name, ""
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			group, variant = name[:i], name[i+1:]
		}
		key := r.pkg + " " + name
		res := r.byKey[key]
		if res == nil {
			res = &result{pkg: r.pkg, group: group, variant: variant, values: map[string][]float64{}}
			r.byKey[key] = res
			r.order = append(r.order, key)
		}
		fields := strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			unit := fields[i+1]
			if _, seen := res.values[unit]; !seen {
				res.units = append(res.units, unit)
			}
			res.values[unit] = append(res.values[unit], v)
		}
	}
}

// find returns the result of a benchmark by package suffix and name.
func (r *reader) find(pkgSuffix, group, variant string) *result {
	for _, k := range r.order {
		res := r.byKey[k]
		if strings.HasSuffix(res.pkg, pkgSuffix) && res.group == group && res.variant == variant {
			return res
		}
	}
	return nil
}

func shortPkg(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func isOurs(variant string) bool { return strings.HasPrefix(variant, "ours") }
func isBase(variant string) bool { return variant == "floor" || variant == "ceiling" }

// duration formats nanoseconds for people.
func duration(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	}
}

func ratio(x float64) string {
	switch {
	case x == 0 || math.IsInf(x, 0) || math.IsNaN(x):
		return ""
	case x < 0.1:
		return fmt.Sprintf("1/%.0f", 1/x)
	case x < 10:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

func (r *reader) report(title, command, note string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", title)
	if note != "" {
		b.WriteString(note + "\n\n")
	}
	if command != "" {
		fmt.Fprintf(&b, "Command: `%s`\n\n", command)
	}
	runs := 0
	for _, k := range r.order {
		runs = max(runs, len(r.byKey[k].values["ns/op"]))
	}
	fmt.Fprintf(&b, "Medians of %d runs; CPU: %s. *×base* is the ratio to the group's floor (or ceiling); "+
		"*ours ÷ it* is our first variant's time divided by that row's (below 1: we are faster). "+
		"Both ratios are medians of the per-round ratios (the two ran seconds apart in the same round). "+
		"*spread* is (max − min) / median of the row's times over the runs: large spreads mean the machine was busy.\n\n", runs, r.cpu)

	// Packages in order of appearance, groups in order within.
	var pkgs []string
	for _, k := range r.order {
		if p := r.byKey[k].pkg; !slices.Contains(pkgs, p) {
			pkgs = append(pkgs, p)
		}
	}
	for _, p := range pkgs {
		fmt.Fprintf(&b, "#### %s\n\n", p)
		b.WriteString("| benchmark | variant | time/op | ×base | ours ÷ it | allocs/op | B/op | other | spread |\n")
		b.WriteString("|---|---|--:|--:|--:|--:|--:|---|--:|\n")
		var groups []string
		for _, k := range r.order {
			if res := r.byKey[k]; res.pkg == p && !slices.Contains(groups, res.group) {
				groups = append(groups, res.group)
			}
		}
		for _, g := range groups {
			var members []*result
			var base, ours *result
			for _, k := range r.order {
				res := r.byKey[k]
				if res.pkg != p || res.group != g {
					continue
				}
				members = append(members, res)
				if isBase(res.variant) && base == nil {
					base = res
				}
				if isOurs(res.variant) && ours == nil {
					ours = res
				}
			}
			for _, res := range members {
				t, _ := res.median("ns/op")
				var xBase, oursOver string
				if base != nil && res != base {
					xBase = ratio(pairedRatio(res, base))
				}
				if ours != nil && !isOurs(res.variant) {
					oursOver = ratio(pairedRatio(ours, res))
				}
				allocs, _ := res.median("allocs/op")
				bytes, _ := res.median("B/op")
				var other []string
				for _, u := range res.units {
					if u == "ns/op" || u == "allocs/op" || u == "B/op" || u == "MB/s" {
						continue
					}
					v, _ := res.median(u)
					other = append(other, strconv.FormatFloat(v, 'g', 4, 64)+" "+u)
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.0f | %.0f | %s | %.0f%% |\n",
					g, res.variant, duration(t), xBase, oursOver, allocs, bytes, strings.Join(other, ", "), 100*res.spread("ns/op"))
			}
		}
		b.WriteString("\n")
	}
	r.targets(&b)
	return b.String()
}

// targets checks the targets that the Go benchmarks measure.
func (r *reader) targets(b *strings.Builder) {
	type row struct{ target, measured, verdict string }
	var rows []row
	verdict := func(ok bool) string {
		if ok {
			return "holds"
		}
		return "**misses**"
	}
	ns := func(res *result) float64 { v, _ := res.median("ns/op"); return v }

	for _, c := range []struct{ pkg, group, ours string }{
		{"/verifier", "FirstSeen/RS256", "ours"},
		{"/bench", "Verify/RS256", "ours-nocache"},
	} {
		o, f := r.find(c.pkg, c.group, c.ours), r.find(c.pkg, c.group, "floor")
		if o != nil && f != nil {
			x := pairedRatio(o, f)
			rows = append(rows, row{"first-seen RS256 ≤ 1.15 × floor (" + shortPkg(c.pkg) + ")",
				fmt.Sprintf("%s vs %s: %.2f×", duration(ns(o)), duration(ns(f)), x), verdict(x <= 1.15)})
		}
	}
	if o := r.find("/bench", "Verify/RS256", "ours-nocache"); o != nil {
		var parts []string
		worst := 0.0
		for _, peer := range []string{"go-oidc", "golang-jwt", "go-jose"} {
			if p := r.find("/bench", "Verify/RS256", peer); p != nil {
				x := pairedRatio(o, p)
				worst = max(worst, x)
				parts = append(parts, fmt.Sprintf("%s %.2f", peer, x))
			}
		}
		if parts != nil {
			rows = append(rows, row{"first-seen RS256 faster than every peer (ours ÷ peer < 1)", strings.Join(parts, ", "), verdict(worst < 1)})
		}
	}
	if c := r.find("/verifier", "Cached/RS256", "ours"); c != nil {
		allocs, _ := c.median("allocs/op")
		rows = append(rows, row{"cached verification ≤ 1 µs and ≤ 1 allocation",
			fmt.Sprintf("%s, %.0f allocs/op", duration(ns(c)), allocs), verdict(ns(c) <= 1000 && allocs <= 1)})
	}
	if valid := r.find("/verifier", "FirstSeen/RS256", "ours"); valid != nil {
		for _, kind := range []string{"garbage", "1MiB"} {
			if ref := r.find("/verifier", "Refuse/"+kind, "ours"); ref != nil {
				rows = append(rows, row{"refusing " + kind + " costs less than verifying a valid token",
					fmt.Sprintf("%s vs %s", duration(ns(ref)), duration(ns(valid))), verdict(ns(ref) < ns(valid))})
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("#### Targets measured by the Go benchmarks\n\n| target | measured (medians) | |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s |\n", r.target, r.measured, r.verdict)
	}
	b.WriteString("\n")
}
