// Package lifecycle lets the load benchmark's helper processes end with the
// script that started them: on SIGTERM or SIGINT, and, when standard input
// is a pipe, when it closes (the script holds the pipe's other end, so the
// helpers die with it even when it is killed).
package lifecycle

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/resource-server/resource-server/internal/httpserver"
)

// Wait blocks until the process is asked to stop.
func Wait() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	eof := make(chan struct{})
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	}
	select {
	case <-stop:
	case <-eof:
	}
}

// Serve serves h on 127.0.0.1:port (0: a free port) with the resource
// server's http.Server limits, prints "READY <port>", and returns when the
// process is asked to stop (Wait). A failure to listen or serve ends the
// process, naming it name.
func Serve(name string, port int, h http.Handler) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	srv := httpserver.New(h, nil)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, name+":", err)
			os.Exit(1)
		}
	}()
	fmt.Printf("READY %d\n", ln.Addr().(*net.TCPAddr).Port)
	Wait()
	srv.Close()
}
