// Package httpserver builds the http.Server of every listener of the
// program, and of the benchmarks' helper servers, which are measured
// under the same limits.
package httpserver

import (
	"log/slog"
	"net/http"
	"time"
)

// New returns an http.Server for h with the timeouts and limits
// a server facing the internet needs: slow clients cannot hold connections
// or memory. net/http's own errors (a bad TLS handshake, a malformed
// request line) go to log at Debug; nil leaves them to net/http's default
// logger.
func New(h http.Handler, log *slog.Logger) *http.Server {
	s := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		// Room for a token at the verifier's 16 KiB cap and ordinary
		// headers, far below net/http's 1 MiB default.
		MaxHeaderBytes: 64 << 10,
	}
	if log != nil {
		s.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	}
	return s
}
