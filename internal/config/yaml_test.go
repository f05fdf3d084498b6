package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/verifier"
)

// writeYAML writes content as resource-server.yaml in a new directory and
// returns the directory.
func writeYAML(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "resource-server.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestExampleYAMLLoads: the example file sets every setting a file can set,
// and loads as it is, each value from its line of the file.
func TestExampleYAMLLoads(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	ExampleYAML(&b)
	dir := writeYAML(t, b.String())
	c, err := Load([]string{"--config=resource-server.yaml"}, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != exampleIssuer || c.Port != 8000 || c.MaxKeyAge != verifier.DefaultMaxKeyAge || strings.Join(c.CORSAllowedOrigins, ",") != "*" {
		t.Errorf("example loaded as %+v", c)
	}
	if src := c.Source("ISSUER"); src.Kind != SourceFile || src.Line == 0 || src.Name != "issuer" {
		t.Errorf("Source(ISSUER) = %+v, want the file and a line", src)
	}
}

// TestYAMLFile: values, lists, layers and refusals of a YAML file.
func TestYAMLFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		args  []string
		env   map[string]string
		check func(Config) bool // when accepted
		field string            // when refused
		wants []string
	}{
		{name: "values and a sequence", file: "issuer: " + okIssuer + "\nport: 9000\nalgorithms:\n  - RS256\n  - ES256\nkeys_max_age: none\nsecure_route: off\n",
			check: func(c Config) bool {
				return c.Port == 9000 && strings.Join(c.Algorithms, ",") == "RS256,ES256" && c.MaxKeyAge == verifier.NoMaxKeyAge && !c.SecureRoute
			}},
		{name: "list as a comma-separated string", file: "issuer: " + okIssuer + "\ncors_origins: https://a.example.com, https://b.example.com\n",
			check: func(c Config) bool { return len(c.CORSAllowedOrigins) == 2 }},
		{name: "env over file, flag over env", file: "issuer: " + okIssuer + "\nport: 9000\naudience: api://file\n",
			env: map[string]string{"PORT": "9001", "AUDIENCE": "api://env"}, args: []string{"--port=9002"},
			check: func(c Config) bool {
				return c.Port == 9002 && c.Audience == "api://env" && c.Source("PORT").Kind == SourceFlag
			}},
		{name: "null and empty are unset", file: "issuer: " + okIssuer + "\nclient_id: \"\"\nhost: ~\n",
			check: func(c Config) bool { return c.ClientID == "" && c.Source("HOST").Kind == SourceDefault }},
		{name: "empty file", file: "# nothing\n", env: map[string]string{"ISSUER": okIssuer},
			check: func(c Config) bool { return c.Issuer == okIssuer }},
		{name: "unknown key", file: "port: 9000\nisuer: " + okIssuer + "\n", field: "--config",
			wants: []string{`has the unknown key "isuer" on line 2: did you mean issuer? Rename it to issuer;`}},
		{name: "unknown key, nothing near", file: "issuer: " + okIssuer + "\nroutes_v9: []\n", field: "--config",
			wants: []string{`"routes_v9" on line 2: remove it or correct its name`, "config example"}},
		{name: "JSON key in a YAML file", file: "resourceServer:\n  port: 8000\n", field: "--config",
			wants: []string{`unknown key "resourceServer" on line 1`}},
		{name: "bad value names the line", file: "issuer: " + okIssuer + "\nport: eighty\n", field: "PORT",
			wants: []string{`PORT "eighty" (from port in `, `resource-server.yaml:2) is not a whole number: set PORT (or --port, or port in resource-server.yaml)`}},
		{name: "library rule names the line", file: "issuer: https://user:pw@dev-123456.okta.com/oauth2/default\n", field: "ISSUER",
			wants: []string{`resource-server.yaml:1) holds a user name or password: in ISSUER (or --issuer, or issuer in resource-server.yaml)`}},
		{name: "list where one value belongs", file: "issuer: [a, b]\n", field: "ISSUER", wants: []string{"is a list", "issuer: \""}},
		{name: "mapping where one value belongs", file: "port:\n  api: 8000\n", field: "PORT", wants: []string{"is a mapping"}},
		{name: "key twice", file: "issuer: " + okIssuer + "\nissuer: " + okIssuer + "\n", field: "--config", wants: []string{"sets issuer twice, on lines 1 and 2"}},
		{name: "not a mapping", file: "- issuer\n", field: "--config", wants: []string{"does not hold a mapping of settings (line 1)"}},
		{name: "bad YAML", file: "issuer: [\n", field: "--config", wants: []string{"is not valid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeYAML(t, tt.file)
			c, err := Load(append([]string{"--config=resource-server.yaml"}, tt.args...), envOf(tt.env), dir)
			if tt.check != nil {
				if err != nil || !tt.check(c) {
					t.Fatalf("Load = %+v, %v", c, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field {
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

// TestDevModeHonoursOrRefuses: dev mode honours ALGORITHMS, REQUIRE_AT_JWT
// and KEYS_MAX_AGE through the one VerifierConfigs, and refuses what it cannot
// honour instead of dropping it.
func TestDevModeHonoursOrRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		field string // "" when accepted
	}{
		{name: "algorithms honoured", args: []string{"--algorithms=ES256,RS256", "--require-at-jwt", "--keys-max-age=1h"}},
		{name: "algorithm the dev issuer cannot sign with", args: []string{"--algorithms=RS384"}, field: "ALGORITHMS"},
		{name: "client id", args: []string{"--client-id=0oa1"}, field: "SPA_CLIENT_ID"},
		{name: "missing audience", args: []string{"--allow-missing-audience"}, field: "ALLOW_MISSING_AUDIENCE"},
		{name: "JWKS URL", args: []string{"--jwks-url=https://example.com/keys"}, field: "JWKS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(append([]string{"--dev"}, tt.args...), nil, t.TempDir())
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				vc := c.VerifierConfigs("http://localhost:8000/oauth2/default", nil)[0]
				if c.DevAlgorithm() != "ES256" || strings.Join(vc.Algorithms, ",") != "ES256,RS256" || !vc.RequireAccessTokenType ||
					vc.MaxKeyAge != c.MaxKeyAge || !vc.InsecureAllowHTTP || vc.Leeway != verifier.NoLeeway {
					t.Errorf("VerifierConfig = %+v", vc)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field || !strings.Contains(err.Error(), "--dev") {
				t.Errorf("error %v, want one on %s naming --dev", err, tt.field)
			}
		})
	}
}

// TestVerifierConfigMatchesProgram: outside dev mode, VerifierConfigs carries
// every verifier setting as loaded, and KEYS_MAX_AGE means what MaxKeyAge
// means (0: the default, with a warning; none: no bound).
func TestVerifierConfigMatchesProgram(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ISSUER": okIssuer, "SPA_CLIENT_ID": "0oa1", "ALLOW_MISSING_AUDIENCE": "1", "KEYS_MAX_AGE": "0",
		"JWKS_URL": "https://dev-123456.okta.com/oauth2/default/v1/keys", "OKTA_TESTING_DISABLEHTTPSCHECK": "yes"}
	c, err := Load(nil, envOf(env), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	vc := c.VerifierConfigs(c.Issuer, slog.Default())[0]
	if vc.Issuer != okIssuer || vc.ClientID != "0oa1" || !vc.AllowMissingAudience || vc.MaxKeyAge != 0 || vc.JWKSURL != env["JWKS_URL"] ||
		!vc.InsecureAllowHTTP || vc.Leeway != 0 || len(vc.Audiences) != 1 || vc.Audiences[0] != "api://default" {
		t.Errorf("VerifierConfig = %+v", vc)
	}
	if err := vc.Validate(); err != nil {
		t.Errorf("the library refuses what the program accepted: %v", err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "KEYS_MAX_AGE 0 (from KEYS_MAX_AGE) means the default, 24h") {
		t.Errorf("Warnings = %q", w)
	}
}

// TestDescribeRedacts: the effective configuration names each value's
// source and never shows the dev password.
func TestDescribeRedacts(t *testing.T) {
	t.Parallel()
	dir := writeYAML(t, "dev: true\ndev_password: hunter2\n")
	c, err := Load([]string{"--config=resource-server.yaml", "--port=9000"}, envOf(map[string]string{"LOG_LEVEL": "debug"}), dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Describe(&b); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "config", c)
	for _, out := range []string{b.String(), logged.String()} {
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "REDACTED") {
			t.Errorf("secret shown or not redacted:\n%s", out)
		}
	}
	for _, want := range []string{"resource-server.yaml:1", "flag --port", "env LOG_LEVEL", "default"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, b.String())
		}
	}
}

// TestEveryYAMLKeyRead: each setting a file can set is read from its YAML
// key, with its line, and holds the value written.
func TestEveryYAMLKeyRead(t *testing.T) {
	t.Parallel()
	sample := map[kind]string{kindString: "x", kindRaw: " x ", kindLower: "debug", kindInt: "1234", kindBool: "true", kindLooseBool: "true",
		kindDuration: "90s", kindMaxAge: "none", kindList: "a,b"}
	for _, s := range settings {
		if s.key() == "" {
			continue
		}
		t.Run(s.key(), func(t *testing.T) {
			t.Parallel()
			dir := writeYAML(t, "# comment\n"+s.key()+": "+yamlScalar(s, sample[s.kind])+"\n")
			c, bad, err := load([]string{"--config=resource-server.yaml"}, nil, dir)
			if err != nil || bad != nil {
				t.Fatal(err, bad)
			}
			if src := c.Source(s.name()); src.Kind != SourceFile || src.Line != 2 || src.Name != s.key() {
				t.Errorf("Source = %+v, want line 2 of the file", src)
			}
			want := sample[s.kind]
			if s.kind == kindDuration {
				want = "1m30s"
			}
			if s.kind == kindString {
				want = strings.TrimSpace(want)
			}
			if got := s.format(c); got != want {
				t.Errorf("value %q, want %q", got, want)
			}
		})
	}
}
