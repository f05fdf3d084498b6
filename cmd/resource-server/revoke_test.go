package main

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/poll"
	"github.com/resource-server/resource-server/store/storetest"
)

// TestRunRevoke: POST /revoke on the admin listener refuses a token that
// was accepted, on this instance and, through a shared Redis, on another;
// other tokens keep passing, and a bad form is 400.
func TestRunRevoke(t *testing.T) {
	t.Parallel()
	iss := devissuertest.Start(t, devissuer.Options{})
	redisURL, _ := storetest.StartRedis(t)
	var apis, admins []string
	for range 2 {
		port, admin := strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t))
		vars := map[string]string{"ISSUER": iss.URL, "PORT": port, "ADMIN_PORT": admin, "HOST": "127.0.0.1",
			"STORE": redisURL, "OKTA_TESTING_DISABLEHTTPSCHECK": "true", "LOG_LEVEL": "error"}
		api := "http://127.0.0.1:" + port
		startRun(t, nil, vars, api+"/readyz")
		apis, admins = append(apis, api+"/api/messages"), append(admins, "http://127.0.0.1:"+admin+"/revoke")
	}
	revoked, kept := mint(t, iss, nil), mint(t, iss, nil)
	for _, api := range apis {
		if status, _, body := get(t, api, revoked); status != 200 {
			t.Fatalf("before revocation: %d %s", status, body)
		}
	}
	if status := revoke(t, admins[0], url.Values{"token": {revoked}}); status != 200 {
		t.Fatalf("POST /revoke: %d, want 200", status)
	}
	for _, api := range apis {
		waitStatus(t, api, revoked, 401)
		if status, _, _ := get(t, api, kept); status != 200 {
			t.Errorf("another token after the revocation: %d, want 200", status)
		}
	}
	for _, form := range []url.Values{{}, {"token": {"a", "b"}}} {
		if status := revoke(t, admins[1], form); status != 400 {
			t.Errorf("POST /revoke %v: %d, want 400", form, status)
		}
	}
}

// revoke posts form to the admin listener's /revoke and returns the status.
func revoke(t *testing.T, u string, form url.Values) int {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus polls GET u with token until it answers status: a revocation
// reaches another instance through Redis within a second.
func waitStatus(t *testing.T, u, token string, status int) {
	t.Helper()
	var got int
	if !poll.Until(2*time.Second, func() bool { got, _, _ = get(t, u, token); return got == status }) {
		t.Fatalf("GET %s: %d, want %d within 2 s", u, got, status)
	}
}
