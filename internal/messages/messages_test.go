package messages_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/messages"
)

func TestHandler(t *testing.T) {
	now := func() time.Time { return time.Date(2025, 5, 1, 10, 30, 0, 0, time.FixedZone("CEST", 2*3600)) }
	w := httptest.NewRecorder()
	messages.Handler(now).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/messages", nil))
	want := `{"messages":[{"date":"2025-05-01T08:30:00.000Z","text":"I am a robot."},{"date":"2025-05-01T07:30:00.000Z","text":"Hello, world!"}]}`
	if w.Code != http.StatusOK || w.Body.String() != want {
		t.Errorf("status %d, body %s; want 200, %s", w.Code, w.Body, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}
