package metrics_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/verifier"
)

// fakeSource reports fixed figures, as *verifier.Set would for two issuers,
// one of them a template.
type fakeSource struct {
	status []verifier.IssuerStatus
	cache  verifier.CacheStats
}

func (f *fakeSource) Status() []verifier.IssuerStatus { return f.status }
func (f *fakeSource) CacheStats() verifier.CacheStats { return f.cache }

const (
	okta  = "https://dev-123456.okta.com/oauth2/default"
	entra = "https://login.microsoftonline.com/{tenantid}/v2.0"
)

var now = time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)

func newFake() *fakeSource {
	return &fakeSource{
		status: []verifier.IssuerStatus{
			{Issuer: okta, Ready: true, KeyCount: 2, KeysFetched: now.Add(-90 * time.Second), Fetches: 5, FetchFailures: 1},
			{Issuer: entra, Fetches: 3, FetchFailures: 3, LastError: "dial tcp: refused"},
		},
		cache: verifier.CacheStats{Hits: 10, Misses: 4, Evictions: 1, Entries: 3},
	}
}

// TestSourceReadAtScrape: the issuers' and the cache's figures are what
// the Source says when scraped, labelled by the configured issuers.
func TestSourceReadAtScrape(t *testing.T) {
	src := newFake()
	m := metrics.New(src, metrics.WithClock(func() time.Time { return now }))
	checks := []struct {
		name string
		want map[string]float64
	}{
		{"resource_server_jwks_fetches_total", map[string]float64{
			"issuer=" + okta + ",outcome=success": 4, "issuer=" + okta + ",outcome=failure": 1,
			"issuer=" + entra + ",outcome=success": 0, "issuer=" + entra + ",outcome=failure": 3}},
		{"resource_server_issuer_keys_age_seconds", map[string]float64{"issuer=" + okta: 90}},
		{"resource_server_issuer_keys", map[string]float64{"issuer=" + okta: 2, "issuer=" + entra: 0}},
		{"resource_server_issuer_ready", map[string]float64{"issuer=" + okta: 1, "issuer=" + entra: 0}},
		{"resource_server_token_cache_hits_total", map[string]float64{"": 10}},
		{"resource_server_token_cache_misses_total", map[string]float64{"": 4}},
		{"resource_server_token_cache_evictions_total", map[string]float64{"": 1}},
		{"resource_server_token_cache_entries", map[string]float64{"": 3}},
	}
	for _, c := range checks {
		if got := series(t, m, c.name); !mapsEqual(got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	src.cache.Hits = 11 // read again at the next scrape
	if got := series(t, m, "resource_server_token_cache_hits_total")[""]; got != 11 {
		t.Errorf("hits after a change: %v, want 11", got)
	}
}

// TestHandlerServesMetricsOnly: GET /metrics answers the text format;
// other paths are not found.
func TestHandlerServesMetricsOnly(t *testing.T) {
	h := metrics.New(newFake()).Handler()
	body, status := get(t, h, "/metrics")
	if status != 200 || !strings.Contains(body, "resource_server_token_cache_hits_total 10") {
		t.Errorf("GET /metrics: %d\n%s", status, body)
	}
	if _, status := get(t, h, "/"); status != http.StatusNotFound {
		t.Errorf("GET /: %d, want 404", status)
	}
}

func get(t testing.TB, h http.Handler, path string) (string, int) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(w.Result().Body)
	return string(b), w.Code
}

// TestPromtoolCheckMetrics runs Debian's promtool (package prometheus) on
// the /metrics output of a program that has answered every kind of
// request: it must find no problem. Without promtool the test is skipped,
// unless CI is set: then it fails (scripts/test installs it).
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found and CI is set: install Debian's prometheus package (scripts/test does)")
		}
		t.Skip("promtool not found: install Debian's prometheus package (scripts/test does), or set CI to make this a failure")
	}
	p := newProgram(t, "messages:read")
	p.call("/api/messages", "Bearer "+p.mint(t, map[string]any{"scp": []string{"messages:read"}}))
	p.call("/api/messages", "Bearer "+p.mint(t, nil))
	p.call("/api/messages", "")
	p.call("/api/messages", "Bearer x.y.z")
	p.call("/nowhere", "")
	body, status := get(t, p.metrics.Handler(), "/metrics")
	if status != 200 || !strings.Contains(body, "resource_server_auth_decisions_total{") {
		t.Fatalf("GET /metrics: %d\n%s", status, body)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || strings.TrimSpace(out.String()) != "" {
		t.Errorf("promtool check metrics: %v\n%s\n--- input:\n%s", err, out.String(), body)
	}
}

// TestRefusedTokenIssuer: a refused token is labelled with its unverified
// "iss" only when that is a configured issuer or fits a template; else
// "unknown".
func TestRefusedTokenIssuer(t *testing.T) {
	m := metrics.New(newFake())
	unsigned := func(iss string) string {
		return b64(t, map[string]any{"alg": "RS256"}) + "." + b64(t, map[string]any{"iss": iss}) + ".c2ln"
	}
	r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
	r.Pattern = "GET /api/messages"
	cause := &verifier.ValidationError{Kind: verifier.ErrInvalidSignature}
	for _, iss := range []string{okta, "https://login.microsoftonline.com/72f988bf/v2.0", "https://evil.example", okta + "/"} {
		refusal := &bearer.Error{Status: 401, Code: bearer.CodeInvalidToken}
		m.Observe(r, bearer.Decision{Status: 401, Err: refusal, Cause: cause, Raw: unsigned(iss)})
	}
	want := map[string]float64{
		decisionKey(okta, "GET /api/messages", "denied", "invalid_signature"):      1,
		decisionKey(entra, "GET /api/messages", "denied", "invalid_signature"):     1,
		decisionKey("unknown", "GET /api/messages", "denied", "invalid_signature"): 2,
	}
	if got := series(t, m, "resource_server_auth_decisions_total"); !mapsEqual(got, want) {
		t.Errorf("decisions %v, want %v", got, want)
	}
}

// BenchmarkObserve is the cost of counting an admitted request's decision
// on the hot path: it must not allocate.
func BenchmarkObserve(b *testing.B) {
	m := metrics.New(newFake())
	r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
	r.Pattern = "GET /api/messages"
	d := bearer.Decision{Status: 401, Err: &bearer.Error{Status: 401}}
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(r, d)
	}
}
