package gateway_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/verifier"
)

// issuer is a development issuer and a verifier of its tokens.
type issuer struct {
	srv *devissuer.Server
	v   *verifier.Verifier
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	srv := devissuertest.Start(t, devissuer.Options{})
	v := devissuertest.Verifier(t, srv)
	return &issuer{srv: srv, v: v}
}

// mint returns a signed access token with overrides applied.
func (i *issuer) mint(t testing.TB, overrides map[string]any) string {
	t.Helper()
	tok, err := i.srv.Issuer.MintAccessToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// seen is what the echo upstream saw of a request.
type seen struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Query  string      `json:"query"`
	Host   string      `json:"host"`
	Header http.Header `json:"header"`
}

// echo answers 200 with what it saw of the request, as JSON.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Host, r.Header})
})

// upstream starts h on 127.0.0.1 and returns its URL.
func upstream(t testing.TB, h http.Handler) *url.URL {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	return u
}

// quiet is the logger of tests that do not read logs.
var quiet = slog.New(slog.DiscardHandler)

// start builds a gateway from cfg (with quiet loggers unless set) and serves
// it on 127.0.0.1.
func start(t testing.TB, cfg gateway.Config) (*gateway.Gateway, *httptest.Server) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	if cfg.Bearer.Logger == nil {
		cfg.Bearer.Logger = quiet
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s := httptest.NewServer(g)
	t.Cleanup(s.Close)
	return g, s
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body.
func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// seen decodes the echo upstream's answer.
func (r response) seen(t testing.TB) seen {
	t.Helper()
	var s seen
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("status %d, body %q: %v", r.status, r.body, err)
	}
	return s
}

// do sends a request with headers ("Name: value" pairs) and a bearer token
// (none when "").
func do(t testing.TB, method, u, token string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		if name == "Host" { // the client sends req.Host, never Header["Host"]
			req.Host = value
			continue
		}
		req.Header.Add(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

// refusedLike checks a JSON refusal: status, error code, no-store.
func refusedLike(t testing.TB, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	if ct, cc := r.header.Get("Content-Type"), r.header.Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
		t.Errorf("Content-Type %q, Cache-Control %q; want application/json, no-store", ct, cc)
	}
	if got := r.json(t)["error"]; got != code {
		t.Errorf("error %v, want %q (body %s)", got, code, r.body)
	}
}

var _ = bearer.DefaultRealm
