package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults applied by New where a Config field is zero.
const (
	// DefaultLeeway is the clock skew tolerated on "exp", "nbf" and "iat".
	// Small on purpose: it only absorbs clock drift between issuer and us.
	DefaultLeeway = 30 * time.Second
	// DefaultMaxTokenBytes caps the size of a token, checked before any
	// parsing. Okta access tokens are about 1 KB; 16 KiB leaves room for large
	// group claims while keeping the cost of refusing garbage tiny.
	DefaultMaxTokenBytes = 16 << 10
	// DefaultFetchTimeout bounds one discovery or JWKS request.
	DefaultFetchTimeout = 5 * time.Second
	// DefaultRefreshInterval is how old the key set may grow before a
	// verification starts a background refresh.
	DefaultRefreshInterval = 15 * time.Minute
	// DefaultMinRefetchInterval is the least time between two fetches caused
	// by unknown "kid"s, so that forged kids cannot make us hammer the issuer.
	DefaultMinRefetchInterval = 5 * time.Second
	// DefaultMaxKeyAge is how long keys are used after the last fetch that
	// confirmed them, when the issuer stops answering.
	DefaultMaxKeyAge = 24 * time.Hour
	// DefaultMaxTenants bounds the tenants a template issuer keeps state
	// for.
	DefaultMaxTenants = 1000
)

// Config says which tokens a Verifier accepts. Issuer is required, and
// Audiences unless AnyAudience or AllowMissingAudience says otherwise.
type Config struct {
	// Issuer is the authorization server's issuer URL, for Okta
	// "https://{yourOktaDomain}/oauth2/default". Tokens must carry it as
	// "iss", exactly. Its discovery document locates the keys unless JWKSURL
	// is set.
	Issuer string

	// ClientID, when set, must equal the client the access token was
	// issued to: its "cid" (Okta), else "client_id" (RFC 9068), else "azp"
	// (OpenID Connect; Auth0, Keycloak, Entra ID v2). It is also the default
	// expected audience of ID tokens.
	ClientID string

	// Audiences are the accepted "aud" values of access tokens: the token's
	// "aud" (a string or an array) must hold at least one of them.
	// VerifyAccessToken's audience arguments, when given, replace this list
	// for that call. New refuses a Config without Audiences, unless
	// AnyAudience or AllowMissingAudience says how tokens are bound to this
	// API without one: with neither, every access token would be refused.
	Audiences []string

	// AnyAudience accepts access tokens whatever their "aud", when
	// Audiences is empty and the call names no audiences. Dangerous: a token
	// the issuer minted for any other API, or for any client (an ID token's
	// "aud" is its client), then passes for one of this API. Set it only
	// when every call passes its own audiences, or when the caller checks
	// the audience itself. A token without "aud" still needs
	// AllowMissingAudience. Must not be set together with Audiences.
	AnyAudience bool

	// AllowMissingAudience accepts access tokens that carry no "aud" at
	// all, for issuers that put none in them (AWS Cognito). Such a token is
	// bound to this API by its client instead, so ClientID is then required
	// and checked ("client_id", "cid" or "azp"). A token that does carry an
	// "aud" must still hold one of the expected audiences, and an empty
	// "aud" array is not a missing one.
	AllowMissingAudience bool

	// AssertClaims holds further claim assertions, as @okta/jwt-verifier's
	// assertClaims does: "name": value requires the claim to equal value
	// (a string, number or bool); "name.includes": value requires the claim
	// (an array) to contain value, or every element of value when value is a
	// []string or []any.
	AssertClaims map[string]any

	// RequireAccessTokenType refuses access tokens whose header lacks
	// "typ": "at+jwt" (RFC 9068 section 4), so that no other JWT signed by
	// the issuer's keys (an ID token, a logout token) can pass for one.
	// Off by default because Okta's access tokens carry no "typ"; without it,
	// "at+jwt", "JWT" or no "typ" are accepted and ID tokens are told apart by
	// their audience.
	RequireAccessTokenType bool

	// Algorithms is the allow-list of JWS algorithms. Default: RS256 only.
	// Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512, EdDSA. The key named by "kid" must be of the matching type.
	Algorithms []string

	// Leeway is the clock skew tolerated on time claims. Default
	// DefaultLeeway; set NoLeeway for none.
	Leeway time.Duration

	// JWKSURL, when set, is where the keys are fetched, and discovery is
	// skipped. It may have a query, as some issuers publish one (Azure AD
	// B2C: …/discovery/v2.0/keys?p=b2c_1_signin); not a fragment.
	JWKSURL string

	// HTTPClient fetches discovery documents and keys. Default: a client with
	// FetchTimeout. Redirects to another host are refused whatever the client.
	HTTPClient *http.Client

	// FetchTimeout bounds one fetch. Default DefaultFetchTimeout.
	FetchTimeout time.Duration
	// RefreshInterval: keys older than this are refreshed in the background
	// on the next verification. Default DefaultRefreshInterval.
	RefreshInterval time.Duration
	// MinRefetchInterval: least time between refetches caused by an unknown
	// "kid". Default DefaultMinRefetchInterval.
	MinRefetchInterval time.Duration
	// MaxKeyAge bounds how stale the keys may grow while the issuer does not
	// answer. Keys are kept when a fetch fails, so that an issuer outage is
	// not an API outage; but a key the issuer withdrew (say, because it
	// leaked) must not verify tokens forever because we cannot hear about
	// it. Keys that no successful fetch has confirmed for MaxKeyAge are no
	// longer used: verifications fail with ErrKeysUnavailable (the bearer
	// middleware answers 503) and Ready reports false until the issuer
	// answers again. Default DefaultMaxKeyAge; NoMaxKeyAge keeps keys for
	// ever. Must exceed RefreshInterval.
	MaxKeyAge time.Duration

	// MaxTokenBytes caps the token's length. Default DefaultMaxTokenBytes.
	MaxTokenBytes int

	// DisableCache turns off the verified-token cache. With it on (the
	// default), an access token presented again within its lifetime is
	// answered from memory, with the same answer a fresh verification gives.
	DisableCache bool
	// CacheMaxEntries bounds the cache's entries. Default
	// DefaultCacheMaxEntries.
	CacheMaxEntries int
	// CacheMaxBytes bounds the memory the cache accounts for (the claims
	// read from each token plus a fixed overhead; the cache is keyed by
	// the tokens' SHA-256). Default DefaultCacheMaxBytes. Beside it, the
	// texts of the 512 tokens most recently presented again (at most 4 KiB
	// each, 2 MiB in all) are kept so that their next use is answered
	// without hashing them.
	CacheMaxBytes int

	// InsecureAllowHTTP allows an http:// issuer and key URL. For tests and
	// local development only (the Node verifier's testing.disableHttpsCheck);
	// New logs a warning when it is set.
	InsecureAllowHTTP bool

	// Logger receives key-set events (fetches, failures, rotations) and
	// configuration warnings. Default: slog.Default().
	Logger *slog.Logger

	// Tenants lists the tenants whose tokens a template Issuer accepts: an
	// Issuer holding TenantPlaceholder ("{tenantid}") as a whole path
	// segment, as Entra ID's multi-tenant
	// "https://login.microsoftonline.com/{tenantid}/v2.0" (see NewSet). A
	// tenant is 1 to 64 of A-Z, a-z, 0-9, '.' and '-' (an Entra tenant id
	// is a GUID), compared exactly with the token's and with its "tid".
	// A template needs Tenants or AnyTenant; other issuers need neither.
	Tenants []string
	// AnyTenant makes a template Issuer accept tokens of every tenant.
	// Dangerous: with Entra ID, anyone can create a tenant, so any tenant
	// in the world can then mint tokens this API accepts, unless
	// Audiences (an audience only your app registration has), ClientID or
	// AssertClaims tie them to yours, or the caller checks "tid" itself.
	// Never the default; must not be set together with Tenants.
	AnyTenant bool
	// MaxTenants bounds, with AnyTenant, the tenants a template Issuer
	// keeps state for (each tenant's issuer, about 200 bytes with its
	// text; the least recently seen is forgotten first, and is met again
	// at the cost of one entry). Default DefaultMaxTenants.
	MaxTenants int

	// Introspection, when set, makes the issuer's introspection endpoint
	// (RFC 7662) the judge of the tokens that are not JWTs (opaque, or
	// reference, tokens: see VerifyAccessToken), and of every token given
	// to IntrospectAccessToken. Nil: opaque tokens are refused as
	// malformed, and nothing is ever sent to the issuer but requests for
	// its metadata and keys.
	Introspection *Introspection

	// Now is the clock. Default: time.Now. Tests set it to check expiry
	// without sleeping.
	Now func() time.Time
}

// NoLeeway, as Config.Leeway, asks for no clock skew tolerance at all (a zero
// Leeway means DefaultLeeway).
const NoLeeway time.Duration = -1

// NoMaxKeyAge, as Config.MaxKeyAge, keeps the last keys fetched for as long
// as the issuer does not answer (a zero MaxKeyAge means DefaultMaxKeyAge).
const NoMaxKeyAge time.Duration = -1

// SupportedAlgorithms lists the JWS algorithms Config.Algorithms may name.
func SupportedAlgorithms() []string { return slices.Clone(algorithmNames) }

var algorithmNames = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

var supportedAlgorithms = func() map[string]bool {
	m := make(map[string]bool, len(algorithmNames))
	for _, a := range algorithmNames {
		m[a] = true
	}
	return m
}()

// Validate reports whether New would accept c, without fetching anything:
// every problem found, each a *ConfigError, joined with errors.Join
// (errors.As finds the first); nil when c can work. Its rules are New's, so
// that a program that reads its settings elsewhere checks them by the same
// rules before it starts. Its messages say what to put in the field, because
// the usual cause is a sample configuration that still holds its
// placeholders.
func (c Config) Validate() error {
	errs := checkIssuer(c.Issuer, c.InsecureAllowHTTP)
	errs = append(errs, checkFields(c)...)
	errs = append(errs, checkTenancy(c)...)
	errs = append(errs, checkIntrospection(c)...)
	d := withDefaults(c)
	if d.MaxKeyAge > 0 && d.MaxKeyAge <= d.RefreshInterval {
		errs = append(errs, &ConfigError{Field: "MaxKeyAge", Value: d.MaxKeyAge.String(),
			Problem: fmt.Sprintf("is not longer than RefreshInterval (%s)", d.RefreshInterval),
			Fix:     fmt.Sprintf("make it longer than RefreshInterval (%s), or the keys expire before they are refreshed; NoMaxKeyAge removes the bound", d.RefreshInterval)})
	}
	// Checked after every other field, so that the first error named is
	// the field most likely wrong (a placeholder, an algorithm).
	if len(c.Audiences) == 0 && !c.AnyAudience && !c.AllowMissingAudience {
		errs = append(errs, &ConfigError{Field: "Audiences", Problem: "is empty", Fix: "set it to the audience your API's access tokens carry, e.g. api://default: " +
			"without one every access token is refused (set AnyAudience only if every call passes its own audiences, or you check the audience yourself)"})
	}
	return errors.Join(errs...)
}

// checkConfig refuses a configuration that cannot work (see Validate) and
// fills defaults.
func checkConfig(c Config) (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	return withDefaults(c), nil
}

// checkIssuer refuses an issuer identifier that no issuer can have, or that
// still holds the sample's placeholder.
func checkIssuer(issuer string, allowHTTP bool) []error {
	if issuer == "" {
		return []error{&ConfigError{Field: "Issuer", Problem: "is not set", Fix: "set it to your authorization server's issuer URL, e.g. https://dev-123456.okta.com/oauth2/default"}}
	}
	if isTemplate(issuer) {
		return checkTemplateIssuer(issuer, allowHTTP)
	}
	if lower := strings.ToLower(issuer); strings.Contains(lower, "{tid}") || strings.Contains(lower, "{tenant") {
		return []error{&ConfigError{Field: "Issuer", Value: issuer, Problem: "holds a tenant placeholder other than " + TenantPlaceholder,
			Fix: "write the tenant's place as " + TenantPlaceholder + ", once, e.g. https://login.microsoftonline.com/{tenantid}/v2.0, or put the tenant id there"}}
	}
	if strings.ContainsAny(issuer, "{}") {
		return []error{&ConfigError{Field: "Issuer", Value: issuer, Problem: "still holds the sample's placeholder",
			Fix: "replace the placeholder with your Okta domain, e.g. https://dev-123456.okta.com/oauth2/default (the Okta Admin Console shows it under Security > API > Authorization Servers)"}}
	}
	if err := checkURL("Issuer", issuer, allowHTTP, false); err != nil {
		return []error{err}
	}
	if u, _ := url.Parse(issuer); strings.Contains(strings.ToLower(u.Hostname()), "-admin.") {
		return []error{&ConfigError{Field: "Issuer", Value: issuer, Problem: "names the Okta Admin Console's domain, which issues no tokens",
			Fix: "use your Okta org's domain without \"-admin\", e.g. https://dev-123456.okta.com/oauth2/default"}}
	}
	return nil
}

// checkFields checks the fields whose rules do not depend on defaults.
func checkFields(c Config) []error {
	var errs []error
	if strings.ContainsAny(c.ClientID, "{}") {
		errs = append(errs, &ConfigError{Field: "ClientID", Value: c.ClientID, Problem: "still holds the sample's placeholder",
			Fix: "replace the placeholder with your application's client id (Okta Admin Console > Applications > your app > General), or leave it empty to skip the cid check"})
	}
	if c.JWKSURL != "" {
		if err := checkURL("JWKSURL", c.JWKSURL, c.InsecureAllowHTTP, true); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, checkAudiences(c)...)
	for _, a := range c.Algorithms {
		if !supportedAlgorithms[a] {
			errs = append(errs, &ConfigError{Field: "Algorithms", Value: a, Problem: "is not a supported asymmetric JWS algorithm",
				Fix: "use asymmetric JWS algorithms only: " + strings.Join(algorithmNames, ", ") + " (names are case-sensitive; HMAC and none are never accepted)"})
		}
	}
	if c.AllowMissingAudience && c.ClientID == "" {
		errs = append(errs, &ConfigError{Field: "ClientID", Problem: "is empty, and AllowMissingAudience needs it",
			Fix: "set it to the client (app client id) the tokens are issued to: with AllowMissingAudience, the client is what binds a token without \"aud\" to this API"})
	}
	for name, want := range c.AssertClaims {
		if err := checkAssertion(name, want); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// checkAudiences checks Audiences and AnyAudience.
func checkAudiences(c Config) []error {
	var errs []error
	for _, a := range c.Audiences {
		switch {
		case a == "":
			errs = append(errs, &ConfigError{Field: "Audiences", Problem: "holds an empty audience", Fix: "remove the empty audience; use your API's identifier, e.g. api://default"})
		case strings.ContainsAny(a, "{}"):
			errs = append(errs, &ConfigError{Field: "Audiences", Value: a, Problem: "still holds a placeholder", Fix: "use your API's audience, e.g. api://default"})
		}
	}
	if c.AnyAudience && len(c.Audiences) > 0 {
		errs = append(errs, &ConfigError{Field: "AnyAudience", Value: "true", Fix: "unset it, or empty Audiences: AnyAudience accepts any audience, Audiences lists the accepted ones"})
	}
	return errs
}

// withDefaults fills the zero fields with their defaults.
func withDefaults(c Config) Config {
	if len(c.Algorithms) == 0 {
		c.Algorithms = []string{"RS256"}
	}
	switch {
	case c.Leeway == 0:
		c.Leeway = DefaultLeeway
	case c.Leeway < 0:
		c.Leeway = 0
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = DefaultFetchTimeout
	}
	if c.RefreshInterval <= 0 {
		c.RefreshInterval = DefaultRefreshInterval
	}
	if c.MinRefetchInterval <= 0 {
		c.MinRefetchInterval = DefaultMinRefetchInterval
	}
	switch {
	case c.MaxKeyAge == 0:
		c.MaxKeyAge = DefaultMaxKeyAge
	case c.MaxKeyAge < 0:
		c.MaxKeyAge = 0 // no bound
	}
	if c.CacheMaxEntries <= 0 {
		c.CacheMaxEntries = DefaultCacheMaxEntries
	}
	if c.CacheMaxBytes <= 0 {
		c.CacheMaxBytes = DefaultCacheMaxBytes
	}
	if c.MaxTokenBytes <= 0 {
		c.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if c.MaxTenants <= 0 {
		c.MaxTenants = DefaultMaxTenants
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.FetchTimeout}
	}
	if c.Introspection != nil {
		in := c.Introspection.withDefaults()
		c.Introspection = &in // a copy: the caller's stays its own
	}
	return c
}

// checkURL checks an issuer identifier (query false) or a key URL (query
// true): an absolute http(s) URL without user name or password. An issuer
// has neither query nor fragment (RFC 8414 §2); a JWKS URL may have a query,
// since issuers publish some with one (Azure AD B2C names its policy in
// ?p=), but a fragment is never sent to the server and so never part of a
// URL that is fetched.
func checkURL(field, raw string, allowHTTP, query bool) error {
	bad := func(problem, fix string) error {
		return &ConfigError{Field: field, Value: raw, Problem: problem, Fix: fix}
	}
	const example = "https://dev-123456.okta.com/oauth2/default"
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return bad("is not a URL", "use an absolute https URL, e.g. "+example)
	case u.Scheme == "" || u.Opaque != "" || (u.Scheme == "https" || u.Scheme == "http") && u.Host == "":
		return bad("is not an absolute URL", "use an absolute URL that starts with https://, e.g. "+example)
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("is not an http(s) URL", "use an absolute https URL, e.g. "+example)
	case u.User != nil:
		// The value is shown without them: a password in an error would
		// end up in logs.
		return &ConfigError{Field: field, Value: u.Redacted(), Problem: "holds a user name or password",
			Fix: "write the URL without credentials, e.g. " + example}
	case strings.ContainsRune(raw, '#'):
		return bad("has a fragment", "remove the fragment (\"#...\")")
	case !query && (u.RawQuery != "" || u.ForceQuery):
		return bad("has a query", "remove the query (\"?...\"): an issuer identifier has none (RFC 8414 §2)")
	case u.Scheme == "http" && !allowHTTP:
		return bad("uses http, not https", "use https; for local testing only, set InsecureAllowHTTP to true")
	}
	return nil
}

func checkAssertion(name string, want any) error {
	claim, includes := strings.CutSuffix(name, ".includes")
	if claim == "" {
		return &ConfigError{Field: "AssertClaims", Value: name, Fix: "name a claim, e.g. \"groups.includes\": \"Admins\""}
	}
	switch w := want.(type) {
	case string, bool, float64, int, int64, json.Number:
		return nil
	case []string, []any:
		if includes {
			return nil
		}
		_ = w
	}
	return &ConfigError{Field: "AssertClaims", Value: name, Problem: "is not a claim value", Fix: fmt.Sprintf("use a string, number or bool (or a list of them with %q); got %T", claim+".includes", want)}
}

// checkTemplateIssuer checks a template issuer: its placeholder is a whole
// path segment, and with a tenant in its place it is an issuer.
func checkTemplateIssuer(issuer string, allowHTTP bool) []error {
	prefix, suffix, _ := strings.Cut(issuer, TenantPlaceholder)
	u, err := url.Parse(prefix)
	if err != nil || u.Host == "" || !strings.HasSuffix(prefix, "/") || suffix != "" && suffix[0] != '/' {
		return []error{&ConfigError{Field: "Issuer", Value: issuer, Problem: TenantPlaceholder + " is not a whole segment of the path",
			Fix: "put " + TenantPlaceholder + " in the path, alone between slashes, e.g. https://login.microsoftonline.com/{tenantid}/v2.0"}}
	}
	if errs := checkIssuer(prefix+"00000000-0000-0000-0000-000000000000"+suffix, allowHTTP); len(errs) > 0 {
		for _, e := range errs {
			if ce, ok := e.(*ConfigError); ok {
				ce.Value = issuer
			}
		}
		return errs
	}
	return nil
}

// checkTenancy checks the fields of template issuers: JWKSURL, Tenants,
// AnyTenant, MaxTenants.
func checkTenancy(c Config) []error {
	if !isTemplate(c.Issuer) {
		if len(c.Tenants) > 0 || c.AnyTenant {
			return []error{&ConfigError{Field: "Tenants", Problem: "is set, but Issuer holds no " + TenantPlaceholder,
				Fix: "unset Tenants and AnyTenant, or write the Issuer as a template, e.g. https://login.microsoftonline.com/{tenantid}/v2.0"}}
		}
		return nil
	}
	var errs []error
	if c.JWKSURL == "" || strings.ContainsAny(c.JWKSURL, "{}") {
		errs = append(errs, &ConfigError{Field: "JWKSURL", Value: c.JWKSURL, Problem: "is needed by a template Issuer, without placeholder",
			Fix: "set it to the key set all tenants share, e.g. https://login.microsoftonline.com/common/discovery/v2.0/keys: a template issuer has no discovery document"})
	}
	switch {
	case c.AnyTenant && len(c.Tenants) > 0:
		errs = append(errs, &ConfigError{Field: "AnyTenant", Value: "true", Fix: "unset it, or empty Tenants: AnyTenant accepts any tenant, Tenants lists the accepted ones"})
	case !c.AnyTenant && len(c.Tenants) == 0:
		errs = append(errs, &ConfigError{Field: "Tenants", Problem: "is empty, and the Issuer is a template",
			Fix: "list the tenant ids (the tokens' tid) whose tokens are accepted; AnyTenant accepts every tenant, which lets anyone who creates a tenant mint accepted tokens"})
	}
	for _, t := range c.Tenants {
		if !validTenant(t) {
			errs = append(errs, &ConfigError{Field: "Tenants", Value: t, Problem: "is not a tenant id",
				Fix: "use the tenant id as the tokens' tid has it: 1 to 64 of A-Z, a-z, 0-9, '.' and '-', e.g. a GUID"})
		}
	}
	if c.MaxTenants < 0 {
		errs = append(errs, &ConfigError{Field: "MaxTenants", Value: fmt.Sprint(c.MaxTenants), Problem: "is negative", Fix: "leave it 0 for DefaultMaxTenants, or give the bound"})
	}
	return errs
}
