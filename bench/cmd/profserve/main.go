// Command profserve serves the resource server's HTTP handler wired as
// cmd/resource-server wires it (verifier with the default cache, the
// program's routes, the same http.Server limits, Info logs to -log), plus
// net/http/pprof on a second loopback port, so that the server can be
// profiled under the load benchmark's wrk:
//
//	profserve -issuer URL -port 18080 -pprof 18081 &
//	curl -o cpu.pprof 'http://127.0.0.1:18081/debug/pprof/profile?seconds=8' &
//	WRK_MODE=cycle WRK_TOKENS=tokens.txt WRK_RESULT=r.json WRK_THREADS=2 \
//	  wrk -t2 -c32 -d10s -s bench/load/bearer.lua http://127.0.0.1:18080/api/messages
//	go tool pprof -top -cum profserve cpu.pprof
//
// With -metrics the handler counts and times requests (internal/metrics, as
// the program does when its admin listener is on) and GET /metrics is served
// on the -pprof port; -pprof 0 serves neither pprof nor metrics (a port of
// its own for the API only). scripts/bench-load uses it so when the program
// has no admin listener to turn on.
//
// It is for profiles only: the figures of docs/BENCHMARKS.md come from the
// real binary. Keep its wiring in step with cmd/resource-server's run().
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // on the -pprof port only
	"os"

	"github.com/resource-server/resource-server/internal/httpserver"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

func main() {
	issuer := flag.String("issuer", "", "issuer URL (e.g. from bench/cmd/issuer)")
	port := flag.Int("port", 18080, "API port on 127.0.0.1")
	pprofPort := flag.Int("pprof", 18081, "pprof port on 127.0.0.1")
	logFile := flag.String("log", os.DevNull, "where the Info logs go")
	withMetrics := flag.Bool("metrics", false, "count and time requests (internal/metrics); GET /metrics on the -pprof port")
	flag.Parse()
	lf, err := os.Create(*logFile)
	if err != nil {
		fail(err)
	}
	log := slog.New(slog.NewTextHandler(lf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// A Set of one issuer, as the program builds for ISSUER.
	v, err := verifier.NewSet(verifier.Config{Issuer: *issuer, Audiences: []string{"api://default"}, InsecureAllowHTTP: true, Logger: log})
	if err != nil {
		fail(err)
	}
	if err := v.Refresh(context.Background()); err != nil {
		fail(err)
	}
	deps := server.Deps{Verifier: v, Logger: log, SecureRoute: true}
	if *withMetrics {
		deps.Metrics = metrics.New(v, metrics.WithIssuers(v.Issuers()...))
		http.Handle(metrics.Path, deps.Metrics.Handler())
	}
	h := server.New(deps)
	if *pprofPort != 0 {
		go func() { fail(http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *pprofPort), nil)) }()
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fail(err)
	}
	srv := httpserver.New(h, nil)
	fmt.Println("READY", *port)
	fail(srv.Serve(ln))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "profserve:", err)
	os.Exit(1)
}
