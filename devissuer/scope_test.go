package devissuer_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// TestScopeParameterSyntax: the scope request parameter is split on spaces
// (U+0020) only, as RFC 6749 §3.3 defines it. A no-break space, an em space
// or a tab between two scopes makes the request invalid_scope instead of
// asking for both, at the token endpoint and at the authorization endpoint.
func TestScopeParameterSyntax(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{SupportedScopes: []string{"api:read", "api:write"}})
	tests := []struct {
		name      string
		scope     string
		wantScope string // granted; "" when refused with invalid_scope
		mention   string // the error_description must contain it
	}{
		{"one space", "api:read api:write", "api:read api:write", ""},
		{"extra spaces", "  api:read   api:write ", "api:read api:write", ""},
		{"no-break space", "api:read\u00a0api:write", "", "U+00A0 at byte 8"},
		{"em space", "api:read\u2003api:write", "", "U+2003 at byte 8"},
		{"tab", "api:read\tapi:write", "", "U+0009 at byte 8"},
		{"quote", `api:read "api:write"`, "", "U+0022 at byte 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {tt.scope}}
			resp := postForm(t, s.URL+"/v1/token", form, func(r *http.Request) { r.SetBasicAuth("dev-client", "dev-secret") })
			body := resp.json(t)
			if tt.wantScope != "" {
				if resp.status != http.StatusOK || body["scope"] != tt.wantScope {
					t.Errorf("token: %d %v, want 200 with scope %q", resp.status, body, tt.wantScope)
				}
			} else {
				desc, _ := body["error_description"].(string)
				if resp.status != http.StatusBadRequest || body["error"] != "invalid_scope" || !strings.Contains(desc, tt.mention) {
					t.Errorf("token: %d %v, want 400 invalid_scope mentioning %q", resp.status, body, tt.mention)
				}
			}

			// The authorization endpoint reads the parameter the same way.
			loc, _ := url.Parse(get(t, authorizeURL(s, func(q url.Values) { q.Set("scope", tt.scope) })).header.Get("Location"))
			gotError := loc.Query().Get("error")
			if tt.wantScope != "" && gotError != "" {
				t.Errorf("authorize: error %q, want the login page", gotError)
			}
			if tt.wantScope == "" && gotError != "invalid_scope" {
				t.Errorf("authorize: redirect %q, want error=invalid_scope", loc)
			}
		})
	}
}
