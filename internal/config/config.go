// Package config reads the resource-server program's configuration from
// command-line flags, the environment and the Express sample's
// .samples.config.json, and checks it with errors that say what to fix.
//
// # Precedence
//
// For each setting the strongest layer that sets it wins:
//
//  1. a command-line flag (--issuer=URL or -issuer URL; the standard flag
//     package's syntax, so one dash or two);
//  2. an environment variable (ISSUER); an empty variable counts as unset;
//  3. the JSON file .samples.config.json in the working directory, or the
//     file named by --config, in the shape the Express sample uses:
//     {"resourceServer":{"port":8000,"oidc":{"issuer":"https://..."},
//     "assertClaims":{"aud":"api://default","cid":"..."}}}; sections the
//     program does not read (webServer, ...) are ignored, and an empty
//     string or null counts as unset, but an unknown key in a section it
//     reads (a misspelt "isuer") and a claim assertion other than aud and
//     cid are refused, naming the nearest known key, rather than silently
//     dropped; the sample's resourceServer.oidc.clientId is ignored;
//  4. the default.
//
// A missing default file is fine; a missing file named by --config is an
// error. An explicitly empty flag (--client-id=) does count: it overrides the
// layers below with the empty value.
//
// # Booleans
//
// Boolean flags and variables accept true/false, 1/0, yes/no, on/off, t/f and
// y/n in any case; anything else is an error naming the variable. A boolean
// flag's value must be attached with "=" (--secure-route=false).
// OKTA_TESTING_DISABLEHTTPSCHECK is read as the Express sample reads it: any
// non-empty value turns the check off, except false, f, 0, no, n and off (in
// any case), which leave it on. The flag --insecure-disable-https-check is a
// strict boolean.
//
// # Help
//
// Load returns an error that wraps flag.ErrHelp when the arguments ask for
// help (-h, --help); its text is the usage, the same text Usage writes. A
// program prints it and exits successfully:
//
//	cfg, err := config.Load(args, os.Getenv, ".")
//	if errors.Is(err, flag.ErrHelp) {
//		fmt.Fprint(stdout, err)
//		return nil
//	}
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resource-server/resource-server/internal/scope"
	"github.com/resource-server/resource-server/verifier"
)

// DefaultFile is the name of the configuration file looked for in the
// working directory, as the Express sample names it.
const DefaultFile = ".samples.config.json"

// Config is the program's configuration. Load fills it; Default returns the
// defaults. The comment of each field names its flag, environment variable
// and file key.
type Config struct {
	// Issuer is the authorization server's issuer URL, e.g.
	// https://dev-123456.okta.com/oauth2/default. Required unless Dev.
	// Flag --issuer, env ISSUER, file resourceServer.oidc.issuer.
	Issuer string
	// ClientID, when set, is asserted as the access token's "cid" claim:
	// the client id of the SPA the tokens are minted for.
	// Flag --client-id, env SPA_CLIENT_ID, file resourceServer.assertClaims.cid.
	ClientID string
	// Audience is the expected "aud" of access tokens. Default
	// "api://default". Flag --audience, env AUDIENCE, file
	// resourceServer.assertClaims.aud.
	Audience string
	// Port is the TCP port the API listens on, 1 to 65535. Default 8000.
	// Flag --port, env PORT, file resourceServer.port.
	Port int
	// Host is the address the API listens on. Default "" (all interfaces),
	// or "localhost" in dev mode. Flag --host, env HOST.
	Host string
	// PublicURL is the base URL clients reach the API at, e.g.
	// https://api.example.com: the resource identifier of the RFC 9728
	// metadata and the base of the challenges' resource_metadata URL. Set it
	// behind a proxy; empty means derived from each request's Host (and TLS),
	// X-Forwarded-* headers being never trusted. Load strips a trailing
	// slash. Flag --public-url, env PUBLIC_URL.
	PublicURL string
	// DisableHTTPSCheck allows an http:// issuer and JWKS URL. For local
	// testing only. Flag --insecure-disable-https-check, env
	// OKTA_TESTING_DISABLEHTTPSCHECK (any non-empty value but false, f, 0,
	// no, n or off), file resourceServer.oidc.testing.disableHttpsCheck (a
	// JSON boolean, as the sample's later config.js lays it out).
	DisableHTTPSCheck bool
	// JWKSURL, when set, is where the issuer's keys are fetched, instead of
	// the URL its discovery document names. Flag --jwks-url, env JWKS_URL.
	JWKSURL string
	// Algorithms is the allow-list of JWS algorithms of access tokens.
	// Default ["RS256"]. Flag --algorithms, env ALGORITHMS, comma-separated.
	Algorithms []string
	// AllowMissingAudience accepts access tokens without "aud" when their
	// client ("client_id", "cid" or "azp") is ClientID, which it requires:
	// AWS Cognito's access tokens carry no "aud". Flag
	// --allow-missing-audience, env ALLOW_MISSING_AUDIENCE.
	AllowMissingAudience bool
	// KeysMaxAge is how long the issuer's keys are still used after the
	// last successful fetch, while the issuer does not answer; past it,
	// requests get 503 until it answers again. 0 means no bound. Default
	// 24h. Flag --keys-max-age, env KEYS_MAX_AGE.
	KeysMaxAge time.Duration
	// RequireATJWT refuses access tokens whose header does not say
	// "typ": "at+jwt" (RFC 9068). Default false: Okta's tokens carry no
	// "typ". Flag --require-at-jwt, env REQUIRE_AT_JWT.
	RequireATJWT bool
	// CORSAllowedOrigins are the origins browsers may call the API from;
	// "*" means any. Default ["*"]. Flag --cors-origins, env
	// CORS_ALLOWED_ORIGINS, comma-separated.
	CORSAllowedOrigins []string
	// RequiredScopes are scopes every protected route (/api/messages,
	// /secure) requires; a valid token lacking one is answered 403
	// insufficient_scope. Default none, as in the Express sample. Flag
	// --required-scopes, env REQUIRED_SCOPES, comma-separated. In dev mode
	// the embedded issuer grants them and the front-end asks for them.
	RequiredScopes []string
	// SecureRoute serves GET /secure, the debugging route that echoes the
	// verified token's header and claims. Default true. Flag
	// --secure-route, env SECURE_ROUTE.
	SecureRoute bool
	// Dev runs the embedded development authorization server and the demo
	// front-end; Issuer must then be empty. Flag --dev, env DEV.
	Dev bool
	// FrontendPort is the port of dev mode's front-end origin. Default
	// 8080. Flag --frontend-port, env FRONTEND_PORT.
	FrontendPort int
	// DevUsername and DevPassword override the dev authorization server's
	// demo user; empty means its own defaults. Flags --dev-user and
	// --dev-password, env DEV_USERNAME and DEV_PASSWORD. Taken as given,
	// surrounding spaces included.
	DevUsername, DevPassword string
	// DevTokenLifetime is the lifetime of the tokens the dev authorization
	// server issues; 0 means its own default (1h). Short lifetimes show
	// expiry and sign-in again. Flag --dev-token-lifetime, env
	// DEV_TOKEN_LIFETIME (a Go duration: 30s, 5m).
	DevTokenLifetime time.Duration
	// LogLevel is debug, info, warn or error. Default info. Flag
	// --log-level, env LOG_LEVEL.
	LogLevel string
	// LogFormat is text or json. Default text. Flag --log-format, env
	// LOG_FORMAT.
	LogFormat string
	// ShutdownTimeout bounds the graceful shutdown. Default 10s. Flag
	// --shutdown-timeout, env SHUTDOWN_TIMEOUT (a Go duration: 10s, 1m30s).
	ShutdownTimeout time.Duration
	// ConfigFile is the JSON configuration file, relative to Load's dir
	// unless absolute. Default DefaultFile. Flag --config.
	ConfigFile string

	// sources maps a setting's name (see Error.Field) to where its value
	// came from. Nil when the Config was not built by Load.
	sources map[string]Source
}

// Default returns the configuration used when nothing is set. It is not
// valid as it is: Issuer is empty and Dev is false.
func Default() Config {
	return Config{
		Audience:           "api://default",
		Port:               8000,
		CORSAllowedOrigins: []string{"*"},
		SecureRoute:        true,
		FrontendPort:       8080,
		LogLevel:           "info",
		LogFormat:          "text",
		ShutdownTimeout:    10 * time.Second,
		KeysMaxAge:         verifier.DefaultMaxKeyAge,
		Algorithms:         []string{"RS256"},
		ConfigFile:         DefaultFile,
	}
}

// Source says where the value of a setting came from. name is the setting's
// environment variable ("ISSUER") or, for a setting without one, its flag
// ("--config"), as in Error.Field. For a Config not built by Load it
// returns the zero Source.
func (c Config) Source(name string) Source { return c.sources[name] }

// Places says, for messages, where the setting name (as in Source) can be
// set, strongest first: "PORT (or --port, or resourceServer.port in
// .samples.config.json)". It panics on an unknown name.
func (c Config) Places(name string) string {
	file := c.ConfigFile
	if file == "" {
		file = DefaultFile
	}
	return settingByName(name).places(file)
}

// Addr is the API's listen address, Host and Port joined for net.Listen
// (IPv6 literals bracketed).
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Level is LogLevel as a slog.Level; info for an unknown level.
func (c Config) Level() slog.Level {
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogValue makes a Config safe to log with log/slog: DevPassword is
// replaced by "REDACTED" when set.
func (c Config) LogValue() slog.Value {
	pw := ""
	if c.DevPassword != "" {
		pw = "REDACTED"
	}
	return slog.GroupValue(
		slog.String("issuer", c.Issuer),
		slog.String("client_id", c.ClientID),
		slog.String("audience", c.Audience),
		slog.String("addr", c.Addr()),
		slog.String("public_url", c.PublicURL),
		slog.Bool("insecure_disable_https_check", c.DisableHTTPSCheck),
		slog.String("jwks_url", c.JWKSURL),
		slog.Any("cors_allowed_origins", c.CORSAllowedOrigins),
		slog.Bool("secure_route", c.SecureRoute),
		slog.Bool("dev", c.Dev),
		slog.Int("frontend_port", c.FrontendPort),
		slog.String("dev_username", c.DevUsername),
		slog.String("dev_password", pw),
		slog.Duration("dev_token_lifetime", c.DevTokenLifetime),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("config_file", c.ConfigFile),
	)
}

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
	kindList                  // comma-separated, trimmed, empty items dropped
)

// setting is one row of the configuration table: Load, Validate, Usage and
// the error messages are all driven by it.
type setting struct {
	flag  string // without dashes
	env   string // "" when none
	file  string // dotted key in the JSON file, "" when none
	meta  string // the value's placeholder in the usage text
	def   string // the default, as shown in the usage text
	usage string
	kind  kind
	ptr   func(*Config) any // the field: *string, *int, *bool, *time.Duration or *[]string
}

// name is the setting's key in Error.Field and Config.Source.
func (s *setting) name() string {
	if s.env != "" {
		return s.env
	}
	return "--" + s.flag
}

// places lists where the setting can be set, strongest first in the order
// the messages use: "ISSUER (or --issuer, or resourceServer.oidc.issuer in
// .samples.config.json)".
func (s *setting) places(file string) string {
	if s.env == "" {
		return "--" + s.flag
	}
	p := s.env + " (or --" + s.flag
	if s.file != "" {
		p += ", or " + s.file + " in " + file
	}
	return p + ")"
}

var settings = []*setting{
	{flag: "issuer", env: "ISSUER", file: "resourceServer.oidc.issuer", meta: "URL",
		usage: "issuer URL of the authorization server, e.g. https://dev-123456.okta.com/oauth2/default; required unless --dev",
		ptr:   func(c *Config) any { return &c.Issuer }},
	{flag: "client-id", env: "SPA_CLIENT_ID", file: "resourceServer.assertClaims.cid", meta: "ID",
		usage: "client id of the SPA the tokens are minted for; when set, access tokens must carry it as \"cid\"",
		ptr:   func(c *Config) any { return &c.ClientID }},
	{flag: "audience", env: "AUDIENCE", file: "resourceServer.assertClaims.aud", meta: "AUD", def: "api://default",
		usage: "expected \"aud\" of access tokens",
		ptr:   func(c *Config) any { return &c.Audience }},
	{flag: "port", env: "PORT", file: "resourceServer.port", meta: "N", def: "8000", kind: kindInt,
		usage: "TCP port of the API, 1-65535",
		ptr:   func(c *Config) any { return &c.Port }},
	{flag: "host", env: "HOST", meta: "HOST", def: `"" (all interfaces); localhost with --dev`,
		usage: "host name or IP address the API listens on",
		ptr:   func(c *Config) any { return &c.Host }},
	{flag: "public-url", env: "PUBLIC_URL", meta: "URL", def: "derived from each request's Host",
		usage: "base URL clients reach the API at, e.g. https://api.example.com behind a proxy: the resource of the RFC 9728 metadata and the base of the resource_metadata URL in challenges; X-Forwarded-* headers are never trusted",
		ptr:   func(c *Config) any { return &c.PublicURL }},
	{flag: "insecure-disable-https-check", env: "OKTA_TESTING_DISABLEHTTPSCHECK", file: "resourceServer.oidc.testing.disableHttpsCheck", meta: "BOOL", def: "false", kind: kindLooseBool,
		usage: "allow an http:// issuer and JWKS URL, for local testing only; the variable, as in the Express sample, is true when non-empty unless false, f, 0, no, n or off",
		ptr:   func(c *Config) any { return &c.DisableHTTPSCheck }},
	{flag: "jwks-url", env: "JWKS_URL", meta: "URL",
		usage: "fetch the issuer's keys from this URL instead of the one its discovery document names",
		ptr:   func(c *Config) any { return &c.JWKSURL }},
	{flag: "algorithms", env: "ALGORITHMS", meta: "ALGS", def: "RS256", kind: kindList,
		usage: "comma-separated JWS algorithms accepted, e.g. RS256,ES256; any of " + strings.Join(verifier.SupportedAlgorithms(), ", "),
		ptr:   func(c *Config) any { return &c.Algorithms }},
	{flag: "allow-missing-audience", env: "ALLOW_MISSING_AUDIENCE", meta: "BOOL", def: "false", kind: kindBool,
		usage: "accept access tokens without \"aud\" when their client is SPA_CLIENT_ID (required with it), as AWS Cognito issues them; a token with an \"aud\" must still hold AUDIENCE",
		ptr:   func(c *Config) any { return &c.AllowMissingAudience }},
	{flag: "keys-max-age", env: "KEYS_MAX_AGE", meta: "DURATION", def: "24h", kind: kindDuration,
		usage: "while the issuer does not answer, keep using its last keys this long after the last successful fetch, then answer 503 until it does; 0 for no bound",
		ptr:   func(c *Config) any { return &c.KeysMaxAge }},
	{flag: "require-at-jwt", env: "REQUIRE_AT_JWT", meta: "BOOL", def: "false", kind: kindBool,
		usage: "refuse access tokens whose header lacks \"typ\": \"at+jwt\" (RFC 9068); Okta's tokens carry no typ",
		ptr:   func(c *Config) any { return &c.RequireATJWT }},
	{flag: "cors-origins", env: "CORS_ALLOWED_ORIGINS", meta: "ORIGINS", def: "*", kind: kindList,
		usage: "comma-separated origins browsers may call the API from, e.g. https://app.example.com,http://localhost:8080; * for any",
		ptr:   func(c *Config) any { return &c.CORSAllowedOrigins }},
	{flag: "required-scopes", env: "REQUIRED_SCOPES", meta: "SCOPES", kind: kindList,
		usage: "comma-separated scopes that /api/messages and /secure require, e.g. messages:read; a token without them gets 403 insufficient_scope (default: none)",
		ptr:   func(c *Config) any { return &c.RequiredScopes }},
	{flag: "secure-route", env: "SECURE_ROUTE", meta: "BOOL", def: "true", kind: kindBool,
		usage: "serve GET /secure, which echoes the verified token's header and claims (a debugging aid)",
		ptr:   func(c *Config) any { return &c.SecureRoute }},
	{flag: "dev", env: "DEV", meta: "BOOL", def: "false", kind: kindBool,
		usage: "run the embedded development authorization server and the demo front-end; no Okta account needed",
		ptr:   func(c *Config) any { return &c.Dev }},
	{flag: "frontend-port", env: "FRONTEND_PORT", meta: "N", def: "8080", kind: kindInt,
		usage: "port of the demo front-end's origin in dev mode, 1-65535",
		ptr:   func(c *Config) any { return &c.FrontendPort }},
	{flag: "dev-user", env: "DEV_USERNAME", meta: "NAME", kind: kindRaw,
		usage: "user name of dev mode's demo user (default: the dev server's own, printed at start-up)",
		ptr:   func(c *Config) any { return &c.DevUsername }},
	{flag: "dev-password", env: "DEV_PASSWORD", meta: "PASSWORD", kind: kindRaw,
		usage: "password of dev mode's demo user (default: the dev server's own, printed at start-up)",
		ptr:   func(c *Config) any { return &c.DevPassword }},
	{flag: "dev-token-lifetime", env: "DEV_TOKEN_LIFETIME", meta: "DURATION", kind: kindDuration,
		usage: "lifetime of the tokens dev mode's authorization server issues, e.g. 30s to watch a session expire (default: the dev server's own, 1h)",
		ptr:   func(c *Config) any { return &c.DevTokenLifetime }},
	{flag: "log-level", env: "LOG_LEVEL", meta: "LEVEL", def: "info", kind: kindLower,
		usage: "debug, info, warn or error",
		ptr:   func(c *Config) any { return &c.LogLevel }},
	{flag: "log-format", env: "LOG_FORMAT", meta: "FORMAT", def: "text", kind: kindLower,
		usage: "text or json",
		ptr:   func(c *Config) any { return &c.LogFormat }},
	{flag: "shutdown-timeout", env: "SHUTDOWN_TIMEOUT", meta: "DURATION", def: "10s", kind: kindDuration,
		usage: "how long a graceful shutdown waits for requests in flight, e.g. 10s or 1m30s",
		ptr:   func(c *Config) any { return &c.ShutdownTimeout }},
	{flag: "config", meta: "FILE", def: DefaultFile,
		usage: "JSON configuration file in the Express sample's shape; a missing default file is ignored",
		ptr:   func(c *Config) any { return &c.ConfigFile }},
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

// rawFlag records a flag's text and whether it was given; parsing happens
// later, so that every bad value gets the same kind of message.
type rawFlag struct {
	val    string
	set    bool
	isBool bool
}

func (f *rawFlag) String() string     { return f.val }
func (f *rawFlag) Set(s string) error { f.val, f.set = s, true; return nil }
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }

// helpError is Load's answer to -h or --help: its text is the usage.
type helpError struct{ usage string }

func (e *helpError) Error() string { return e.usage }
func (e *helpError) Unwrap() error { return flag.ErrHelp }

// Load reads the configuration: flags from args (which excludes the program
// name), then the environment through getenv (os.Getenv in production; nil
// means an empty environment), then the JSON file (Config.ConfigFile,
// relative to dir, the working directory), then the defaults. It checks the
// result with Validate.
//
// Errors are *Error values, several joined with errors.Join when there are
// several problems: values that cannot be parsed (PORT=eighty) are reported
// together with the checks of Validate, so that one run lists everything to
// fix; a check that rests on a value that could not be parsed (whether
// ISSUER is needed rests on DEV) is left for the next run, since the default
// standing in for that value would make it contradict the error that names
// it. A bad flag or configuration file stops the reading at once. When args
// ask for help, the error wraps flag.ErrHelp
// and its text is the usage (see the package documentation). On error the
// returned Config is the zero Config. PublicURL is returned without a
// trailing slash.
func Load(args []string, getenv func(string) string, dir string) (Config, error) {
	c, bad, err := load(args, getenv, dir)
	if err != nil {
		return Config{}, err
	}
	// Report the values that could not be parsed together with the other
	// problems, so that one run shows everything to fix.
	if err := errors.Join(append(bad, withoutDependents(c.Validate(), bad)...)...); err != nil {
		return Config{}, err
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c, nil
}

// checkedWith lists, for a setting, the other settings its checks in
// Validate read.
var checkedWith = map[string][]string{
	"ISSUER":                 {"DEV", "OKTA_TESTING_DISABLEHTTPSCHECK"},
	"JWKS_URL":               {"DEV", "OKTA_TESTING_DISABLEHTTPSCHECK"},
	"FRONTEND_PORT":          {"DEV", "PORT"},
	"ALLOW_MISSING_AUDIENCE": {"SPA_CLIENT_ID"},
}

// withoutDependents returns the problems of validation (errors.Join'ed
// *Error values) minus those about a setting that could not be parsed, or
// whose check reads one (see checkedWith): they rest on the default that
// stands in for the unparsed value. DEV=maybe must not also be told "ISSUER
// is not set … or run with --dev".
func withoutDependents(validation error, unparsed []error) []error {
	if validation == nil {
		return nil
	}
	skip := map[string]bool{}
	for _, err := range unparsed {
		if e := (*Error)(nil); errors.As(err, &e) {
			skip[e.Field] = true
		}
	}
	all := []error{validation}
	if joined, ok := validation.(interface{ Unwrap() []error }); ok {
		all = joined.Unwrap()
	}
	var kept []error
	for _, err := range all {
		e := (*Error)(nil)
		if errors.As(err, &e) && (skip[e.Field] || slices.ContainsFunc(checkedWith[e.Field], func(n string) bool { return skip[n] })) {
			continue
		}
		kept = append(kept, err)
	}
	return kept
}

// load is Load without Validate: it layers and parses the values. err is a
// problem that stops the reading (flags, help, the file); bad lists the
// values that could not be parsed, whose settings keep their defaults.
func load(args []string, getenv func(string) string, dir string) (c Config, bad []error, err error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}

	// 1. Flags.
	fs := flag.NewFlagSet("resource-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the flag package's complaints become *Error values
	fs.Usage = func() {}
	flags := make(map[*setting]*rawFlag, len(settings))
	for _, s := range settings {
		f := &rawFlag{isBool: s.kind == kindBool || s.kind == kindLooseBool}
		flags[s] = f
		fs.Var(f, s.flag, s.usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			Usage(&b)
			return Config{}, nil, &helpError{usage: b.String()}
		}
		return Config{}, nil, flagError(err, args)
	}
	if fs.NArg() > 0 {
		arg := fs.Arg(0)
		fix := "settings are flags, e.g. --issuer=https://dev-123456.okta.com/oauth2/default; run with --help to list them"
		if _, err := parseBool(arg); err == nil {
			fix = "attach a boolean flag's value with \"=\", e.g. --dev=false or --secure-route=false"
		}
		return Config{}, nil, &Error{Field: "argument", Value: arg, Problem: "is not a flag", Fix: fix}
	}

	c = Default()
	c.sources = make(map[string]Source, len(settings))
	for _, s := range settings {
		c.sources[s.name()] = Source{Kind: SourceDefault}
	}

	// 2. The file named by --config, or the default one when present.
	cfgFlag := settingByName("--config")
	if f := flags[cfgFlag]; f.set {
		c.ConfigFile = f.val
		c.sources[cfgFlag.name()] = Source{Kind: SourceFlag, Name: "--" + cfgFlag.flag}
		if strings.TrimSpace(f.val) == "" {
			return Config{}, nil, &Error{Field: cfgFlag.name(), Source: c.sources[cfgFlag.name()], Problem: "is empty",
				Fix: "name a JSON file, e.g. --config=" + DefaultFile + ", or drop --config"}
		}
	}
	path := c.ConfigFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	fileVals, err := readFile(path, flags[cfgFlag].set)
	if err != nil {
		return Config{}, nil, err
	}

	// 3. Every setting from its strongest layer.
	for _, s := range settings {
		if s == cfgFlag {
			continue
		}
		var raw string
		var src Source
		switch f := flags[s]; {
		case f.set:
			raw, src = f.val, Source{Kind: SourceFlag, Name: "--" + s.flag}
		case s.env != "" && getenv(s.env) != "":
			raw, src = getenv(s.env), Source{Kind: SourceEnv, Name: s.env}
		default:
			v, ok := fileVals[s.file]
			if s.file == "" || !ok {
				continue
			}
			raw, src = v, Source{Kind: SourceFile, Name: s.file, File: path}
		}
		c.sources[s.name()] = src
		if err := assign(&c, s, raw, src); err != nil {
			bad = append(bad, err)
		}
	}
	if c.Dev && c.sources["HOST"].Kind == SourceDefault {
		c.Host = "localhost"
	}
	return c, bad, nil
}

// flagError turns an error of the flag package into an *Error.
func flagError(err error, args []string) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		typed := typedFlag(args, name)
		fix := "run with --help to list the flags"
		names := make([]string, len(settings))
		for i, s := range settings {
			names[i] = s.flag
		}
		if near := nearest(name, names); near != "" {
			dashes := typed[:len(typed)-len(strings.TrimLeft(typed, "-"))]
			fix = "did you mean " + dashes + near + "? Or " + fix
		}
		return &Error{Field: typed, Problem: "is not a flag", Fix: fix, Err: err}
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		for _, s := range settings {
			if s.flag == name {
				return &Error{Field: s.name(), Source: Source{Kind: SourceFlag, Name: "--" + name}, Problem: "needs a value",
					Fix: fmt.Sprintf("write --%s=%s", name, s.meta), Err: err}
			}
		}
	}
	return &Error{Field: "arguments", Problem: "are not understood (" + msg + ")", Fix: "run with --help to list the flags", Err: err}
}

// typedFlag returns the flag name as the user typed it in args ("-bogus" or
// "--bogus", without "=value"); "-name" if it is not found.
func typedFlag(args []string, name string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if f, _, _ := strings.Cut(a, "="); f == "-"+name || f == "--"+name {
			return f
		}
	}
	return "-" + name
}

// assign parses raw, which came from src, into s's field of c.
func assign(c *Config, s *setting, raw string, src Source) error {
	bad := func(problem, fix string, err error) error {
		return &Error{Field: s.name(), Value: raw, Source: src, Problem: problem, Fix: fix, Err: err}
	}
	switch p := s.ptr(c).(type) {
	case *string:
		switch s.kind {
		case kindRaw:
			*p = raw
		case kindLower:
			*p = strings.ToLower(strings.TrimSpace(raw))
		default:
			*p = strings.TrimSpace(raw)
		}
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return bad("is not a whole number", "set "+s.places(c.ConfigFile)+" to a number from 1 to 65535, e.g. "+s.def, err)
		}
		*p = n
	case *bool:
		if s.kind == kindLooseBool && src.Kind == SourceEnv {
			*p = looseBool(raw)
			return nil
		}
		b, err := parseBool(raw)
		if err != nil {
			return bad("is not a boolean", "set "+s.places(c.ConfigFile)+" to true or false", err)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return bad("is not a duration", "set "+s.places(c.ConfigFile)+" to a Go duration with a unit, e.g. 10s, 500ms or 1m30s", err)
		}
		*p = d
	case *[]string:
		*p = splitList(raw)
	default:
		panic(fmt.Sprintf("config: setting %s has field type %T", s.name(), p))
	}
	return nil
}

var errNotBool = errors.New("not a boolean")

// parseBool reads a strict boolean.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off":
		return false, nil
	}
	return false, errNotBool
}

// looseBool reads OKTA_TESTING_DISABLEHTTPSCHECK as the Express sample does:
// any non-empty value is true, except the usual spellings of false.
func looseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "f", "false", "n", "no", "off":
		return false
	}
	return true
}

// splitList splits a comma-separated list, trimming items and dropping empty
// ones.
func splitList(s string) []string {
	list := []string{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}

// Validate checks a configuration and reports every problem found, each an
// *Error, joined with errors.Join; nil when the configuration can run. Load
// calls it. In dev mode Issuer must be empty (the embedded issuer is used)
// and the https check does not apply.
func (c Config) Validate() error {
	file := c.ConfigFile
	if file == "" {
		file = DefaultFile
	}
	var errs []error
	bad := func(name, value, problem, fix string) {
		errs = append(errs, &Error{Field: name, Value: value, Source: c.sources[name], Problem: problem, Fix: fix})
	}
	places := func(name string) string { return settingByName(name).places(file) }

	// Issuer.
	const exampleIssuer = "https://dev-123456.okta.com/oauth2/default"
	switch {
	case c.Dev && c.Issuer != "":
		bad("ISSUER", c.Issuer, "is set together with --dev",
			"--dev runs its own issuer; unset "+places("ISSUER")+" or drop --dev")
	case c.Dev:
	case c.Issuer == "":
		problem := "is not set"
		if c.sources["ISSUER"].Kind == SourceFlag {
			problem = "is empty"
		}
		bad("ISSUER", "", problem, "set "+places("ISSUER")+" to your authorization server's issuer, e.g. "+exampleIssuer+
			", or run with --dev to use the embedded development issuer")
	case strings.ContainsAny(c.Issuer, "{}"):
		bad("ISSUER", c.Issuer, "still holds the sample's placeholder", "set "+places("ISSUER")+" to your Okta issuer, e.g. "+exampleIssuer+
			" (Okta Admin Console > Security > API > Authorization Servers shows it)")
	default:
		if problem, fix := checkURL(c.Issuer, c.DisableHTTPSCheck); problem != "" {
			bad("ISSUER", c.Issuer, problem, fmt.Sprintf(fix, "set "+places("ISSUER")+" to", exampleIssuer))
		} else if u, _ := url.Parse(c.Issuer); strings.Contains(strings.ToLower(u.Hostname()), "-admin.") {
			bad("ISSUER", c.Issuer, "names the Okta Admin Console's domain, which issues no tokens",
				"set "+places("ISSUER")+" to your Okta org's domain without \"-admin\", e.g. "+exampleIssuer)
		}
	}

	// Client id and audience.
	if strings.ContainsAny(c.ClientID, "{}") {
		bad("SPA_CLIENT_ID", c.ClientID, "still holds the sample's placeholder", "set "+places("SPA_CLIENT_ID")+
			" to your SPA application's client id (Okta Admin Console > Applications > your app > General), or leave it empty to skip the cid check")
	}
	switch {
	case c.Audience == "":
		bad("AUDIENCE", "", "is empty", "set "+places("AUDIENCE")+" to your API's audience, e.g. api://default (the default)")
	case strings.ContainsAny(c.Audience, "{}"):
		bad("AUDIENCE", c.Audience, "still holds a placeholder", "set "+places("AUDIENCE")+" to your API's audience, e.g. api://default")
	}

	// Listeners and the public URL.
	c.validateListeners(bad, places)

	// Keys.
	if c.JWKSURL != "" {
		if c.Dev {
			bad("JWKS_URL", c.JWKSURL, "is set together with --dev", "--dev serves its own keys; unset "+places("JWKS_URL")+" or drop --dev")
		} else if problem, fix := checkKeyURL(c.JWKSURL, c.DisableHTTPSCheck); problem != "" {
			bad("JWKS_URL", c.JWKSURL, problem, fmt.Sprintf(fix, "set "+places("JWKS_URL")+" to", "https://dev-123456.okta.com/oauth2/default/v1/keys"))
		}
	}

	// CORS.
	if len(c.CORSAllowedOrigins) == 0 {
		bad("CORS_ALLOWED_ORIGINS", "", "is empty", "set "+places("CORS_ALLOWED_ORIGINS")+
			" to a comma-separated list of origins, e.g. https://app.example.com,http://localhost:8080, or * for any origin")
	}
	for _, o := range c.CORSAllowedOrigins {
		if problem := checkOrigin(o); problem != "" {
			bad("CORS_ALLOWED_ORIGINS", o, problem, "list origins as browsers send them, scheme://host[:port] without a path or trailing slash, e.g. https://app.example.com,http://localhost:8080, or * for any origin")
		}
	}

	// Logs and shutdown.
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("LOG_LEVEL", c.LogLevel, "is not a log level", "set "+places("LOG_LEVEL")+" to debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("LOG_FORMAT", c.LogFormat, "is not a log format", "set "+places("LOG_FORMAT")+" to text or json")
	}
	if c.DevTokenLifetime < 0 {
		bad("DEV_TOKEN_LIFETIME", c.DevTokenLifetime.String(), "is negative", "set "+places("DEV_TOKEN_LIFETIME")+" to a positive duration, e.g. 5m, or leave it unset for the dev server's default")
	}
	for _, s := range c.RequiredScopes {
		if !scope.Valid(s) {
			bad("REQUIRED_SCOPES", s, "is not a scope token",
				"set "+places("REQUIRED_SCOPES")+" to comma-separated scopes without spaces, quotes or backslashes, e.g. messages:read,messages:write")
		}
	}
	supported := verifier.SupportedAlgorithms()
	if len(c.Algorithms) == 0 {
		bad("ALGORITHMS", "", "is empty", "set "+places("ALGORITHMS")+" to the algorithms your issuer signs with, e.g. RS256")
	}
	for _, a := range c.Algorithms {
		if !slices.Contains(supported, a) {
			bad("ALGORITHMS", a, "is not a supported asymmetric JWS algorithm",
				"set "+places("ALGORITHMS")+" to a comma-separated list of "+strings.Join(supported, ", ")+" (names are case-sensitive; HMAC and none are never accepted)")
		}
	}
	if c.AllowMissingAudience && c.ClientID == "" {
		bad("ALLOW_MISSING_AUDIENCE", "true", "needs SPA_CLIENT_ID",
			"set "+places("SPA_CLIENT_ID")+" to the app client id the tokens are issued to: it is what binds a token without \"aud\" to this API")
	}
	if c.KeysMaxAge < 0 || (c.KeysMaxAge > 0 && c.KeysMaxAge <= verifier.DefaultRefreshInterval) {
		bad("KEYS_MAX_AGE", c.KeysMaxAge.String(), "must be 0 (no bound) or longer than the "+verifier.DefaultRefreshInterval.String()+" key refresh interval",
			"set "+places("KEYS_MAX_AGE")+" to a duration such as 24h or 168h, or 0 to keep the keys for as long as the issuer is down")
	}
	if c.ShutdownTimeout <= 0 {
		bad("SHUTDOWN_TIMEOUT", c.ShutdownTimeout.String(), "is not positive", "set "+places("SHUTDOWN_TIMEOUT")+" to a positive duration, e.g. 10s")
	}
	return errors.Join(errs...)
}

// validateListeners is the part of Validate about where the API listens and
// is reached: PORT, FRONTEND_PORT, HOST and PUBLIC_URL. bad reports a
// problem; places names where a setting can be set.
func (c Config) validateListeners(bad func(name, value, problem, fix string), places func(name string) string) {
	for _, name := range []string{"PORT", "FRONTEND_PORT"} {
		p := c.Port
		if name == "FRONTEND_PORT" {
			p = c.FrontendPort
		}
		if p < 1 || p > 65535 {
			bad(name, strconv.Itoa(p), "is out of range", "set "+places(name)+" to a port from 1 to 65535, e.g. "+settingByName(name).def)
		}
	}
	if c.Dev && c.Port == c.FrontendPort {
		bad("FRONTEND_PORT", strconv.Itoa(c.FrontendPort), "is the API's port too",
			"in dev mode the front-end has an origin of its own: set "+places("FRONTEND_PORT")+" or "+places("PORT")+" to another port")
	}
	if problem, fix := checkHost(c.Host); problem != "" {
		bad("HOST", c.Host, problem, fmt.Sprintf(fix, places("HOST")))
	}
	if c.PublicURL == "" {
		return
	}
	const example = "https://api.example.com"
	problem, fix := checkURL(c.PublicURL, true)
	if problem == "" && strings.ContainsAny(c.PublicURL, `"\`) {
		problem, fix = "holds a '\"' or '\\'", "%s the URL with those characters percent-encoded, e.g. %s"
	}
	if problem != "" {
		bad("PUBLIC_URL", c.PublicURL, problem, fmt.Sprintf(fix, "set "+places("PUBLIC_URL")+" to the base URL clients reach the API at,", example)+
			", or leave it unset to derive it from each request's Host")
	}
}

// checkURL checks an issuer or key URL. It returns the problem and a fix
// whose two %s verbs take "set X to" and an example URL.
func checkURL(raw string, allowHTTP bool) (problem, fix string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return "is not a URL", "%s an absolute https URL, e.g. %s"
	case u.Scheme == "" || u.Opaque != "" || (u.Scheme == "https" || u.Scheme == "http") && u.Host == "":
		return "is not an absolute URL", "%s an absolute URL that starts with https://, e.g. %s"
	case u.Scheme != "https" && u.Scheme != "http":
		return "is not an http(s) URL", "%s an absolute https URL, e.g. %s"
	case u.User != nil:
		return "holds a user name or password", "%s the URL without credentials, e.g. %s"
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "has a query or fragment", "%s the URL without \"?...\" or \"#...\", e.g. %s"
	case u.Scheme == "http" && !allowHTTP:
		return "uses http, not https", "%s its https URL, e.g. %s; for local testing only, allow http with OKTA_TESTING_DISABLEHTTPSCHECK=true (or --insecure-disable-https-check)"
	}
	return "", ""
}

// checkKeyURL is checkURL for a JWKS URL, which may have a query: issuers
// publish some with one (Azure AD B2C: …/discovery/v2.0/keys?p=b2c_1_signin).
// Only the issuer identifier must have none (RFC 8414 §2). A fragment is
// refused: it is never sent to the server, so it cannot be what was meant.
func checkKeyURL(raw string, allowHTTP bool) (problem, fix string) {
	withoutFragment, _, fragment := strings.Cut(raw, "#")
	base, query, _ := strings.Cut(withoutFragment, "?")
	if problem, fix := checkURL(base, allowHTTP); problem != "" {
		return problem, fix
	}
	switch {
	case fragment:
		return "has a fragment", "%s the URL without \"#...\", e.g. %s"
	case strings.ContainsAny(query, " \t\r\n"):
		return "is not a URL", "%s an absolute https URL, e.g. %s"
	}
	return "", ""
}

// checkHost checks a listen host; the fix's %s takes the setting's places.
func checkHost(h string) (problem, fix string) {
	switch {
	case h == "" || net.ParseIP(h) != nil:
		return "", ""
	case strings.Contains(h, "://") || strings.Contains(h, "/"):
		return "is a URL, not a host", "set %s to a host name or IP address only, e.g. localhost or 127.0.0.1"
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		return "has brackets", "set %s to the IPv6 address without brackets, e.g. ::1"
	case strings.Contains(h, ":"):
		return "holds a port", "set %s to the host only, e.g. localhost, and the port with PORT (or --port)"
	case strings.ContainsAny(h, " \t\r\n"):
		return "holds spaces", "set %s to a host name or IP address, e.g. localhost or 127.0.0.1"
	}
	return "", ""
}

// checkOrigin checks one CORS origin.
func checkOrigin(o string) string {
	if o == "*" {
		return ""
	}
	u, err := url.Parse(o)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "":
		return "is not an origin"
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http(s) origin"
	case u.Path == "/":
		return "ends with a slash, which no browser's Origin header has"
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "has more than scheme, host and port"
	}
	return ""
}
