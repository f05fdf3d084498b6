package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

// fakeSet is a server.Verifier whose state the test sets.
type fakeSet struct {
	ready  bool
	status []verifier.IssuerStatus
}

func (f fakeSet) VerifyAccessToken(context.Context, string, ...string) (*verifier.Token, error) {
	return nil, verifier.ErrMalformed
}
func (f fakeSet) Ready() bool { return f.ready }
func (f fakeSet) Issuers() []string {
	var out []string
	for _, s := range f.status {
		out = append(out, s.Issuer)
	}
	return out
}
func (f fakeSet) Status() []verifier.IssuerStatus { return f.status }

// readyBody is /readyz's JSON.
type readyBody struct {
	Status  string `json:"status"`
	Rule    string `json:"rule"`
	Issuers []struct {
		Issuer    string `json:"issuer"`
		Ready     bool   `json:"ready"`
		Keys      int    `json:"keys"`
		Age       *int64 `json:"keys_age_seconds"`
		LastError string `json:"last_error"`
	} `json:"issuers"`
}

// TestReadyz: /readyz answers 200 or 503 as the verifier's rule decides,
// names the rule, and gives each issuer's key state, on the API and on the
// admin listener alike.
func TestReadyz(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	okta := verifier.IssuerStatus{Issuer: "https://a.example.com", Ready: true, KeyCount: 2, KeysFetched: now.Add(-90 * time.Second)}
	down := verifier.IssuerStatus{Issuer: "https://b.example.com", LastError: "fetching the keys: connection refused"}
	tests := []struct {
		name       string
		set        fakeSet
		wantStatus int
		wantText   string
	}{
		{"all ready", fakeSet{ready: true, status: []verifier.IssuerStatus{okta}}, 200, "ready"},
		{"one of two down", fakeSet{ready: true, status: []verifier.IssuerStatus{okta, down}}, 200, "ready"},
		{"none ready", fakeSet{status: []verifier.IssuerStatus{down}}, 503, "not ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			deps := server.Deps{Verifier: tt.set, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}
			for name, h := range map[string]http.Handler{"api": server.New(deps), "admin": server.Admin(deps, nil)} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
				var body readyBody
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != tt.wantStatus || body.Status != tt.wantText || body.Rule != verifier.ReadyRule {
					t.Fatalf("%s: %d %s", name, rec.Code, rec.Body)
				}
				if len(body.Issuers) != len(tt.set.status) {
					t.Fatalf("%s: issuers %s", name, rec.Body)
				}
				for i, st := range tt.set.status {
					got := body.Issuers[i]
					if got.Issuer != st.Issuer || got.Ready != st.Ready || got.Keys != st.KeyCount || got.LastError != st.LastError ||
						(got.Age == nil) != st.KeysFetched.IsZero() || got.Age != nil && *got.Age != 90 {
						t.Errorf("%s: issuer %d: %+v, want %+v", name, i, got, st)
					}
				}
			}
		})
	}
}

// TestAdminRoutes: the admin handler serves health, readiness and the
// metrics handler given, and nothing of the API.
func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("# metrics\n")) })
	deps := server.Deps{Verifier: fakeSet{ready: true}, Logger: slog.New(slog.DiscardHandler)}
	tests := []struct {
		path    string
		metrics http.Handler
		want    int
	}{
		{"/healthz", nil, 200},
		{"/readyz", nil, 200},
		{"/metrics", metrics, 200},
		{"/metrics", nil, 404},
		{"/api/messages", metrics, 404},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		server.Admin(deps, tt.metrics).ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("GET %s (metrics %v): %d, want %d", tt.path, tt.metrics != nil, rec.Code, tt.want)
		}
	}
}

// TestMetadataListsIssuers: authorization_servers lists every configured
// issuer in order, templates left out.
func TestMetadataListsIssuers(t *testing.T) {
	t.Parallel()
	set := fakeSet{ready: true, status: []verifier.IssuerStatus{{Issuer: "https://a.example.com"},
		{Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0"}, {Issuer: "https://b.example.com"}}}
	rec := httptest.NewRecorder()
	server.New(server.Deps{Verifier: set, Logger: slog.New(slog.DiscardHandler)}).
		ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/oauth-protected-resource", nil))
	var md struct {
		Servers []string `json:"authorization_servers"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &md); err != nil || !slices.Equal(md.Servers, []string{"https://a.example.com", "https://b.example.com"}) {
		t.Errorf("metadata: %d %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
}
