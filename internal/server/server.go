// Package server is the resource-server program's HTTP surface: the Express
// sample's routes, done per RFC 6750, plus health, readiness and the
// protected-resource metadata of RFC 9728. routes.go lists every route.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/internal/jsonerror"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/verifier"
)

// Verifier is what the server needs of a token verifier: verification for
// the bearer middleware, readiness and each issuer's key state for /readyz,
// and the issuers for the RFC 9728 metadata. *verifier.Set (the program's,
// one issuer or many) and *verifier.Verifier implement it.
type Verifier interface {
	bearer.AccessTokenVerifier
	Ready() bool
	Issuers() []string
	Status() []verifier.IssuerStatus
}

// Deps are the server's dependencies; New takes them all explicitly.
type Deps struct {
	Verifier Verifier
	Logger   *slog.Logger
	// PublicURL is the base URL clients reach the API at, e.g.
	// https://api.example.com (a trailing slash is dropped): the "resource"
	// of the RFC 9728 metadata, and the base of the resource_metadata URL
	// that every Bearer challenge carries. Empty: both are derived from each
	// request, "http://" (or "https://" over TLS) and its Host; X-Forwarded-*
	// headers are not trusted, so behind a proxy set it.
	PublicURL string
	// CORSAllowedOrigins are the origins browsers may call from; "*" is any.
	CORSAllowedOrigins []string
	// SecureRoute serves GET /secure, which echoes the verified token.
	SecureRoute bool
	// RequiredScopes are required by every protected route (403
	// insufficient_scope without them) and published as scopes_supported.
	RequiredScopes []string
	// Now is the clock of the messages' dates. Default time.Now.
	Now func() time.Time
	// DevIssuer, when set, is the embedded development authorization server,
	// served outside CORS and authentication for every path under
	// DevIssuerPath (it answers its own CORS).
	DevIssuer     http.Handler
	DevIssuerPath string
	// Metrics, when set, counts the bearer middleware's decisions and times
	// every request by route; it is served elsewhere (the admin listener,
	// metrics.(*Metrics).Handler), never by this handler. Nil: nothing is
	// measured, at no cost.
	Metrics *metrics.Metrics

	// Routes, when set, is the gateway's route table (the configuration's
	// routes:), served by NewGateway instead of the sample's routes, beside
	// /healthz, /readyz, the RFC 9728 metadata and the forward-auth
	// endpoint at ForwardAuthPath (default gateway.DefaultForwardAuthPath).
	Routes          []gateway.Route
	ForwardAuthPath string
	// Transport carries the gateway's proxied requests. Nil:
	// gateway.NewTransport().
	Transport http.RoundTripper

	// DPoP, when set, takes DPoP-bound tokens with their proofs (RFC
	// 9449) on every protected route; its URL, when nil, is PublicURL
	// joined with the request's path, else the request's own (the scheme
	// a forward-auth check names in X-Forwarded-Proto).
	DPoP *bearer.DPoPOptions

	// Revoke, when set, revokes a token for every instance (the admin
	// listener's POST /revoke); its error means it could not.
	Revoke func(ctx context.Context, token string) error
}

// New returns the program's whole HTTP handler with the Express sample's
// routes. It panics when d.Routes is set: that is NewGateway's.
func New(d Deps) http.Handler {
	if len(d.Routes) > 0 {
		panic("server: New with Routes; use NewGateway")
	}
	d = withDefaults(d)
	return wrap(d, routes(d))
}

// NewGateway returns the program's whole HTTP handler with d.Routes, the
// gateway's route table, in place of the sample's routes. Its error names
// the route at fault, as gateway.New does.
func NewGateway(d Deps) (http.Handler, error) {
	d = withDefaults(d)
	api, err := gatewayRoutes(d)
	if err != nil {
		return nil, err
	}
	return wrap(d, api), nil
}

func withDefaults(d Deps) Deps {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if len(d.CORSAllowedOrigins) == 0 {
		d.CORSAllowedOrigins = []string{"*"}
	}
	d.PublicURL = strings.TrimRight(d.PublicURL, "/")
	return d
}

// wrap puts what every request goes through around the routes: metrics,
// the access log, recovery.
func wrap(d Deps, h http.Handler) http.Handler {
	if d.Metrics != nil {
		h = d.Metrics.Instrument(h)
	}
	return withRecovery(d.Logger, withAccessLog(d.Logger, h))
}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// recorders recycles the statusRecorders of withAccessLog, one per request
// otherwise. A handler must not use its ResponseWriter once it has returned
// (net/http's rule too); none of the program's does.
var recorders = sync.Pool{New: func() any { return new(statusRecorder) }}

// withAccessLog logs one line per request at Debug (Info for server errors),
// never the Authorization header.
func withAccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !log.Enabled(r.Context(), slog.LevelDebug) {
			rec := recorders.Get().(*statusRecorder)
			rec.ResponseWriter = w
			next.ServeHTTP(rec, r)
			status := rec.status
			*rec = statusRecorder{} // keeps no writer alive in the pool
			recorders.Put(rec)      // not after a panic: that one is dropped
			if status >= 500 {
				log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", status)
			}
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
	})
}

// withRecovery turns a panic into a 500 and a log line, so one bad request
// cannot take the process down.
func withRecovery(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p)
				jsonerror.Write(w, r, http.StatusInternalServerError, "server_error", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
