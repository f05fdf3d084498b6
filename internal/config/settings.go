package config

import (
	"slices"
	"strings"

	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/verifier"
)

// kind says how a setting's text is parsed.
type kind int

const (
	kindString    kind = iota // trimmed
	kindRaw                   // taken as given (user names, passwords)
	kindLower                 // trimmed and lower-cased (enumerations)
	kindInt                   // a whole number
	kindBool                  // a strict boolean
	kindLooseBool             // a strict boolean, except from the environment: any non-empty value but false/0/no/off is true
	kindDuration              // a Go duration
	kindMaxAge                // a Go duration, or "none" (verifier.NoMaxKeyAge)
	kindList                  // comma-separated (a sequence in YAML), trimmed, empty items dropped
)

// setting declares one setting, once: its names in each layer, its type,
// default, help and checks. Load, Validate, Usage, LogValue, Check,
// ExampleYAML and the README's table (MarkdownTable) are all driven by the
// settings table.
type setting struct {
	flag   string // without dashes; its YAML key is the flag with "_" for "-"
	env    string // "" when none
	json   string // dotted key in .samples.config.json, "" when none
	meta   string // the value's placeholder in the usage text
	def    string // the default, parsed like any value; "" for the zero value
	defDoc string // the default as told to people, when def does not say it all
	help   string // one line (or sentence) of help
	kind   kind
	secret bool   // redacted in logs, in Check's output and in errors
	field  string // the verifier.Config field it sets, for the library's errors
	// noFile: the setting cannot be set in a configuration file (--config).
	noFile bool
	ptr    func(*Config) any // the field: *string, *int, *bool, *time.Duration or *[]string
	// check reports the setting's own problems, beyond its type and the
	// verifier's rules (Config.Validate runs verifier.Config.Validate).
	check func(c Config, r *report)
	// redact shows the value with its secret parts hidden (STORE's
	// password), in logs, in Check's output and in errors; nil: the value
	// is shown as it is (or, when secret, not at all).
	redact func(string) string
}

// name is the setting's key in Error.Field and Config.Source.
func (s *setting) name() string {
	if s.env != "" {
		return s.env
	}
	return "--" + s.flag
}

// key is the setting's key in a YAML configuration file ("" for none).
func (s *setting) key() string {
	if s.noFile {
		return ""
	}
	return strings.ReplaceAll(s.flag, "-", "_")
}

// fileKey is the setting's key in the file named file: its YAML key or its
// key in the Express sample's JSON.
func (s *setting) fileKey(file string) string {
	if isYAML(file) {
		return s.key()
	}
	return s.json
}

// defaultText is the default as told to people.
func (s *setting) defaultText() string {
	if s.defDoc != "" {
		return s.defDoc
	}
	return s.def
}

// places lists where the setting can be set, strongest first in the order
// the messages use: "ISSUER (or --issuer, or resourceServer.oidc.issuer in
// .samples.config.json)".
func (s *setting) places(file string) string {
	if s.env == "" {
		return "--" + s.flag
	}
	p := s.env + " (or --" + s.flag
	if k := s.fileKey(file); k != "" {
		p += ", or " + k + " in " + file
	}
	return p + ")"
}

// devAlgorithms are the algorithms dev mode's issuer signs with
// (devissuer.Options.Algorithm).
var devAlgorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}

// settings is the table of settings, in the order of --help, the README and
// the example file. It is filled by init because the checks name settings.
var settings []*setting

func init() { settings = slices.Concat(tokenSettings(), proofSettings(), serverSettings()) }

// tokenSettings declares the settings about the issuer and its tokens, and
// where the API listens.
func tokenSettings() []*setting {
	return []*setting{
		{flag: "issuer", env: "ISSUER", json: "resourceServer.oidc.issuer", meta: "URL", field: "Issuer",
			defDoc: "none: required unless --dev",
			help:   "issuer URL of the authorization server, e.g. https://dev-123456.okta.com/oauth2/default; https, without user name, query or fragment; {yourOktaDomain} and -admin domains are refused",
			ptr:    func(c *Config) any { return &c.Issuer }, check: checkIssuer},
		{flag: "client-id", env: "SPA_CLIENT_ID", json: "resourceServer.assertClaims.cid", meta: "ID", field: "ClientID",
			defDoc: "none: no client check",
			help:   "client id of the SPA the tokens are minted for; when set, access tokens must carry it as \"cid\" (else \"client_id\", else \"azp\"); refused with --dev, whose issuer mints for two clients",
			ptr:    func(c *Config) any { return &c.ClientID }, check: checkClientID},
		{flag: "audience", env: "AUDIENCE", json: "resourceServer.assertClaims.aud", meta: "AUD", def: "api://default", field: "Audiences",
			help: "expected \"aud\" of access tokens (a string or an array in the token)",
			ptr:  func(c *Config) any { return &c.Audience }, check: checkAudience},
		{flag: "port", env: "PORT", json: "resourceServer.port", meta: "N", def: "8000", kind: kindInt,
			help: "TCP port of the API, 1-65535",
			ptr:  func(c *Config) any { return &c.Port }, check: checkPort},
		{flag: "host", env: "HOST", meta: "HOST", defDoc: `"" (all interfaces); localhost with --dev`,
			help: "host name or IP address the API listens on; tcsh and csh export HOST as the machine's name: there, pass --host or unset it",
			ptr:  func(c *Config) any { return &c.Host }, check: checkHostSetting},
		{flag: "public-url", env: "PUBLIC_URL", meta: "URL", defDoc: "derived from each request's Host",
			help: "base URL clients reach the API at, e.g. https://api.example.com behind a proxy: the resource of the RFC 9728 metadata and the base of the resource_metadata URL in challenges; absolute http(s), no query or fragment; a trailing slash is dropped; X-Forwarded-* headers are never trusted",
			ptr:  func(c *Config) any { return &c.PublicURL }, check: checkPublicURL},
		{flag: "insecure-disable-https-check", env: "OKTA_TESTING_DISABLEHTTPSCHECK", json: "resourceServer.oidc.testing.disableHttpsCheck", meta: "BOOL", def: "false", kind: kindLooseBool, field: "InsecureAllowHTTP",
			help: "allow an http:// issuer and JWKS URL, for local testing only; the variable, as in the Express sample, is true when non-empty unless false, f, 0, no, n or off",
			ptr:  func(c *Config) any { return &c.InsecureAllowHTTP }},
		{flag: "jwks-url", env: "JWKS_URL", meta: "URL", field: "JWKSURL", defDoc: "the URL discovery names",
			help: "fetch the issuer's keys from this URL instead of the one its discovery document names; a query is allowed (Azure AD B2C: …/keys?p=b2c_1_signin), a fragment is not; refused with --dev",
			ptr:  func(c *Config) any { return &c.JWKSURL }, check: checkJWKSURL},
		{flag: "algorithms", env: "ALGORITHMS", meta: "ALGS", def: "RS256", kind: kindList, field: "Algorithms",
			help: "comma-separated JWS algorithms accepted, e.g. RS256,ES256; any of " + strings.Join(verifier.SupportedAlgorithms(), ", ") + "; with --dev the issuer signs with the first, one of " + strings.Join(devAlgorithms, ", "),
			ptr:  func(c *Config) any { return &c.Algorithms }, check: checkAlgorithms},
		{flag: "allow-missing-audience", env: "ALLOW_MISSING_AUDIENCE", meta: "BOOL", def: "false", kind: kindBool, field: "AllowMissingAudience",
			help: "accept access tokens without \"aud\" when their client is SPA_CLIENT_ID (required with it), as AWS Cognito issues them; a token with an \"aud\" must still hold AUDIENCE; refused with --dev",
			ptr:  func(c *Config) any { return &c.AllowMissingAudience }, check: checkAllowMissingAudience},
		{flag: "keys-max-age", env: "KEYS_MAX_AGE", meta: "DURATION", def: "24h", kind: kindMaxAge, field: "MaxKeyAge",
			help: "while the issuer does not answer, keep using its last keys this long after the last successful fetch, then answer 503 until it does; none for no bound; 0 means the default, as MaxKeyAge 0 does in the verifier",
			ptr:  func(c *Config) any { return &c.MaxKeyAge }, check: checkMaxKeyAge},
		{flag: "require-at-jwt", env: "REQUIRE_AT_JWT", meta: "BOOL", def: "false", kind: kindBool, field: "RequireAccessTokenType",
			help: "refuse access tokens whose header lacks \"typ\": \"at+jwt\" (RFC 9068); Okta's tokens carry no typ",
			ptr:  func(c *Config) any { return &c.RequireAccessTokenType }},
	}
}

// serverSettings declares the settings of the program's routes, dev mode,
// logs, shutdown and configuration file.
func serverSettings() []*setting {
	return []*setting{
		{flag: "admin-port", env: "ADMIN_PORT", meta: "N", kind: kindInt, defDoc: "none: no admin listener",
			help: "TCP port of the admin listener, 1-65535, serving /healthz, /readyz and /metrics apart from the API; 0 or unset for none",
			ptr:  func(c *Config) any { return &c.AdminPort }, check: checkAdminPort},
		{flag: "admin-host", env: "ADMIN_HOST", meta: "HOST", def: "127.0.0.1",
			help: "host name or IP address the admin listener listens on; loopback unless told otherwise, e.g. 0.0.0.0 for a scraper on another host",
			ptr:  func(c *Config) any { return &c.AdminHost }, check: checkAdminHost},
		{flag: "cors-origins", env: "CORS_ALLOWED_ORIGINS", meta: "ORIGINS", def: "*", kind: kindList,
			help: "comma-separated origins browsers may call the API from, e.g. https://app.example.com,http://localhost:8080; * for any",
			ptr:  func(c *Config) any { return &c.CORSAllowedOrigins }, check: checkCORS},
		{flag: "required-scopes", env: "REQUIRED_SCOPES", meta: "SCOPES", kind: kindList, defDoc: "none",
			help: "comma-separated scopes that /api/messages and /secure require, e.g. messages:read; a token without them gets 403 insufficient_scope; in dev mode the issuer grants them and the front-end asks for them",
			ptr:  func(c *Config) any { return &c.RequiredScopes }, check: checkScopes},
		{flag: "secure-route", env: "SECURE_ROUTE", meta: "BOOL", def: "true", kind: kindBool,
			help: "serve GET /secure, which echoes the verified token's header and claims (a debugging aid)",
			ptr:  func(c *Config) any { return &c.SecureRoute }},
		{flag: "forward-auth-path", env: "FORWARD_AUTH_PATH", meta: "PATH", def: gateway.DefaultForwardAuthPath,
			help: "path of the forward-auth endpoint served with a routes: list, for a reverse proxy's auth_request, ForwardAuth or forward_auth: it checks the token against the route the original request matches and answers with its claim headers; a plain path, no route may take it",
			ptr:  func(c *Config) any { return &c.ForwardAuthPath }, check: checkForwardAuthPath},
		{flag: "dev", env: "DEV", meta: "BOOL", def: "false", kind: kindBool,
			help: "run the embedded development authorization server and the demo front-end; no Okta account needed",
			ptr:  func(c *Config) any { return &c.Dev }},
		{flag: "frontend-port", env: "FRONTEND_PORT", meta: "N", def: "8080", kind: kindInt,
			help: "port of the demo front-end's origin in dev mode, 1-65535",
			ptr:  func(c *Config) any { return &c.FrontendPort }, check: checkFrontendPort},
		{flag: "dev-user", env: "DEV_USERNAME", meta: "NAME", kind: kindRaw, defDoc: "demo",
			help: "user name of dev mode's demo user, taken as given",
			ptr:  func(c *Config) any { return &c.DevUsername }},
		{flag: "dev-password", env: "DEV_PASSWORD", meta: "PASSWORD", kind: kindRaw, defDoc: "demo", secret: true,
			help: "password of dev mode's demo user, taken as given; never logged",
			ptr:  func(c *Config) any { return &c.DevPassword }},
		{flag: "dev-token-lifetime", env: "DEV_TOKEN_LIFETIME", meta: "DURATION", kind: kindDuration, defDoc: "1h",
			help: "lifetime of the tokens dev mode's authorization server issues, e.g. 30s to watch a session expire; 0 for its default",
			ptr:  func(c *Config) any { return &c.DevTokenLifetime }, check: checkDevTokenLifetime},
		{flag: "log-level", env: "LOG_LEVEL", meta: "LEVEL", def: "info", kind: kindLower,
			help: "debug, info, warn or error",
			ptr:  func(c *Config) any { return &c.LogLevel }, check: checkLogLevel},
		{flag: "log-format", env: "LOG_FORMAT", meta: "FORMAT", def: "text", kind: kindLower,
			help: "text or json",
			ptr:  func(c *Config) any { return &c.LogFormat }, check: checkLogFormat},
		{flag: "shutdown-timeout", env: "SHUTDOWN_TIMEOUT", meta: "DURATION", def: "10s", kind: kindDuration,
			help: "how long a graceful shutdown (SIGINT, SIGTERM) waits for requests in flight, e.g. 10s or 1m30s",
			ptr:  func(c *Config) any { return &c.ShutdownTimeout }, check: checkShutdownTimeout},
		{flag: "config", meta: "FILE", def: DefaultFile, noFile: true,
			help: "configuration file: YAML when it ends in .yaml or .yml (every setting, by the keys of resource-server config example), else JSON in the Express sample's shape; a missing default file is ignored",
			ptr:  func(c *Config) any { return &c.ConfigFile }},
	}
}

// settingByName finds a setting by its name (see setting.name).
func settingByName(name string) *setting {
	for _, s := range settings {
		if s.name() == name {
			return s
		}
	}
	panic("config: no setting " + name)
}

// settingByField finds the setting that sets a verifier.Config field; nil
// for none.
func settingByField(field string) *setting {
	for _, s := range settings {
		if s.field == field {
			return s
		}
	}
	return nil
}
