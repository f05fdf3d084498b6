package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// issue13Example is the configuration of issue 13, verbatim: it must load
// as it is.
const issue13Example = `issuers:
  - issuer: https://id.example.com/oauth2/default
    audiences: [api://default]
    introspection:
      url: https://id.example.com/oauth2/default/v1/introspect
      client_id: rs-client
      client_secret: rs-secret
    dpop: allowed
store: redis://127.0.0.1:6379
`

// Distinctive secrets, which no output may show.
const (
	clientSecret = "Cl1ent-S3cret-7f9c2e"
	redisSecret  = "R3dis-Pw-4b1d90"
	nonceSecret  = "N0nce-S3cret-0123456789abcdef-0123456789"
)

// introIssuer starts a file with an issuer whose introspection: mapping
// begins on line 4; its keys follow from line 5.
const introIssuer = "issuers:\n  - issuer: https://id.example.com/oauth2/default\n    audiences: [api://default]\n    introspection:\n"

// introOK is a valid introspection: mapping, lines 5 to 6.
const introOK = "      client_id: rs-client\n      client_secret: " + clientSecret + "\n"

// TestIssue13Example: the issue's example loads verbatim, each value from
// its line, with the defaults of what it leaves out.
func TestIssue13Example(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+issue13Example+"```") {
		t.Errorf("README.md lacks the opaque-and-DPoP example:\n%s", issue13Example)
	}
	c, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t, issue13Example))
	if err != nil {
		t.Fatal(err)
	}
	ic := c.Issuers[0]
	want := IntrospectionConfig{URL: "https://id.example.com/oauth2/default/v1/introspect", ClientID: "rs-client", ClientSecret: "rs-secret",
		CacheTTL: 5 * time.Minute, InactiveTTL: 10 * time.Second}
	if ic.Introspection == nil || *ic.Introspection != want || ic.DPoP != DPoPAllowed || c.Store != "redis://127.0.0.1:6379" {
		t.Fatalf("loaded as %+v, introspection %v, store %q", ic, ic.Introspection, c.Store)
	}
	for key, line := range map[string]int{"introspection": 4, "introspection.url": 5, "introspection.client_secret": 7, "dpop": 8} {
		if src := ic.Source(key); src.Kind != SourceFile || src.Line != line {
			t.Errorf("Source(%s) = %+v, want line %d", key, src, line)
		}
	}
	if src := c.Source("STORE"); src.Line != 9 || ic.Source("introspection.cache_ttl").Kind != SourceDefault {
		t.Errorf("Source(STORE) = %+v", src)
	}
	if c.DPoPMaxAge != 5*time.Minute || strings.Join(c.DPoPAlgorithms, ",") != "ES256,ES384,EdDSA,PS256,RS256" || c.DPoPNonceSecret != "" {
		t.Errorf("DPoP settings = %v %v %q", c.DPoPMaxAge, c.DPoPAlgorithms, c.DPoPNonceSecret)
	}
	if err := c.VerifierConfigs("", nil)[0].Validate(); err != nil {
		t.Errorf("the verifier refuses the issuer: %v", err)
	}
}

// proofCase is a case of TestProofRefused.
type proofCase struct {
	name  string
	file  string // resource-server.yaml; "" for none
	env   map[string]string
	field string
	wants []string
}

// proofCases are TestProofRefused's cases about an issuer's introspection
// and dpop: each names the key, the file and line (for a file's value) and
// the fix.
func proofCases() []proofCase {
	const f = "resource-server.yaml:"
	second := "  - issuer: https://id2.example.com/oauth2/default\n    audiences: [api://default]\n    introspection:\n      client_id: other\n      client_secret: " + clientSecret + "\n"
	plain := "issuers:\n  - issuer: https://id.example.com/oauth2/default\n    audiences: [api://default]\n"
	return []proofCase{
		{"two introspecting issuers", introIssuer + introOK + second, nil, "issuers[1].introspection",
			[]string{f + "9) is set on issuers[0].introspection (issuers[0].introspection in ", f + "4) too", "keep introspection on one issuer", "hands the token over"}},
		{"client_secret and client_secret_env", introIssuer + introOK + "      client_secret_env: RS_SECRET\n", nil, "issuers[0].introspection.client_secret_env",
			[]string{f + "7) is set together with client_secret (line 6)", "keep one", "remove client_secret"}},
		{"neither secret", introIssuer + "      client_id: rs-client\n", nil, "issuers[0].introspection.client_secret",
			[]string{"(from issuers[0].introspection in ", f + "4) is not set, nor is client_secret_env", "client_secret_env: RS_CLIENT_SECRET"}},
		{"secret variable empty", introIssuer + "      client_id: rs-client\n      client_secret_env: RS_SECRET\n", map[string]string{"OTHER": clientSecret},
			"issuers[0].introspection.client_secret_env", []string{`issuers[0].introspection.client_secret_env "RS_SECRET" (from `, f + "6) names an environment variable that is not set or is empty", "set the variable RS_SECRET"}},
		{"secret written as a variable's name", introIssuer + "      client_id: rs-client\n      client_secret_env: " + clientSecret + "\n", nil,
			"issuers[0].introspection.client_secret_env", []string{f + "6) is not the name of an environment variable", "the secret itself goes in that variable"}},
		{"lower-case variable empty", introIssuer + "      client_id: rs-client\n      client_secret_env: rs_" + strings.ReplaceAll(clientSecret, "-", "_") + "\n", nil,
			"issuers[0].introspection.client_secret_env", []string{"(from issuers[0].introspection.client_secret_env in ", f + "6) names an environment variable that is not set or is empty: set the variable client_secret_env names"}},
		{"no client_id", introIssuer + "      client_secret: " + clientSecret + "\n", nil, "issuers[0].introspection.client_id",
			[]string{f + "4) is not set", "client_id: rs-client"}},
		{"inactive_ttl not below cache_ttl", introIssuer + introOK + "      cache_ttl: 1m\n      inactive_ttl: 1m\n", nil, "issuers[0].introspection.inactive_ttl",
			[]string{`inactive_ttl "1m" (from `, f + "8) is not shorter than cache_ttl (1m)", "make inactive_ttl shorter than cache_ttl"}},
		{"inactive_ttl above the default cache_ttl", introIssuer + introOK + "      inactive_ttl: 10m\n", nil, "issuers[0].introspection.inactive_ttl",
			[]string{f + "7) is not shorter than cache_ttl (5m)"}},
		{"cache_ttl zero", introIssuer + introOK + "      cache_ttl: 0s\n", nil, "issuers[0].introspection.cache_ttl", []string{f + "7) is not positive", "cache_ttl: 5m"}},
		{"cache_ttl not a duration", introIssuer + introOK + "      cache_ttl: soon\n", nil, "issuers[0].introspection.cache_ttl",
			[]string{`cache_ttl "soon" (from `, f + "7) is not a duration"}},
		{"http url", introIssuer + introOK + "      url: http://id.example.com/introspect\n", nil, "issuers[0].introspection.url",
			[]string{f + "7) uses http, not https", "OKTA_TESTING_DISABLEHTTPSCHECK (or --insecure-disable-https-check"}},
		{"url fragment", introIssuer + introOK + "      url: https://id.example.com/introspect#x\n", nil, "issuers[0].introspection.url", []string{f + "7) has a fragment"}},
		{"url credentials", introIssuer + introOK + "      url: https://rs:" + clientSecret + "@id.example.com/introspect\n", nil, "issuers[0].introspection.url",
			[]string{`url "https://rs:xxxxx@id.example.com/introspect" (from`, f + "7) holds a user name or password"}},
		{"unknown key", introIssuer + introOK + "      client_secert: " + clientSecret + "\n", nil, "--config",
			[]string{`has the unknown key "client_secert" on line 7, in issuers[0].introspection: did you mean client_secret?`}},
		{"key twice", introIssuer + introOK + "      client_secret: " + clientSecret + "\n", nil, "issuers[0].introspection.client_secret",
			[]string{f + "7) is set twice, on lines 6 and 7"}},
		{"not a mapping", plain + "    introspection: " + clientSecret + "\n", nil, "issuers[0].introspection",
			[]string{f + "4) is not a mapping", "client_secret_env: RS_CLIENT_SECRET"}},
		{"template issuer without url", "issuers:\n  - issuer: https://login.microsoftonline.com/{tenantid}/v2.0\n    audiences: [a]\n    jwks_url: https://login.microsoftonline.com/common/discovery/v2.0/keys\n    any_tenant: true\n    introspection:\n" + introOK,
			nil, "issuers[0].introspection.url", []string{f + "6) is not set for the template issuer"}},
		{"bad dpop", plain + "    dpop: requird\n", nil, "issuers[0].dpop",
			[]string{`issuers[0].dpop "requird" (from issuers[0].dpop in `, f + "4) is not off, allowed or required: did you mean required? Write dpop: required"}},
	}
}

// routeProofCases are TestProofRefused's cases about a route's dpop and
// introspect, and the global settings.
func routeProofCases() []proofCase {
	const f = "resource-server.yaml:"
	route := func(keys string) string {
		return introIssuer + introOK + "routes:\n  - match: GET /orders/{id}\n    upstream: http://127.0.0.1:9000\n" + keys
	}
	plain := "issuers:\n  - issuer: https://id.example.com/oauth2/default\n    audiences: [api://default]\n"
	return []proofCase{
		{"route introspect always without introspection", plain + "routes:\n  - match: /x\n    upstream: http://127.0.0.1:9000\n    introspect: always\n", nil, "routes[0].introspect",
			[]string{`routes[0].introspect "always" (from routes[0].introspect in `, f + "7) needs an issuer with introspection", "or write introspect: auto"}},
		{"route introspect typo", route("    introspect: alwys\n"), nil, "routes[0].introspect", []string{f + "10) is neither auto nor always: did you mean always?"}},
		{"route dpop typo", route("    dpop: of\n"), nil, "routes[0].dpop", []string{f + "10) is not off, allowed or required: did you mean off?"}},
		{"route dpop on a public route", route("    auth: none\n    dpop: required\n"), nil, "routes[0].dpop", []string{f + "11) is set on a public route (auth: none)"}},
		{"store database out of range", "", map[string]string{"STORE": "redis://:" + redisSecret + "@cache:6379/16"}, "STORE",
			[]string{`STORE "redis://:xxxxx@cache:6379/16" names the database "16", not a number from 0 to 15: set STORE (or --store, or store in resource-server.yaml) to memory, or to a Redis URL`}},
		{"store in the file", "store: redis://:" + redisSecret + "@cache:6379/x\n", nil, "STORE",
			[]string{`STORE "redis://:xxxxx@cache:6379/x" (from store in `, f + "1) names the database", "or store in resource-server.yaml"}},
		{"store not redis", "", map[string]string{"STORE": "http://cache:6379"}, "STORE", []string{"is not a redis:// or rediss:// URL"}},
		{"store typo", "", map[string]string{"STORE": "memroy"}, "STORE", []string{"is neither memory nor a URL: did you mean memory?"}},
		{"store without host", "", map[string]string{"STORE": "redis://:" + redisSecret + "@/0"}, "STORE", []string{"has no host"}},
		{"store query", "", map[string]string{"STORE": "rediss://cache:6380/0?password=" + redisSecret}, "STORE", []string{`"rediss://cache:6380/0?xxxxx" has a query`}},
		{"store user without password", "", map[string]string{"STORE": "redis://" + redisSecret + "@cache"}, "STORE", []string{`"redis://xxxxx@cache" has a user name but no password`}},
		{"store unparsable", "", map[string]string{"STORE": "redis://:" + redisSecret + "@cache:port/0"}, "STORE", []string{"is not a URL"}},
		{"short nonce secret", "", map[string]string{"DPOP_NONCE_SECRET": nonceSecret[:12]}, "DPOP_NONCE_SECRET",
			[]string{"config: DPOP_NONCE_SECRET is 12 bytes long, too short to derive nonces from: set DPOP_NONCE_SECRET (or --dpop-nonce-secret, or dpop_nonce_secret in resource-server.yaml) to at least 32 random bytes"}},
		{"short nonce secret in the file", "dpop_nonce_secret: " + nonceSecret[:12] + "\n", nil, "DPOP_NONCE_SECRET",
			[]string{"(from dpop_nonce_secret in ", f + "1) is 12 bytes long", "or dpop_nonce_secret in resource-server.yaml"}},
		{"dpop algorithm case", "", map[string]string{"DPOP_ALGORITHMS": "es256"}, "DPOP_ALGORITHMS", []string{`"es256" is not a supported asymmetric JWS algorithm: did you mean ES256?`}},
		{"dpop algorithm HMAC", "", map[string]string{"DPOP_ALGORITHMS": "ES256,HS256"}, "DPOP_ALGORITHMS", []string{`"HS256" is not a supported`, "list algorithms from RS256"}},
		{"dpop max age zero", "", map[string]string{"DPOP_MAX_AGE": "0s"}, "DPOP_MAX_AGE", []string{"is not positive", "e.g. 5m"}},
	}
}

// TestProofRefused: each refusal of the DPoP, introspection and store
// configuration names the key, the file and line, and the fix, and never
// shows a secret.
func TestProofRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range append(proofCases(), routeProofCases()...) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--config=resource-server.yaml"}
			if !strings.Contains(tt.file, "issuers:") {
				args = append(args, "--issuer="+okIssuer)
			}
			_, err := Load(args, envOf(tt.env), writeYAML(t, tt.file))
			if !hasField(err, tt.field) {
				t.Fatalf("error %v, want one on %s", err, tt.field)
			}
			text := err.Error()
			for _, w := range tt.wants {
				if !strings.Contains(text, w) {
					t.Errorf("error %q\ndoes not contain %q", text, w)
				}
			}
			for _, secret := range []string{clientSecret, strings.ReplaceAll(clientSecret, "-", "_"), redisSecret, nonceSecret[:12]} {
				if strings.Contains(text, secret) || strings.Contains(fmt.Sprintf("%+v", unjoin(err)), secret) {
					t.Errorf("error shows a secret: %q", text)
				}
			}
		})
	}
}

// TestProofAccepted: values that load, and what they load as.
func TestProofAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		check func(Config) bool
	}{
		{"secret from the environment", introIssuer + "      client_id: rs-client\n      client_secret_env: RS_SECRET\n", map[string]string{"RS_SECRET": clientSecret},
			func(c Config) bool {
				in := c.Issuers[0].Introspection
				return in.ClientSecret == clientSecret && in.ClientSecretEnv == "RS_SECRET" && c.Issuers[0].Source("introspection.client_secret").Name == "RS_SECRET"
			}},
		{"http url when allowed", introIssuer + introOK + "      url: http://localhost:9090/introspect\n      inactive_ttl: 0s\n", map[string]string{"OKTA_TESTING_DISABLEHTTPSCHECK": "1"},
			func(c Config) bool { return c.Issuers[0].Introspection.InactiveTTL == 0 }},
		{"route introspect always, dpop required", introIssuer + introOK + "    dpop: off\nroutes:\n  - match: /x\n    upstream: http://127.0.0.1:9000\n    introspect: always\n    dpop: required\n", nil,
			func(c Config) bool {
				rc := c.Routes[0]
				return rc.Introspect == IntrospectAlways && rc.DPoP == DPoPRequired && c.Issuers[0].DPoP == DPoPOff
			}},
		{"route defaults", "routes:\n  - match: /x\n    upstream: http://127.0.0.1:9000\n", nil,
			func(c Config) bool {
				rc := c.Routes[0]
				return rc.Introspect == IntrospectAuto && rc.DPoP == "" && rc.Source("introspect").Kind == SourceDefault
			}},
		{"rediss with user, password and database", "store: rediss://rs:" + redisSecret + "@cache.internal:6380/15\n", nil,
			func(c Config) bool { return c.StoreDisplay() == "rediss://rs:xxxxx@cache.internal:6380/15" }},
		{"nonce secret", "", map[string]string{"DPOP_NONCE_SECRET": nonceSecret, "DPOP_ALGORITHMS": "EdDSA", "DPOP_MAX_AGE": "1m"},
			func(c Config) bool {
				return c.DPoPNonceSecret == nonceSecret && c.DPoPAlgorithms[0] == "EdDSA" && c.DPoPMaxAge == time.Minute
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--config=resource-server.yaml"}
			if !strings.Contains(tt.file, "issuers:") {
				args = append(args, "--issuer="+okIssuer)
			}
			c, err := Load(args, envOf(tt.env), writeYAML(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("loaded as %+v", c.Issuers)
			}
		})
	}
}

// TestSecretsNeverShown: the client secret, from the file or the
// environment, STORE's password and DPOP_NONCE_SECRET appear in neither
// Describe (config check), LogValue, nor the formatting of an
// IntrospectionConfig; Describe says where each came from.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	file := introIssuer + introOK + "  - issuer: https://id2.example.com/oauth2/default\n    audiences: [api://default]\nstore: redis://:" + redisSecret + "@cache:6379/0\n"
	env := map[string]string{"DPOP_NONCE_SECRET": nonceSecret}
	c, err := Load([]string{"--config=resource-server.yaml"}, envOf(env), writeYAML(t, file))
	if err != nil {
		t.Fatal(err)
	}
	var described, logged, logJSON strings.Builder
	if err := c.Describe(&described); err != nil {
		t.Fatal(err)
	}
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "config", c, "introspection", c.Issuers[0].Introspection)
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Info("config", "config", c, "introspection", *c.Issuers[0].Introspection)
	in := c.Issuers[0].Introspection
	outputs := map[string]string{"Describe": described.String(), "text log": logged.String(), "JSON log": logJSON.String(),
		"%v": fmt.Sprintf("%v", in), "%+v": fmt.Sprintf("%+v", *in), "%#v": fmt.Sprintf("%#v", *in), "%+v issuers": fmt.Sprintf("%+v", c.Issuers)}
	for name, out := range outputs {
		for _, secret := range []string{clientSecret, redisSecret, nonceSecret} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows a secret:\n%s", name, out)
			}
		}
	}
	for _, want := range []string{"issuers[0].introspection.client_secret REDACTED file", "issuers[0].introspection.client_id rs-client file",
		"issuers[0].introspection.cache_ttl 5m default", "issuers[0].dpop allowed default", "STORE redis://:xxxxx@cache:6379/0 file",
		"DPOP_NONCE_SECRET REDACTED env DPOP_NONCE_SECRET", `issuers[1].introspection "" default`, "resource-server.yaml:6"} {
		if !strings.Contains(fields(described.String()), want) {
			t.Errorf("Describe lacks %q:\n%s", want, described.String())
		}
	}
	if !strings.Contains(logJSON.String(), `"store":"redis://:xxxxx@cache:6379/0"`) || !strings.Contains(logJSON.String(), `"client_secret":"REDACTED"`) {
		t.Errorf("log: %s", logJSON.String())
	}
}

// TestDescribeSecretFromEnv: config check says the client secret came
// from the variable client_secret_env names.
func TestDescribeSecretFromEnv(t *testing.T) {
	t.Parallel()
	c, err := Load([]string{"--config=resource-server.yaml"}, envOf(map[string]string{"RS_SECRET": clientSecret}),
		writeYAML(t, introIssuer+"      client_id: rs-client\n      client_secret_env: RS_SECRET\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Describe(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fields(b.String()), "client_secret REDACTED env RS_SECRET, named by client_secret_env") || strings.Contains(b.String(), clientSecret) {
		t.Errorf("Describe:\n%s", b.String())
	}
}

// TestRedactURL: a STORE value's password, a user name standing alone
// and a query are hidden, whatever the value's shape.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"memory":                     "memory",
		"redis://127.0.0.1:6379":     "redis://127.0.0.1:6379",
		"redis://:pw@host:6379/0":    "redis://:xxxxx@host:6379/0",
		"rediss://user:pw@host":      "rediss://user:xxxxx@host",
		"redis://pw@host":            "redis://xxxxx@host",
		"redis:pw@host":              "xxxxx@host",
		"redis://host?password=pw":   "redis://host?xxxxx",
		"redis://:pw@host:port/0":    "xxxxx@host:port/0",
		"redis://:p%zz@host/0?a=pw":  "xxxxx@host/0?xxxxx",
		"redis://host:port/0?pass=x": "redis://host:port/0?xxxxx",
	}
	for in, want := range tests {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExampleIntrospectionBlock: the example file documents introspection
// and dpop, and its commented issuers: block, uncommented in place of the
// one-issuer settings, loads, the client secret read from the variable
// client_secret_env names.
func TestExampleIntrospectionBlock(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	ExampleYAML(&b)
	text := b.String()
	for _, want := range []string{"#   introspection: ", "#   dpop: ", "#       client_secret_env: RS_CLIENT_SECRET", "\nstore: \"memory\"\n", "\ndpop_nonce_secret: \"\"\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("the example lacks %q", want)
		}
	}
	i := strings.Index(text, "# issuers:\n")
	if i < 0 {
		t.Fatal("the example lacks a commented issuers: block")
	}
	var lines []string
	for line := range strings.SplitSeq(text[:i], "\n") {
		if k, _, _ := strings.Cut(line, ":"); k != "issuer" && k != "audience" && k != "client_id" && k != "jwks_url" {
			lines = append(lines, line)
		}
	}
	for line := range strings.SplitSeq(text[i:], "\n") {
		if !strings.HasPrefix(line, "# ") {
			break
		}
		lines = append(lines, strings.TrimPrefix(line, "# "))
	}
	c, err := Load([]string{"--config=resource-server.yaml"}, envOf(map[string]string{"RS_CLIENT_SECRET": clientSecret}), writeYAML(t, strings.Join(lines, "\n")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Issuers) != 3 || c.Issuers[2].Introspection == nil || c.Issuers[2].Introspection.ClientSecret != clientSecret || c.Issuers[2].DPoP != DPoPRequired {
		t.Errorf("Issuers = %+v", c.Issuers)
	}
}

// TestIntrospectionHandBuilt: Validate holds an IssuerConfig built by hand
// to the same rules, its secret read by nobody but the caller.
func TestIntrospectionHandBuilt(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Issuers = []IssuerConfig{{Issuer: "https://id.example.com/oauth2/default", Audiences: []string{"api://default"}, Algorithms: []string{"RS256"},
		Introspection: &IntrospectionConfig{ClientID: "rs-client", ClientSecretEnv: "RS_SECRET", CacheTTL: time.Minute}}}
	c.issuersSource = Source{Kind: SourceFile, Name: "issuers", File: "x.yaml", Line: 1}
	err := c.Validate()
	var e *Error
	if !errors.As(err, &e) || e.Field != "issuers[0].introspection.client_secret_env" || !strings.Contains(err.Error(), "not set or is empty") {
		t.Errorf("Validate = %v", err)
	}
	c.Issuers[0].Introspection.ClientSecret = clientSecret
	if err := c.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
}

// fields is text with each run of spaces made one, so that Describe's
// columns can be matched whatever their width.
func fields(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
