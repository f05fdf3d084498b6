// Command ceiling is the load benchmark's ceiling: a net/http server that
// answers GET /api/messages with the resource server's own messages handler
// (internal/server.Messages) and checks nothing. No resource server can beat
// it on the same machine. It listens on 127.0.0.1 (-port 0: a free port), prints
// "READY <port>", and stops on SIGTERM/SIGINT or when standard input closes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/resource-server/resource-server/bench/internal/lifecycle"
	"github.com/resource-server/resource-server/internal/server"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/messages", server.Messages(time.Now))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ready\n") })
	// The same limits as the resource server's http.Server.
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "ceiling:", err)
			os.Exit(1)
		}
	}()
	fmt.Printf("READY %d\n", ln.Addr().(*net.TCPAddr).Port)

	lifecycle.Wait()
	srv.Close()
}
