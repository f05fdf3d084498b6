package bearer_test

// The middleware on a valid request with the real verifier, as the program
// wires it. scripts/bench-go runs it; nothing here asserts a timing.

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

func benchVerifier(b *testing.B) (*devissuer.Server, *verifier.Verifier) {
	b.Helper()
	srv := devissuertest.Start(b, devissuer.Options{})
	v := verifierFor(b, srv)
	if err := v.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	return srv, v
}

// BenchmarkMiddlewareValid serves GET /api/messages with a valid, repeated
// token through Middleware and the default verifier (its verified-token
// cache, once it exists, answers after the first request). The handler reads
// the token from the context and writes nothing, so the figures are the
// middleware's and the verifier's; "recorder" includes the
// httptest.NewRecorder made for every request, "reused-writer" does not.
func BenchmarkMiddlewareValid(b *testing.B) {
	srv, v := benchVerifier(b)
	tok, err := srv.Issuer.MintAccessToken(nil)
	if err != nil {
		b.Fatal(err)
	}
	h := bearer.Middleware(v, bearer.Options{Logger: discard})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := bearer.FromContext(r.Context()); !ok {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	first := httptest.NewRecorder()
	h.ServeHTTP(first, r)
	if first.Code != http.StatusOK {
		b.Fatalf("status %d: %s", first.Code, first.Header().Get("WWW-Authenticate"))
	}
	b.Run("recorder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	b.Run("reused-writer", func(b *testing.B) {
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
		}
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	})
}

// BenchmarkMiddlewareRefused serves a request whose token is refused
// (forged signature, then garbage): the challenge is built and written.
func BenchmarkMiddlewareRefused(b *testing.B) {
	srv, v := benchVerifier(b)
	tok, err := srv.Issuer.MintAccessToken(nil)
	if err != nil {
		b.Fatal(err)
	}
	h := bearer.Middleware(v, bearer.Options{Logger: discard})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	sig := len(tok) - 20
	forged := tok[:sig] + map[bool]string{true: "B", false: "A"}[tok[sig] == 'A'] + tok[sig+1:]
	for _, c := range []struct{ name, token string }{
		{"forged-signature", forged},
		{"garbage", "not-a-token"},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
			r.Header.Set("Authorization", "Bearer "+c.token)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusUnauthorized {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
