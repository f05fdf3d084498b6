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
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

// BenchmarkMessagesHandler serves GET /api/messages with a valid, repeated
// token through the program's handler (variant "ours") and through the
// ceiling. A new httptest.ResponseRecorder per request, as a server makes a
// new response per request.
func BenchmarkMessagesHandler(b *testing.B) {
	iss := devissuertest.Start(b, devissuer.Options{})
	v, err := verifier.New(devissuertest.VerifierConfig(iss))
	if err != nil {
		b.Fatal(err)
	}
	if err := v.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	tok, err := iss.Issuer.MintAccessToken(nil)
	if err != nil {
		b.Fatal(err)
	}
	handlers := []struct {
		name string
		h    http.Handler
		auth bool
	}{
		{"ceiling", messages.Handler(time.Now), false},
		{"ours", server.New(server.Deps{Verifier: v, Logger: quiet}), true},
	}
	for _, c := range handlers {
		b.Run("valid-repeated/"+c.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
			r.Header.Set("Origin", "http://localhost:8080") // as the front-end sends it
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
