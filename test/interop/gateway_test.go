package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/poll"
)

// The README's gateway configuration with real tokens from a real issuer:
// test/gateway runs ../gateway/testdata/gateway.yaml (the README's text,
// checked verbatim by test/gateway/snippets_test.go) with the project's own
// development issuer; here the same file runs with JWT access tokens of
// panva's oidc-provider (opaque-provider.mjs, client_credentials with the
// resource indicator api://default), in front of a Go upstream that echoes
// what it was sent.

// gatewayREADMEConfig is ../gateway/testdata/gateway.yaml with only its
// placeholders replaced, as test/gateway's gatewayConfig does: the issuer
// and the upstream. A placeholder missing fails the test.
func gatewayREADMEConfig(t *testing.T, issuer, app string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "gateway", "testdata", "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, r := range []struct{ placeholder, value string }{
		{"https://id.example.com/oauth2/default", issuer},
		{"http://127.0.0.1:9000", app},
	} {
		if !strings.Contains(conf, r.placeholder) {
			t.Fatalf("../gateway/testdata/gateway.yaml lacks %q", r.placeholder)
		}
		conf = strings.ReplaceAll(conf, r.placeholder, r.value)
	}
	return conf
}

// gatewayEcho is what the echo upstream answers: the request it received.
type gatewayEcho struct {
	Method  string   `json:"method"`
	Path    string   `json:"path"`
	Subject []string `json:"subject"` // every X-Auth-Subject value; none: nil
}

// startEchoUpstream serves, on a free loopback port, an application that
// answers every request with the JSON of gatewayEcho.
func startEchoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(gatewayEcho{Method: r.Method, Path: r.URL.Path, Subject: r.Header.Values("X-Auth-Subject")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startGatewayProgram runs the program with conf as its --config file, on
// free loopback ports (HOST/PORT, ADMIN_PORT), and waits until the admin
// listener's /readyz answers 200 (the issuer's keys are in hand). It
// returns the gateway's base URL.
func startGatewayProgram(t *testing.T, conf string) string {
	t.Helper()
	bin := resourceServerBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "resource-server.yaml")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("resource-server.yaml:\n%s", conf)
	port, admin := freePort(t), freePort(t)
	for admin == port {
		admin = freePort(t)
	}
	start := time.Now()
	p := startProc(t, "resource-server (gateway, README config)", dir, []string{
		"HOST=127.0.0.1",
		"PORT=" + strconv.Itoa(port),
		"ADMIN_PORT=" + strconv.Itoa(admin),
		"OKTA_TESTING_DISABLEHTTPSCHECK=true",
		"NO_COLOR=1",
	}, bin, "--config="+file)
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", admin)
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	exited := false
	var last string
	if !poll.Until(startTimeout, func() bool {
		select {
		case <-p.done:
			exited = true
			return true
		default:
		}
		resp, err := probe.Get(readyz)
		if err != nil {
			last = err.Error()
			return false
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		return resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("%s did not answer 200 within %s (last: %s)\n%s", readyz, startTimeout, last, p.out.String())
	}
	if exited {
		t.Fatalf("the program exited before it was ready: %v\n%s", p.err, p.out.String())
	}
	timings.add(t, "resource-server (gateway) start until admin /readyz", time.Since(start))
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

var challengeScope = regexp.MustCompile(`\bscope="([^"]*)"`)

// TestGatewayREADMEWithOIDCProvider runs the README's gateway configuration
// with oidc-provider's JWT access tokens: one with scope orders:read, one
// without it.
func TestGatewayREADMEWithOIDCProvider(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	op := startOpaqueProvider(t, node)

	token := func(scope string) (string, map[string]any) {
		t.Helper()
		tok := clientCredentials(t, op.tokenURL(), opClientID, opClientSecret,
			url.Values{"resource": {"api://default"}, "scope": {scope}})
		h, c := jwtParts(t, tok)
		if h["typ"] != "at+jwt" || c["iss"] != op.issuer || c["aud"] != "api://default" || c["scope"] != scope {
			t.Fatalf("oidc-provider's token for scope %q: header %v claims %v, want typ at+jwt, iss %s, aud api://default, scope %q", scope, h, c, op.issuer, scope)
		}
		return tok, c
	}
	ordersTok, claims := token("orders:read")
	noScopeTok, _ := token("api:read")
	sub, _ := claims["sub"].(string)
	if sub == "" || sub == "mallory" {
		t.Fatalf("oidc-provider's token has sub %v", claims["sub"])
	}
	// For client_credentials oidc-provider's sub is the client's id.
	if sub != opClientID {
		t.Errorf("oidc-provider's client_credentials token: sub %q, want the client id %q", sub, opClientID)
	}
	t.Logf("sub of oidc-provider's client_credentials token: %q", sub)

	app := startEchoUpstream(t)
	base := startGatewayProgram(t, gatewayREADMEConfig(t, op.issuer, app.URL))
	client := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections) // before the program is stopped

	cases := []struct {
		name    string
		target  string
		token   string // "" none
		spoof   bool   // the client sends X-Auth-Subject: mallory
		status  int
		errCode string // the Bearer challenge's error of a 401/403 ("" none)
		scope   string // the Bearer challenge's scope of a 403
		subject string // the X-Auth-Subject the upstream sees of a 200 ("" none at all)
	}{
		{name: "public route without a token", target: "/public/x", status: 200},
		{name: "public route: a client-sent X-Auth-Subject never reaches the upstream", target: "/public/x", spoof: true, status: 200},
		{name: "protected route without a token", target: "/orders/7", status: 401},
		{name: "protected route, token with orders:read", target: "/orders/7", token: ordersTok, status: 200, subject: sub},
		{name: "protected route, token with orders:read, client-sent X-Auth-Subject replaced", target: "/orders/7", token: ordersTok, spoof: true, status: 200, subject: sub},
		{name: "protected route, token without orders:read", target: "/orders/7", token: noScopeTok, status: 403, errCode: "insufficient_scope", scope: "orders:read"},
		{name: "no route matches, valid token", target: "/nowhere", token: ordersTok, status: 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, base+c.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.spoof {
				req.Header.Set("X-Auth-Subject", "mallory")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			r := response{status: resp.StatusCode, header: resp.Header, body: body}
			if r.status != c.status {
				t.Fatalf("GET %s: %s, want %d", c.target, r, c.status)
			}
			challenge := r.header.Get("WWW-Authenticate")
			switch c.status {
			case http.StatusUnauthorized, http.StatusForbidden:
				if !strings.HasPrefix(challenge, "Bearer ") {
					t.Fatalf("GET %s: WWW-Authenticate %q, want a Bearer challenge", c.target, challenge)
				}
				if got := challengeError(r.header); got != c.errCode {
					t.Errorf("GET %s: WWW-Authenticate %q: error %q, want %q", c.target, challenge, got, c.errCode)
				}
				if c.status == http.StatusUnauthorized && !strings.Contains(challenge, `resource_metadata="`) {
					t.Errorf("GET %s: WWW-Authenticate %q lacks resource_metadata", c.target, challenge)
				}
				if c.scope != "" {
					if m := challengeScope.FindStringSubmatch(challenge); m == nil || m[1] != c.scope {
						t.Errorf("GET %s: WWW-Authenticate %q: want scope=%q", c.target, challenge, c.scope)
					}
				}
			case http.StatusOK:
				var e gatewayEcho
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatalf("GET %s: not the upstream's echo: %v: %.300s", c.target, err, body)
				}
				if e.Method != http.MethodGet || e.Path != c.target {
					t.Errorf("GET %s: the upstream saw %s %s", c.target, e.Method, e.Path)
				}
				var want []string
				if c.subject != "" {
					want = []string{c.subject}
				}
				if strings.Join(e.Subject, "|") != strings.Join(want, "|") || len(e.Subject) != len(want) {
					t.Errorf("GET %s: the upstream saw X-Auth-Subject %q, want %q", c.target, e.Subject, want)
				}
				for _, s := range e.Subject {
					if s == "mallory" {
						t.Errorf("GET %s: the client's X-Auth-Subject reached the upstream", c.target)
					}
				}
			}
		})
	}
}
