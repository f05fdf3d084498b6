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
//  3. the configuration file: a YAML file when --config names one ending in
//     .yaml or .yml (flat snake_case keys, one per setting, the keys
//     ExampleYAML writes; an unknown key is refused with its line and the
//     nearest valid key), else the JSON file .samples.config.json in the
//     working directory, or the file named by --config, in the shape the
//     Express sample uses:
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
// # One declaration per setting
//
// Each setting is declared once, in the settings table (settings.go): its
// environment variable, flag, YAML key, key in .samples.config.json, type,
// default, checks, whether it is secret, and its help. Default, Load,
// Validate, Usage (--help), LogValue, Describe (config check), ExampleYAML
// (config example) and MarkdownTable (the README's table, held to it by a
// test) are all made from it. The rules on what reaches the verifier are the
// library's (verifier.Config.Validate, run on what VerifierConfigs builds);
// Validate names their fields by the settings the user wrote.
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
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/resource-server/resource-server/verifier"
)

// DefaultFile is the name of the configuration file looked for in the
// working directory, as the Express sample names it.
const DefaultFile = ".samples.config.json"

// Config is the program's configuration. Load fills it; Default returns the
// defaults. Each field's flag, environment variable, file keys, default and
// help are declared once, in the settings table (see Usage or the README).
// Fields that reach the verifier carry verifier.Config's names.
type Config struct {
	Issuer   string // ISSUER: the authorization server's issuer URL
	ClientID string // SPA_CLIENT_ID: asserted as the token's client when set
	// Audience is AUDIENCE, the one expected "aud" (verifier.Config.Audiences
	// holds just it).
	Audience string
	Port     int    // PORT
	Host     string // HOST
	// AdminPort and AdminHost are ADMIN_PORT and ADMIN_HOST: the admin
	// listener's address; AdminPort 0 means none.
	AdminPort int
	AdminHost string
	PublicURL string // PUBLIC_URL, without a trailing slash once loaded
	// InsecureAllowHTTP is OKTA_TESTING_DISABLEHTTPSCHECK: an http issuer
	// and JWKS URL are allowed.
	InsecureAllowHTTP    bool
	JWKSURL              string   // JWKS_URL
	Algorithms           []string // ALGORITHMS
	AllowMissingAudience bool     // ALLOW_MISSING_AUDIENCE
	// MaxKeyAge is KEYS_MAX_AGE: 0 means verifier.DefaultMaxKeyAge and
	// verifier.NoMaxKeyAge ("none") no bound, as in verifier.Config.
	MaxKeyAge              time.Duration
	RequireAccessTokenType bool     // REQUIRE_AT_JWT
	CORSAllowedOrigins     []string // CORS_ALLOWED_ORIGINS
	RequiredScopes         []string // REQUIRED_SCOPES
	SecureRoute            bool     // SECURE_ROUTE
	Dev                    bool     // DEV
	FrontendPort           int      // FRONTEND_PORT
	// DevUsername and DevPassword are DEV_USERNAME and DEV_PASSWORD; empty
	// means the dev issuer's own.
	DevUsername, DevPassword string
	DevTokenLifetime         time.Duration // DEV_TOKEN_LIFETIME; 0: the dev issuer's own
	LogLevel                 string        // LOG_LEVEL
	LogFormat                string        // LOG_FORMAT
	ShutdownTimeout          time.Duration // SHUTDOWN_TIMEOUT
	// ConfigFile is --config, relative to Load's dir unless absolute.
	ConfigFile string
	// Issuers is the YAML file's issuers: list, each entry with the global
	// settings it does not set itself; nil for the one-issuer shorthand
	// (Issuer, ClientID, Audience, JWKSURL), which it replaces.
	Issuers []IssuerConfig
	// ForwardAuthPath is FORWARD_AUTH_PATH: the path of the gateway's
	// forward-auth endpoint, served with a routes: list.
	ForwardAuthPath string
	// Routes is the YAML file's routes: list (see GatewayRoutes); nil
	// when the file has none, and the program serves its built-in routes.
	Routes []RouteConfig
	// Headers is the YAML file's top-level headers: the claim headers of
	// every route that takes a token, in the file's order; a route's own
	// header of the same name (in any case) replaces one (see
	// GatewayRoutes). Nil when the file has none.
	Headers []HeaderConfig
	// DPoPAlgorithms is DPOP_ALGORITHMS: the JWS algorithms of DPoP proofs
	// accepted.
	DPoPAlgorithms []string
	// DPoPMaxAge is DPOP_MAX_AGE: how far a proof's "iat" may lie from now.
	DPoPMaxAge time.Duration
	// DPoPNonceSecret is DPOP_NONCE_SECRET: when set, proofs must carry a
	// nonce derived from it (at least 32 bytes). Secret: never logged or
	// shown.
	DPoPNonceSecret string
	// Store is STORE: StoreMemory, or a redis:// or rediss:// URL whose
	// password is secret (see StoreDisplay).
	Store string

	// issuersSource is where the issuers: list stands in the file.
	issuersSource Source
	// routesSource is where the routes: list stands in the file.
	routesSource Source
	// headersSource is where the top-level headers: stands in the file.
	headersSource Source

	// sources maps a setting's name (see Error.Field) to where its value
	// came from. Nil when the Config was not built by Load.
	sources map[string]Source
	// warnings are Load's advice that stops nothing (see Warnings).
	warnings []string
}

// Default returns the configuration used when nothing is set, from the
// declared defaults. It is not valid as it is: Issuer is empty and Dev is
// false.
func Default() Config {
	var c Config
	for _, s := range settings {
		if s.def != "" {
			if err := assign(&c, s, s.def, Source{Kind: SourceDefault}); err != nil {
				panic("config: the default of " + s.name() + ": " + err.Error())
			}
		}
	}
	return c
}

// Source says where the value of a setting came from. name is the setting's
// environment variable ("ISSUER") or, for a setting without one, its flag
// ("--config"), as in Error.Field. For a Config not built by Load it
// returns the zero Source.
func (c Config) Source(name string) Source { return c.sources[name] }

// Warnings returns advice about the configuration that stops nothing, e.g.
// that KEYS_MAX_AGE=0 now means the default. The program logs it.
func (c Config) Warnings() []string { return c.warnings }

// Places says, for messages, where the setting name (as in Source) can be
// set, strongest first: "PORT (or --port, or resourceServer.port in
// .samples.config.json)". It panics on an unknown name.
func (c Config) Places(name string) string {
	return settingByName(name).places(c.file())
}

// file is the configuration file's name as the user gave it.
func (c Config) file() string {
	if c.ConfigFile == "" {
		return DefaultFile
	}
	return c.ConfigFile
}

// Addr is the API's listen address, Host and Port joined for net.Listen
// (IPv6 literals bracketed).
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// AdminAddr is the admin listener's address, AdminHost and AdminPort
// joined for net.Listen; "" when AdminPort is 0 (no admin listener).
func (c Config) AdminAddr() string {
	if c.AdminPort == 0 {
		return ""
	}
	return net.JoinHostPort(c.AdminHost, strconv.Itoa(c.AdminPort))
}

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

// LogValue makes a Config safe to log with log/slog: every setting, by its
// YAML key (config_file for --config), secrets (DEV_PASSWORD,
// DPOP_NONCE_SECRET) replaced by "REDACTED" when set, STORE's password by
// xxxxx; issuers by their names, so no client secret.
func (c Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(settings))
	for _, s := range settings {
		key := s.key()
		if key == "" {
			key = "config_file"
		}
		attrs = append(attrs, slog.String(key, s.display(c)))
	}
	if len(c.Issuers) > 0 {
		attrs = append(attrs, slog.Any("issuers", c.IssuerNames()))
	}
	if len(c.Routes) > 0 {
		attrs = append(attrs, slog.Any("routes", c.routeMatches()))
	}
	return slog.GroupValue(attrs...)
}

// display is the setting's value in c as text for people: secrets
// redacted, lists comma-separated, durations short ("24h"), "none" for no
// bound.
func (s *setting) display(c Config) string {
	text := s.format(c)
	switch {
	case s.secret && text != "":
		return "REDACTED"
	case s.redact != nil:
		return s.redact(text)
	}
	return text
}

// StoreDisplay is Store as it may be logged or shown: a Redis URL's
// password replaced by xxxxx ("redis://:xxxxx@host:6379/0").
func (c Config) StoreDisplay() string { return redactURL(c.Store) }

// format is the setting's value in c as text, parseable by assign.
func (s *setting) format(c Config) string {
	text, ok := formatValue(s.ptr(&c), s.kind)
	if !ok {
		panic("config: setting " + s.name() + " has an unknown field type")
	}
	return text
}

// formatValue writes the value p points to as a person would write it in
// a setting: lists comma-separated, durations short ("24h"), "none" for a
// max-age bound that is off. It reports false for a type it does not know.
func formatValue(p any, k kind) (string, bool) {
	switch p := p.(type) {
	case *string:
		return *p, true
	case *int:
		return strconv.Itoa(*p), true
	case *bool:
		return strconv.FormatBool(*p), true
	case *time.Duration:
		if k == kindMaxAge && *p < 0 {
			return "none", true
		}
		return shortDuration(*p), true
	case *[]string:
		return strings.Join(*p, ","), true
	}
	return "", false
}

// shortDuration writes d as time.Duration.String does, without its zero
// minutes and seconds: "24h", "1m30s", "10s".
func shortDuration(d time.Duration) string {
	t := d.String()
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}

// VerifierConfigs is the one path from the settings to the verifier's
// configurations, for the program, `explain` and dev mode alike: one
// verifier.Config per issuer, in the order of the issuers: list, or the one
// of the shorthand (ISSUER, SPA_CLIENT_ID, AUDIENCE, JWKS_URL) when there is
// no list. issuer is the shorthand's issuer to trust: Issuer, or in dev
// mode the embedded issuer's URL, known once its listener is bound; the
// list ignores it. In dev mode http is allowed and no leeway is given
// (issuer and verifier share one clock); the settings dev mode cannot
// honour (JWKS_URL, SPA_CLIENT_ID, ALLOW_MISSING_AUDIENCE, issuers:) are
// refused by Validate, never dropped here.
func (c Config) VerifierConfigs(issuer string, log *slog.Logger) []verifier.Config {
	if len(c.Issuers) > 0 {
		vcs := make([]verifier.Config, len(c.Issuers))
		for i, ic := range c.Issuers {
			vcs[i] = ic.verifierConfig(c)
			vcs[i].Logger = log
		}
		return vcs
	}
	vc := verifier.Config{
		Issuer:                 issuer,
		ClientID:               c.ClientID,
		Audiences:              []string{c.Audience},
		JWKSURL:                c.JWKSURL,
		InsecureAllowHTTP:      c.InsecureAllowHTTP,
		MaxKeyAge:              c.MaxKeyAge,
		Algorithms:             c.Algorithms,
		AllowMissingAudience:   c.AllowMissingAudience,
		RequireAccessTokenType: c.RequireAccessTokenType,
		Logger:                 log,
	}
	if c.Dev {
		vc.InsecureAllowHTTP = true
		vc.Leeway = verifier.NoLeeway
	}
	return []verifier.Config{vc}
}

// IssuerNames lists the issuers the configuration trusts, as configured
// (a template issuer keeps its {tenantid}): the issuers: list's, or Issuer.
func (c Config) IssuerNames() []string {
	if len(c.Issuers) == 0 {
		return []string{c.Issuer}
	}
	names := make([]string, len(c.Issuers))
	for i, ic := range c.Issuers {
		names[i] = ic.Issuer
	}
	return names
}

// DevAlgorithm is the algorithm dev mode's issuer signs with: the first of
// Algorithms (Validate refuses one the dev issuer cannot sign with).
func (c Config) DevAlgorithm() string {
	if len(c.Algorithms) == 0 {
		return ""
	}
	return c.Algorithms[0]
}
