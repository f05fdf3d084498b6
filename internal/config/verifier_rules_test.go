package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/verifier"
)

// TestVerifierRulesOnce: the rules on the verifier's settings live in
// verifier.Config.Validate; the program applies them to what VerifierConfigs
// builds and names the setting the user wrote, with its places, in place of
// the library's field.
func TestVerifierRulesOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		field   string // the verifier.Config field
		setting string // the program's name for it
		want    string // in the program's message
	}{
		{"credentials in the issuer", map[string]string{"ISSUER": "https://u:p@dev-1.okta.com/oauth2/default"},
			"Issuer", "ISSUER", "holds a user name or password: in ISSUER (or --issuer, or resourceServer.oidc.issuer in .samples.config.json), write the URL without credentials"},
		{"credentials in the JWKS URL", map[string]string{"ISSUER": okIssuer, "JWKS_URL": "https://u@dev-1.okta.com/keys"},
			"JWKSURL", "JWKS_URL", "holds a user name or password: in JWKS_URL (or --jwks-url)"},
		{"http issuer", map[string]string{"ISSUER": "http://dev-1.okta.com/oauth2/default"},
			"Issuer", "ISSUER", "set OKTA_TESTING_DISABLEHTTPSCHECK (or --insecure-disable-https-check, or resourceServer.oidc.testing.disableHttpsCheck in .samples.config.json) to true"},
		{"HMAC", map[string]string{"ISSUER": okIssuer, "ALGORITHMS": "HS256"},
			"Algorithms", "ALGORITHMS", `ALGORITHMS "HS256" is not a supported asymmetric JWS algorithm: in ALGORITHMS (or --algorithms)`},
		{"audience placeholder", map[string]string{"ISSUER": okIssuer, "AUDIENCE": "{audience}"},
			"Audiences", "AUDIENCE", "still holds a placeholder: in AUDIENCE (or --audience"},
		{"max key age", map[string]string{"ISSUER": okIssuer, "KEYS_MAX_AGE": "5m"},
			"MaxKeyAge", "KEYS_MAX_AGE", `KEYS_MAX_AGE "5m" is not longer than RefreshInterval (15m0s)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, bad, err := load(nil, envOf(tt.env), t.TempDir())
			if err != nil || bad != nil {
				t.Fatal(err, bad)
			}
			var ce *verifier.ConfigError
			if err := c.VerifierConfigs(c.Issuer, nil)[0].Validate(); !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("the library: %v, want a *ConfigError on %s", err, tt.field)
			}
			_, err = Load(nil, envOf(tt.env), t.TempDir())
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.setting || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("the program: %v, want an error on %s saying %q", err, tt.setting, tt.want)
			}
			if !errors.As(err, &ce) {
				t.Errorf("the program's error does not wrap the library's")
			}
		})
	}
}
