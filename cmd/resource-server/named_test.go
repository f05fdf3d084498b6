package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunResourceMetadata: the program's RFC 9728 metadata names as its
// resource the base URL the metadata URL derives from (in dev mode
// http://localhost:PORT, from the request), not the tokens' audience, and
// its 401 challenge points at that metadata; PUBLIC_URL sets both.
func TestRunResourceMetadata(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		base func(api string) string
	}{
		{"derived from the request", nil, func(api string) string { return api }},
		{"PUBLIC_URL", map[string]string{"PUBLIC_URL": "https://api.example.com/"}, func(string) string { return "https://api.example.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			port, webPort := freePort(t), freePort(t)
			api := "http://localhost:" + strconv.Itoa(port)
			vars := map[string]string{"LOG_LEVEL": "error"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			startRun(t, []string{"--dev", "--port", strconv.Itoa(port), "--frontend-port", strconv.Itoa(webPort)}, vars, api+"/healthz")
			base := tt.base(api)

			code, _, body := get(t, api+"/.well-known/oauth-protected-resource", "")
			var md struct {
				Resource string   `json:"resource"`
				Servers  []string `json:"authorization_servers"`
			}
			if err := json.Unmarshal([]byte(body), &md); err != nil || code != 200 || md.Resource != base ||
				len(md.Servers) != 1 || md.Servers[0] != api+"/oauth2/default" {
				t.Errorf("metadata: %d %s; want resource %q", code, body, base)
			}
			want := `Bearer realm="api", resource_metadata="` + base + `/.well-known/oauth-protected-resource"`
			if code, h, _ := get(t, api+"/api/messages", ""); code != 401 || h.Get("WWW-Authenticate") != want {
				t.Errorf("no token: %d %q, want 401 %q", code, h.Get("WWW-Authenticate"), want)
			}
		})
	}
}

// TestListenErrorNamesTheSetting: a port in use is reported with the
// setting to change (PORT, or FRONTEND_PORT in dev mode) and where its value
// came from.
func TestListenErrorNamesTheSetting(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	busy := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)
	addr := "127.0.0.1:" + busy
	tests := []struct {
		name  string
		args  func() []string
		vars  map[string]string
		file  string
		wants []string
	}{
		{name: "PORT from the environment",
			args: func() []string { return nil },
			vars: map[string]string{"ISSUER": "https://dev-1.okta.com/oauth2/default", "HOST": "127.0.0.1", "PORT": busy},
			wants: []string{"listen on " + addr + ": address already in use: set PORT (or --port, or resourceServer.port in .samples.config.json) to a free port",
				busy + " came from the environment variable PORT"}},
		{name: "PORT from the file",
			args:  func() []string { return []string{"--host=127.0.0.1"} },
			file:  `{"resourceServer":{"port":` + busy + `,"oidc":{"issuer":"https://dev-1.okta.com/oauth2/default"}}}`,
			wants: []string{"listen on " + addr + ": address already in use: set PORT", busy + " came from resourceServer.port in "}},
		{name: "PORT in dev mode",
			args: func() []string {
				return []string{"--dev", "--host=127.0.0.1", "--port=" + busy, "--frontend-port=" + strconv.Itoa(freePort(t))}
			},
			wants: []string{"listen on " + addr + ": address already in use: set PORT (or --port", busy + " came from --port"}},
		{name: "ADMIN_PORT", args: func() []string { return []string{"--host=127.0.0.1", "--port=" + strconv.Itoa(freePort(t))} },
			vars:  map[string]string{"ISSUER": "https://dev-1.okta.com/oauth2/default", "ADMIN_PORT": busy},
			wants: []string{"listen on " + addr + ": address already in use: set ADMIN_PORT (or --admin-port) to a free port", busy + " came from the environment variable ADMIN_PORT"}},
		{name: "FRONTEND_PORT in dev mode",
			args: func() []string {
				return []string{"-dev", "-host=127.0.0.1", "-port=" + strconv.Itoa(freePort(t)), "-frontend-port", busy}
			},
			wants: []string{"listen on " + addr + ": address already in use: set FRONTEND_PORT (or --frontend-port) to a free port", busy + " came from --frontend-port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, ".samples.config.json"), []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var out bytes.Buffer
			err := run(context.Background(), tt.args(), env(tt.vars), ".", &out, &out)
			if err == nil {
				t.Fatal("run listened on a port in use")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}
