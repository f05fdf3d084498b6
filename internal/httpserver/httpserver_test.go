package httpserver

import (
	"log/slog"
	"net/http"
	"testing"
	"time"
)

func TestHTTPServerLimits(t *testing.T) {
	s := New(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": s.ReadHeaderTimeout, "ReadTimeout": s.ReadTimeout,
		"WriteTimeout": s.WriteTimeout, "IdleTimeout": s.IdleTimeout,
	} {
		if d <= 0 || d > 2*time.Minute {
			t.Errorf("%s is %v: a slow client must not hold a connection indefinitely", name, d)
		}
	}
	if s.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout %v: slowloris needs it short", s.ReadHeaderTimeout)
	}
	// Room for a token at the verifier's 16 KiB cap and ordinary headers,
	// far below net/http's 1 MiB default.
	if s.MaxHeaderBytes < 24<<10 || s.MaxHeaderBytes > 128<<10 {
		t.Errorf("MaxHeaderBytes %d", s.MaxHeaderBytes)
	}
	if s.ErrorLog == nil {
		t.Error("net/http's errors do not reach the logger")
	}
	if s := New(http.NotFoundHandler(), nil); s.ErrorLog != nil {
		t.Error("without a logger, ErrorLog should be net/http's default")
	}
}
