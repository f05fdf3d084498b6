package server_test

// The whole program handler (recovery, access log, CORS, mux, bearer
// middleware, verifier, messages JSON) in process, beside the ceiling: a
// handler that writes the same JSON with no authentication and nothing
// around it. scripts/bench-go runs it; nothing here asserts a timing.

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/messages"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

// BenchmarkMessagesHandler serves GET /api/messages with a valid, repeated
// token through the program's handler (variant "ours") and through the
// ceiling. A new httptest.ResponseRecorder per request, as a server makes a
// new response per request.
func BenchmarkMessagesHandler(b *testing.B) {
	iss := devissuertest.Start(b, devissuer.Options{})
	v := devissuertest.Verifier(b, iss)
	set, err := verifier.NewSet(devissuertest.VerifierConfig(iss))
	if err != nil {
		b.Fatal(err)
	}
	if err := set.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	tok, err := iss.Issuer.MintAccessToken(nil)
	if err != nil {
		b.Fatal(err)
	}
	// ours-metrics is the program as cmd/resource-server wires it with
	// ADMIN_PORT set: a verifier.Set and internal/metrics.
	m := metrics.New(set, metrics.WithIssuers(set.Issuers()...))
	handlers := []struct {
		name string
		h    http.Handler
		auth bool
	}{
		{"ceiling", messages.Handler(time.Now), false},
		{"ours", server.New(server.Deps{Verifier: v, Logger: quiet}), true},
		{"ours-metrics", server.New(server.Deps{Verifier: set, Logger: quiet, Metrics: m}), true},
	}
	// valid-repeated sends Origin, as the front-end does; no-origin does
	// not, as API clients and the load benchmark's wrk do.
	for _, origin := range []string{"http://localhost:8080", ""} {
		group := "valid-repeated"
		if origin == "" {
			group = "valid-repeated-no-origin"
		}
		for _, c := range handlers {
			b.Run(group+"/"+c.name, func(b *testing.B) {
				r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
				if origin != "" {
					r.Header.Set("Origin", origin)
				}
				if c.auth {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					c.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
		}
	}
}
