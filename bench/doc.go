// Package bench compares the verifier with the Go libraries a user would
// pick instead, in one run, on the same tokens and keys: its benchmarks are
// in peers_test.go. The commands under cmd/ are the helpers of the load
// benchmark and of the reports:
//
//   - cmd/ratios reads `go test -bench` output and writes the medians and
//     ratios table (scripts/bench-go);
//   - cmd/issuer runs a development issuer on loopback and writes tokens to
//     files for the load generator (scripts/bench-load);
//   - cmd/ceiling is the no-authentication server that bounds what any
//     resource server can reach (scripts/bench-load);
//   - cmd/loadtool holds the load script's small steps: free ports,
//     readiness, feeding tokens once each, /proc readings, waiting for a
//     quiet machine (scripts/bench-load, scripts/bench-go);
//   - cmd/loadreport turns the load results into a table and an SVG chart
//     (scripts/bench-load);
//   - cmd/profserve serves the program's handler with net/http/pprof beside
//     it, to profile the server under the load generator.
//
// load/bearer.lua is the wrk script: one token, or a file of them cycled.
//
// It is a module of its own so that the peers' dependencies never reach the
// library's users.
package bench
