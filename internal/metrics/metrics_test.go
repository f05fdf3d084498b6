package metrics_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

var quiet = slog.New(slog.DiscardHandler)

// program is the program's handler with metrics on, its verifier being a
// devissuer's, and what a test needs to call it.
type program struct {
	iss      *devissuer.Server
	verifier *verifier.Verifier
	metrics  *metrics.Metrics
	handler  http.Handler
}

// metricsSource is the program's verifier.
func (p *program) metricsSource() *verifier.Verifier { return p.verifier }

func newProgram(t testing.TB, scopes ...string) *program {
	t.Helper()
	iss := devissuertest.Start(t, devissuer.Options{})
	v := devissuertest.Verifier(t, iss)
	m := metrics.New(v)
	h := server.New(server.Deps{Verifier: v, Logger: quiet, Metrics: m, RequiredScopes: scopes, SecureRoute: true})
	return &program{iss: iss, verifier: v, metrics: m, handler: h}
}

// mint returns an access token of the issuer with the claims overridden.
func (p *program) mint(t testing.TB, overrides map[string]any) string {
	t.Helper()
	tok, err := p.iss.Issuer.MintAccessToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call serves GET path with the Authorization header auth ("" for none)
// and returns the status.
func (p *program) call(path, auth string) int {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	p.handler.ServeHTTP(w, r)
	return w.Code
}

// families gathers the metrics by name.
func families(t testing.TB, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := make(map[string]*dto.MetricFamily, len(fams))
	for _, f := range fams {
		byName[f.GetName()] = f
	}
	return byName
}

// series returns the values of a metric family keyed by its labels,
// "name=value,…" in the order of the family's labels.
func series(t testing.TB, m *metrics.Metrics, name string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	f := families(t, m)[name]
	if f == nil {
		return out
	}
	for _, s := range f.GetMetric() {
		var labels []string
		for _, l := range s.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		v := s.GetCounter().GetValue() + s.GetGauge().GetValue()
		if h := s.GetHistogram(); h != nil {
			v = float64(h.GetSampleCount())
		}
		out[strings.Join(labels, ",")] = v
	}
	return out
}

func decisionKey(issuer, route, result, reason string) string {
	return "issuer=" + issuer + ",reason=" + reason + ",result=" + result + ",route=" + route
}

// TestDecisionsCountedThroughServer makes requests through the program's
// handler and sees each counted once, under its issuer, route and reason.
func TestDecisionsCountedThroughServer(t *testing.T) {
	p := newProgram(t)
	iss := p.iss.URL
	valid := "Bearer " + p.mint(t, nil)
	cases := []struct {
		path, auth     string
		status         int
		issuer, reason string
	}{
		{"/api/messages", valid, 200, iss, "ok"},
		{"/api/messages", valid, 200, iss, "ok"},
		{"/secure", valid, 200, iss, "ok"},
		{"/api/messages", "", 401, "unknown", "missing_token"},
		{"/api/messages", "Bearer a b", 400, "unknown", "invalid_request"},
		{"/api/messages", "Bearer " + p.mint(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}), 401, iss, "expired"},
		{"/api/messages", "Bearer " + p.mint(t, map[string]any{"aud": "api://other"}), 401, iss, "wrong_audience"},
		{"/api/messages", "Bearer " + p.mint(t, map[string]any{"iss": "https://attacker.example"}), 401, "unknown", "wrong_issuer"},
		{"/api/messages", "Bearer not-a-jwt", 401, "unknown", "malformed"},
	}
	want := map[string]float64{}
	for _, c := range cases {
		if got := p.call(c.path, c.auth); got != c.status {
			t.Fatalf("GET %s with %.20q: status %d, want %d", c.path, c.auth, got, c.status)
		}
		result := "denied"
		if c.reason == "ok" {
			result = "allowed"
		}
		want[decisionKey(c.issuer, "GET "+c.path, result, c.reason)]++
		if got := series(t, p.metrics, "resource_server_auth_decisions_total"); !mapsEqual(got, want) {
			t.Fatalf("after GET %s (%s): decisions\n%v\nwant\n%v", c.path, c.reason, got, want)
		}
	}
	durations := series(t, p.metrics, "resource_server_request_duration_seconds")
	if got := durations["route=GET /api/messages"]; got != float64(len(cases)-1) {
		t.Errorf("duration observations of GET /api/messages: %v, want %d (all: %v)", got, len(cases)-1, durations)
	}
}

// TestInsufficientScopeCountedOnce: a 403 from RequireScopes is the
// request's one decision; the admission before it is not counted.
func TestInsufficientScopeCountedOnce(t *testing.T) {
	p := newProgram(t, "messages:read")
	iss := p.iss.URL
	if got := p.call("/api/messages", "Bearer "+p.mint(t, map[string]any{"scp": []string{"other"}})); got != 403 {
		t.Fatalf("status %d, want 403", got)
	}
	if got := p.call("/api/messages", "Bearer "+p.mint(t, map[string]any{"scp": []string{"messages:read"}})); got != 200 {
		t.Fatalf("status %d, want 200", got)
	}
	want := map[string]float64{
		decisionKey(iss, "GET /api/messages", "denied", "insufficient_scope"): 1,
		decisionKey(iss, "GET /api/messages", "allowed", "ok"):                1,
	}
	if got := series(t, p.metrics, "resource_server_auth_decisions_total"); !mapsEqual(got, want) {
		t.Fatalf("decisions %v, want %v", got, want)
	}
}

// TestHostileTokensKeepLabelsClosed sends tokens with random issuers, huge
// kids, random claims and garbage: every label value stays in its closed
// set, and the number of series does not grow with the traffic.
func TestHostileTokensKeepLabelsClosed(t *testing.T) {
	p := newProgram(t)
	valid := p.mint(t, nil)
	header, _, _ := strings.Cut(valid, ".")
	for i := range 200 {
		rnd := randomHex(t, 16)
		payload := map[string]any{"iss": "https://" + rnd + ".example", "sub": rnd, "exp": time.Now().Add(time.Hour).Unix()}
		if i%4 == 1 {
			payload["iss"] = p.iss.URL + "/" + rnd // near the configured issuer
		}
		hdr := header
		if i%4 == 2 {
			hdr = b64(t, map[string]any{"alg": "RS256", "kid": strings.Repeat(rnd, 4000)})
		}
		tok := hdr + "." + b64(t, payload) + "." + base64.RawURLEncoding.EncodeToString([]byte(rnd))
		if i%4 == 3 {
			tok = rnd + "." + rnd + "." + rnd
		}
		p.call("/api/messages", "Bearer "+tok)
		p.call("/nowhere/"+rnd, "Bearer "+tok)
	}
	routes := []string{"GET /api/messages", "/"}
	issuers := []string{p.iss.URL, "unknown"}
	got := series(t, p.metrics, "resource_server_auth_decisions_total")
	for key := range got {
		for _, l := range strings.Split(key, ",") {
			name, value, _ := strings.Cut(l, "=")
			ok := map[string]bool{
				"issuer": slices.Contains(issuers, value),
				"route":  slices.Contains(routes, value),
				"result": slices.Contains([]string{"allowed", "denied", "unavailable"}, value),
				"reason": slices.Contains(metrics.Reasons[:], value),
			}[name]
			if !ok {
				t.Errorf("label %s=%.80q is outside its closed set", name, value)
			}
		}
	}
	if len(got) > 6 {
		t.Errorf("%d decision series after 200 hostile tokens, want a handful: %v", len(got), got)
	}
	if d := series(t, p.metrics, "resource_server_request_duration_seconds"); len(d) != len(routes) {
		t.Errorf("duration series %v, want one per route %v", d, routes)
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func b64(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
