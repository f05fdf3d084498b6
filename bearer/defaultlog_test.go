package bearer

import (
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/verifier"
)

// setDefaultLogger makes slog.Default() write JSON at Debug to the returned
// buffer until the test ends. It restores the log package's output too,
// which slog.SetDefault redirects.
func setDefaultLogger(t *testing.T) *logtest.Buffer {
	t.Helper()
	old, w, flags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(w)
		log.SetFlags(flags)
	})
	var buf logtest.Buffer
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return &buf
}

// TestZeroOptionsLog: Options{} logs refusals through slog.Default() (the
// one in force when the record is written, not when Middleware ran), capped
// by LogRate; a discarding Logger silences them.
func TestZeroOptionsLog(t *testing.T) {
	const secret = "s3cret-token.value"
	fv := &fakeVerifier{fn: func(string) (*verifier.Token, error) {
		return nil, &verifier.ValidationError{Kind: verifier.ErrInvalidSignature}
	}}
	tests := []struct {
		name  string
		opts  Options
		sends int
		lines int // at most, per second the test touches
	}{
		{"zero Options", Options{}, 1, 1},
		{"zero Options, capped", Options{LogRate: 2}, 10, 2},
		{"discarding logger", Options{Logger: slog.New(slog.DiscardHandler)}, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Middleware(fv, tt.opts)(okHandler) // before slog.SetDefault
			buf := setDefaultLogger(t)
			start := time.Now()
			for range tt.sends {
				r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
				r.Header.Set("Authorization", "Bearer "+secret)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", w.Code)
				}
			}
			seconds := int(time.Since(start)/time.Second) + 1
			logs := buf.String()
			lines := strings.Count(logs, "\n")
			switch {
			case tt.lines == 0 && lines != 0:
				t.Errorf("logged %d lines, want none: %s", lines, logs)
			case tt.lines > 0 && (lines < 1 || lines > tt.lines*seconds):
				t.Errorf("logged %d lines for %d refusals over ~%d s, want 1 to %d: %s", lines, tt.sends, seconds, tt.lines*seconds, logs)
			case tt.lines > 0 && !strings.Contains(logs, `"msg":"bearer: request refused"`):
				t.Errorf("log %s lacks the refusal record", logs)
			}
			if strings.Contains(logs, secret) {
				t.Errorf("log holds the token: %s", logs)
			}
		})
	}
}
