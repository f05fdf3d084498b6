package bearer_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// TestRequireScopesSeparators: with the real verifier, a scope claim is split
// on spaces (U+0020) only. "api:read<U+00A0>api:write" does not grant
// api:write: the token is refused, since its scope claim is not a list of
// RFC 6749 scope-tokens. A "scope" array is a list of scopes.
func TestRequireScopesSeparators(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := verifierFor(t, srv)
	h := bearer.Middleware(v, bearer.Options{Logger: discard})(bearer.RequireScopes("api:write")(subjectHandler))
	tests := []struct {
		name    string
		claims  map[string]any
		status  int
		mention string // the error_description must contain it
	}{
		{"scope, one space", map[string]any{"scp": nil, "scope": "api:read api:write"}, 200, ""},
		{"scope, several spaces", map[string]any{"scp": nil, "scope": " api:read   api:write "}, 200, ""},
		{"scope array", map[string]any{"scp": nil, "scope": []string{"api:read", "api:write"}}, 200, ""},
		{"scp array", map[string]any{"scp": []string{"api:read", "api:write"}, "scope": nil}, 200, ""},
		{"scope lacks it", map[string]any{"scp": nil, "scope": "api:read"}, 403, "api:write"},
		{"scope, no-break space", map[string]any{"scp": nil, "scope": "api:read\u00a0api:write"}, 401, "claim scope (character U+00A0 at byte 8"},
		{"scope, em space", map[string]any{"scp": nil, "scope": "api:read\u2003api:write"}, 401, "U+2003 at byte 8"},
		{"scope, tab", map[string]any{"scp": nil, "scope": "api:read\tapi:write"}, 401, "U+0009 at byte 8"},
		{"scope, line feed", map[string]any{"scp": nil, "scope": "api:read\napi:write"}, 401, "U+000A at byte 8"},
		{"scp string, no-break space", map[string]any{"scp": "api:read\u00a0api:write", "scope": nil}, 401, "claim scp"},
		{"scope array, element with a space", map[string]any{"scp": nil, "scope": []string{"api:read api:write"}}, 401, "element 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mint(t, srv, tt.claims)
			r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			challenge := w.Header().Get("WWW-Authenticate")
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; WWW-Authenticate %s", w.Code, tt.status, challenge)
			}
			if !strings.Contains(challenge, tt.mention) || !strings.Contains(w.Body.String(), tt.mention) {
				t.Errorf("challenge %s / body %s: want both to mention %q", challenge, w.Body, tt.mention)
			}
			if strings.Contains(challenge+w.Body.String(), tok) {
				t.Error("the response repeats the token")
			}
		})
	}
}

// TestRequireScopesPanicNamesTheCharacter: a scope RequireScopes cannot
// require is refused at start-up with the reason.
func TestRequireScopesPanicNamesTheCharacter(t *testing.T) {
	tests := []struct{ scope, want string }{
		{"api:read\u00a0api:write", "character U+00A0 at byte 8 is not allowed in a scope"},
		{"a\u2003b", "character U+2003 at byte 1"},
		{"a b", "character U+0020 at byte 1"},
		{"", "an empty string is not a scope"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "RFC 6749") {
					t.Errorf("RequireScopes(%q) panicked with %q, want a message holding %q", tt.scope, msg, tt.want)
				}
			}()
			bearer.RequireScopes("ok", tt.scope)
		}()
	}
}
