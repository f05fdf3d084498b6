package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/verifier"
)

// route is a Route ready to serve. It is what the mux holds, so that the
// forward-auth endpoint, which finds routes with ServeMux.Handler, can run a
// route's checks without its upstream.
type route struct {
	index int
	match string
	// serve is the whole chain: authentication, authorization, claim
	// headers, proxy or handler.
	serve http.Handler
	// check is the same chain ending in a 200 that carries the claim
	// headers: the forward-auth answer.
	check http.Handler

	headers    []*claimHeader
	scopes     []string // all required
	anyScopes  []string // one required
	scopeAttr  string   // the challenge's scope="…": Scopes then AnyScopes
	assertions verifier.Assertions
	g          *Gateway
}

// ServeHTTP serves a request the mux routed here.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.serve.ServeHTTP(w, r)
}

// newRoute builds route i; checkRoute has checked it.
func (g *Gateway) newRoute(i int, r Route, mw func(http.Handler) http.Handler, transport *transports) *route {
	assertions, _ := verifier.NewAssertions(r.AssertClaims)
	rt := &route{index: i, match: r.Match, g: g, headers: compileHeaders(r.Headers),
		scopes: slices.Clone(r.Scopes), anyScopes: slices.Clone(r.AnyScopes), assertions: assertions}
	rt.scopeAttr = strings.Join(append(slices.Clone(r.Scopes), r.AnyScopes...), " ")
	var next http.Handler
	if r.Upstream != nil {
		next = g.newProxy(rt, r, transport)
	} else {
		next = rt.handler(r.Handler, r.StripAuthorization)
	}
	check := http.Handler(http.HandlerFunc(rt.allow))
	if r.Public {
		rt.serve, rt.check = next, check
		return rt
	}
	rt.serve, rt.check = mw(rt.authorize(next)), mw(rt.authorize(check))
	return rt
}

// authorize wraps next with the route's scope and claim requirements. The
// common case, Scopes alone, is bearer.RequireScopes; AnyScopes and
// AssertClaims are checked here and refused with bearer.Refuse, which
// answers as RequireScopes does.
func (rt *route) authorize(next http.Handler) http.Handler {
	if len(rt.anyScopes) == 0 && rt.assertions.Len() == 0 {
		if len(rt.scopes) == 0 {
			return next
		}
		return bearer.RequireScopes(rt.scopes...)(next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := bearer.FromContext(r.Context())
		if e := rt.refusal(tok); e != nil {
			bearer.Refuse(w, r, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refusal returns the 403 a token deserves on this route, nil if none.
func (rt *route) refusal(tok *verifier.Token) *bearer.Error {
	var missing []string
	for _, s := range rt.scopes {
		if !tok.HasScope(s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return &bearer.Error{Status: http.StatusForbidden, Code: bearer.CodeInsufficientScope,
			Description: "the token lacks the scope(s) " + strings.Join(missing, " "), Scope: rt.scopeAttr}
	}
	if len(rt.anyScopes) > 0 && !slices.ContainsFunc(rt.anyScopes, tok.HasScope) {
		return &bearer.Error{Status: http.StatusForbidden, Code: bearer.CodeInsufficientScope,
			Description: "the token holds none of the scope(s) " + strings.Join(rt.anyScopes, " "), Scope: rt.scopeAttr}
	}
	if err := rt.assertions.Check(tok); err != nil {
		// The claim's name and the kind of failure, not its value: the
		// description goes to the client, and into a header.
		desc := "the token does not meet this route's claim assertions"
		if ve, ok := err.(*verifier.ValidationError); ok && ve.Claim != "" {
			desc = "the token's claim " + ve.Claim + " does not meet this route's assertions (" + ve.Kind.Error() + ")"
		}
		return &bearer.Error{Status: http.StatusForbidden, Code: bearer.CodeInsufficientScope, Description: desc}
	}
	return nil
}

// handler serves a Handler route: the handler gets a copy of the request
// with the claim headers set (and without Authorization when asked), the
// verified token in its context.
func (rt *route) handler(h http.Handler, stripAuth bool) http.Handler {
	if len(rt.headers) == 0 && !stripAuth {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.WithContext(r.Context())
		r2.Header = r.Header.Clone()
		if stripAuth {
			r2.Header.Del("Authorization")
		}
		if tok, ok := bearer.FromContext(r.Context()); ok {
			rt.setHeaders(r2.Header, tok)
		}
		h.ServeHTTP(w, r2)
	})
}

// noStore is the Cache-Control value of every forward-auth answer, shared
// (net/http only reads it): no allocation per answer.
var noStore = []string{"no-store"}

// allow is the forward-auth answer to an admitted request: 200, with the
// claim headers for the proxy to copy.
func (rt *route) allow(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if tok, ok := bearer.FromContext(r.Context()); ok {
		rt.setHeaders(h, tok)
	}
	h["Cache-Control"] = noStore
	w.WriteHeader(http.StatusOK)
}

// setHeaders sets the route's claim headers from tok in h. A claim that is
// absent (or null, or "") sets nothing; one whose value cannot be a header
// value sets nothing either, and is logged the first time.
func (rt *route) setHeaders(h http.Header, tok *verifier.Token) {
	for _, ch := range rt.headers {
		v, ok, invalid := ch.value(tok)
		if invalid && ch.warned.CompareAndSwap(false, true) {
			rt.g.logger.LogAttrs(context.Background(), slog.LevelWarn,
				"gateway: claim value holds a byte a header value cannot; header not set (logged once per header)",
				slog.Int("route", rt.index), slog.String("header", ch.name), slog.String("claim", ch.claim),
				slog.String("token_id", tok.ID()))
		}
		if ok {
			h[ch.name] = []string{v}
		}
	}
}

// value returns the header's value for tok; see headerValue.
func (ch *claimHeader) value(tok *verifier.Token) (v string, ok, invalid bool) {
	if ch.registered != nil {
		v = ch.registered(tok)
		if v == "" {
			return "", false, false
		}
		if !validHeaderValue(v) {
			return "", false, true
		}
		return v, true, false
	}
	raw, found := ch.ptr.lookup(tok)
	if !found {
		return "", false, false
	}
	return headerValue(raw, ch.sep)
}
