package devissuer

import (
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/resource-server/resource-server/internal/scope"
)

// Defaults of [Options]. They match what Okta's samples use, so that a
// front-end or resource server configured for the samples works unchanged.
const (
	DefaultAudience      = "api://default"
	DefaultClientID      = "dev-client"
	DefaultClientSecret  = "dev-secret"
	DefaultSPAClientID   = "dev-spa"
	DefaultRedirectURI   = "http://localhost:8080/login/callback"
	DefaultUsername      = "demo"
	DefaultPassword      = "demo"
	DefaultTokenLifetime = time.Hour
	DefaultAlgorithm     = "RS256"
	// DefaultIssuerPath is Okta's path of the "default" custom authorization
	// server; StartServer uses it when Options.Issuer is empty.
	DefaultIssuerPath = "/oauth2/default"
)

// ErrUnknownKey is returned (wrapped) when a key ID names no key of the issuer.
var ErrUnknownKey = errors.New("devissuer: unknown key ID")

// Options configures an [Issuer]. The zero value of every field except Issuer
// selects a default, so tests only spell out what they care about.
type Options struct {
	// Issuer is the full issuer URL, e.g. "http://127.0.0.1:8000/oauth2/default",
	// exactly as it appears in the iss claim and in discovery. Required by
	// New; StartServer replaces scheme, host and port with its own listener
	// and keeps only the path.
	Issuer string
	// Audience is the aud of access tokens; default "api://default".
	Audience string
	// ClientID and ClientSecret identify the confidential client that may use
	// the client_credentials grant; defaults "dev-client" / "dev-secret".
	ClientID     string
	ClientSecret string
	// SPAClientID is the public client that may use authorization_code with
	// PKCE S256; default "dev-spa".
	SPAClientID string
	// RedirectURIs are the exact redirect URIs allowed for the SPA client;
	// their origins are also the allowed post-logout redirect origins.
	// Default ["http://localhost:8080/login/callback"].
	RedirectURIs []string
	// Username and Password are the demo user's credentials on the login
	// page; defaults "demo" / "demo".
	Username, Password string
	// Scopes are granted when a client asks for none, and are the scp of
	// AccessTokenClaims; default ["openid","profile","email"].
	Scopes []string
	// SupportedScopes are the scopes a client may request besides Scopes;
	// a request for any other scope fails with invalid_scope.
	SupportedScopes []string
	// TokenLifetime is the lifetime of access and ID tokens; default 1h.
	TokenLifetime time.Duration
	// Algorithm is the signing algorithm of the initial key and of keys made
	// by RotateKey: RS256 (default), PS256, ES256 or EdDSA.
	Algorithm string
	// AllowNonLoopback lets New accept an issuer whose host is not a loopback
	// address. Without it a misconfigured deployment cannot silently expose a
	// server whose only password is "demo".
	AllowNonLoopback bool
	// Logger receives the start-up warning and request errors; default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock for iat, exp and code expiry, so tests can move time
	// without sleeping; default time.Now.
	Now func() time.Time
	// IntrospectionJWT makes the introspection endpoint answer with an RFC
	// 9701 signed JWT (typ token-introspection+jwt) when the client
	// accepts one; without it, the endpoint answers JSON (RFC 7662).
	IntrospectionJWT bool
}

// Issuer is a development authorization server. It is safe for concurrent
// use; its methods let tests mint tokens and manage keys while its
// [Issuer.Handler] serves the same keys to the code under test.
type Issuer struct {
	opts      Options
	issuerURL *url.URL
	path      string // issuer path without trailing slash; "" for a root issuer
	scopes    []string
	supported []string

	mu       sync.Mutex
	keys     map[string]*signingKey
	keyOrder []string // publication order, so the JWKS is stable
	current  string
	codes    map[string]*authCode
	logins   map[string]*loginRequest
	counters map[string]int64

	userinfo http.Handler   // see newUserinfoHandler
	intro    *introspection // see newIntrospection
}

// New checks opts, fills in defaults, generates the initial signing key and
// logs a warning that the server is for development only.
func New(opts Options) (*Issuer, error) {
	u, err := checkIssuerURL(opts.Issuer, opts.AllowNonLoopback)
	if err != nil {
		return nil, err
	}
	opts = withDefaults(opts)
	if err := checkClients(opts); err != nil {
		return nil, err
	}
	i := &Issuer{
		opts:      opts,
		issuerURL: u,
		path:      u.Path,
		scopes:    slices.Clone(opts.Scopes),
		supported: slices.Clone(opts.Scopes),
		keys:      map[string]*signingKey{},
		codes:     map[string]*authCode{},
		logins:    map[string]*loginRequest{},
		counters:  map[string]int64{},
	}
	for _, s := range opts.SupportedScopes {
		if !slices.Contains(i.supported, s) {
			i.supported = append(i.supported, s)
		}
	}
	if i.current, err = i.AddKey(opts.Algorithm); err != nil {
		return nil, err
	}
	if i.userinfo, err = i.newUserinfoHandler(); err != nil {
		return nil, fmt.Errorf("devissuer: the userinfo endpoint's verifier: %w", err)
	}
	if i.intro, err = i.newIntrospection(); err != nil {
		return nil, fmt.Errorf("devissuer: the introspection endpoint's verifier: %w", err)
	}
	opts.Logger.Warn("development authorization server: for development and tests only",
		"issuer", opts.Issuer, "user", opts.Username, "client_id", opts.ClientID, "spa_client_id", opts.SPAClientID)
	return i, nil
}

// checkIssuerURL checks Options.Issuer: an http(s) URL that can be an
// issuer identifier (RFC 8414 §2), on loopback unless allowNonLoopback.
func checkIssuerURL(issuer string, allowNonLoopback bool) (*url.URL, error) {
	if issuer == "" {
		return nil, errors.New("devissuer: Options.Issuer is required, e.g. \"http://127.0.0.1:8000/oauth2/default\"")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("devissuer: Options.Issuer %q is not a URL: %w", issuer, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("devissuer: Options.Issuer %q must use http or https, found scheme %q", issuer, u.Scheme)
	case u.Host == "":
		return nil, fmt.Errorf("devissuer: Options.Issuer %q has no host", issuer)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("devissuer: Options.Issuer %q must not carry a query, fragment or user info (RFC 8414 §2)", issuer)
	case strings.HasSuffix(u.Path, "/"):
		return nil, fmt.Errorf("devissuer: Options.Issuer %q must not end with '/': the iss claim is compared exactly, use %q", issuer, strings.TrimRight(issuer, "/"))
	case !allowNonLoopback && !isLoopbackHost(u.Hostname()):
		return nil, fmt.Errorf("devissuer: Options.Issuer %q is not on a loopback address (127.0.0.0/8, ::1, localhost); set AllowNonLoopback to expose a development server deliberately", issuer)
	}
	return u, nil
}

// withDefaults fills the zero fields of opts but Issuer with their
// defaults, and clones the slices so the caller's stay its own.
func withDefaults(opts Options) Options {
	set := func(field *string, def string) {
		if *field == "" {
			*field = def
		}
	}
	set(&opts.Audience, DefaultAudience)
	set(&opts.ClientID, DefaultClientID)
	set(&opts.ClientSecret, DefaultClientSecret)
	set(&opts.SPAClientID, DefaultSPAClientID)
	set(&opts.Username, DefaultUsername)
	set(&opts.Password, DefaultPassword)
	set(&opts.Algorithm, DefaultAlgorithm)
	if len(opts.RedirectURIs) == 0 {
		opts.RedirectURIs = []string{DefaultRedirectURI}
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = []string{"openid", "profile", "email"}
	}
	opts.RedirectURIs = slices.Clone(opts.RedirectURIs)
	opts.Scopes = slices.Clone(opts.Scopes)
	opts.SupportedScopes = slices.Clone(opts.SupportedScopes)
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts
}

// checkClients checks what the clients are given, defaults filled in: two
// distinct clients, absolute redirect URIs, valid scope-tokens.
func checkClients(opts Options) error {
	if opts.ClientID == opts.SPAClientID {
		return fmt.Errorf("devissuer: ClientID and SPAClientID are both %q; the confidential and the public client need distinct IDs", opts.ClientID)
	}
	for _, r := range opts.RedirectURIs {
		ru, err := url.Parse(r)
		if err != nil || !ru.IsAbs() || ru.Host == "" || ru.Fragment != "" {
			return fmt.Errorf("devissuer: redirect URI %q must be an absolute URL without fragment (RFC 6749 §3.1.2)", r)
		}
	}
	for _, s := range append(slices.Clone(opts.Scopes), opts.SupportedScopes...) {
		if err := scope.Check(s); err != nil {
			return fmt.Errorf("devissuer: scope %q is not a valid scope token: %v; %s", s, err, scope.Syntax)
		}
	}
	return nil
}

// isLoopbackHost accepts what cannot be reached from another machine. Names
// other than "localhost" are refused even if they resolve to loopback today,
// because resolution can change after the check.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the issuer identifier: the value of iss and the base of every
// endpoint.
func (i *Issuer) URL() string { return i.opts.Issuer }

// Options returns the effective options, defaults filled in, so a caller
// such as the --dev banner can print the credentials actually in force
// rather than guessing the defaults.
func (i *Issuer) Options() Options {
	o := i.opts
	o.RedirectURIs = slices.Clone(o.RedirectURIs)
	o.Scopes = slices.Clone(o.Scopes)
	o.SupportedScopes = slices.Clone(o.SupportedScopes)
	return o
}

// endpoint returns the absolute URL of a path under the issuer.
func (i *Issuer) endpoint(suffix string) string { return i.opts.Issuer + suffix }

// AccessTokenClaims returns a fresh map of the default access-token claims
// (the demo user as sub, the confidential client as cid and client_id, the
// default Scopes), so a test can edit it freely before calling Sign.
func (i *Issuer) AccessTokenClaims() map[string]any {
	return i.accessTokenClaims(i.opts.ClientID, i.opts.Username, i.scopes)
}

func (i *Issuer) accessTokenClaims(clientID, sub string, scopes []string) map[string]any {
	now := i.opts.Now()
	return map[string]any{
		"iss":       i.opts.Issuer,
		"aud":       i.opts.Audience,
		"sub":       sub,
		"cid":       clientID,
		"client_id": clientID,
		"scp":       slices.Clone(scopes),
		"scope":     strings.Join(scopes, " "),
		"iat":       now.Unix(),
		"exp":       now.Add(i.opts.TokenLifetime).Unix(),
		"jti":       "AT." + randomID(18),
	}
}

// MintAccessToken signs AccessTokenClaims with overrides applied. A nil
// value in overrides deletes the claim, so tests can produce tokens that lack
// exp, aud and so on.
func (i *Issuer) MintAccessToken(overrides map[string]any) (string, error) {
	claims := i.AccessTokenClaims()
	for k, v := range overrides {
		if v == nil {
			delete(claims, k)
			continue
		}
		claims[k] = v
	}
	return i.Sign(nil, claims)
}

// CurrentKeyID returns the kid of the key that Sign and the token endpoint
// use.
func (i *Issuer) CurrentKeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.current
}

// PublicKey returns the public key of kid, published or retired, or nil when
// there is no such key; tests use it to verify tokens without HTTP.
func (i *Issuer) PublicKey(kid string) crypto.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	k, ok := i.keys[kid]
	if !ok {
		return nil
	}
	return k.priv.Public()
}

// RotateKey makes a new key of Options.Algorithm current. The previous key
// stays in the JWKS, as real issuers keep it, so tokens it signed keep
// verifying: for TokenLifetime plus a minute of leeway, while at most three
// replaced keys are published (a test may retire it sooner). Then it leaves
// the JWKS, so rotations do not grow it without bound.
func (i *Issuer) RotateKey() (string, error) {
	kid, err := i.AddKey(i.opts.Algorithm)
	if err != nil {
		return "", err
	}
	i.makeCurrent(kid)
	i.opts.Logger.Info("devissuer: signing key rotated", "kid", kid)
	return kid, nil
}

// AddKey generates and publishes a key without making it current, so a test
// can sign with a second algorithm through SignWith. alg is one of RS256
// (RSA 2048), PS256 (RSA 2048), ES256 (P-256) or EdDSA (Ed25519).
func (i *Issuer) AddKey(alg string) (string, error) {
	priv, err := generateKey(alg)
	if err != nil {
		return "", err
	}
	kid := randomID(16)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys[kid] = &signingKey{kid: kid, alg: alg, priv: priv, published: true}
	i.keyOrder = append(i.keyOrder, kid)
	return kid, nil
}

// RetireKey removes kid from the JWKS. The key can still sign through
// SignWith, which is how tests show that tokens of removed keys are refused.
// The current key cannot be retired: rotate first, so the issuer never signs
// with a key nobody can verify by accident.
func (i *Issuer) RetireKey(kid string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	k, ok := i.keys[kid]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownKey, kid)
	}
	if kid == i.current {
		return fmt.Errorf("devissuer: key %q is the current signing key; call RotateKey before retiring it", kid)
	}
	k.published = false
	return nil
}

// Requests reports how many requests the handler served on endpoints whose
// path ends with suffix, e.g. "/v1/keys" or "/.well-known/openid-configuration",
// so tests can assert how often a verifier fetched keys or metadata.
// Requests to the RFC 8414 form /.well-known/oauth-authorization-server/P are
// counted as P/.well-known/oauth-authorization-server.
func (i *Issuer) Requests(suffix string) int64 {
	i.mu.Lock()
	defer i.mu.Unlock()
	var n int64
	for p, c := range i.counters {
		if strings.HasSuffix(p, suffix) {
			n += c
		}
	}
	return n
}

func (i *Issuer) count(path string) {
	i.mu.Lock()
	i.counters[path]++
	i.mu.Unlock()
}
