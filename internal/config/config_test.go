package config

import (
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const okIssuer = "https://dev-123456.okta.com/oauth2/default"

// envOf returns a getenv over the given map.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeConfig writes content as DefaultFile in dir.
func writeConfig(t *testing.T, dir, content string) string {
	t.Helper()
	path := filepath.Join(dir, DefaultFile)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileJSON builds a configuration file from dotted keys.
func fileJSON(t *testing.T, kv map[string]any) string {
	t.Helper()
	root := map[string]any{}
	for key, v := range kv {
		parts := strings.Split(key, ".")
		m := root
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = v
	}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPrecedence checks, for every setting, that a flag beats the
// environment, which beats the file, which beats the default, and that
// Source reports the winner.
func TestPrecedence(t *testing.T) {
	tests := []struct {
		name     string // the setting's name (environment variable)
		fileVal  any    // nil: the setting has no file key
		envVal   string
		flagArg  string
		get      func(Config) string
		def      string
		fromFile string
		fromEnv  string
		fromFlag string
	}{
		{name: "ISSUER", fileVal: "https://file.example.com/oauth2/default", envVal: "https://env.example.com/oauth2/default", flagArg: "--issuer=https://flag.example.com/oauth2/default",
			get: func(c Config) string { return c.Issuer },
			def: "", fromFile: "https://file.example.com/oauth2/default", fromEnv: "https://env.example.com/oauth2/default", fromFlag: "https://flag.example.com/oauth2/default"},
		{name: "SPA_CLIENT_ID", fileVal: "file-client", envVal: "env-client", flagArg: "--client-id=flag-client",
			get: func(c Config) string { return c.ClientID },
			def: "", fromFile: "file-client", fromEnv: "env-client", fromFlag: "flag-client"},
		{name: "AUDIENCE", fileVal: "api://file", envVal: "api://env", flagArg: "--audience=api://flag",
			get: func(c Config) string { return c.Audience },
			def: "api://default", fromFile: "api://file", fromEnv: "api://env", fromFlag: "api://flag"},
		{name: "PORT", fileVal: 8001, envVal: "8002", flagArg: "--port=8003",
			get: func(c Config) string { return strconv.Itoa(c.Port) },
			def: "8000", fromFile: "8001", fromEnv: "8002", fromFlag: "8003"},
		{name: "OKTA_TESTING_DISABLEHTTPSCHECK", fileVal: true, envVal: "0", flagArg: "--insecure-disable-https-check",
			get: func(c Config) string { return strconv.FormatBool(c.InsecureAllowHTTP) },
			def: "false", fromFile: "true", fromEnv: "false", fromFlag: "true"},
		{name: "HOST", envVal: "127.0.0.1", flagArg: "--host=::1",
			get: func(c Config) string { return c.Host },
			def: "", fromEnv: "127.0.0.1", fromFlag: "::1"},
		{name: "PUBLIC_URL", envVal: "https://env.example.com", flagArg: "--public-url=https://flag.example.com/api",
			get: func(c Config) string { return c.PublicURL },
			def: "", fromEnv: "https://env.example.com", fromFlag: "https://flag.example.com/api"},
		{name: "JWKS_URL", envVal: "https://env.example.com/keys", flagArg: "--jwks-url=https://flag.example.com/keys",
			get: func(c Config) string { return c.JWKSURL },
			def: "", fromEnv: "https://env.example.com/keys", fromFlag: "https://flag.example.com/keys"},
		{name: "CORS_ALLOWED_ORIGINS", envVal: " https://a.example.com, ,https://b.example.com:8443 ", flagArg: "--cors-origins=http://localhost:8080",
			get: func(c Config) string { return strings.Join(c.CORSAllowedOrigins, "|") },
			def: "*", fromEnv: "https://a.example.com|https://b.example.com:8443", fromFlag: "http://localhost:8080"},
		{name: "REQUIRED_SCOPES", envVal: "messages:read, messages:write", flagArg: "--required-scopes=admin",
			get: func(c Config) string { return strings.Join(c.RequiredScopes, "|") },
			def: "", fromEnv: "messages:read|messages:write", fromFlag: "admin"},
		{name: "SECURE_ROUTE", envVal: "false", flagArg: "--secure-route",
			get: func(c Config) string { return strconv.FormatBool(c.SecureRoute) },
			def: "true", fromEnv: "false", fromFlag: "true"},
		{name: "DEV", envVal: "yes", flagArg: "--dev=false",
			get: func(c Config) string { return strconv.FormatBool(c.Dev) },
			def: "false", fromEnv: "true", fromFlag: "false"},
		{name: "FRONTEND_PORT", envVal: "9090", flagArg: "--frontend-port=9091",
			get: func(c Config) string { return strconv.Itoa(c.FrontendPort) },
			def: "8080", fromEnv: "9090", fromFlag: "9091"},
		{name: "DEV_USERNAME", envVal: " env user ", flagArg: "--dev-user=flag-user",
			get: func(c Config) string { return c.DevUsername },
			def: "", fromEnv: " env user ", fromFlag: "flag-user"},
		{name: "DEV_PASSWORD", envVal: " env secret ", flagArg: "--dev-password=flag secret",
			get: func(c Config) string { return c.DevPassword },
			def: "", fromEnv: " env secret ", fromFlag: "flag secret"},
		{name: "DEV_TOKEN_LIFETIME", envVal: "30s", flagArg: "--dev-token-lifetime=5m",
			get: func(c Config) string { return c.DevTokenLifetime.String() },
			def: "0s", fromEnv: "30s", fromFlag: "5m0s"},
		{name: "LOG_LEVEL", envVal: "DEBUG", flagArg: "--log-level=warn",
			get: func(c Config) string { return c.LogLevel },
			def: "info", fromEnv: "debug", fromFlag: "warn"},
		{name: "LOG_FORMAT", envVal: "json", flagArg: "-log-format=text",
			get: func(c Config) string { return c.LogFormat },
			def: "text", fromEnv: "json", fromFlag: "text"},
		{name: "ALGORITHMS", envVal: "RS256, ES256", flagArg: "--algorithms=PS256",
			get: func(c Config) string { return strings.Join(c.Algorithms, "|") },
			def: "RS256", fromEnv: "RS256|ES256", fromFlag: "PS256"},
		{name: "ALLOW_MISSING_AUDIENCE", envVal: "true", flagArg: "--allow-missing-audience=false",
			get: func(c Config) string { return strconv.FormatBool(c.AllowMissingAudience) },
			def: "false", fromEnv: "true", fromFlag: "false"},
		{name: "KEYS_MAX_AGE", envVal: "168h", flagArg: "--keys-max-age=0",
			get: func(c Config) string { return c.MaxKeyAge.String() },
			def: "24h0m0s", fromEnv: "168h0m0s", fromFlag: "0s"},
		{name: "REQUIRE_AT_JWT", envVal: "true", flagArg: "--require-at-jwt=false",
			get: func(c Config) string { return strconv.FormatBool(c.RequireAccessTokenType) },
			def: "false", fromEnv: "true", fromFlag: "false"},
		{name: "ADMIN_PORT", envVal: "9090", flagArg: "--admin-port=9091",
			get: func(c Config) string { return strconv.Itoa(c.AdminPort) },
			def: "0", fromEnv: "9090", fromFlag: "9091"},
		{name: "ADMIN_HOST", envVal: "0.0.0.0", flagArg: "--admin-host=::1",
			get: func(c Config) string { return c.AdminHost },
			def: "127.0.0.1", fromEnv: "0.0.0.0", fromFlag: "::1"},
		{name: "SHUTDOWN_TIMEOUT", envVal: "30s", flagArg: "--shutdown-timeout=1m",
			get: func(c Config) string { return c.ShutdownTimeout.String() },
			def: "10s", fromEnv: "30s", fromFlag: "1m0s"},
		{name: "FORWARD_AUTH_PATH", envVal: "/auth", flagArg: "--forward-auth-path=/verify",
			get: func(c Config) string { return c.ForwardAuthPath },
			def: "/_auth", fromEnv: "/auth", fromFlag: "/verify"},
		{name: "DPOP_ALGORITHMS", envVal: "ES256, EdDSA", flagArg: "--dpop-algorithms=PS256",
			get: func(c Config) string { return strings.Join(c.DPoPAlgorithms, "|") },
			def: "ES256|ES384|EdDSA|PS256|RS256", fromEnv: "ES256|EdDSA", fromFlag: "PS256"},
		{name: "DPOP_MAX_AGE", envVal: "1m", flagArg: "--dpop-max-age=30s",
			get: func(c Config) string { return c.DPoPMaxAge.String() },
			def: "5m0s", fromEnv: "1m0s", fromFlag: "30s"},
		{name: "DPOP_NONCE_SECRET", envVal: " env nonce secret, 32 bytes or more ", flagArg: "--dpop-nonce-secret=flag nonce secret, 32 bytes or more",
			get: func(c Config) string { return c.DPoPNonceSecret },
			def: "", fromEnv: " env nonce secret, 32 bytes or more ", fromFlag: "flag nonce secret, 32 bytes or more"},
		{name: "STORE", envVal: "redis://:pw@127.0.0.1:6379/1", flagArg: "--store=memory",
			get: func(c Config) string { return c.Store },
			def: "memory", fromEnv: "redis://:pw@127.0.0.1:6379/1", fromFlag: "memory"},
	}
	covered := map[string]bool{"--config": true} // --config: TestConfigFileFlag
	for _, tt := range tests {
		covered[tt.name] = true
		s := settingByName(tt.name)
		if (tt.fileVal != nil) != (s.json != "") {
			t.Fatalf("%s: the test's file value does not match the setting's file key %q", tt.name, s.json)
		}
		type layer struct {
			name     string
			args     []string
			env      map[string]string
			file     bool
			want     string
			wantKind SourceKind
		}
		layers := []layer{
			{name: "default", want: tt.def, wantKind: SourceDefault},
			{name: "env", env: map[string]string{tt.name: tt.envVal}, want: tt.fromEnv, wantKind: SourceEnv},
			{name: "flag over env", args: []string{tt.flagArg}, env: map[string]string{tt.name: tt.envVal}, want: tt.fromFlag, wantKind: SourceFlag},
		}
		if tt.fileVal != nil {
			layers = append(layers,
				layer{name: "file", file: true, want: tt.fromFile, wantKind: SourceFile},
				layer{name: "env over file", env: map[string]string{tt.name: tt.envVal}, file: true, want: tt.fromEnv, wantKind: SourceEnv},
				layer{name: "flag over env and file", args: []string{tt.flagArg}, env: map[string]string{tt.name: tt.envVal}, file: true, want: tt.fromFlag, wantKind: SourceFlag},
			)
		}
		for _, l := range layers {
			t.Run(tt.name+"/"+l.name, func(t *testing.T) {
				dir := t.TempDir()
				if l.file {
					writeConfig(t, dir, fileJSON(t, map[string]any{s.json: tt.fileVal}))
				}
				c, bad, err := load(l.args, envOf(l.env), dir)
				if err != nil || bad != nil {
					t.Fatal(err, bad)
				}
				if got := tt.get(c); got != l.want {
					t.Errorf("value = %q, want %q", got, l.want)
				}
				src := c.Source(tt.name)
				if src.Kind != l.wantKind {
					t.Errorf("Source(%q) = %v, want kind %v", tt.name, src, l.wantKind)
				}
				if l.wantKind == SourceFile && (src.Name != s.json || src.File != filepath.Join(dir, DefaultFile)) {
					t.Errorf("Source(%q) = %+v, want the file key and path", tt.name, src)
				}
			})
		}
	}
	for _, s := range settings {
		if !covered[s.name()] {
			t.Errorf("setting %s has no precedence test", s.name())
		}
	}
}

// TestSeedFile loads testdata/.samples.config.json, written in the shape the
// Express sample's README shows, from the working directory.
func TestSeedFile(t *testing.T) {
	c, err := Load(nil, nil, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Issuer = okIssuer
	want.ClientID = "0oa1b2c3d4e5f6g7h8i9"
	want.sources = c.sources
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load = %+v\nwant %+v", c, want)
	}
	for name, key := range map[string]string{
		"ISSUER":        "resourceServer.oidc.issuer",
		"SPA_CLIENT_ID": "resourceServer.assertClaims.cid",
		"AUDIENCE":      "resourceServer.assertClaims.aud",
		"PORT":          "resourceServer.port",
	} {
		if got := c.Source(name); got.Kind != SourceFile || got.Name != key || got.File != filepath.Join("testdata", DefaultFile) {
			t.Errorf("Source(%s) = %+v, want %s in the file", name, got, key)
		}
	}
	if got := c.Source("HOST"); got.Kind != SourceDefault {
		t.Errorf("Source(HOST) = %+v, want the default", got)
	}
}

// TestSeedPlaceholders: the seed's file, as copied, reports both of its
// placeholders at once, each with its fix.
func TestSeedPlaceholders(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, `{
  "resourceServer": {
    "port": 8000,
    "oidc": {
      "issuer": "https://{yourOktaDomain}.com/oauth2/default"
    },
    "assertClaims": {
      "aud": "api://default",
      "cid": "{clientId}"
    }
  }
}`)
	_, err := Load(nil, nil, dir)
	if err == nil {
		t.Fatal("Load accepted the seed's placeholders")
	}
	msg := err.Error()
	for _, want := range []string{
		`config: ISSUER "https://{yourOktaDomain}.com/oauth2/default" (from resourceServer.oidc.issuer in ` + path + `) still holds the sample's placeholder: in ISSUER (or --issuer, or resourceServer.oidc.issuer in .samples.config.json), replace the placeholder with your Okta domain, e.g. https://dev-123456.okta.com/oauth2/default`,
		`config: SPA_CLIENT_ID "{clientId}" (from resourceServer.assertClaims.cid in ` + path + `) still holds the sample's placeholder: in SPA_CLIENT_ID (or --client-id, or resourceServer.assertClaims.cid in .samples.config.json), replace the placeholder with your application's client id`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q\ndoes not contain %q", msg, want)
		}
	}
	var e *Error
	if !errors.As(err, &e) || e.Field != "ISSUER" {
		t.Errorf("errors.As found %+v, want the ISSUER error first", e)
	}
}

// TestErrors checks every refusal: the *Error names the setting, and the
// message names the value's place and the fix.
func TestErrors(t *testing.T) {
	ok := map[string]string{"ISSUER": okIssuer}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		file  string // content of DefaultFile; "" for none
		field string
		want  []string // substrings of the message
	}{
		{name: "issuer missing",
			field: "ISSUER", want: []string{"config: ISSUER is not set: set ISSUER (or --issuer, or resourceServer.oidc.issuer in .samples.config.json) to your authorization server's issuer, e.g. https://dev-123456.okta.com/oauth2/default", "--dev"}},
		{name: "issuer empty flag", args: []string{"--issuer="}, env: ok,
			field: "ISSUER", want: []string{"config: ISSUER (from --issuer) is empty: set ISSUER"}},
		{name: "issuer placeholder from env", env: map[string]string{"ISSUER": "https://{yourOktaDomain}/oauth2/default"},
			field: "ISSUER", want: []string{`config: ISSUER "https://{yourOktaDomain}/oauth2/default" still holds the sample's placeholder: in ISSUER (or --issuer, or resourceServer.oidc.issuer in .samples.config.json), replace the placeholder with your Okta domain, e.g. https://dev-123456.okta.com/oauth2/default`}},
		{name: "issuer placeholder .com form from flag", args: []string{"--issuer", "https://{yourOktaDomain}.com/oauth2/default"},
			field: "ISSUER", want: []string{`ISSUER "https://{yourOktaDomain}.com/oauth2/default" (from --issuer) still holds the sample's placeholder`, "replace the placeholder with your Okta domain"}},
		{name: "issuer http", env: map[string]string{"ISSUER": "http://dev-123456.okta.com/oauth2/default"},
			field: "ISSUER", want: []string{"uses http, not https", "set OKTA_TESTING_DISABLEHTTPSCHECK (or --insecure-disable-https-check", "to true"}},
		{name: "issuer without scheme", env: map[string]string{"ISSUER": "dev-123456.okta.com/oauth2/default"},
			field: "ISSUER", want: []string{"is not an absolute URL", "starts with https://"}},
		{name: "issuer host:port without scheme", env: map[string]string{"ISSUER": "localhost:9090/oauth2/default", "OKTA_TESTING_DISABLEHTTPSCHECK": "true"},
			field: "ISSUER", want: []string{"is not an absolute URL"}},
		{name: "issuer not http", env: map[string]string{"ISSUER": "ftp://dev-123456.okta.com/oauth2/default"},
			field: "ISSUER", want: []string{"is not an http(s) URL"}},
		{name: "issuer with query", env: map[string]string{"ISSUER": okIssuer + "?x=1"},
			field: "ISSUER", want: []string{"has a query", "RFC 8414"}},
		{name: "issuer admin domain", env: map[string]string{"ISSUER": "https://dev-123456-admin.okta.com/oauth2/default"},
			field: "ISSUER", want: []string{"Admin Console", `without "-admin"`, "in ISSUER (or --issuer"}},
		{name: "client id placeholder", env: map[string]string{"ISSUER": okIssuer, "SPA_CLIENT_ID": "{clientId}"},
			field: "SPA_CLIENT_ID", want: []string{`config: SPA_CLIENT_ID "{clientId}" still holds the sample's placeholder: in SPA_CLIENT_ID (or --client-id, or resourceServer.assertClaims.cid in .samples.config.json)`, "leave it empty"}},
		{name: "audience empty flag", args: []string{"--audience="}, env: ok,
			field: "AUDIENCE", want: []string{"AUDIENCE (from --audience) is empty", "api://default"}},
		{name: "port not a number from env", env: map[string]string{"ISSUER": okIssuer, "PORT": "eighty"},
			field: "PORT", want: []string{`config: PORT "eighty" is not a whole number: set PORT (or --port, or resourceServer.port in .samples.config.json) to a number from 1 to 65535`}},
		{name: "port not a number from flag", args: []string{"--port=80x"}, env: ok,
			field: "PORT", want: []string{`PORT "80x" (from --port) is not a whole number`}},
		{name: "port not a number from file", env: ok, file: `{"resourceServer":{"port":"x"}}`,
			field: "PORT", want: []string{`PORT "x" (from resourceServer.port in `, "is not a whole number"}},
		{name: "port fraction in file", env: ok, file: `{"resourceServer":{"port":8000.5}}`,
			field: "PORT", want: []string{`PORT "8000.5"`, "is not a whole number"}},
		{name: "port bool in file", env: ok, file: `{"resourceServer":{"port":true}}`,
			field: "PORT", want: []string{`PORT "true"`, "is not a number: set resourceServer.port in"}},
		{name: "port zero", args: []string{"--port=0"}, env: ok,
			field: "PORT", want: []string{`PORT "0" (from --port) is out of range: set PORT (or --port, or resourceServer.port in .samples.config.json) to a port from 1 to 65535`}},
		{name: "port too large", env: map[string]string{"ISSUER": okIssuer, "PORT": "65536"},
			field: "PORT", want: []string{`PORT "65536" is out of range`}},
		{name: "frontend port out of range", env: map[string]string{"ISSUER": okIssuer, "FRONTEND_PORT": "-1"},
			field: "FRONTEND_PORT", want: []string{"is out of range", "FRONTEND_PORT (or --frontend-port)"}},
		{name: "frontend port equals port in dev", args: []string{"--dev", "--port=8080"},
			field: "FRONTEND_PORT", want: []string{"is the API's port too"}},
		{name: "bad boolean in env", env: map[string]string{"ISSUER": okIssuer, "SECURE_ROUTE": "sometimes"},
			field: "SECURE_ROUTE", want: []string{`SECURE_ROUTE "sometimes" is not a boolean: set SECURE_ROUTE (or --secure-route) to true or false`}},
		{name: "bad boolean DEV", env: map[string]string{"DEV": "please"},
			field: "DEV", want: []string{`DEV "please" is not a boolean`}},
		{name: "bad boolean flag", args: []string{"--dev=please"},
			field: "DEV", want: []string{`DEV "please" (from --dev) is not a boolean`}},
		{name: "bad https check flag", args: []string{"--insecure-disable-https-check=maybe"}, env: ok,
			field: "OKTA_TESTING_DISABLEHTTPSCHECK", want: []string{"(from --insecure-disable-https-check) is not a boolean"}},
		{name: "bad https check in file", env: ok, file: `{"resourceServer":{"oidc":{"testing":{"disableHttpsCheck":"yes"}}}}`,
			field: "OKTA_TESTING_DISABLEHTTPSCHECK", want: []string{"is not true or false"}},
		{name: "bad log level", env: map[string]string{"ISSUER": okIssuer, "LOG_LEVEL": "verbose"},
			field: "LOG_LEVEL", want: []string{`LOG_LEVEL "verbose" is not a log level: set LOG_LEVEL (or --log-level) to debug, info, warn or error`}},
		{name: "bad log format", args: []string{"--log-format=xml"}, env: ok,
			field: "LOG_FORMAT", want: []string{`LOG_FORMAT "xml" (from --log-format) is not a log format: set LOG_FORMAT (or --log-format) to text or json`}},
		{name: "bad shutdown timeout", env: map[string]string{"ISSUER": okIssuer, "SHUTDOWN_TIMEOUT": "10"},
			field: "SHUTDOWN_TIMEOUT", want: []string{`SHUTDOWN_TIMEOUT "10" is not a duration`, "10s"}},
		{name: "negative shutdown timeout", args: []string{"--shutdown-timeout=-1s"}, env: ok,
			field: "SHUTDOWN_TIMEOUT", want: []string{"is not positive"}},
		{name: "bad dev token lifetime", args: []string{"--dev", "--dev-token-lifetime=1 hour"},
			field: "DEV_TOKEN_LIFETIME", want: []string{`DEV_TOKEN_LIFETIME "1 hour" (from --dev-token-lifetime) is not a duration: set DEV_TOKEN_LIFETIME (or --dev-token-lifetime)`}},
		{name: "scope with a space", env: map[string]string{"ISSUER": okIssuer, "REQUIRED_SCOPES": "messages:read,read write"},
			field: "REQUIRED_SCOPES", want: []string{`REQUIRED_SCOPES "read write" is not a scope token`, "comma-separated scopes"}},
		{name: "HMAC algorithm", env: map[string]string{"ISSUER": okIssuer, "ALGORITHMS": "RS256,HS256"},
			field: "ALGORITHMS", want: []string{`ALGORITHMS "HS256" is not a supported asymmetric JWS algorithm`, "RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA"}},
		{name: "lower-case algorithm", env: map[string]string{"ISSUER": okIssuer, "ALGORITHMS": "rs256"},
			field: "ALGORITHMS", want: []string{`ALGORITHMS "rs256"`, "case-sensitive"}},
		{name: "no algorithm", env: map[string]string{"ISSUER": okIssuer}, args: []string{"--algorithms= , "},
			field: "ALGORITHMS", want: []string{"is empty"}},
		{name: "missing audience allowed without a client", env: map[string]string{"ISSUER": okIssuer, "ALLOW_MISSING_AUDIENCE": "true"},
			field: "SPA_CLIENT_ID", want: []string{"is empty, and ALLOW_MISSING_AUDIENCE (or --allow-missing-audience) needs it", "in SPA_CLIENT_ID (or --client-id"}},
		{name: "keys max age under the refresh interval", env: map[string]string{"ISSUER": okIssuer, "KEYS_MAX_AGE": "10m"},
			field: "KEYS_MAX_AGE", want: []string{`KEYS_MAX_AGE "10m" is not longer than RefreshInterval (15m0s)`, "none removes the bound"}},
		{name: "negative keys max age", env: map[string]string{"ISSUER": okIssuer, "KEYS_MAX_AGE": "-1h"},
			field: "KEYS_MAX_AGE", want: []string{"is negative", "or none to keep the keys"}},
		{name: "negative dev token lifetime", args: []string{"--dev"}, env: map[string]string{"DEV_TOKEN_LIFETIME": "-5s"},
			field: "DEV_TOKEN_LIFETIME", want: []string{`DEV_TOKEN_LIFETIME "-5s" is negative`}},
		{name: "bad JSON", env: ok, file: "{\n  \"resourceServer\": {\n    \"port\": 8000\n    \"oidc\": {}\n  }\n}",
			field: "--config", want: []string{DefaultFile + `" is not valid JSON: line 4, column 5:`, "the expected shape is"}},
		{name: "truncated JSON", env: ok, file: `{"resourceServer": {"port": 8000,`,
			field: "--config", want: []string{"is not valid JSON: line 1, column 33: unexpected end of JSON input"}},
		{name: "JSON not an object", env: ok, file: `["resourceServer"]`,
			field: "--config", want: []string{"does not hold a JSON object"}},
		{name: "JSON section of the wrong type", env: ok, file: "{\"resourceServer\": {\n\"oidc\": \"https://x\"}}",
			field: "--config", want: []string{"has a string where an object belongs, at resourceServer.oidc (line 2)"}},
		{name: "issuer of the wrong type", env: ok, file: `{"resourceServer":{"oidc":{"issuer":42}}}`,
			field: "ISSUER", want: []string{`ISSUER "42" (from resourceServer.oidc.issuer in `, "is not a string"}},
		{name: "unsupported claim assertion", env: ok, file: `{"resourceServer":{"assertClaims":{"aud":"api://default","groups.includes":"Admins"}}}`,
			field: "--config", want: []string{`asserts the claim "groups.includes"`, "remove resourceServer.assertClaims.groups.includes"}},
		{name: "explicit config file missing", args: []string{"--config=missing.json"}, env: ok,
			field: "--config", want: []string{`missing.json" (from --config) does not exist`}},
		{name: "explicit config file empty name", args: []string{"--config="}, env: ok,
			field: "--config", want: []string{"(from --config) is empty"}},
		{name: "unknown flag", args: []string{"--issuer-url=" + okIssuer},
			field: "--issuer-url", want: []string{"config: --issuer-url is not a flag: run with --help"}},
		{name: "flag without value", args: []string{"--port"}, env: ok,
			field: "PORT", want: []string{"config: PORT (from --port) needs a value: write --port=N"}},
		{name: "positional argument", args: []string{"serve"}, env: ok,
			field: "argument", want: []string{`argument "serve" is not a flag`, "--issuer="}},
		{name: "boolean flag value after a space", args: []string{"--dev", "false"}, env: ok,
			field: "argument", want: []string{`argument "false" is not a flag`, "--dev=false"}},
		{name: "dev with issuer from flag", args: []string{"--dev", "--issuer=" + okIssuer},
			field: "ISSUER", want: []string{`ISSUER "` + okIssuer + `" (from --issuer) is set together with --dev: --dev runs its own issuer; unset ISSUER (or --issuer, or resourceServer.oidc.issuer in .samples.config.json) or drop --dev`}},
		{name: "dev with issuer from env", args: []string{"--dev"}, env: ok,
			field: "ISSUER", want: []string{`config: ISSUER "` + okIssuer + `" is set together with --dev: --dev runs its own issuer; unset ISSUER`}},
		{name: "dev with issuer from file", env: map[string]string{"DEV": "1"}, file: `{"resourceServer":{"oidc":{"issuer":"` + okIssuer + `"}}}`,
			field: "ISSUER", want: []string{"(from resourceServer.oidc.issuer in ", "--dev runs its own issuer"}},
		{name: "dev with JWKS URL", args: []string{"--dev", "--jwks-url=https://example.com/keys"},
			field: "JWKS_URL", want: []string{"--dev serves its own keys"}},
		{name: "JWKS URL http", env: map[string]string{"ISSUER": okIssuer, "JWKS_URL": "http://example.com/keys"},
			field: "JWKS_URL", want: []string{"uses http, not https: in JWKS_URL (or --jwks-url), use https"}},
		{name: "CORS origin with trailing slash", env: map[string]string{"ISSUER": okIssuer, "CORS_ALLOWED_ORIGINS": "https://app.example.com/"},
			field: "CORS_ALLOWED_ORIGINS", want: []string{`"https://app.example.com/" ends with a slash`}},
		{name: "CORS origin with path", args: []string{"--cors-origins=https://app.example.com/app"}, env: ok,
			field: "CORS_ALLOWED_ORIGINS", want: []string{"has more than scheme, host and port"}},
		{name: "CORS origin not a URL", args: []string{"--cors-origins=app.example.com"}, env: ok,
			field: "CORS_ALLOWED_ORIGINS", want: []string{"is not an origin"}},
		{name: "CORS origins empty", args: []string{"--cors-origins= , "}, env: ok,
			field: "CORS_ALLOWED_ORIGINS", want: []string{"(from --cors-origins) is empty", "* for any origin"}},
		{name: "host with port", args: []string{"--host=localhost:8000"}, env: ok,
			field: "HOST", want: []string{"holds a port", "PORT (or --port)"}},
		{name: "host is a URL", env: map[string]string{"ISSUER": okIssuer, "HOST": "http://localhost"},
			field: "HOST", want: []string{"is a URL, not a host"}},
		{name: "issuer with spaces", env: map[string]string{"ISSUER": "https://dev-123456.okta.com/oauth2/default extra"},
			field: "ISSUER", want: []string{"is not a URL"}},
		{name: "issuer with credentials", env: map[string]string{"ISSUER": "https://user:pw@dev-123456.okta.com/oauth2/default"},
			field: "ISSUER", want: []string{"holds a user name or password"}},
		{name: "audience placeholder", env: map[string]string{"ISSUER": okIssuer, "AUDIENCE": "{audience}"},
			field: "AUDIENCE", want: []string{"still holds a placeholder", "AUDIENCE (or --audience, or resourceServer.assertClaims.aud in .samples.config.json)"}},
		{name: "client id of the wrong type", env: ok, file: `{"resourceServer":{"assertClaims":{"cid":["a"]}}}`,
			field: "SPA_CLIENT_ID", want: []string{`(from resourceServer.assertClaims.cid in `, "is not a string"}},
		{name: "CORS origin not http", args: []string{"--cors-origins=chrome-extension://abc"}, env: ok,
			field: "CORS_ALLOWED_ORIGINS", want: []string{"is not an http(s) origin"}},
		{name: "host with spaces", args: []string{"--host=local host"}, env: ok,
			field: "HOST", want: []string{"holds spaces"}},
		{name: "bad flag syntax", args: []string{"---issuer=x"}, env: ok,
			field: "arguments", want: []string{"bad flag syntax", "--help"}},
		{name: "config file is a directory", args: []string{"--config=."}, env: ok,
			field: "--config", want: []string{"cannot be read"}},
		{name: "config file too large", env: ok, file: `{"x":"` + strings.Repeat("a", 1<<20) + `"}`,
			field: "--config", want: []string{"is larger than 1 MiB"}},
		{name: "host bracketed", env: map[string]string{"ISSUER": okIssuer, "HOST": "[::1]"},
			field: "HOST", want: []string{"has brackets"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				writeConfig(t, dir, tt.file)
			}
			c, err := Load(tt.args, envOf(tt.env), dir)
			if err == nil {
				t.Fatalf("Load = %+v, nil; want an error", c)
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("Load returned %+v with its error, want the zero Config", c)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %q (%T) is not an *Error", err, err)
			}
			if e.Field != tt.field {
				t.Errorf("Field = %q, want %q (error %q)", e.Field, tt.field, err)
			}
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error %q does not start with \"config: \"", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

// TestInsecureAllowHTTP: OKTA_TESTING_DISABLEHTTPSCHECK is read as the
// Express sample reads it (any non-empty value but false/0/no/off), and it
// decides whether an http issuer is accepted.
func TestInsecureAllowHTTP(t *testing.T) {
	tests := []struct {
		env  string
		want bool
	}{
		{"", false},
		{"true", true},
		{"TRUE", true},
		{"1", true},
		{"yes", true},
		{"on", true},
		{"enabled", true},
		{"anything at all", true},
		{"false", false},
		{"False", false},
		{"0", false},
		{"no", false},
		{"NO", false},
		{"off", false},
		{" false ", false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.env), func(t *testing.T) {
			env := map[string]string{"ISSUER": "http://localhost:9090/oauth2/default", "OKTA_TESTING_DISABLEHTTPSCHECK": tt.env}
			c, err := Load(nil, envOf(env), t.TempDir())
			if tt.want {
				if err != nil || !c.InsecureAllowHTTP {
					t.Fatalf("Load = %v, %v; want InsecureAllowHTTP and the http issuer accepted", c.InsecureAllowHTTP, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != "ISSUER" || !strings.Contains(err.Error(), "uses http") {
				t.Fatalf("Load error = %v; want the http issuer refused", err)
			}
		})
	}
	// The flag is a strict boolean and beats the environment.
	c, err := Load([]string{"--insecure-disable-https-check=false"}, envOf(map[string]string{"ISSUER": okIssuer, "OKTA_TESTING_DISABLEHTTPSCHECK": "true"}), t.TempDir())
	if err != nil || c.InsecureAllowHTTP {
		t.Errorf("flag false over env true: %v, %v", c.InsecureAllowHTTP, err)
	}
	// The file's resourceServer.oidc.testing.disableHttpsCheck, as the
	// sample's later config.js lays it out.
	dir := t.TempDir()
	writeConfig(t, dir, `{"resourceServer":{"oidc":{"issuer":"http://localhost:9090/oauth2/default","testing":{"disableHttpsCheck":true}}}}`)
	if c, err := Load(nil, nil, dir); err != nil || !c.InsecureAllowHTTP {
		t.Errorf("file true: %v, %v", c.InsecureAllowHTTP, err)
	}
	// In dev mode the check does not apply.
	if _, err := Load([]string{"--dev"}, nil, t.TempDir()); err != nil {
		t.Errorf("--dev: %v", err)
	}
}

// TestBooleans: the spellings a strict boolean accepts.
func TestBooleans(t *testing.T) {
	for in, want := range map[string]bool{
		"true": true, "True": true, "1": true, "t": true, "y": true, "yes": true, "on": true, " ON ": true,
		"false": false, "FALSE": false, "0": false, "f": false, "n": false, "no": false, "off": false,
	} {
		c, err := Load([]string{"--secure-route=" + in}, envOf(map[string]string{"ISSUER": okIssuer}), t.TempDir())
		if err != nil || c.SecureRoute != want {
			t.Errorf("--secure-route=%q: %v, %v; want %v", in, c.SecureRoute, err, want)
		}
	}
	for _, in := range []string{"2", "yess", "enabled", "-"} {
		if _, err := Load(nil, envOf(map[string]string{"ISSUER": okIssuer, "SECURE_ROUTE": in}), t.TempDir()); err == nil {
			t.Errorf("SECURE_ROUTE=%q accepted", in)
		}
	}
}

// TestDefaults: with only an issuer, every other setting is its default;
// dev mode needs nothing and listens on loopback.
func TestDefaults(t *testing.T) {
	c, err := Load(nil, envOf(map[string]string{"ISSUER": okIssuer}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Issuer = okIssuer
	want.sources = c.sources
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load = %+v\nwant %+v", c, want)
	}
	if c.Addr() != ":8000" || c.Level() != slog.LevelInfo {
		t.Errorf("Addr, Level = %q, %v", c.Addr(), c.Level())
	}

	c, err = Load([]string{"--dev"}, nil, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Dev || c.Host != "localhost" || c.Addr() != "localhost:8000" || c.Source("HOST").Kind != SourceDefault {
		t.Errorf("dev: Dev %v, Host %q, Addr %q, Source %v", c.Dev, c.Host, c.Addr(), c.Source("HOST"))
	}
	c, err = Load([]string{"--dev", "--host=0.0.0.0"}, nil, t.TempDir())
	if err != nil || c.Host != "0.0.0.0" {
		t.Errorf("dev with --host: %q, %v", c.Host, err)
	}
}

// TestConfigFileFlag: --config names another file, relative to dir unless
// absolute; the file's other sections, the keys of the sample's file that the
// program does not need, and unknown top-level keys are ignored.
func TestConfigFileFlag(t *testing.T) {
	dir := t.TempDir()
	content := "\xef\xbb\xbf" + `{
  "webServer": {"port": 8080, "oidc": {"clientId": "x", "clientSecret": "y"}},
  "resourceServer": {
    "port": "9000",
    "oidc": {"issuer": "https://example.okta.com/oauth2/aus1", "clientId": "ignored", "testing": {"disableHttpsCheck": false}},
    "assertClaims": {"aud": "api://mine", "cid": ""}
  },
  "somethingNew": [1, 2, 3],
  "extra": null
}`
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o700); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "conf", "prod.json")
	if err := os.WriteFile(abs, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// A broken default file is not read when --config names another.
	writeConfig(t, dir, "{")
	for _, arg := range []string{"--config=conf/prod.json", "--config=" + abs} {
		c, err := Load([]string{arg}, nil, dir)
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if c.Issuer != "https://example.okta.com/oauth2/aus1" || c.Port != 9000 || c.Audience != "api://mine" || c.ClientID != "" {
			t.Errorf("%s: %+v", arg, c)
		}
		if c.Source("--config").Kind != SourceFlag || c.Source("ISSUER").File != abs {
			t.Errorf("%s: sources %v, %+v", arg, c.Source("--config"), c.Source("ISSUER"))
		}
		if c.Source("SPA_CLIENT_ID").Kind != SourceDefault {
			t.Errorf("%s: an empty cid in the file counts as set: %+v", arg, c.Source("SPA_CLIENT_ID"))
		}
	}
	// Messages name the file the user chose.
	_, err := Load([]string{"--config=conf/prod.json", "--client-id={clientId}"}, nil, dir)
	if err == nil || !strings.Contains(err.Error(), "resourceServer.assertClaims.cid in conf/prod.json") {
		t.Errorf("error %v does not name conf/prod.json", err)
	}
}

// TestHelp: -h and --help return the usage as an error wrapping
// flag.ErrHelp, and the usage lists every setting.
func TestHelp(t *testing.T) {
	var b strings.Builder
	Usage(&b)
	for _, arg := range []string{"-h", "--help", "-help"} {
		_, err := Load([]string{"--port=x", arg}, nil, t.TempDir())
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s: error %v does not wrap flag.ErrHelp", arg, err)
		}
		if err.Error() != b.String() {
			t.Errorf("%s: error text is not the usage", arg)
		}
	}
	flat := strings.Join(strings.Fields(b.String()), " ")
	for _, s := range settings {
		for _, want := range []string{"--" + s.flag + "=" + s.meta, s.env, s.json, "(default " + s.def + ")"} {
			if s.def == "" && strings.HasPrefix(want, "(default") {
				continue
			}
			if !strings.Contains(flat, want) {
				t.Errorf("usage does not mention %q", want)
			}
		}
	}
	for line := range strings.Lines(b.String()) {
		if len(line) > 81 && strings.HasPrefix(line, "        ") {
			t.Errorf("usage line longer than 80 columns: %q", line)
		}
	}
}

// TestValidateHandBuilt: Validate works on a Config not built by Load, whose
// messages then name no source.
func TestValidateHandBuilt(t *testing.T) {
	c := Default()
	c.Issuer = okIssuer
	if err := c.Validate(); err != nil {
		t.Errorf("Default with an issuer: %v", err)
	}
	c.Dev = true
	c.Issuer = ""
	if err := c.Validate(); err != nil {
		t.Errorf("Default in dev mode: %v", err)
	}

	err := Config{}.Validate()
	if err == nil {
		t.Fatal("the zero Config is valid")
	}
	for _, field := range []string{"ISSUER", "AUDIENCE", "PORT", "FRONTEND_PORT", "CORS_ALLOWED_ORIGINS", "LOG_LEVEL", "LOG_FORMAT", "SHUTDOWN_TIMEOUT"} {
		if !strings.Contains(err.Error(), "config: "+field+" ") {
			t.Errorf("zero Config: no error for %s in %q", field, err)
		}
	}
	if strings.Contains(err.Error(), "(from ") {
		t.Errorf("a hand-built Config's errors name a source: %q", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Source.Kind != SourceUnknown {
		t.Errorf("first error %+v", e)
	}
}

// TestSeveralErrors: Load reports every bad value at once.
func TestSeveralErrors(t *testing.T) {
	// (DEV is left out: a DEV that cannot be read hides the ISSUER checks,
	// which rest on it; see TestUnparsedValueReportedAlone.)
	env := map[string]string{"ISSUER": "http://dev-123456-admin.okta.com", "PORT": "x", "FRONTEND_PORT": "y", "SHUTDOWN_TIMEOUT": "soon", "LOG_LEVEL": "trace"}
	_, err := Load(nil, envOf(env), t.TempDir())
	for _, want := range []string{`PORT "x"`, `FRONTEND_PORT "y"`, `SHUTDOWN_TIMEOUT "soon"`, `ISSUER "http://dev-123456-admin.okta.com" uses http`, `LOG_LEVEL "trace"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
	var ne *strconv.NumError
	if !errors.As(err, &ne) {
		t.Errorf("error %v does not wrap the *strconv.NumError", err)
	}
}

// TestLogValue: the dev password never reaches the logs.
func TestLogValue(t *testing.T) {
	c := Default()
	c.DevPassword = "hunter2"
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("config", "config", c)
	if strings.Contains(b.String(), "hunter2") || !strings.Contains(b.String(), `"dev_password":"REDACTED"`) {
		t.Errorf("log: %s", b.String())
	}
}

func TestAddrAndLevel(t *testing.T) {
	c := Config{Host: "::1", Port: 8443, LogLevel: "warn"}
	if c.Addr() != "[::1]:8443" {
		t.Errorf("Addr = %q", c.Addr())
	}
	for level, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got := (Config{LogLevel: level}).Level(); got != want {
			t.Errorf("Level(%s) = %v", level, got)
		}
	}
}

func TestSourceString(t *testing.T) {
	for _, tt := range []struct {
		s    Source
		want string
	}{
		{Source{}, "unknown"},
		{Source{Kind: SourceDefault}, "default"},
		{Source{Kind: SourceEnv, Name: "PORT"}, "PORT"},
		{Source{Kind: SourceFlag, Name: "--port"}, "--port"},
		{Source{Kind: SourceFile, Name: "resourceServer.port", File: "a/b.json"}, "resourceServer.port in a/b.json"},
	} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.s, got, tt.want)
		}
	}
}

// TestDefaultTimeout guards the documented default.
func TestDefaultTimeout(t *testing.T) {
	if Default().ShutdownTimeout != 10*time.Second {
		t.Error(Default().ShutdownTimeout)
	}
}

// TestAccepted: values that must load.
func TestAccepted(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
	}{
		{name: "origins", args: []string{"--cors-origins=https://app.example.com, http://localhost:8080,https://*.example.com,*"}},
		{name: "org authorization server issuer", args: []string{"--issuer=https://dev-123456.okta.com"}},
		{name: "issuer with trailing slash (Auth0)", args: []string{"--issuer=https://tenant.auth0.com/"}},
		{name: "jwks url", env: map[string]string{"JWKS_URL": "https://dev-123456.okta.com/oauth2/default/v1/keys"}},
		{name: "http jwks url when allowed", env: map[string]string{"JWKS_URL": "http://localhost:9090/keys", "OKTA_TESTING_DISABLEHTTPSCHECK": "1"}},
		{name: "IPv6 host", args: []string{"--host=::1"}},
		{name: "host name", args: []string{"--host=api.internal"}},
		{name: "file without resourceServer", file: `{"webClient":{"port":8080}}`},
		{name: "file with nulls", file: `{"resourceServer":{"port":null,"oidc":{"issuer":null,"testing":null},"assertClaims":{"aud":null}}}`},
		{name: "empty client id flag clears the file's", args: []string{"--client-id="}, file: `{"resourceServer":{"assertClaims":{"cid":"{clientId}"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				writeConfig(t, dir, tt.file)
			}
			env := map[string]string{"ISSUER": okIssuer}
			for k, v := range tt.env {
				env[k] = v
			}
			if _, err := Load(tt.args, envOf(env), dir); err != nil {
				t.Fatal(err)
			}
		})
	}
}
