package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/resource-server/resource-server/internal/scope"
	"github.com/resource-server/resource-server/verifier"
)

// report collects Validate's problems.
type report struct {
	c    Config
	errs []error
}

// bad reports a problem with the setting name (as in Error.Field).
func (r *report) bad(name, value, problem, fix string) {
	r.errs = append(r.errs, &Error{Field: name, Value: value, Source: r.c.sources[name], Problem: problem, Fix: fix})
}

// places names where the setting name can be set (see Config.Places).
func (r *report) places(name string) string { return r.c.Places(name) }

// Validate checks a configuration and reports every problem found, each an
// *Error, joined with errors.Join; nil when the configuration can run. Load
// calls it. Each setting's own checks come first, then the verifier's rules
// (verifier.Config.Validate on what VerifierConfigs builds), whose
// *verifier.ConfigError is named by the setting the user wrote (Issuer →
// ISSUER). In dev mode Issuer must be empty (the embedded issuer is used)
// and the https check does not apply.
func (c Config) Validate() error {
	r := &report{c: c}
	for _, s := range settings {
		if s.check != nil {
			s.check(c, r)
		}
	}
	c.validateRoutes(r)
	own := map[string]bool{}
	for _, err := range r.errs {
		own[err.(*Error).Field] = true
	}
	if len(c.Issuers) > 0 {
		c.validateIssuers(r, own)
		return errors.Join(r.errs...)
	}
	issuer := c.Issuer
	if c.Dev {
		issuer = "http://" + net.JoinHostPort("localhost", strconv.Itoa(c.Port)) + "/oauth2/default"
	}
	if err := c.VerifierConfigs(issuer, nil)[0].Validate(); err != nil {
		for _, e := range unjoin(err) {
			if m := c.fromVerifier(e); m != nil && !own[m.Field] {
				r.errs = append(r.errs, m)
			}
		}
	}
	return errors.Join(r.errs...)
}

// verifierWords matches the verifier.Config field names a library message
// may mention.
var verifierWords = regexp.MustCompile(`\b(Issuer|ClientID|Audiences|JWKSURL|InsecureAllowHTTP|MaxKeyAge|NoMaxKeyAge|Algorithms|AllowMissingAudience|RequireAccessTokenType)\b`)

// VerifierError names the setting behind an error of the verifier built
// from c: a *verifier.ConfigError (at construction, or one the issuer's
// answers reveal later, such as an issuer that differs from ISSUER only by
// a trailing slash) becomes an *Error naming the variable, flag and file key
// to change; any other error is returned as it is.
func (c Config) VerifierError(err error) error {
	var ce *verifier.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	if len(c.Issuers) > 0 {
		i := ce.Position - 1              // verifier.NewSet's position, from 1
		if i < 0 || i >= len(c.Issuers) { // an error found later, e.g. by Refresh: named by its issuer
			i = slices.IndexFunc(c.Issuers, func(ic IssuerConfig) bool {
				return ic.Issuer == ce.Issuer || ce.Field == "Issuer" && ic.Issuer == ce.Value
			})
		}
		if i >= 0 {
			return c.fromVerifierEntry(c.Issuers[i], err)
		}
	}
	return c.fromVerifier(err)
}

// fromVerifier maps the library's *verifier.ConfigError to an *Error on the
// setting the user wrote, its Fix naming settings instead of fields.
func (c Config) fromVerifier(err error) *Error {
	var ce *verifier.ConfigError
	if !errors.As(err, &ce) {
		return &Error{Field: "verifier", Problem: "refuses the configuration", Fix: err.Error(), Err: err}
	}
	words := func(text string) string {
		return verifierWords.ReplaceAllStringFunc(text, func(w string) string {
			if w == "NoMaxKeyAge" {
				return "none"
			}
			if s := settingByField(w); s != nil {
				return s.places(c.file())
			}
			return w
		})
	}
	name, problem := ce.Field, ce.Problem
	if s := settingByField(ce.Field); s != nil {
		name = s.name()
	}
	if problem == "" {
		problem = "is refused"
	}
	value := ce.Value
	if name == "KEYS_MAX_AGE" && c.MaxKeyAge > 0 {
		value = shortDuration(c.MaxKeyAge)
	}
	return &Error{Field: name, Value: value, Source: c.sources[name], Problem: words(problem),
		Fix: "in " + c.Places(name) + ", " + words(ce.Fix), Err: err}
}

const exampleIssuer = "https://dev-123456.okta.com/oauth2/default"

func checkIssuer(c Config, r *report) {
	if c.issuersSource.Kind != SourceUnknown {
		checkShorthand(c, r)
		return
	}
	switch {
	case c.Dev && c.Issuer != "":
		r.bad("ISSUER", c.Issuer, "is set together with --dev",
			"--dev runs its own issuer; unset "+r.places("ISSUER")+" or drop --dev")
	case !c.Dev && c.Issuer == "":
		problem := "is not set"
		if c.sources["ISSUER"].Kind == SourceFlag {
			problem = "is empty"
		}
		r.bad("ISSUER", "", problem, "set "+r.places("ISSUER")+" to your authorization server's issuer, e.g. "+exampleIssuer+
			", or run with --dev to use the embedded development issuer")
	}
}

// devRefuses reports a setting that dev mode cannot honour.
func devRefuses(c Config, r *report, name, value, why string) {
	if c.Dev {
		r.bad(name, value, "is set together with --dev", why+"; unset "+r.places(name)+" or drop --dev")
	}
}

func checkClientID(c Config, r *report) {
	if c.ClientID != "" && c.issuersSource.Kind == SourceUnknown {
		devRefuses(c, r, "SPA_CLIENT_ID", c.ClientID, "dev mode's issuer mints tokens for two clients (the curl line's and the front-end's), and asserting one would refuse the other's")
	}
}

func checkAudience(c Config, r *report) {
	if c.Audience == "" {
		r.bad("AUDIENCE", "", "is empty", "set "+r.places("AUDIENCE")+" to your API's audience, e.g. api://default (the default)")
	}
}

func checkJWKSURL(c Config, r *report) {
	if c.JWKSURL != "" && c.issuersSource.Kind == SourceUnknown {
		devRefuses(c, r, "JWKS_URL", c.JWKSURL, "--dev serves its own keys")
	}
}

func checkAlgorithms(c Config, r *report) {
	if len(c.Algorithms) == 0 {
		r.bad("ALGORITHMS", "", "is empty", "set "+r.places("ALGORITHMS")+" to the algorithms your issuer signs with, e.g. RS256")
		return
	}
	if first := c.Algorithms[0]; c.Dev && !slices.Contains(devAlgorithms, first) && slices.Contains(verifier.SupportedAlgorithms(), first) {
		r.bad("ALGORITHMS", first, "is not an algorithm the --dev issuer signs with",
			"with --dev the issuer signs with the first of "+r.places("ALGORITHMS")+": put one of "+strings.Join(devAlgorithms, ", ")+" first")
	}
}

func checkAllowMissingAudience(c Config, r *report) {
	if c.AllowMissingAudience {
		devRefuses(c, r, "ALLOW_MISSING_AUDIENCE", "true", "dev mode's tokens always carry \"aud\", and it takes no SPA_CLIENT_ID to bind tokens without one")
	}
}

func checkMaxKeyAge(c Config, r *report) {
	if c.MaxKeyAge < 0 && c.MaxKeyAge != verifier.NoMaxKeyAge {
		r.bad("KEYS_MAX_AGE", c.MaxKeyAge.String(), "is negative",
			"set "+r.places("KEYS_MAX_AGE")+" to a duration such as 24h or 168h, or none to keep the keys for as long as the issuer is down")
	}
}

func checkPort(c Config, r *report)         { checkPortValue(r, "PORT", c.Port) }
func checkFrontendPort(c Config, r *report) { checkPortValue(r, "FRONTEND_PORT", c.FrontendPort) }

func checkPortValue(r *report, name string, p int) {
	if p < 1 || p > 65535 {
		example := settingByName(name).def
		if example == "" {
			example = "9090"
		}
		r.bad(name, strconv.Itoa(p), "is out of range", "set "+r.places(name)+" to a port from 1 to 65535, e.g. "+example)
		return
	}
	if name == "FRONTEND_PORT" && r.c.Dev && r.c.Port == p {
		r.bad("FRONTEND_PORT", strconv.Itoa(p), "is the API's port too",
			"in dev mode the front-end has an origin of its own: set "+r.places("FRONTEND_PORT")+" or "+r.places("PORT")+" to another port")
	}
}

func checkAdminPort(c Config, r *report) {
	if c.AdminPort == 0 {
		return
	}
	checkPortValue(r, "ADMIN_PORT", c.AdminPort)
	if c.AdminPort == c.Port || c.Dev && c.AdminPort == c.FrontendPort {
		r.bad("ADMIN_PORT", strconv.Itoa(c.AdminPort), "is the port of another listener",
			"set "+r.places("ADMIN_PORT")+" to a port of its own, e.g. 9090, or unset it for no admin listener")
	}
}

func checkAdminHost(c Config, r *report) {
	if problem, fix := checkHost(c.AdminHost); problem != "" {
		r.bad("ADMIN_HOST", c.AdminHost, problem, fmt.Sprintf(fix, r.places("ADMIN_HOST")))
	}
}

func checkHostSetting(c Config, r *report) {
	if problem, fix := checkHost(c.Host); problem != "" {
		r.bad("HOST", c.Host, problem, fmt.Sprintf(fix, r.places("HOST")))
	}
}

func checkPublicURL(c Config, r *report) {
	if c.PublicURL == "" {
		return
	}
	problem := publicURLProblem(c.PublicURL)
	if problem != "" {
		r.bad("PUBLIC_URL", c.PublicURL, problem, "set "+r.places("PUBLIC_URL")+" to the base URL clients reach the API at, an absolute http(s) URL without credentials, query or fragment, e.g. https://api.example.com"+
			", or leave it unset to derive it from each request's Host")
	}
}

// publicURLProblem checks PUBLIC_URL, which is not the verifier's: the
// server's own base URL, http allowed, quoted into challenges.
func publicURLProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return "is not a URL"
	case u.Scheme == "" || u.Opaque != "" || (u.Scheme == "https" || u.Scheme == "http") && u.Host == "":
		return "is not an absolute URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "is not an http(s) URL"
	case u.User != nil:
		return "holds a user name or password"
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.Contains(raw, "#"):
		return "has a query or fragment"
	case strings.ContainsAny(raw, `"\`):
		return "holds a '\"' or '\\', which must be percent-encoded"
	}
	return ""
}

func checkCORS(c Config, r *report) {
	if len(c.CORSAllowedOrigins) == 0 {
		r.bad("CORS_ALLOWED_ORIGINS", "", "is empty", "set "+r.places("CORS_ALLOWED_ORIGINS")+
			" to a comma-separated list of origins, e.g. https://app.example.com,http://localhost:8080, or * for any origin")
	}
	for _, o := range c.CORSAllowedOrigins {
		if problem := checkOrigin(o); problem != "" {
			r.bad("CORS_ALLOWED_ORIGINS", o, problem, "list origins as browsers send them, scheme://host[:port] without a path or trailing slash, e.g. https://app.example.com,http://localhost:8080, or * for any origin")
		}
	}
}

func checkScopes(c Config, r *report) {
	for _, s := range c.RequiredScopes {
		if !scope.Valid(s) {
			r.bad("REQUIRED_SCOPES", s, "is not a scope token",
				"set "+r.places("REQUIRED_SCOPES")+" to comma-separated scopes without spaces, quotes or backslashes, e.g. messages:read,messages:write")
		}
	}
}

func checkDevTokenLifetime(c Config, r *report) {
	if c.DevTokenLifetime < 0 {
		r.bad("DEV_TOKEN_LIFETIME", c.DevTokenLifetime.String(), "is negative", "set "+r.places("DEV_TOKEN_LIFETIME")+" to a positive duration, e.g. 5m, or leave it unset for the dev server's default")
	}
}

func checkLogLevel(c Config, r *report) {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		r.bad("LOG_LEVEL", c.LogLevel, "is not a log level", "set "+r.places("LOG_LEVEL")+" to debug, info, warn or error")
	}
}

func checkLogFormat(c Config, r *report) {
	if c.LogFormat != "text" && c.LogFormat != "json" {
		r.bad("LOG_FORMAT", c.LogFormat, "is not a log format", "set "+r.places("LOG_FORMAT")+" to text or json")
	}
}

func checkShutdownTimeout(c Config, r *report) {
	if c.ShutdownTimeout <= 0 {
		r.bad("SHUTDOWN_TIMEOUT", c.ShutdownTimeout.String(), "is not positive", "set "+r.places("SHUTDOWN_TIMEOUT")+" to a positive duration, e.g. 10s")
	}
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
