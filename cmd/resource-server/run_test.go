package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/internal/poll"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// startRun runs the program in-process until the test ends, and waits until
// url answers 200.
func startRun(t *testing.T, args []string, vars map[string]string, readyURL string) (stdout, stderr *logtest.Buffer) {
	t.Helper()
	p := launch(t, args, vars, readyURL)
	return p.stdout, p.stderr
}

// running is the program run in-process by launch.
type running struct {
	stdout, stderr *logtest.Buffer
	cancel         context.CancelFunc
	done           chan error
	stopOnce       sync.Once
	stopErr        error
}

// launch runs the program in-process, waits until readyURL answers 200, and
// stops it when the test ends unless the test did.
func launch(t *testing.T, args []string, vars map[string]string, readyURL string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &running{stdout: &logtest.Buffer{}, stderr: &logtest.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- run(ctx, args, env(vars), ".", p.stdout, p.stderr) }()
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Error(err)
		}
	})
	var ended bool
	var runErr error
	ready := poll.Until(10*time.Second, func() bool {
		select {
		case runErr = <-p.done:
			ended = true
			p.done <- runErr // for stop
			return true
		default:
		}
		resp, err := http.Get(readyURL)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	switch {
	case ended:
		t.Fatalf("run ended early: %v\nstderr: %s", runErr, p.stderr.String())
	case !ready:
		t.Fatalf("%s not ready within 10s\nstderr: %s", readyURL, p.stderr.String())
	}
	return p
}

// stop cancels run's context, as SIGINT does, and waits for run to return.
func (p *running) stop() error {
	p.stopOnce.Do(func() {
		p.cancel()
		select {
		case err := <-p.done:
			if err != nil {
				p.stopErr = fmt.Errorf("run returned %v after shutdown", err)
			}
		case <-time.After(15 * time.Second):
			p.stopErr = errors.New("run did not stop within 15s of cancellation")
		}
	})
	return p.stopErr
}

// runAgainstIssuer starts a development issuer and the program configured
// for it on a free loopback port (LOG_LEVEL error unless vars say otherwise;
// vars add to or override the settings), and waits until it is ready.
func runAgainstIssuer(t *testing.T, vars map[string]string) (iss *devissuer.Server, api string, stderr *logtest.Buffer) {
	t.Helper()
	iss = devissuertest.Start(t, devissuer.Options{})
	port := freePort(t)
	api = "http://127.0.0.1:" + strconv.Itoa(port)
	env := map[string]string{
		"ISSUER": iss.URL, "PORT": strconv.Itoa(port), "HOST": "127.0.0.1",
		"OKTA_TESTING_DISABLEHTTPSCHECK": "true", "LOG_LEVEL": "error",
	}
	maps.Copy(env, vars)
	_, stderr = startRun(t, nil, env, api+"/readyz")
	return iss, api, stderr
}

func get(t *testing.T, u, token string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func TestRunAgainstAnIssuer(t *testing.T) {
	iss, api, _ := runAgainstIssuer(t, nil)

	if code, _, body := get(t, api+"/", ""); code != 200 || !strings.Contains(body, "Hello!  There's not much to see here") {
		t.Errorf("GET /: %d %s", code, body)
	}
	tok, _ := iss.Issuer.MintAccessToken(nil)
	if code, _, body := get(t, api+"/api/messages", tok); code != 200 || !strings.Contains(body, "I am a robot.") || !strings.Contains(body, "Hello, world!") {
		t.Errorf("valid token: %d %s", code, body)
	}
	if code, h, _ := get(t, api+"/api/messages", ""); code != 401 || h.Get("WWW-Authenticate") != `Bearer realm="api", resource_metadata="`+api+`/.well-known/oauth-protected-resource"` {
		t.Errorf("no token: %d %q", code, h.Get("WWW-Authenticate"))
	}
	// Rotation: the first token of the new key is accepted at once.
	if _, err := iss.Issuer.RotateKey(); err != nil {
		t.Fatal(err)
	}
	tok, _ = iss.Issuer.MintAccessToken(nil)
	if code, _, body := get(t, api+"/api/messages", tok); code != 200 {
		t.Errorf("token of the rotated key: %d %s", code, body)
	}
}

// TestRunVerifierSettings: the settings that reach the verifier alone
// (REQUIRE_AT_JWT, ALGORITHMS, ALLOW_MISSING_AUDIENCE, KEYS_MAX_AGE) change
// what the program decides.
func TestRunVerifierSettings(t *testing.T) {
	iss, api, _ := runAgainstIssuer(t, map[string]string{
		"REQUIRE_AT_JWT": "true", "ALGORITHMS": "RS256,ES256", "KEYS_MAX_AGE": "0",
		"ALLOW_MISSING_AUDIENCE": "true", "SPA_CLIENT_ID": devissuer.DefaultClientID,
	})
	esKID, err := iss.Issuer.AddKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	sign := func(kid string, header, overrides map[string]any) string {
		claims := iss.Issuer.AccessTokenClaims()
		for k, v := range overrides {
			if v == nil {
				delete(claims, k)
			} else {
				claims[k] = v
			}
		}
		tok, err := iss.Issuer.SignWith(kid, header, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	rsKID := iss.Issuer.CurrentKeyID()
	tests := []struct {
		name   string
		token  string
		status int
		says   string // in the challenge
	}{
		{"RS256, typ at+jwt", sign(rsKID, map[string]any{"typ": "at+jwt"}, nil), 200, ""},
		{"typ JWT under REQUIRE_AT_JWT", sign(rsKID, map[string]any{"typ": "JWT"}, nil), 401, "at+jwt"},
		{"ES256 allowed by ALGORITHMS", sign(esKID, map[string]any{"typ": "at+jwt"}, nil), 200, ""},
		{"no aud, our client", sign(rsKID, map[string]any{"typ": "at+jwt"}, map[string]any{"aud": nil}), 200, ""},
		{"no aud, another client", sign(rsKID, map[string]any{"typ": "at+jwt"}, map[string]any{"aud": nil, "cid": "other", "client_id": "other"}), 401, "wrong client id"},
		{"another aud", sign(rsKID, map[string]any{"typ": "at+jwt"}, map[string]any{"aud": "api://other"}), 401, "wrong audience"},
	}
	for _, tt := range tests {
		code, h, body := get(t, api+"/api/messages", tt.token)
		challenge := h.Get("WWW-Authenticate")
		if code != tt.status || (tt.says != "" && (!strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, tt.says))) {
			t.Errorf("%s: %d %q %s; want %d saying %q", tt.name, code, challenge, body, tt.status, tt.says)
		}
	}
}

func TestRunReadsSamplesConfig(t *testing.T) {
	iss := devissuertest.Start(t, devissuer.Options{})
	port := freePort(t)
	dir := t.TempDir()
	file := `{
  "resourceServer": {
    "port": ` + strconv.Itoa(port) + `,
    "oidc": { "issuer": "` + iss.URL + `" },
    "assertClaims": { "aud": "api://orders", "cid": "spa-123" }
  }
}`
	if err := os.WriteFile(filepath.Join(dir, ".samples.config.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	api := "http://127.0.0.1:" + strconv.Itoa(port)
	startRun(t, nil, map[string]string{"OKTA_TESTING_DISABLEHTTPSCHECK": "1", "HOST": "127.0.0.1", "LOG_LEVEL": "error"}, api+"/readyz")
	good, _ := iss.Issuer.MintAccessToken(map[string]any{"aud": "api://orders", "cid": "spa-123"})
	otherAud, _ := iss.Issuer.MintAccessToken(map[string]any{"cid": "spa-123"})
	otherCID, _ := iss.Issuer.MintAccessToken(map[string]any{"aud": "api://orders"})
	for _, tt := range []struct {
		name  string
		token string
		code  int
	}{{"aud and cid of the file", good, 200}, {"default audience", otherAud, 401}, {"another client", otherCID, 401}} {
		if code, _, body := get(t, api+"/api/messages", tt.token); code != tt.code {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.code)
		}
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want []string // parts of the error
	}{
		{"placeholder issuer", map[string]string{"ISSUER": "https://{yourOktaDomain}/oauth2/default"}, nil, []string{"ISSUER", "placeholder", "okta.com/oauth2/default"}},
		{"no issuer", nil, nil, []string{"ISSUER"}},
		{"http issuer", map[string]string{"ISSUER": "http://example.com/oauth2/default"}, nil, []string{"ISSUER", "OKTA_TESTING_DISABLEHTTPSCHECK"}},
		{"client placeholder", map[string]string{"ISSUER": "https://dev-1.okta.com/oauth2/default", "SPA_CLIENT_ID": "{clientId}"}, nil, []string{"SPA_CLIENT_ID"}},
		{"bad port", map[string]string{"ISSUER": "https://dev-1.okta.com/oauth2/default", "PORT": "eighty"}, nil, []string{"PORT"}},
		{"unknown flag", nil, []string{"--issuer-url", "x"}, []string{"--issuer-url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			var out bytes.Buffer
			err := run(context.Background(), tt.args, env(tt.vars), ".", &out, &out)
			if err == nil {
				t.Fatal("run accepted a bad configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, env(nil), ".", &out, &out); err != nil || !strings.Contains(out.String(), "ISSUER") {
		t.Errorf("--help: %v %q", err, out.String())
	}
}

var curlLine = regexp.MustCompile(`curl -s -H "Authorization: Bearer \$\(curl -s -u (\S+):(\S+) -d grant_type=client_credentials (\S+/v1/token) .*" (\S+/api/messages)`)

// TestDevModeRequiredScopes: with REQUIRED_SCOPES in dev mode, the
// embedded issuer grants the scopes by default and the front-end asks for
// them, so the curl line still works; a token asked for without them is 403.
func TestDevModeRequiredScopes(t *testing.T) {
	t.Chdir(t.TempDir())
	port, webPort := freePort(t), freePort(t)
	api := "http://localhost:" + strconv.Itoa(port)
	stdout, _ := startRun(t, []string{"--dev", "--port", strconv.Itoa(port), "--frontend-port", strconv.Itoa(webPort)},
		map[string]string{"LOG_LEVEL": "error", "REQUIRED_SCOPES": "messages:read"}, api+"/readyz")
	m := curlLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no curl line in the banner:\n%s", stdout.String())
	}
	token := func(form url.Values) string {
		form.Set("grant_type", "client_credentials")
		form.Set("client_id", m[1])
		form.Set("client_secret", m[2])
		resp, err := http.PostForm(m[3], form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
			t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
		}
		return tr.AccessToken
	}
	if code, _, body := get(t, m[4], token(url.Values{})); code != 200 {
		t.Errorf("the banner's curl with REQUIRED_SCOPES: %d %s", code, body)
	}
	code, h, _ := get(t, m[4], token(url.Values{"scope": {"openid"}}))
	if challenge := h.Get("WWW-Authenticate"); code != 403 || !strings.Contains(challenge, `scope="messages:read"`) {
		t.Errorf("a token without the required scope: %d %q", code, challenge)
	}
	front := "http://localhost:" + strconv.Itoa(webPort)
	if code, _, body := get(t, front+"/config.json", ""); code != 200 || !strings.Contains(body, `"messages:read"`) {
		t.Errorf("the front-end does not ask for the required scope: %d %s", code, body)
	}
}

func TestDevMode(t *testing.T) {
	t.Chdir(t.TempDir())
	port, webPort := freePort(t), freePort(t)
	api := "http://localhost:" + strconv.Itoa(port)
	begin := time.Now()
	stdout, _ := startRun(t, []string{"--dev", "--port", strconv.Itoa(port), "--frontend-port", strconv.Itoa(webPort)},
		map[string]string{"LOG_LEVEL": "error"}, api+"/readyz")
	front := "http://localhost:" + strconv.Itoa(webPort)
	if code, _, body := get(t, front+"/", ""); code != 200 || !strings.Contains(body, "<html") {
		t.Errorf("front-end: %d", code)
	}
	t.Logf("dev mode served the API, the issuer and the front-end %v after start", time.Since(begin).Round(time.Millisecond))

	// Do what the printed curl line does.
	m := curlLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no curl line in the banner:\n%s", stdout.String())
	}
	old := clientCredentialsToken(t, m[3], m[1], m[2])
	code, _, body := get(t, m[4], old)
	if code != 200 || !strings.Contains(body, "I am a robot.") || !strings.Contains(body, "Hello, world!") {
		t.Errorf("the banner's curl: %d %s", code, body)
	}
	if code, _, body := get(t, front+"/config.json", ""); code != 200 || !strings.Contains(body, api+"/oauth2/default") {
		t.Errorf("front-end config: %d %s", code, body)
	}

	// The running dev issuer rotates its key on request: the old token stays
	// good (its key is still published) and a token of the new key is
	// accepted at once.
	resp, err := http.Post(api+"/oauth2/default/v1/rotate", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("rotate: %v %v", err, resp)
	}
	resp.Body.Close()
	rotated := clientCredentialsToken(t, m[3], m[1], m[2])
	for name, tok := range map[string]string{"old key": old, "new key": rotated} {
		if code, _, body := get(t, m[4], tok); code != 200 {
			t.Errorf("after rotation, token of the %s: %d %s", name, code, body)
		}
	}

	// And run the line itself, as a user pastes it.
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl is needed to run the banner's line")
		}
		t.Skip("curl not installed")
	}
	line := strings.TrimSpace(curlLine.FindString(stdout.String()))
	out, err := exec.Command("bash", "-c", line).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "I am a robot.") || !strings.Contains(string(out), "Hello, world!") {
		t.Errorf("pasting the banner's curl line: %v %s", err, out)
	}
}

// TestShutdownClosesUnusedConnections: a connection on which no request was
// sent (a browser's preconnect) does not hold up a graceful shutdown, which
// net/http would otherwise stretch to 5 s for it.
func TestShutdownClosesUnusedConnections(t *testing.T) {
	iss := devissuertest.Start(t, devissuer.Options{})
	port := freePort(t)
	p := launch(t, nil, map[string]string{
		"ISSUER": iss.URL, "PORT": strconv.Itoa(port), "HOST": "127.0.0.1",
		"OKTA_TESTING_DISABLEHTTPSCHECK": "true", "LOG_LEVEL": "error",
	}, "http://127.0.0.1:"+strconv.Itoa(port)+"/healthz")
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The server has accepted it once a connection dialled after it is
	// answered: connections are accepted in the order they arrive.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	start := time.Now()
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= 4*time.Second {
		t.Errorf("shutdown took %v with an unused connection open; net/http's own wait is 5 s", took)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the unused connection is still open after shutdown: %v", err)
	}
}

// clientCredentialsToken asks tokenURL for an access token by the
// client-credentials grant; "" when the answer holds none.
func clientCredentialsToken(t *testing.T, tokenURL, clientID, secret string) string {
	t.Helper()
	resp, err := http.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tr)
	return tr.AccessToken
}
