// Package report holds what the benchmark reports (bench/cmd/loadreport,
// bench/cmd/gatewayreport) compute and print alike: medians over rounds
// and the cells of their Markdown tables.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// Median is the median of v, ignoring NaN (a round that measured
// nothing); NaN when nothing is left.
func Median(v []float64) float64 {
	s := slices.DeleteFunc(slices.Clone(v), math.IsNaN)
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Micros formats a duration of v µs for a table: "–" for NaN, one decimal
// under 100 µs, milliseconds from 1000 µs.
func Micros(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v < 100:
		return fmt.Sprintf("%.1f µs", v)
	case v < 1000:
		return fmt.Sprintf("%.0f µs", v)
	default:
		return fmt.Sprintf("%.1f ms", v/1000)
	}
}

// Count formats v as a whole number for a table, "–" for NaN.
func Count(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f", v)
}

// Version is a tool's version for a report's header, "not installed" when
// it has none.
func Version(s string) string {
	if s == "" {
		return "not installed"
	}
	return s
}

// ReadLines reads a results file of the benchmark scripts: one JSON object
// per line, blank lines skipped, each decoded into a T. An error names the
// file and the line it could not decode.
func ReadLines[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s: %v: %s", path, err, sc.Text())
		}
		out = append(out, v)
	}
	return out, sc.Err()
}
