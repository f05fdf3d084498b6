package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/internal/poll"
)

// TestConfigCommands runs `resource-server config ...` in-process, each case
// in its own directory (run takes it, so the cases run in parallel).
func TestConfigCommands(t *testing.T) {
	t.Parallel()
	var example bytes.Buffer
	if err := run(context.Background(), []string{"config", "example"}, env(nil), t.TempDir(), &example, &example); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		file    string // resource-server.yaml's content, when not ""
		wantErr []string
		wantOut []string
	}{
		{name: "example passes check", args: []string{"config", "check", "--config", "resource-server.yaml"}, file: example.String(),
			wantOut: []string{"ISSUER", "https://dev-123456.okta.com/oauth2/default", "resource-server.yaml:", "configuration OK"}},
		{name: "sources named", args: []string{"config", "check", "--config=resource-server.yaml", "--port=9000"}, file: "issuer: https://dev-1.okta.com/oauth2/default\n",
			vars: map[string]string{"LOG_LEVEL": "warn", "DEV_PASSWORD": "hunter2"}, wantOut: []string{"flag --port", "env LOG_LEVEL", "resource-server.yaml:1", "REDACTED"}},
		{name: "unknown key", args: []string{"config", "check", "--config", "resource-server.yaml"}, file: "issuer: https://dev-1.okta.com/oauth2/default\nprot: 9000\n",
			wantErr: []string{`unknown key "prot" on line 2`, "did you mean port?"}},
		{name: "bad value names the variable", args: []string{"config", "check"}, vars: map[string]string{"ISSUER": "https://{yourOktaDomain}/oauth2/default"},
			wantErr: []string{"ISSUER", "placeholder", "https://dev-123456.okta.com/oauth2/default"}},
		{name: "dev mode refuses what it cannot honour", args: []string{"config", "check", "--dev", "--client-id=0oa1"},
			wantErr: []string{"SPA_CLIENT_ID", "is set together with --dev"}},
		{name: "no subcommand", args: []string{"config"}, wantErr: []string{"check", "example"}},
		{name: "unknown subcommand", args: []string{"config", "show"}, wantErr: []string{`unknown subcommand "show"`}},
		{name: "example takes no arguments", args: []string{"config", "example", "x"}, wantErr: []string{"takes no arguments"}},
		{name: "check --help", args: []string{"config", "check", "--help"}, wantOut: []string{"config check", "--keys-max-age"}},
		{name: "the seed's JSON file still read", args: []string{"config", "check", "--config=.samples.config.json"},
			file:    `{"resourceServer":{"port":8001,"oidc":{"issuer":"https://dev-1.okta.com/oauth2/default"}}}`,
			wantOut: []string{"8001", "file "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.file != "" {
				name := "resource-server.yaml"
				if strings.HasPrefix(tt.file, "{") {
					name = ".samples.config.json"
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			err := run(context.Background(), tt.args, env(tt.vars), dir, &out, &out)
			if (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("run = %v, want error %v\noutput: %s", err, tt.wantErr != nil, out.String())
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output does not contain %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "hunter2") {
				t.Errorf("output shows the dev password:\n%s", out.String())
			}
		})
	}
}

// TestConfigCheckExitStatus: the real main exits 0 on a good file and
// non-zero on a file with an unknown key, naming it, its line and the
// nearest key.
func TestConfigCheckExitStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		file     string
		wantExit int
		want     string
	}{
		{"good", "issuer: https://dev-1.okta.com/oauth2/default\n", 0, "configuration OK"},
		{"unknown key", "issuer: https://dev-1.okta.com/oauth2/default\nkeys_max_ag: 1h\n", 1, `unknown key "keys_max_ag" on line 2: did you mean keys_max_age?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "rs.yaml"), []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0])
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "RESOURCE_SERVER_RUN_MAIN=1", "RESOURCE_SERVER_ARGS=config check --config rs.yaml")
			out, err := cmd.CombinedOutput()
			code := 0
			if exit, ok := err.(*exec.ExitError); ok {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantExit || !strings.Contains(string(out), tt.want) {
				t.Errorf("exit %d, output %s; want exit %d and %q", code, out, tt.wantExit, tt.want)
			}
		})
	}
}

// TestDevModeHonoursAlgorithms: dev mode's issuer signs with the first of
// ALGORITHMS and its verifier accepts it, where it once signed RS256 and
// dropped the setting.
func TestDevModeHonoursAlgorithms(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			api := startDev(t, "--algorithms="+alg+",RS256", "--require-at-jwt")
			tok := clientCredentialsToken(t, api+devissuer.DefaultIssuerPath+"/v1/token", devissuer.DefaultClientID, devissuer.DefaultClientSecret)
			head, _, _ := strings.Cut(tok, ".")
			header, _ := base64.RawURLEncoding.DecodeString(head)
			if !strings.Contains(string(header), `"alg":"`+alg+`"`) {
				t.Errorf("token header %s, want alg %s", header, alg)
			}
			req, _ := http.NewRequest("GET", api+"/api/messages", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET /api/messages with the dev token: %d", resp.StatusCode)
			}
		})
	}
}

// startDev runs the program in dev mode on free loopback ports, in its own
// directory, until the test ends; it returns the API's base URL once ready.
func startDev(t *testing.T, args ...string) string {
	t.Helper()
	ports := make([]string, 2)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stderr := &logtest.Buffer{}
	args = append([]string{"--dev", "--host=127.0.0.1", "--port=" + ports[0], "--frontend-port=" + ports[1], "--log-level=error"}, args...)
	dir := t.TempDir()
	go func() { done <- run(ctx, args, env(nil), dir, io.Discard, stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	api := "http://127.0.0.1:" + ports[0]
	ready := poll.Until(10*time.Second, func() bool {
		resp, err := http.Get(api + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if !ready {
		t.Fatalf("dev mode not ready within 10s: %s", stderr.String())
	}
	return api
}
