// Command noopauth is the no-op forward-auth endpoint of scripts/bench-gateway:
// a net/http server that answers every request 200 with an empty body and a
// fixed X-Auth-Subject header, checking nothing. nginx's auth_request to it
// is the baseline of the program's forward-auth endpoint (/_auth): the same
// nginx configuration, the same subrequest, the same header copied to the
// upstream, and no token verified.
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

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	flag.Parse()
	lifecycle.Serve("noopauth", *port, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Auth-Subject", "noop")
		w.WriteHeader(http.StatusOK)
	}))
}
