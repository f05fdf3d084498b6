// Package report holds what the benchmark reports (bench/cmd/loadreport,
// bench/cmd/gatewayreport) compute and print alike: medians over rounds
// and the cells of their Markdown tables.
package report

import (
	"fmt"
	"math"
	"slices"
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
