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

	"github.com/resource-server/resource-server/internal/jsonerror"
	"github.com/resource-server/resource-server/internal/scope"
	"github.com/resource-server/resource-server/verifier"
)

// AccessTokenVerifier verifies access tokens. *verifier.Verifier and
// *verifier.Set implement it; tests may pass a fake.
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
	// never the token. Requests without credentials (and DPoP nonce
	// challenges) are logged at Debug, other refusals at Info, unavailable
	// issuer keys (or DPoP replay store) at Warn.
	//
	// Nil means slog.Default(), as it is when each record is written (so a
	// later slog.SetDefault is followed): refusals are logged unless asked
	// not to be, since a verifier that refuses silently hides both attacks
	// and misconfiguration. For no records at all, pass
	// slog.New(slog.DiscardHandler); LogRate caps them either way.
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

	// ResourceMetadataFunc, when set, returns the metadata URL for a refused
	// request, for a resource whose base URL depends on the request (e.g. its
	// Host); it is used instead of ResourceMetadata, which stands in when it
	// returns "" or a URL holding '"', '\' or control characters. Mind that
	// a Host header is the client's to choose.
	ResourceMetadataFunc func(r *http.Request) string

	// Observe, when set, is called once per request that reaches
	// Middleware, with the decision taken: the admission (after next has
	// answered, so that a 403 from a RequireScopes inside it is reported
	// instead, never both) or the refusal (before the answer is written).
	// It runs on the request's goroutine and must be fast and safe for
	// concurrent use; it must not keep Decision.Raw. Nil costs nothing.
	// internal/metrics counts decisions through it.
	Observe func(r *http.Request, d Decision)

	// DPoP, when set, accepts DPoP-bound tokens (RFC 9449): the DPoP
	// scheme with a proof, checked by DPoP.Verifier; and, unless its Mode
	// is DPoPRequired, the Bearer scheme for tokens bound to no key. Nil:
	// Bearer only, a DPoP-bound token accepted as any other (the binding is
	// not enforced) and the DPoP scheme refused as another scheme.
	DPoP *DPoPOptions
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

	metadata func(*http.Request) string    // Options.ResourceMetadataFunc, or nil
	observe  func(*http.Request, Decision) // Options.Observe, or nil
	dpop     *dpopConfig                   // Options.DPoP, or nil
}

// Middleware returns middleware that admits only requests carrying a bearer
// token that v accepts. The verified token is put in the request context,
// where FromContext finds it; refused requests are answered as the package
// documentation's table shows and never reach next.
//
// Middleware panics when v is nil, when Options.Realm or
// Options.ResourceMetadata cannot be put in a quoted header value, or when
// Options.DPoP has no Verifier: programming errors best found at start-up.
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
	logger := opts.Logger
	if logger == nil {
		logger = defaultLogger
	}
	m := &middleware{
		v:         v,
		audiences: slices.Clone(opts.Audiences),
		metadata:  opts.ResourceMetadataFunc,
		observe:   opts.Observe,
		logger:    logger,
		logLimit:  newLogLimiter(opts.LogRate, time.Now),
		realm:     `Bearer realm="` + realm + `"`,
		dpop:      newDPoPConfig(opts.DPoP),
	}
	if opts.ResourceMetadata != "" {
		m.suffix = `, resource_metadata="` + opts.ResourceMetadata + `"`
	}
	m.plain = m.realm + m.suffix

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m.dpop != nil {
				m.serveDPoP(next, w, r)
				return
			}
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
			tc := &tokenContext{Context: ctx, tok: tok, m: m}
			if m.observe != nil {
				m.serveObserved(next, w, r, tc, raw)
				return
			}
			next.ServeHTTP(w, r.WithContext(tc))
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
// Token.HasScope (the token's "scp" or "scope" claim, an array or a string
// split on spaces only; the verifier refuses a token whose scope claim holds
// any character a scope cannot). Other requests are answered 403 with
//
//	WWW-Authenticate: Bearer realm="…", error="insufficient_scope", error_description="…", scope="a b"
//
// where scope lists all of scopes. It must run inside Middleware, whose realm,
// resource metadata URL and logger it uses; a request that did not pass
// through Middleware is answered 500, since that is a wiring mistake.
//
// Each of scopes must be one RFC 6749 §3.3 scope-token,
// 1*( %x21 / %x23-5B / %x5D-7E ): printable ASCII without space, '"' or
// '\' — the rule the verifier applies to the scopes of a token, so a scope
// that breaks it could never be granted. RequireScopes panics on such a
// scope, or on an empty one, naming it: a programming error best found at
// start-up.
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scopes = slices.Clone(scopes)
	for _, s := range scopes {
		if err := scope.Check(s); err != nil {
			panic(fmt.Sprintf("bearer: RequireScopes: invalid scope %q: %v; %s", s, err, scope.Syntax))
		}
	}
	joined := strings.Join(scopes, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, _ := FromContext(r.Context())
			var missing []string
			for _, s := range scopes {
				if tok != nil && !tok.HasScope(s) {
					missing = append(missing, s)
				}
			}
			if tok == nil || missing != nil {
				Refuse(w, r, &Error{
					Status:      http.StatusForbidden,
					Code:        CodeInsufficientScope,
					Description: "the token lacks the scope(s) " + strings.Join(missing, " "),
					Scope:       joined,
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Refuse answers r, a request Middleware admitted, with e (typically Status
// 403 and CodeInsufficientScope, for an authorization rule of the caller's
// own) exactly as RequireScopes answers a missing scope: the challenge with
// the middleware's realm and resource metadata, the JSON body, a log
// record under the middleware's rate limit, and the refusal reported to
// Options.Observe instead of the admission. A request that did not pass
// through Middleware is answered 500 without a challenge, since that is a
// wiring mistake, not the client's.
func Refuse(w http.ResponseWriter, r *http.Request, e *Error) {
	tc, _ := r.Context().Value(tokenContextKey{}).(*tokenContext)
	if tc == nil || tc.tok == nil || tc.m == nil {
		jsonerror.Write(w, r, http.StatusInternalServerError, "server_error",
			"bearer.RequireScopes or bearer.Refuse runs outside bearer.Middleware")
		return
	}
	tok, m := tc.tok, tc.m
	raw := ""
	if tok.ID() == "" || m.observe != nil {
		raw = presentedToken(r, tc.dpop) // for the log's fingerprint and the observer
	}
	if tc.dpop {
		// The challenge of the scheme the request used carries the error.
		copied := *e
		copied.dpop = true
		e = &copied
	}
	tc.refused = true // this is the request's decision: Middleware reports no admission
	m.refuse(w, r, e, raw, tok, nil)
}

// FromContext returns the verified token that Middleware put in ctx.
func FromContext(ctx context.Context) (*verifier.Token, bool) {
	tok, ok := ctx.Value(tokenKey{}).(*verifier.Token)
	return tok, ok && tok != nil
}

type (
	tokenKey        struct{}
	tokenContextKey struct{}
)

// tokenContext carries the verified token and the middleware's configuration
// in one allocation (context.WithValue twice would take three), and whether
// RequireScopes refused the request, so that Options.Observe hears of one
// decision per request.
type tokenContext struct {
	context.Context
	tok     *verifier.Token
	m       *middleware
	refused bool // set by RequireScopes on the request's goroutine
	dpop    bool // the token came with the DPoP scheme
}

func (c *tokenContext) Value(key any) any {
	switch key.(type) {
	case tokenKey:
		return c.tok
	case tokenContextKey:
		return c
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

// defaultLogger is the logger of a Middleware whose Options.Logger is nil.
var defaultLogger = slog.New(defaultHandler{})

// defaultHandler hands every call to the handler of slog.Default() at the
// time of the call.
type defaultHandler struct{}

func (defaultHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return slog.Default().Handler().Enabled(ctx, l)
}

func (defaultHandler) Handle(ctx context.Context, r slog.Record) error {
	return slog.Default().Handler().Handle(ctx, r)
}

func (defaultHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return slog.Default().Handler().WithAttrs(attrs)
}

func (defaultHandler) WithGroup(name string) slog.Handler {
	return slog.Default().Handler().WithGroup(name)
}
