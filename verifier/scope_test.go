package verifier_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// scopeClaimTests are the cases of TestScopeClaimSyntax.
var scopeClaimTests = []struct {
	name   string
	claims map[string]any // overrides of the default access token's
	want   []string       // the scopes granted, when accepted
	// When refused: the error is ErrInvalidClaim and its text holds
	// every one of these.
	refused []string
}{
	{name: "scope string", claims: map[string]any{"scp": nil, "scope": "api:read api:write"}, want: []string{"api:read", "api:write"}},
	{name: "scope string, extra spaces", claims: map[string]any{"scp": nil, "scope": "  api:read   api:write "}, want: []string{"api:read", "api:write"}},
	{name: "scope string, empty", claims: map[string]any{"scp": nil, "scope": ""}, want: nil},
	{name: "scope array (IdentityServer)", claims: map[string]any{"scp": nil, "scope": []string{"api:read", "api:write"}}, want: []string{"api:read", "api:write"}},
	{name: "scp array (Okta)", claims: map[string]any{"scp": []string{"api:read", "api:write"}}, want: []string{"api:read", "api:write"}},
	{name: "scp string (Entra ID)", claims: map[string]any{"scp": "Orders.Read  Orders.Write", "scope": nil}, want: []string{"Orders.Read", "Orders.Write"}},
	{name: "scp wins over an unread scope", claims: map[string]any{"scp": []string{"a"}, "scope": "a\u00a0b"}, want: []string{"a"}},

	{name: "scope string, no-break space", claims: map[string]any{"scp": nil, "scope": "api:read\u00a0api:write"},
		refused: []string{`claim "scope"`, "U+00A0 at byte 8", "RFC 6749"}},
	{name: "scope string, em space", claims: map[string]any{"scp": nil, "scope": "api:read\u2003api:write"},
		refused: []string{`claim "scope"`, "U+2003 at byte 8"}},
	{name: "scope string, tab", claims: map[string]any{"scp": nil, "scope": "api:read\tapi:write"},
		refused: []string{`claim "scope"`, "U+0009 at byte 8"}},
	{name: "scope string, newline", claims: map[string]any{"scp": nil, "scope": "api:read\napi:write"},
		refused: []string{`claim "scope"`, "U+000A at byte 8"}},
	{name: "scope string, quote", claims: map[string]any{"scp": nil, "scope": `api:read "x"`},
		refused: []string{`claim "scope"`, "U+0022 at byte 9"}},
	{name: "scope string, non-ASCII", claims: map[string]any{"scp": nil, "scope": "lecture:écrire"},
		refused: []string{`claim "scope"`, "U+00E9 at byte 8"}},
	{name: "scope array, element with a space", claims: map[string]any{"scp": nil, "scope": []string{"api:read api:write"}},
		refused: []string{`claim "scope"`, "element 0", "U+0020 at byte 8"}},
	{name: "scope array, empty element", claims: map[string]any{"scp": nil, "scope": []string{"a", ""}},
		refused: []string{`claim "scope"`, "element 1", "empty"}},
	{name: "scope array, null element", claims: map[string]any{"scp": nil, "scope": []any{"a", nil}},
		refused: []string{`claim "scope"`, "element 1"}},
	{name: "scope number", claims: map[string]any{"scp": nil, "scope": 5},
		refused: []string{`claim "scope"`, "a space-separated string or an array of strings"}},
	{name: "scp string, no-break space", claims: map[string]any{"scp": "Orders.Read\u00a0Orders.Write", "scope": nil},
		refused: []string{`claim "scp"`, "U+00A0 at byte 11"}},
	{name: "scp array, em space inside an element", claims: map[string]any{"scp": []string{"openid", "api:read\u2003api:write"}},
		refused: []string{`claim "scp"`, "element 1", "U+2003 at byte 8"}},
	{name: "scp array of numbers", claims: map[string]any{"scp": []int{1}},
		refused: []string{`claim "scp"`}},
}

// TestScopeClaimSyntax: "scope" and "scp" hold RFC 6749 §3.3 scope-tokens,
// separated by U+0020 only, as a string or as an array. Any other character
// refuses the token, so that no reading of it grants more than the issuer
// meant (a no-break space is not a separator).
func TestScopeClaimSyntax(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	for _, tt := range scopeClaimTests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := v.VerifyAccessToken(context.Background(), mint(t, srv, tt.claims))
			if tt.refused == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := tok.Scopes(); !slices.Equal(got, tt.want) {
					t.Errorf("Scopes() = %q, want %q", got, tt.want)
				}
				for _, s := range tt.want {
					if !tok.HasScope(s) {
						t.Errorf("HasScope(%q) = false", s)
					}
				}
				return
			}
			if !errors.Is(err, verifier.ErrInvalidClaim) {
				t.Fatalf("error %v, want ErrInvalidClaim (granted %q)", err, tok.Scopes())
			}
			for _, s := range tt.refused {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "api:read") {
				t.Errorf("error %q repeats the claim's value", err)
			}
		})
	}
}

// TestAssertIncludesSplitsOnSpaceOnly: a string claim asserted with
// ".includes" is split as a scope is, on U+0020 alone.
func TestAssertIncludesSplitsOnSpaceOnly(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, func(c *verifier.Config) {
		c.AssertClaims = map[string]any{"groups.includes": "ops"}
	})
	tests := []struct {
		groups string
		ok     bool
	}{
		{"admins ops", true},
		{"  admins   ops ", true},
		{"admins\u00a0ops", false},
		{"admins\u2003ops", false},
		{"admins\tops", false},
	}
	for _, tt := range tests {
		_, err := v.VerifyAccessToken(context.Background(), mint(t, srv, map[string]any{"groups": tt.groups}))
		if tt.ok && err != nil {
			t.Errorf("groups %q: refused: %v", tt.groups, err)
		}
		if !tt.ok && !errors.Is(err, verifier.ErrClaimMismatch) {
			t.Errorf("groups %q: error %v, want ErrClaimMismatch", tt.groups, err)
		}
	}
}
