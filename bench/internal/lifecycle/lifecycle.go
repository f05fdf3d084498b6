// Package lifecycle lets the load benchmark's helper processes end with the
// script that started them: on SIGTERM or SIGINT, and, when standard input
// is a pipe, when it closes (the script holds the pipe's other end, so the
// helpers die with it even when it is killed).
package lifecycle

import (
	"io"
	"os"
	"os/signal"
	"syscall"
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
