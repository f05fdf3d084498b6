package config

import (
	"errors"
	"strings"
	"testing"
)

// TestJWKSURLAsPublished: JWKS_URL may have a query, as issuers publish some
// with one (Azure AD B2C names its policy in ?p=); a fragment is still
// refused, and so is a query on the issuer (RFC 8414 §2).
func TestJWKSURLAsPublished(t *testing.T) {
	const b2c = "https://tenant.b2clogin.com/tenant.onmicrosoft.com/discovery/v2.0/keys?p=b2c_1_signin"
	c, err := Load(nil, envOf(map[string]string{"ISSUER": okIssuer, "JWKS_URL": b2c}), t.TempDir())
	if err != nil || c.JWKSURL != b2c {
		t.Fatalf("JWKS_URL with a query: %v (JWKSURL %q)", err, c.JWKSURL)
	}
	for _, tt := range []struct {
		name  string
		env   map[string]string
		field string
		want  string
	}{
		{"JWKS URL with a fragment", map[string]string{"ISSUER": okIssuer, "JWKS_URL": b2c + "#main"},
			"JWKS_URL", `has a fragment: in JWKS_URL (or --jwks-url), remove the fragment ("#...")`},
		{"JWKS URL with a query, over http", map[string]string{"ISSUER": okIssuer, "JWKS_URL": "http://example.com/keys?p=1"},
			"JWKS_URL", "uses http, not https"},
		{"JWKS URL with a space in its query", map[string]string{"ISSUER": okIssuer, "JWKS_URL": "https://example.com/keys?p=a b"},
			"JWKS_URL", "is not a URL"},
		{"issuer with a query", map[string]string{"ISSUER": okIssuer + "?p=b2c_1_signin"},
			"ISSUER", "has a query: in ISSUER"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(nil, envOf(tt.env), t.TempDir())
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error on %s saying %q", err, tt.field, tt.want)
			}
		})
	}
}
