package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// explainIssuer starts a development issuer and returns it with the
// settings of a server that trusts it, on a free loopback port.
func explainIssuer(t *testing.T) (*devissuer.Server, map[string]string) {
	t.Helper()
	iss := devissuertest.Start(t, devissuer.Options{})
	return iss, map[string]string{
		"ISSUER": iss.URL, "PORT": strconv.Itoa(freePort(t)), "HOST": "127.0.0.1",
		"OKTA_TESTING_DISABLEHTTPSCHECK": "true", "LOG_LEVEL": "error",
	}
}

// explain runs `resource-server explain args...` in-process with stdin and
// returns its output and exit status.
func explain(t *testing.T, vars map[string]string, dir, stdin string, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	err := runIO(context.Background(), append([]string{"explain"}, args...), env(vars), dir, strings.NewReader(stdin), &out, &out)
	var ee *exitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String() + ee.Error(), ee.code
	}
	t.Fatalf("explain: %v", err)
	return "", 0
}

// mint mints an access token of iss with overrides.
func mint(t *testing.T, iss *devissuer.Server, overrides map[string]any) string {
	t.Helper()
	tok, err := iss.Issuer.MintAccessToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// expired are the overrides of a token that expired an hour ago.
func expired() map[string]any {
	now := time.Now()
	return map[string]any{"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}
}

// TestExplain: a valid token exits 0 and shows each check, the decoded
// header and claims but never the signature; an expired one exits 1 and
// names exp; usage and configuration errors exit 2.
func TestExplain(t *testing.T) {
	t.Parallel()
	iss, vars := explainIssuer(t)
	valid, old := mint(t, iss, nil), mint(t, iss, expired())
	tests := []struct {
		name     string
		args     []string
		stdin    string
		vars     map[string]string
		wantExit int
		wants    []string
	}{
		{name: "valid", args: []string{valid}, wantExit: 0,
			wants: []string{"request: GET /api/messages", `"alg": "RS256"`, `"iss": "` + iss.URL + `"`, "ok   signature", "ok   exp", "ok   aud", "HTTP 200 OK (accepted)"}},
		{name: "valid from stdin, another route", args: []string{"GET", "/secure", "-"}, stdin: valid + "\n", wantExit: 0,
			wants: []string{"request: GET /secure", "HTTP 200"}},
		{name: "expired", args: []string{old}, wantExit: 1,
			wants: []string{"FAIL exp", "HTTP 401 Unauthorized (refused)", `WWW-Authenticate: Bearer realm="api", error="invalid_token"`}},
		{name: "not a token", args: []string{"abc"}, wantExit: 1, wants: []string{"not a JWS", "HTTP 401"}},
		{name: "no token", args: nil, wantExit: 2, wants: []string{"no token"}},
		{name: "too many arguments", args: []string{"GET", "/x", "a", "b"}, wantExit: 2, wants: []string{"too many arguments"}},
		{name: "bad configuration", args: []string{valid}, vars: map[string]string{"ISSUER": ""}, wantExit: 2, wants: []string{"ISSUER", "is not set"}},
		{name: "unknown flag", args: []string{"--isuer=x", valid}, wantExit: 2, wants: []string{"did you mean --issuer?"}},
		{name: "help", args: []string{"--help"}, wantExit: 0, wants: []string{"Usage: resource-server explain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := map[string]string{}
			for k, x := range vars {
				v[k] = x
			}
			for k, x := range tt.vars {
				v[k] = x
			}
			out, code := explain(t, v, t.TempDir(), tt.stdin, tt.args...)
			if code != tt.wantExit {
				t.Errorf("exit %d, want %d\n%s", code, tt.wantExit, out)
			}
			for _, w := range tt.wants {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if sig := valid[strings.LastIndexByte(valid, '.')+1:]; strings.Contains(out, sig) {
				t.Errorf("output shows the signature:\n%s", out)
			}
		})
	}
}

// TestExplainAnswersAsTheServer: for the same tokens, explain's status and
// challenge are those of the running server.
func TestExplainAnswersAsTheServer(t *testing.T) {
	t.Parallel()
	iss, vars := explainIssuer(t)
	api := "http://127.0.0.1:" + vars["PORT"]
	startRun(t, nil, vars, api+"/readyz")
	tokens := map[string]string{
		"valid": mint(t, iss, nil), "expired": mint(t, iss, expired()),
		"wrong audience": mint(t, iss, map[string]any{"aud": "api://other"}), "garbage": "a.b.c",
	}
	for name, tok := range tokens {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, h, _ := get(t, api+"/api/messages", tok)
			out, _ := explain(t, vars, t.TempDir(), "", tok)
			if want := "answer: HTTP " + strconv.Itoa(code) + " "; !strings.Contains(out, want) {
				t.Errorf("server answered %d; explain says:\n%s", code, out)
			}
			if ch := h.Get("WWW-Authenticate"); ch != "" && !strings.Contains(out, "WWW-Authenticate: "+ch+"\n") {
				t.Errorf("server's challenge %q; explain says:\n%s", ch, out)
			}
		})
	}
}

// TestExplainOffline: with --jwks, explain verifies against the key set in
// the file, without asking the issuer (which is gone).
func TestExplainOffline(t *testing.T) {
	t.Parallel()
	iss, vars := explainIssuer(t)
	resp, err := http.Get(iss.URL + "/v1/keys")
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	valid, old := mint(t, iss, nil), mint(t, iss, expired())
	iss.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keys.json"), keys, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		token    string
		wantExit int
		want     string
	}{
		{"valid", valid, 0, "ok   signature"},
		{"expired", old, 1, "FAIL exp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, code := explain(t, vars, dir, tt.token, "--jwks", "keys.json")
			if code != tt.wantExit || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d and %q:\n%s", code, tt.wantExit, tt.want, out)
			}
		})
	}
}

// TestExplainExitStatus: the real main exits 0 on an accepted token, 1 on a
// refused one and 2 on a usage error, the token read from standard input.
func TestExplainExitStatus(t *testing.T) {
	t.Parallel()
	iss, vars := explainIssuer(t)
	tests := []struct {
		name     string
		args     string
		stdin    string
		wantExit int
	}{
		{"accepted", "explain", mint(t, iss, nil), 0},
		{"refused", "explain GET /api/messages -", mint(t, iss, expired()), 1},
		{"usage", "explain GET /api/messages a b", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0])
			cmd.Dir = t.TempDir()
			cmd.Stdin = strings.NewReader(tt.stdin)
			cmd.Env = append(os.Environ(), "RESOURCE_SERVER_RUN_MAIN=1", "RESOURCE_SERVER_ARGS="+tt.args)
			for k, v := range vars {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			code := 0
			if exit, ok := err.(*exec.ExitError); ok {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantExit {
				t.Errorf("exit %d, want %d:\n%s", code, tt.wantExit, out)
			}
		})
	}
}

// TestExplainREADMEIssuers: the README's issuers: example, verbatim, with
// its keys from a local JWKS (no network): a token of the Okta entry with
// its client passes; one for another client is refused naming the client.
func TestExplainREADMEIssuers(t *testing.T) {
	t.Parallel()
	const okta = "https://dev-123456.okta.com/oauth2/default"
	iss, err := devissuer.New(devissuer.Options{Issuer: okta, Audience: "api://default", AllowNonLoopback: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	iss.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/oauth2/default/v1/keys", nil))
	dir := t.TempDir()
	readme := "issuers:\n  - issuer: " + okta + "\n    audiences: [api://default]\n    client_ids: [0oa1b2c3d4]\n" +
		"  - issuer: https://login.microsoftonline.com/{tenantid}/v2.0\n    audiences: [api://orders]\n" +
		"    jwks_url: https://login.microsoftonline.com/common/discovery/v2.0/keys\n    tenants: [72f988bf-86f1-41af-91ab-2d7cd011db47]\n"
	for name, body := range map[string]string{"keys.json": rec.Body.String(), "rs.yaml": readme} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		client   string
		wantExit int
		want     string
	}{
		{"its client", "0oa1b2c3d4", 0, "HTTP 200"},
		{"another client", "0oaOTHER", 1, "FAIL client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := iss.MintAccessToken(map[string]any{"cid": tt.client, "client_id": tt.client})
			if err != nil {
				t.Fatal(err)
			}
			out, code := explain(t, map[string]string{"LOG_LEVEL": "error"}, dir, "", "--config=rs.yaml", "--jwks=keys.json", tok)
			if code != tt.wantExit || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d and %q:\n%s", code, tt.wantExit, tt.want, out)
			}
		})
	}
}
