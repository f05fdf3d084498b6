package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestIssuerDiffersOnlyByTrailingSlash: when the issuer's discovery
// document names the configured issuer with a trailing slash (or without
// one), no token could ever pass; the program stops, and its error names
// ISSUER and the exact value to set.
func TestIssuerDiffersOnlyByTrailingSlash(t *testing.T) {
	var published string
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"issuer":"`+published+`","jwks_uri":"`+published+`keys"}`)
	}))
	t.Cleanup(issuer.Close)
	published = issuer.URL + "/oauth2/default/"
	vars := map[string]string{
		"ISSUER": issuer.URL + "/oauth2/default", "OKTA_TESTING_DISABLEHTTPSCHECK": "true",
		"PORT": strconv.Itoa(freePort(t)), "HOST": "127.0.0.1", "LOG_LEVEL": "error",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run(ctx, nil, func(k string) string { return vars[k] }, t.TempDir(), io.Discard, io.Discard)
	if ctx.Err() != nil {
		t.Fatal("the program kept running with an issuer that contradicts ISSUER")
	}
	if err == nil {
		t.Fatal("run returned nil")
	}
	msg := err.Error()
	for _, want := range []string{"ISSUER", "trailing slash", strconv.Quote(published)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %s", msg, want)
		}
	}
}
