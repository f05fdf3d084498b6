package bearer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/resource-server/resource-server/verifier"
)

// AccessTokenVerifier verifies access tokens. *verifier.Verifier implements
// it; tests may pass a fake.
//
// The error, when not nil, should be a *verifier.ValidationError: one whose
// Kind is verifier.ErrKeysUnavailable is answered 503 (the issuer's keys
// could not be had, which says nothing about the token); every other error is
// answered 401 invalid_token with the error's text as error_description, so
// it must not contain the token.
type AccessTokenVerifier interface {
	VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error)
}

// DefaultRealm is the realm of the challenges when Options.Realm is empty.
const DefaultRealm = "api"

// Options configures Middleware. The zero value is usable.
type Options struct {
	// Realm is the realm attribute of every challenge. Default DefaultRealm.
	// It must not hold '"', '\' or control characters (Middleware panics).
	Realm string

	// Audiences are passed to VerifyAccessToken. Nil means the verifier's
	// configured audiences (verifier.Config.Audiences).
	Audiences []string

	// Logger receives one record per refused request: the reason, the method
	// and path, and the token's "jti" or a short SHA-256 prefix of the token,
	// never the token. Requests without credentials are logged at Debug, other
	// refusals at Info, unavailable issuer keys at Warn. Nil: no logging.
	Logger *slog.Logger

	// LogRate caps the refusal records written per second; the records
	// beyond it are counted, and the next record written says how many were
	// dropped ("dropped_since_last"), so that a flood of bad tokens cannot
	// flood the log. Default DefaultLogRate; negative: no cap.
	LogRate int

	// ResourceMetadata, when set, is the URL of the resource's RFC 9728
	// protected-resource metadata (…/.well-known/oauth-protected-resource).
	// It is added to every challenge as resource_metadata="…". It must not
	// hold '"', '\' or control characters (Middleware panics).
	ResourceMetadata string
}

// middleware is the configuration shared by Middleware's handler and, through
// the request context, by RequireScopes.
type middleware struct {
	v         AccessTokenVerifier
	audiences []string
	logger    *slog.Logger
	logLimit  *logLimiter
	realm     string // `Bearer realm="…"`, ready to be continued
	suffix    string // `, resource_metadata="…"` or ""
	plain     string // realm + suffix: the challenge without an error
}

// Middleware returns middleware that admits only requests carrying a bearer
// token that v accepts. The verified token is put in the request context,
// where FromContext finds it; refused requests are answered as the package
// documentation's table shows and never reach next.
//
// Middleware panics when v is nil or when Options.Realm or
// Options.ResourceMetadata cannot be put in a quoted header value: both are
// programming errors best found at start-up.
func Middleware(v AccessTokenVerifier, opts Options) func(http.Handler) http.Handler {
	if v == nil {
		panic("bearer: Middleware needs a verifier")
	}
	realm := opts.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	if !quotable(realm) {
		panic(fmt.Sprintf("bearer: Options.Realm %q holds a '\"', '\\' or control character", realm))
	}
	if !quotable(opts.ResourceMetadata) {
		panic(fmt.Sprintf("bearer: Options.ResourceMetadata %q holds a '\"', '\\' or control character", opts.ResourceMetadata))
	}
	m := &middleware{
		v:         v,
		audiences: slices.Clone(opts.Audiences),
		logger:    opts.Logger,
		logLimit:  newLogLimiter(opts.LogRate, time.Now),
		realm:     `Bearer realm="` + realm + `"`,
	}
	if opts.ResourceMetadata != "" {
		m.suffix = `, resource_metadata="` + opts.ResourceMetadata + `"`
	}
	m.plain = m.realm + m.suffix

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, e := extract(r)
			if e != nil {
				m.refuse(w, r, e, raw, nil, nil)
				return
			}
			ctx := r.Context()
			tok, err := m.v.VerifyAccessToken(ctx, raw, m.audiences...)
			if err != nil || tok == nil {
				m.refuse(w, r, verificationError(err), raw, nil, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(&tokenContext{Context: ctx, tok: tok, m: m}))
		})
	}
}

// verificationError maps a verifier's error to the answer.
func verificationError(err error) *Error {
	switch {
	case err == nil:
		// A verifier that returns neither token nor error: refuse.
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: "the token was not accepted"}
	case errors.Is(err, verifier.ErrKeysUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeTemporarilyUnavailable,
			Description: "the authorization server's signing keys are unavailable; retry later"}
	default:
		return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken,
			Description: sanitize(strings.TrimPrefix(err.Error(), "verifier: "))}
	}
}

// RequireScopes returns middleware that passes on only requests whose
// verified token (see FromContext) holds every one of scopes, as reported by
// Token.HasScope (Okta's "scp" array or RFC 9068's "scope" string). Other
// requests are answered 403 with
//
//	WWW-Authenticate: Bearer realm="…", error="insufficient_scope", error_description="…", scope="a b"
//
// where scope lists all of scopes. It must run inside Middleware, whose realm,
// resource metadata URL and logger it uses; a request that did not pass
// through Middleware is answered 500, since that is a wiring mistake.
// RequireScopes panics when a scope is empty or holds a character that RFC
// 6750 §3 does not allow in a scope ('"', '\', space, control characters).
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scopes = slices.Clone(scopes)
	for _, s := range scopes {
		if !ValidScope(s) {
			panic(fmt.Sprintf("bearer: RequireScopes: invalid scope %q", s))
		}
	}
	joined := strings.Join(scopes, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			tok, _ := ctx.Value(tokenKey{}).(*verifier.Token)
			m, _ := ctx.Value(middlewareKey{}).(*middleware)
			if tok == nil || m == nil {
				// No challenge: this is not the client's fault.
				writeBody(w, r, http.StatusInternalServerError, "server_error",
					"bearer.RequireScopes runs outside bearer.Middleware")
				return
			}
			var missing []string
			for _, s := range scopes {
				if !tok.HasScope(s) {
					missing = append(missing, s)
				}
			}
			if missing != nil {
				raw := ""
				if tok.ID() == "" && m.logger != nil {
					raw, _ = extract(r) // for the log's fingerprint
				}
				m.refuse(w, r, &Error{
					Status:      http.StatusForbidden,
					Code:        CodeInsufficientScope,
					Description: "the token lacks the scope(s) " + strings.Join(missing, " "),
					Scope:       joined,
				}, raw, tok, nil)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// FromContext returns the verified token that Middleware put in ctx.
func FromContext(ctx context.Context) (*verifier.Token, bool) {
	tok, ok := ctx.Value(tokenKey{}).(*verifier.Token)
	return tok, ok && tok != nil
}

type (
	tokenKey      struct{}
	middlewareKey struct{}
)

// tokenContext carries the verified token and the middleware's configuration
// in one allocation (context.WithValue twice would take three).
type tokenContext struct {
	context.Context
	tok *verifier.Token
	m   *middleware
}

func (c *tokenContext) Value(key any) any {
	switch key.(type) {
	case tokenKey:
		return c.tok
	case middlewareKey:
		return c.m
	}
	return c.Context.Value(key)
}

func (c *tokenContext) String() string {
	return fmt.Sprintf("%v.WithValue(bearer token)", c.Context)
}

// quotable reports whether s can stand inside a quoted-string without
// escaping.
func quotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ValidScope reports whether s can be required by RequireScopes: an RFC 6750
// scope-token, 1*( %x21 / %x23-5B / %x5D-7E ), so no space, '"', '\' or
// control character.
func ValidScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
