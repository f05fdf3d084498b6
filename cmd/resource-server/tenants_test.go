package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// TestRunTemplateIssuer: a template issuer (Entra ID's
// https://login.microsoftonline.com/{tenantid}/v2.0 shape) configured in a
// YAML issuers: list, through the whole program: keys from jwks_url, a
// token accepted only when its "iss" names an allowed tenant and its "tid"
// names the same one. The tokens are signed by a development issuer whose
// keys jwks_url names; their "iss" is the concrete tenant's URL.
func TestRunTemplateIssuer(t *testing.T) {
	t.Parallel()
	const (
		allowed = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		other   = "9188040d-6c67-4c5b-b112-36a304b66dad"
	)
	srv := devissuertest.Start(t, devissuer.Options{})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	template := "http://" + u.Host + "/{tenantid}/v2.0"
	tenantIssuer := func(tenant string) string { return strings.Replace(template, "{tenantid}", tenant, 1) }

	file := filepath.Join(t.TempDir(), "tenants.yaml")
	yaml := "issuers:\n" +
		"  - issuer: " + template + "\n" +
		"    jwks_url: " + srv.URL + "/v1/keys\n" +
		"    tenants: [" + allowed + "]\n" +
		"    audiences: [api://default]\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	port, admin := freePort(t), freePort(t)
	api, adminURL := "http://127.0.0.1:"+strconv.Itoa(port), "http://127.0.0.1:"+strconv.Itoa(admin)
	// startRun waits (internal/poll.Until, bounded) until the admin /readyz
	// answers 200: the template's keys have been fetched from jwks_url.
	startRun(t, []string{"--config=" + file}, map[string]string{"PORT": strconv.Itoa(port), "HOST": "127.0.0.1", "ADMIN_PORT": strconv.Itoa(admin),
		"OKTA_TESTING_DISABLEHTTPSCHECK": "true", "LOG_LEVEL": "error"}, adminURL+"/readyz")

	mintTenant := func(overrides map[string]any) string {
		t.Helper()
		tok, err := srv.Issuer.MintAccessToken(overrides)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name   string
		claims map[string]any
		want   int
		says   string // in the challenge's error_description: refused for that reason
	}{
		{"allowed tenant, tid matching iss", map[string]any{"iss": tenantIssuer(allowed), "tid": allowed}, 200, ""},
		{"tenant not allowed, tid matching iss", map[string]any{"iss": tenantIssuer(other), "tid": other}, 401, "tenant " + other + " is not one of"},
		{"allowed tenant in iss, another tenant in tid", map[string]any{"iss": tenantIssuer(allowed), "tid": other}, 401, "claim tid is " + other},
		{"allowed tenant in tid, another tenant in iss", map[string]any{"iss": tenantIssuer(other), "tid": allowed}, 401, "claim tid is " + allowed},
		{"allowed tenant, no tid", map[string]any{"iss": tenantIssuer(allowed), "tid": nil}, 401, "claim tid is absent"},
		{"the signing issuer's own iss, not of the template", map[string]any{"tid": allowed}, 401, "claim iss is " + srv.URL},
	}
	for _, tt := range tests {
		code, h, body := get(t, api+"/api/messages", mintTenant(tt.claims))
		if code != tt.want {
			t.Errorf("%s: %d %q %s, want %d", tt.name, code, h.Get("WWW-Authenticate"), body, tt.want)
			continue
		}
		switch {
		case code == 200 && (!strings.Contains(body, "I am a robot.") || !strings.Contains(body, "Hello, world!")):
			t.Errorf("%s: 200 without the messages: %s", tt.name, body)
		case code == 401 && (!strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(h.Get("WWW-Authenticate"), tt.says)):
			t.Errorf("%s: 401 %q, want invalid_token saying %q", tt.name, h.Get("WWW-Authenticate"), tt.says)
		}
	}

	// /readyz names the template as configured, with its keys and its one
	// allowed tenant.
	_, _, body := get(t, adminURL+"/readyz", "")
	var ready struct {
		Status  string `json:"status"`
		Issuers []struct {
			Issuer  string `json:"issuer"`
			Ready   bool   `json:"ready"`
			Keys    int    `json:"keys"`
			Tenants int    `json:"tenants"`
		} `json:"issuers"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || ready.Status != "ready" || len(ready.Issuers) != 1 ||
		ready.Issuers[0].Issuer != template || !ready.Issuers[0].Ready || ready.Issuers[0].Keys == 0 || ready.Issuers[0].Tenants != 1 {
		t.Errorf("admin /readyz: %s", body)
	}
}
