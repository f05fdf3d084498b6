package bearer

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/verifier"
)

func TestLogLimiter(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }

	l := newLogLimiter(3, now)
	admitted := 0
	for i := 0; i < 10; i++ {
		if ok, dropped := l.admit(); ok {
			admitted++
			if dropped != 0 {
				t.Errorf("record %d: %d dropped before it, within the first second", i, dropped)
			}
		}
	}
	if admitted != 3 {
		t.Fatalf("admitted %d of 10 in one second, want 3", admitted)
	}
	clock.Add(int64(time.Second))
	if ok, dropped := l.admit(); !ok || dropped != 7 {
		t.Errorf("next second: admitted %v, dropped %d; want true, 7", ok, dropped)
	}
	if ok, dropped := l.admit(); !ok || dropped != 0 {
		t.Errorf("after the report: admitted %v, dropped %d; want true, 0", ok, dropped)
	}

	unlimited := newLogLimiter(-1, now)
	for i := 0; i < 1000; i++ {
		if ok, _ := unlimited.admit(); !ok {
			t.Fatalf("a negative rate dropped record %d", i)
		}
	}
	if d := newLogLimiter(0, now); d.perSecond != DefaultLogRate {
		t.Errorf("zero rate: %d per second, want DefaultLogRate", d.perSecond)
	}
}

// TestLogRateUnderFlood: a flood of bad tokens from many goroutines is
// refused in full, while the log gets at most LogRate lines per second.
func TestLogRateUnderFlood(t *testing.T) {
	var buf logtest.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	fv := &fakeVerifier{fn: func(string) (*verifier.Token, error) {
		return nil, &verifier.ValidationError{Kind: verifier.ErrInvalidSignature}
	}}
	h := Middleware(fv, Options{Logger: logger, LogRate: 5})(okHandler)
	start := time.Now()
	var refused atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
				r.Header.Set("Authorization", "Bearer forged")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code == http.StatusUnauthorized {
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	seconds := int(time.Since(start)/time.Second) + 1 // whole seconds the flood touched
	if refused.Load() != 1000 {
		t.Errorf("refused %d of 1000", refused.Load())
	}
	lines := strings.Count(buf.String(), "\n")
	if lines < 1 || lines > 5*(seconds+1) {
		t.Errorf("%d log lines for 1000 refusals over ~%d s, want 1 to %d", lines, seconds, 5*(seconds+1))
	}
}
