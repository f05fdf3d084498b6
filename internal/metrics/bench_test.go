package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/messages"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/internal/server"
)

// BenchmarkHandler serves GET /api/messages with a valid, repeated token
// through the program's handler without metrics ("ours") and with them
// ("ours-metrics"), beside the ceiling (the same JSON, no authentication):
// what the metrics add to the hot path in process. Nothing is asserted.
func BenchmarkHandler(b *testing.B) {
	p := newProgram(b)
	v := p.metricsSource()
	tok := p.mint(b, nil)
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"ceiling", messages.Handler(time.Now)},
		{"ours", server.New(server.Deps{Verifier: v, Logger: quiet})},
		{"ours-metrics", server.New(server.Deps{Verifier: v, Logger: quiet, Metrics: metrics.New(v)})},
	}
	for _, c := range handlers {
		b.Run("valid-repeated/"+c.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
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

// BenchmarkHotPathParallel is what the metrics cost a request when every
// core serves requests: a decision counted and a duration observed, from
// all goroutines at once (the counters are sharded so that cores seldom
// write one cache line).
func BenchmarkHotPathParallel(b *testing.B) {
	m := metrics.New(newFake())
	h := m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Pattern = "GET /api/messages"
		m.Observe(r, bearer.Decision{Status: http.StatusOK})
	}))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
		for pb.Next() {
			h.ServeHTTP(nil, r)
		}
	})
}
