package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/verifier"
)

// readmeIssuers is the README's example of the issuers: list, verbatim.
const readmeIssuers = `issuers:
  - issuer: https://dev-123456.okta.com/oauth2/default
    audiences: [api://default]
    client_ids: [0oa1b2c3d4]
  - issuer: https://login.microsoftonline.com/{tenantid}/v2.0
    audiences: [api://orders]
    jwks_url: https://login.microsoftonline.com/common/discovery/v2.0/keys
    tenants: [72f988bf-86f1-41af-91ab-2d7cd011db47]
`

// TestREADMEIssuers: the README shows the issuers: example, and it loads as
// it is into two verifier configurations that the verifier accepts.
func TestREADMEIssuers(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+readmeIssuers+"```") {
		t.Errorf("README.md lacks the issuers: example:\n%s", readmeIssuers)
	}
	c, err := Load([]string{"--config=resource-server.yaml"}, envOf(map[string]string{"ALGORITHMS": "RS256,ES256"}), writeYAML(t, readmeIssuers))
	if err != nil {
		t.Fatal(err)
	}
	vcs := c.VerifierConfigs("", nil)
	if len(vcs) != 2 || vcs[0].ClientID != "0oa1b2c3d4" || vcs[0].Audiences[0] != "api://default" || vcs[1].JWKSURL == "" ||
		strings.Join(vcs[1].Algorithms, ",") != "RS256,ES256" || strings.Join(c.Issuers[1].Tenants, ",") != "72f988bf-86f1-41af-91ab-2d7cd011db47" {
		t.Errorf("VerifierConfigs = %+v", vcs)
	}
	for _, vc := range vcs {
		if err := vc.Validate(); err != nil {
			t.Errorf("the verifier refuses %s: %v", vc.Issuer, err)
		}
	}
	set, err := verifier.NewSet(vcs...) // fetches nothing
	if err != nil || !slices.Equal(set.Issuers(), c.IssuerNames()) {
		t.Errorf("NewSet: %v, %v", set, err)
	}
	if src := c.Issuers[1].Source("tenants"); src.Line != 8 {
		t.Errorf("Source(tenants) = %+v, want line 8", src)
	}
}

// issuersCase is a case of TestIssuersList.
type issuersCase struct {
	name  string
	file  string
	args  []string
	env   map[string]string
	check func(Config) bool // when accepted
	field string            // when refused
	wants []string
}

// issuersCases are TestIssuersList's cases.
func issuersCases() []issuersCase {
	const okta = "issuers:\n  - issuer: " + okIssuer + "\n    audiences: [api://default]\n"
	return []issuersCase{
		{name: "globals are the defaults", file: okta + "keys_max_age: 48h\nrequire_at_jwt: true\n", env: map[string]string{"ALGORITHMS": "ES256"},
			check: func(c Config) bool {
				ic := c.Issuers[0]
				return strings.Join(ic.Algorithms, ",") == "ES256" && ic.MaxKeyAge == 48*time.Hour && ic.RequireAccessTokenType &&
					ic.Source("algorithms").Kind == SourceEnv
			}},
		{name: "an entry's own key wins", file: okta + "    algorithms: [PS256]\n    keys_max_age: none\n    leeway: 5s\n    assert_claims: {\"groups.includes\": [Admins, Ops], cid: 0oa1}\n",
			args: []string{"--algorithms=ES256"},
			check: func(c Config) bool {
				vc := c.VerifierConfigs("", nil)[0]
				return strings.Join(vc.Algorithms, ",") == "PS256" && vc.MaxKeyAge == verifier.NoMaxKeyAge && vc.Leeway == 5*time.Second &&
					vc.AssertClaims["cid"] == "0oa1" && len(vc.AssertClaims["groups.includes"].([]any)) == 2
			}},
		{name: "with ISSUER", file: okta, env: map[string]string{"ISSUER": okIssuer}, field: "ISSUER",
			wants: []string{"is set together with the issuers: list (issuers in ", "resource-server.yaml:1)", "unset ISSUER (or --issuer"}},
		{name: "with audience in the file", file: "audience: api://x\n" + okta, field: "AUDIENCE", wants: []string{"give each entry its own audiences"}},
		{name: "with --dev", file: okta, args: []string{"--dev"}, field: "DEV", wants: []string{"remove the issuers: list"}},
		{name: "empty list", file: "issuers: []\n", field: "issuers", wants: []string{"is an empty list"}},
		{name: "not a list", file: "issuers: " + okIssuer + "\n", field: "issuers", wants: []string{"resource-server.yaml:1) is not a list"}},
		{name: "unknown key", file: okta + "    audience: api://x\n", field: "--config",
			wants: []string{`has the unknown key "audience" on line 4, in issuers[0]: did you mean audiences?`}},
		{name: "key twice", file: okta + "    audiences: [x]\n", field: "issuers[0].audiences", wants: []string{"is set twice, on lines 3 and 4"}},
		{name: "bad duration", file: okta + "    keys_max_age: soon\n", field: "issuers[0].keys_max_age",
			wants: []string{`issuers[0].keys_max_age "soon" (from issuers[0].keys_max_age in `, `resource-server.yaml:4) is not a duration`}},
		{name: "two clients", file: okta + "    client_ids: [a, b]\n", field: "issuers[0].client_ids", wants: []string{"lists 2 clients", "one client per issuer"}},
		{name: "no issuer", file: "issuers:\n  - audiences: [x]\n", field: "issuers[0].issuer", wants: []string{"is not set"}},
		{name: "twice the same issuer", file: okta + okta[len("issuers:\n"):], field: "issuers[1].issuer", wants: []string{"is listed twice, as issuers[0] too"}},
		{name: "tenants without a template", file: okta + "    tenants: [t1]\n", field: "issuers[0].tenants", wants: []string{"without {tenantid}"}},
		{name: "template without tenants", file: "issuers:\n  - issuer: https://login.microsoftonline.com/{tenantid}/v2.0\n    audiences: [a]\n    jwks_url: https://login.microsoftonline.com/common/discovery/v2.0/keys\n",
			field: "issuers[0].tenants", wants: []string{"any_tenant: true"}},
		{name: "list asserted without includes", file: okta + "    assert_claims: {groups: [a]}\n", field: "issuers[0].assert_claims", wants: []string{"groups.includes"}},
		{name: "library rule named by the key", file: "issuers:\n  - issuer: http://dev-1.okta.com/oauth2/default\n    audiences: [a]\n", field: "issuers[0].issuer",
			wants: []string{"resource-server.yaml:2) uses http, not https: in issuers[0].issuer, use https", "OKTA_TESTING_DISABLEHTTPSCHECK (or"}},
		{name: "library rule on an inherited value", file: okta, env: map[string]string{"ALGORITHMS": "HS256"}, field: "issuers[0].algorithms",
			wants: []string{`issuers[0].algorithms "HS256" is not a supported asymmetric JWS algorithm: in issuers[0].algorithms (unset: it takes ALGORITHMS (or --algorithms, or algorithms in resource-server.yaml)), use`}},
	}
}

// TestIssuersList: values, defaults from the global settings, and
// refusals of the issuers: list, each naming the entry's key and its line.
func TestIssuersList(t *testing.T) {
	t.Parallel()
	tests := issuersCases()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(append([]string{"--config=resource-server.yaml"}, tt.args...), envOf(tt.env), writeYAML(t, tt.file))
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(c) {
					t.Errorf("loaded as %+v", c.Issuers)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !hasField(err, tt.field) {
				t.Fatalf("error %v, want one on %s", err, tt.field)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// hasField reports whether err joins an *Error on field.
func hasField(err error, field string) bool {
	for _, e := range unjoin(err) {
		var ce *Error
		if errors.As(e, &ce) && ce.Field == field {
			return true
		}
	}
	return false
}

// TestDescribeIssuers: config check prints each entry's keys, each with its
// line or the global setting it came from.
func TestDescribeIssuers(t *testing.T) {
	t.Parallel()
	c, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t, "issuers:\n  - issuer: "+okIssuer+"\n    audiences: [api://default]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Describe(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"issuers[0].issuer", "resource-server.yaml:2", "issuers[0].algorithms", "as ALGORITHMS, default", "issuers[0].leeway"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, b.String())
		}
	}
}

// TestExampleIssuersBlock: the example file's commented issuers: block,
// uncommented and without the shorthand's keys, loads.
func TestExampleIssuersBlock(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	ExampleYAML(&b)
	if !strings.Contains(b.String(), "# issuers:\n#   - issuer: ") {
		t.Fatalf("the example lacks a commented issuers: block:\n%s", b.String())
	}
	for _, s := range issuerSettings {
		if !strings.Contains(b.String(), "#   "+s.key+": ") {
			t.Errorf("the example does not document %s", s.key)
		}
	}
}

// TestAdminListenerSettings: ADMIN_PORT is off by default, a port of its
// own when set; ADMIN_HOST is loopback by default.
func TestAdminListenerSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		wantAddr string
		field    string
	}{
		{"off by default", nil, "", ""},
		{"loopback by default", map[string]string{"ADMIN_PORT": "9090"}, "127.0.0.1:9090", ""},
		{"host told", map[string]string{"ADMIN_PORT": "9090", "ADMIN_HOST": "::"}, "[::]:9090", ""},
		{"the API's port", map[string]string{"ADMIN_PORT": "8000"}, "", "ADMIN_PORT"},
		{"out of range", map[string]string{"ADMIN_PORT": "70000"}, "", "ADMIN_PORT"},
		{"a URL for a host", map[string]string{"ADMIN_PORT": "9090", "ADMIN_HOST": "http://x"}, "", "ADMIN_HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"ISSUER": okIssuer}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := Load(nil, envOf(env), t.TempDir())
			if tt.field != "" {
				if !hasField(err, tt.field) {
					t.Errorf("error %v, want one on %s", err, tt.field)
				}
				return
			}
			if err != nil || c.AdminAddr() != tt.wantAddr {
				t.Errorf("AdminAddr() = %q, %v; want %q", c.AdminAddr(), err, tt.wantAddr)
			}
		})
	}
}

// TestVerifierErrorNamesTheEntry: an error of the verifier found after
// start-up (an issuer whose discovery document adds a trailing slash) or
// at NewSet names the entry's key, not ISSUER.
func TestVerifierErrorNamesTheEntry(t *testing.T) {
	t.Parallel()
	const second = "https://b.example.com/oauth2/default"
	c, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t,
		"issuers:\n  - issuer: "+okIssuer+"\n    audiences: [a]\n  - issuer: "+second+"\n    audiences: [b]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"found by Refresh", fmt.Errorf("issuer %s: %w", second, &verifier.ConfigError{Field: "Issuer", Value: second, Problem: "differs only by a trailing slash", Fix: "write it as published"}),
			`config: issuers[1].issuer "` + second + `" (from issuers[1].issuer in `},
		{"at NewSet", &verifier.ConfigError{Field: "MaxKeyAge", Value: "1m", Problem: "is too short", Fix: "make MaxKeyAge longer", Position: 1, Issuer: okIssuer},
			"config: issuers[0].keys_max_age \"1m\" is too short: in issuers[0].keys_max_age (unset: it takes KEYS_MAX_AGE (or --keys-max-age, or keys_max_age in resource-server.yaml)), make issuers[0].keys_max_age longer"},
	}
	for _, tt := range tests {
		if got := c.VerifierError(tt.err).Error(); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q\ndoes not contain %q", tt.name, got, tt.want)
		}
	}
}
