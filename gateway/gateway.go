package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/jsonerror"
)

// Config configures New.
type Config struct {
	// Routes is the route table. A request no route matches is answered
	// 404, never passed anywhere.
	Routes []Route

	// Verifier verifies the access tokens of every non-public route: a
	// *verifier.Verifier or a *verifier.Set.
	Verifier bearer.AccessTokenVerifier

	// Bearer is passed to bearer.Middleware, built once and shared by every
	// protected route (realm, logger, Observe, resource metadata). The
	// 403s of AnyScopes and AssertClaims use the same Realm,
	// ResourceMetadata(Func), Logger and Observe (one decision per request).
	Bearer bearer.Options

	// Transport carries proxied requests to the upstreams. Nil: a pooled
	// transport (NewTransport), shared by every route. An *http.Transport
	// is cloned once per distinct Route.Timeout, with ResponseHeaderTimeout
	// set to it (its own ResponseHeaderTimeout is overridden); another
	// RoundTripper is wrapped instead, at the cost of a timer per request.
	Transport http.RoundTripper

	// ForwardAuthPath is the path of the forward-auth endpoint (nginx
	// auth_request, Traefik ForwardAuth, Caddy forward_auth), answered for
	// every method (nginx's subrequests keep the client's method unless
	// told otherwise; Traefik and Caddy send GET) and before any route:
	// routes "GET /" or "/{p...}" still take every other path. Default
	// DefaultForwardAuthPath. A route whose pattern is that very path is
	// refused by New.
	ForwardAuthPath string

	// Logger receives upstream errors and claim values that cannot be
	// header values. Nil: slog.Default().
	Logger *slog.Logger
}

// Gateway is the authenticating reverse proxy and forward-auth endpoint that
// New builds from a Config. It is an http.Handler, safe for concurrent use;
// its route table is fixed at New.
type Gateway struct {
	mux             *http.ServeMux
	forwardAuthPath string
	routeCache      *routeCache // the forward-auth endpoint's
	// strip is every header any route sets from claims, canonical: removed
	// from every request before routing, so that a client can never forge
	// one, whatever route its request takes and whether or not the claim
	// exists.
	strip  []string
	routes []*route
	logger *slog.Logger
}

// New checks cfg and builds the gateway: every route's middleware, proxy and
// claim headers are made here, once. The error joins a *RouteError for each
// field at fault and a *ConflictError for each pair of patterns ServeMux
// cannot order (or a *RouteError for a pattern it refuses), so a
// configuration's mistakes are named all at once.
func New(cfg Config) (*Gateway, error) {
	g := &Gateway{mux: http.NewServeMux(), logger: cfg.Logger, routeCache: newRouteCache()}
	if g.logger == nil {
		g.logger = slog.Default()
	}
	errs := g.checkConfig(&cfg)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	mws := &middlewares{cfg: &cfg}
	var transport *transports
	if cfg.Transport != nil {
		transport = newTransports(cfg.Transport)
	} else {
		transport = newTransports(NewTransport())
	}
	seen := map[string]bool{}
	for i := range cfg.Routes {
		mw, err := mws.of(&cfg.Routes[i])
		if err != nil {
			return nil, err
		}
		rt := g.newRoute(i, cfg.Routes[i], mw, transport)
		g.routes = append(g.routes, rt)
		for _, h := range rt.headers {
			if !seen[h.name] {
				seen[h.name] = true
				g.strip = append(g.strip, h.name)
			}
		}
	}
	g.forwardAuthPath = cfg.ForwardAuthPath
	g.register(&cfg)
	return g, nil
}

// checkConfig checks every route and the Config fields New needs.
func (g *Gateway) checkConfig(cfg *Config) []error {
	var errs []error
	protected := false
	for i := range cfg.Routes {
		errs = append(errs, checkRoute(i, &cfg.Routes[i])...)
		protected = protected || !cfg.Routes[i].Public
	}
	if protected && cfg.Verifier == nil {
		errs = append(errs, &RouteError{Index: -1, Field: "Verifier", Problem: "is nil, and some routes are not Public",
			Fix: "set a *verifier.Verifier or a *verifier.Set"})
	}
	if cfg.ForwardAuthPath == "" {
		cfg.ForwardAuthPath = DefaultForwardAuthPath
	}
	if p := cfg.ForwardAuthPath; p[0] != '/' || strings.ContainsAny(p, " \t{}?#") {
		errs = append(errs, &RouteError{Index: -1, Field: "ForwardAuthPath", Value: p, Problem: "is not a literal path",
			Fix: "use a path such as " + DefaultForwardAuthPath + ", without method, host, wildcard or query"})
		return errs
	}
	return append(errs, checkPatterns(cfg)...)
}

// middlewares builds the bearer middleware of the protected routes: the
// Config's, shared by every route that sets neither Route.Verifier nor
// Route.Bearer (one log limiter, one configuration), and one of its own
// for each route that does.
type middlewares struct {
	cfg    *Config
	shared func(http.Handler) http.Handler
}

// of returns rt's middleware. bearer.Middleware panics on a realm or
// metadata URL it cannot quote: that is turned into an error.
func (m *middlewares) of(rt *Route) (mw func(http.Handler) http.Handler, err error) {
	v, opts := rt.Verifier, rt.Bearer
	own := v != nil || opts != nil || rt.DPoP != nil
	if v == nil {
		v = m.cfg.Verifier
	}
	if opts == nil {
		opts = &m.cfg.Bearer
	}
	switch {
	case rt.Public || v == nil:
		return nil, nil
	case !own && m.shared != nil:
		return m.shared, nil
	case rt.DPoP != nil:
		if opts, err = withDPoPMode(*opts, *rt.DPoP); err != nil {
			return nil, err
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &RouteError{Index: -1, Field: "Bearer", Problem: fmt.Sprint(p), Fix: "fix Realm or ResourceMetadata"}
		}
	}()
	mw = bearer.Middleware(v, *opts)
	if !own {
		m.shared = mw
	}
	return mw, nil
}

// withDPoPMode returns opts with DPoP in mode for every token: none for
// bearer.DPoPOff, else opts.DPoP's verifier in that mode.
func withDPoPMode(opts bearer.Options, mode bearer.DPoPMode) (*bearer.Options, error) {
	if mode == bearer.DPoPOff {
		opts.DPoP = nil
		return &opts, nil
	}
	if opts.DPoP == nil {
		return nil, &RouteError{Index: -1, Field: "DPoP", Problem: "asks for DPoP, and Config.Bearer.DPoP is nil",
			Fix: "set Config.Bearer.DPoP (its Verifier checks the proofs)"}
	}
	d := *opts.DPoP
	d.Mode, d.ModeFor = mode, nil
	opts.DPoP = &d
	return &opts, nil
}

// ServeHTTP removes every claim header from r, routes it and serves it as
// its route says: 404 when none matches.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, name := range g.strip {
		if _, ok := r.Header[name]; ok {
			delete(r.Header, name)
		}
	}
	if r.URL.Path == g.forwardAuthPath {
		g.forwardAuth(w, r)
		return
	}
	g.mux.ServeHTTP(w, r)
}

// register puts every route's pattern, the forward-auth endpoint and the
// catch-all 404 in the mux; checkPatterns has made sure none panics.
func (g *Gateway) register(cfg *Config) {
	for _, rt := range g.routes {
		g.mux.Handle(rt.match, rt)
	}
	// Unmatched requests get the JSON 404. A route whose pattern matches
	// every request already ("/", "/{p...}") makes this one conflict: it
	// is then not needed.
	_ = handle(g.mux, "/", http.HandlerFunc(notFound))
}

// checkPatterns registers every route's pattern and the forward-auth path in
// a scratch mux, turning ServeMux's panics into errors.
func checkPatterns(cfg *Config) []error {
	var errs []error
	mux := http.NewServeMux()
	for i, r := range cfg.Routes {
		if err := handle(mux, r.Match, http.NotFoundHandler()); err != nil {
			errs = append(errs, patternError(cfg.Routes, i, err))
		}
	}
	fa := cfg.ForwardAuthPath
	for i, r := range cfg.Routes {
		if patternPath(r.Match) == fa {
			errs = append(errs, &RouteError{Index: -1, Field: "ForwardAuthPath", Value: fa,
				Problem: fmt.Sprintf("is the path of routes[%d] %q, which would never be reached", i, r.Match),
				Fix:     "choose another forward-auth path, or another path for the route"})
		}
	}
	return errs
}

// handle is mux.Handle returning ServeMux's panic as an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// patternError explains why routes[i]'s pattern was refused: it is invalid,
// or it conflicts with an earlier route, found by registering the two alone.
func patternError(routes []Route, i int, err error) error {
	match := routes[i].Match
	for j := range i {
		other := routes[j].Match
		if e := handle(http.NewServeMux(), other, http.NotFoundHandler()); e != nil {
			continue // invalid itself, and reported so
		}
		m := http.NewServeMux()
		m.Handle(other, http.NotFoundHandler())
		if e := handle(m, match, http.NotFoundHandler()); e != nil && strings.Contains(e.Error(), "conflicts with") {
			return &ConflictError{Index: i, Other: j, Match: match, OtherMatch: other, Detail: conflictDetail(e.Error())}
		}
	}
	return &RouteError{Index: i, Match: match, Field: "Match", Value: match, Problem: err.Error(),
		Fix: "write a net/http ServeMux pattern: [METHOD ][HOST]/PATH, e.g. \"GET /orders/{id}\"", Err: err}
}

// conflictDetail keeps the explanation of ServeMux's conflict panic, which
// follows the line naming the patterns (and where they were registered:
// always here, so not worth repeating).
func conflictDetail(msg string) string {
	if _, after, ok := strings.Cut(msg, "\n"); ok {
		return strings.TrimSpace(after)
	}
	return msg
}

// notFound answers a request no route matches.
func notFound(w http.ResponseWriter, r *http.Request) {
	jsonerror.Write(w, r, http.StatusNotFound, "not_found", "no route matches this request")
}
