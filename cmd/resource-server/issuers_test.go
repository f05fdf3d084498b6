package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// TestRunManyIssuers: with an issuers: list, the program accepts the tokens
// of each issuer and refuses another's; /readyz on the admin listener
// lists each issuer's keys, the metadata every issuer, and the admin
// listener serves nothing of the API.
func TestRunManyIssuers(t *testing.T) {
	t.Parallel()
	a := devissuertest.Start(t, devissuer.Options{})
	b := devissuertest.Start(t, devissuer.Options{Audience: "api://orders", Algorithm: "ES256"})
	other := devissuertest.Start(t, devissuer.Options{})
	file := filepath.Join(t.TempDir(), "rs.yaml")
	yaml := "issuers:\n  - issuer: " + a.URL + "\n    audiences: [api://default]\n" +
		"  - issuer: " + b.URL + "\n    audiences: [api://orders]\n    algorithms: [ES256]\n    client_ids: [dev-client]\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	port, admin := freePort(t), freePort(t)
	api, adminURL := "http://127.0.0.1:"+strconv.Itoa(port), "http://127.0.0.1:"+strconv.Itoa(admin)
	startRun(t, []string{"--config=" + file}, map[string]string{"PORT": strconv.Itoa(port), "HOST": "127.0.0.1", "ADMIN_PORT": strconv.Itoa(admin),
		"OKTA_TESTING_DISABLEHTTPSCHECK": "true", "LOG_LEVEL": "error"}, adminURL+"/readyz")
	tests := []struct {
		name string
		iss  *devissuer.Server
		url  string
		want int
	}{
		{"first issuer", a, api + "/api/messages", 200},
		{"second issuer", b, api + "/api/messages", 200},
		{"an issuer not listed", other, api + "/api/messages", 401},
		{"the admin listener serves no API", a, adminURL + "/api/messages", 404},
	}
	for _, tt := range tests {
		if code, h, body := get(t, tt.url, mint(t, tt.iss, nil)); code != tt.want {
			t.Errorf("%s: %d %s %s, want %d", tt.name, code, h.Get("WWW-Authenticate"), body, tt.want)
		}
	}
	_, _, body := get(t, adminURL+"/readyz", "")
	var ready struct {
		Status  string `json:"status"`
		Issuers []struct {
			Issuer string `json:"issuer"`
			Keys   int    `json:"keys"`
		} `json:"issuers"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || ready.Status != "ready" || len(ready.Issuers) != 2 ||
		ready.Issuers[0].Issuer != a.URL || ready.Issuers[1].Issuer != b.URL || ready.Issuers[1].Keys == 0 {
		t.Errorf("admin /readyz: %s", body)
	}
	if code, _, body := get(t, adminURL+"/metrics", ""); code != 200 || !strings.Contains(body, "resource_server_") {
		t.Errorf("admin /metrics: %d %.200s", code, body)
	}
	_, _, body = get(t, api+"/.well-known/oauth-protected-resource", "")
	var md struct {
		Servers []string `json:"authorization_servers"`
	}
	if err := json.Unmarshal([]byte(body), &md); err != nil || !slices.Equal(md.Servers, []string{a.URL, b.URL}) {
		t.Errorf("metadata: %s", body)
	}
}

// TestConfigCommandsIssuers: config check lists each entry's keys with
// their lines, and names an entry's unknown key; config example shows the
// commented issuers: list.
func TestConfigCommandsIssuers(t *testing.T) {
	t.Parallel()
	const entry = "issuers:\n  - issuer: https://dev-1.okta.com/oauth2/default\n"
	tests := []struct {
		name, file string
		args       []string
		wantErr    string
		wantOut    []string
	}{
		{name: "check lists each issuer", file: entry + "    audiences: [api://default]\n    keys_max_age: 48h\n", args: []string{"config", "check", "--config", "rs.yaml"},
			wantOut: []string{"issuers[0].issuer", "https://dev-1.okta.com/oauth2/default", "rs.yaml:2", "issuers[0].keys_max_age", "48h", "as ALGORITHMS, default", "configuration OK"}},
		{name: "unknown key", file: entry + "    audience: api://default\n", args: []string{"config", "check", "--config", "rs.yaml"},
			wantErr: `unknown key "audience" on line 3, in issuers[0]: did you mean audiences?`},
		{name: "example", args: []string{"config", "example"}, wantOut: []string{"# issuers:\n#   - issuer: ", "#   client_ids: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "rs.yaml"), []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			err := run(context.Background(), tt.args, env(nil), dir, &out, &out)
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) || tt.wantErr == "" && err != nil {
				t.Fatalf("run = %v, want error %q", err, tt.wantErr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
