// Command upstream is the upstream of scripts/bench-gateway: a net/http
// server with no authentication that answers every request with the same
// small JSON, behind which every target of the benchmark (the plain reverse
// proxy, the gateway, nginx, Caddy) is measured, and which is also measured
// alone (upstream-direct). It echoes nothing it is sent: only whether an
// X-Auth-Subject header arrived (true or false), so that the benchmark can
// check that a gateway in front of it set its claim header.
//
// It listens on 127.0.0.1 (-port 0: a free port) with the resource server's
// http.Server limits, prints "READY <port>", and stops on SIGTERM/SIGINT or
// when standard input closes.
package main

import (
	"flag"
	"net/http"

	"github.com/resource-server/resource-server/bench/internal/lifecycle"
)

var (
	withSubject    = []byte(`{"message":"Hello from the upstream","auth_subject_header":true}` + "\n")
	withoutSubject = []byte(`{"message":"Hello from the upstream","auth_subject_header":false}` + "\n")
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	flag.Parse()
	lifecycle.Serve("upstream", *port, http.HandlerFunc(answer))
}

// answer writes the fixed JSON, saying only whether X-Auth-Subject came.
func answer(w http.ResponseWriter, r *http.Request) {
	body := withoutSubject
	if r.Header.Get("X-Auth-Subject") != "" {
		body = withSubject
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
