package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// ordersRoute is a routes: entry proxying GET /orders/{id} to upstream,
// for a token with orders:read, with the subject as X-Auth-Subject.
func ordersRoute(upstream string) string {
	return "  - match: GET /orders/{id}\n    upstream: " + upstream + "\n    scopes: [orders:read]\n    headers:\n      X-Auth-Subject: /sub\n"
}

// writeRoutes writes a YAML configuration holding routes (the entries of
// a routes: list) in a new directory, and returns its path.
func writeRoutes(t *testing.T, routes string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rs.yaml")
	if err := os.WriteFile(file, []byte("routes:\n"+routes), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// countingUpstream serves, on loopback until the test ends, an upstream
// answering "PATH X-Auth-Subject"; hits counts its requests.
func countingUpstream(t *testing.T) (url string, hits *atomic.Int64) {
	t.Helper()
	hits = new(atomic.Int64)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, r.URL.Path+" "+r.Header.Get("X-Auth-Subject"))
	}))
	t.Cleanup(up.Close)
	return up.URL, hits
}

// fetch sends GET u with header and returns the answer, its body read.
func fetch(t *testing.T, u string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestRunGateway: with routes: in its file, the program proxies a request
// with a valid token to the upstream, the claim header set, refuses one
// without, and answers the forward-auth endpoint for the route.
func TestRunGateway(t *testing.T) {
	t.Parallel()
	iss, vars := explainIssuer(t)
	upstream, hits := countingUpstream(t)
	api := "http://127.0.0.1:" + vars["PORT"]
	startRun(t, []string{"--config=" + writeRoutes(t, ordersRoute(upstream))}, vars, api+"/readyz")
	auth := "Bearer " + mint(t, iss, map[string]any{"sub": "alice", "scp": []string{"orders:read"}, "scope": nil})
	tests := []struct {
		name, path string
		header     http.Header
		status     int
		body       string
		challenge  string
		subject    string // the answer's X-Auth-Subject
	}{
		{name: "proxied", path: "/orders/7", header: http.Header{"Authorization": {auth}, "X-Auth-Subject": {"mallory"}}, status: 200, body: "/orders/7 alice"},
		{name: "no token", path: "/orders/7", status: 401, body: `"error"`,
			challenge: `Bearer realm="api", resource_metadata="` + api + `/.well-known/oauth-protected-resource/orders"`},
		{name: "forward auth", path: "/_auth", header: http.Header{"Authorization": {auth}, "X-Original-Uri": {"/orders/8"}}, status: 200, subject: "alice"},
		{name: "forward auth, no token", path: "/_auth", header: http.Header{"X-Original-Uri": {"/orders/8"}}, status: 401, body: `"error"`},
		{name: "forward auth, no route", path: "/_auth", header: http.Header{"Authorization": {auth}, "X-Original-Uri": {"/nope"}}, status: 404, body: "not_found"},
	}
	for _, tt := range tests {
		resp, body := fetch(t, api+tt.path, tt.header)
		ch := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) || tt.challenge != "" && ch != tt.challenge ||
			resp.Header.Get("X-Auth-Subject") != tt.subject {
			t.Errorf("%s: %d %q %v %s, want %d %q", tt.name, resp.StatusCode, ch, resp.Header, body, tt.status, tt.challenge)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the upstream got %d requests, want 1: forward auth proxies nothing", n)
	}
}

// TestRunRefusesBadRoutes: a routes: list the program cannot serve stops
// it before it listens, with an error naming the entry's key and its file
// and line, and the real main exits non-zero.
func TestRunRefusesBadRoutes(t *testing.T) {
	t.Parallel()
	ok := ordersRoute("http://127.0.0.1:9")
	tests := []struct {
		name, routes string
		wants        []string
	}{
		{"conflicting patterns", ok + "  - match: /orders/latest\n    upstream: http://127.0.0.1:9\n",
			[]string{"routes[1].match", "rs.yaml:7)", `conflicts with routes[0].match "GET /orders/{id}" (line 2)`}},
		{"unknown key", "  - match: GET /orders/{id}\n    upstrem: http://127.0.0.1:9\n",
			[]string{`unknown key "upstrem" on line 3, in routes[0]`, "rs.yaml:3)", "did you mean upstream?"}},
		{"bad upstream URL", "  - match: GET /orders/{id}\n    upstream: ftp://127.0.0.1/\n",
			[]string{"routes[0].upstream", "rs.yaml:3)", "is not an http(s) URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := writeRoutes(t, tt.routes)
			vars := map[string]string{"ISSUER": "https://dev-1.okta.com/oauth2/default", "HOST": "127.0.0.1", "PORT": strconv.Itoa(freePort(t))}
			// Cancelled: a configuration accepted by mistake returns at once.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			var out bytes.Buffer
			err := run(ctx, []string{"--config=" + file}, env(vars), ".", &out, &out)
			for _, w := range tt.wants {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("run = %v, want an error with %q", err, w)
				}
			}
			ctx, cancel = context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0])
			cmd.Dir = filepath.Dir(file)
			cmd.Env = append(os.Environ(), "RESOURCE_SERVER_RUN_MAIN=1", "RESOURCE_SERVER_ARGS=--config=rs.yaml")
			for k, v := range vars {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if b, err := cmd.CombinedOutput(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() == 0 || !strings.Contains(string(b), tt.wants[0]) {
				t.Errorf("main: %v, output %s; want a non-zero exit naming %s", err, b, tt.wants[0])
			}
		})
	}
}

// TestExplainGateway: in gateway mode, explain says where the request
// would go and with which claim headers, without sending it; a token
// lacking the route's scope is refused as the running program refuses it.
func TestExplainGateway(t *testing.T) {
	t.Parallel()
	iss, vars := explainIssuer(t)
	upstream, hits := countingUpstream(t)
	file := writeRoutes(t, ordersRoute(upstream))
	valid := mint(t, iss, map[string]any{"sub": "alice", "scp": []string{"orders:read"}, "scope": nil})
	out, code := explain(t, vars, t.TempDir(), "", "--config", file, "GET", "/orders/7", valid)
	for _, w := range []string{"HTTP 200 OK (accepted)", "upstream (not sent): GET " + upstream + "/orders/7\n", "  X-Auth-Subject: alice\n"} {
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("valid token: exit %d, want 0 and %q:\n%s", code, w, out)
		}
	}

	api := "http://127.0.0.1:" + vars["PORT"]
	startRun(t, []string{"--config=" + file}, vars, api+"/readyz")
	noScope := mint(t, iss, map[string]any{"scp": []string{"messages:read"}, "scope": nil})
	status, h, _ := get(t, api+"/orders/7", noScope)
	out, code = explain(t, vars, t.TempDir(), "", "--config", file, "GET", "/orders/7", noScope)
	ch := h.Get("WWW-Authenticate")
	if code != 1 || status != 403 || !strings.Contains(ch, `error="insufficient_scope"`) ||
		!strings.Contains(out, "answer: HTTP 403 Forbidden (refused)\n") || !strings.Contains(out, "WWW-Authenticate: "+ch+"\n") ||
		strings.Contains(out, "upstream (not sent)") {
		t.Errorf("no scope: the program answered %d %q; explain exit %d:\n%s", status, ch, code, out)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the upstream got %d requests, want none", n)
	}
}
