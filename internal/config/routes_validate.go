package config

import (
	"github.com/resource-server/resource-server/internal/server"

	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/resource-server/resource-server/internal/scope"
	"github.com/resource-server/resource-server/verifier"
)

// matchFix is the fix for a match: that is not a ServeMux pattern.
const matchFix = "write [METHOD ][HOST]/PATH as net/http's ServeMux reads it, e.g. GET /orders/{id}, /public/ or POST /admin/{path...}: a wildcard is a whole segment, {name}, or the last one, {name...}"

// knownMethods are the methods of RFC 9110 and PATCH, upper-case: a match:
// with one of them in lower case is a mistake (methods are case-sensitive,
// and no client sends "get"), though ServeMux would take it as a method of
// its own.
var knownMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}

// validateRoutes checks the routes: list, and the top-level headers: that
// applies to its entries: each entry's keys by their declarations in
// routeSettings, then what takes two entries to see: the same pattern
// twice, patterns ServeMux would refuse together, and a route on the
// forward-auth endpoint's path.
func (c Config) validateRoutes(r *report) {
	c.validateHeaders(r)
	if len(c.Routes) == 0 {
		if c.routesSource.Kind != SourceUnknown {
			r.errs = append(r.errs, &Error{Field: routesKey, Source: c.routesSource, Problem: "is an empty list",
				Fix: "list at least one route, e.g. " + exampleRoute + ", or remove the key to serve the built-in routes"})
		}
		return
	}
	checkRoutesReplace(c, r)
	for _, rc := range c.Routes {
		for _, s := range routeSettings {
			if s.check != nil {
				s.check(c, rc, r)
			}
		}
		checkRouteTarget(rc, r)
	}
	checkRouteConflicts(c, r)
}

// checkRoutesReplace refuses, beside a routes: list, settings of the
// built-in routes it replaces that would say the opposite of the list:
// REQUIRED_SCOPES (the list's routes carry their own scopes, and whether
// it would still apply is no guess to make), and SECURE_ROUTE false with a
// route serving the secure handler.
func checkRoutesReplace(c Config, r *report) {
	list := "the routes: list (" + c.routesSource.String() + ")"
	if len(c.RequiredScopes) > 0 {
		r.bad("REQUIRED_SCOPES", strings.Join(c.RequiredScopes, ","), "is set together with "+list,
			"the list replaces the built-in routes it applies to: give each route its own scopes, and unset "+r.places("REQUIRED_SCOPES"))
	}
	if i := slices.IndexFunc(c.Routes, func(rc RouteConfig) bool { return rc.Handler == "secure" }); i >= 0 && !c.SecureRoute {
		rc := c.Routes[i]
		r.bad("SECURE_ROUTE", "false", "is set together with "+rc.name("handler")+" secure ("+rc.sources["handler"].String()+")",
			"the route serves the token echo SECURE_ROUTE=false turns off: remove the route, or unset "+r.places("SECURE_ROUTE"))
	}
}

// bad reports a problem with the entry's key: from its line, or, for a key
// the entry lacks, the entry's.
func (rc RouteConfig) bad(r *report, key, value, problem, fix string) {
	src := rc.sources[key]
	if src.Kind != SourceFile && rc.src.Kind == SourceFile {
		src = rc.src
	}
	r.errs = append(r.errs, &Error{Field: rc.name(key), Value: value, Source: src, Problem: problem, Fix: fix})
}

func checkRouteMatch(_ Config, rc RouteConfig, r *report) {
	m := strings.TrimSpace(rc.Match)
	if m == "" {
		rc.bad(r, "match", "", "is not set", "start the entry with \"- match: PATTERN\", e.g. - match: GET /orders/{id}")
		return
	}
	if problem, fix := methodProblem(m); problem != "" {
		rc.bad(r, "match", rc.Match, problem, fix)
		return
	}
	if problem := patternProblem(m); problem != "" {
		rc.bad(r, "match", rc.Match, "is not a ServeMux pattern ("+problem+")", matchFix)
	}
}

// methodProblem catches two ways of writing a method that ServeMux takes
// for something else: in lower case ("get /x", a method no client sends,
// since methods are case-sensitive), or without the space ("GET/x", the
// path /x on the host GET).
func methodProblem(m string) (problem, fix string) {
	first, rest, spaced := strings.Cut(m, " ")
	if !spaced {
		first, rest, _ = strings.Cut(m, "/")
		rest = "/" + rest
	}
	upper := strings.ToUpper(first)
	switch {
	case !slices.Contains(knownMethods, upper):
		return "", ""
	case !spaced:
		return "has the host " + strconv.Quote(first) + ", a method without the space that makes it one", "write " + upper + " " + rest
	case first != upper:
		return "has the method " + strconv.Quote(first) + ", not in upper case, which no client sends", "methods are case-sensitive: write " + upper + " " + strings.TrimLeft(rest, " \t")
	}
	return "", ""
}

// patternProblem registers pattern on a throwaway ServeMux, the one judge
// of what the gateway's will accept, and returns why it panicked, without
// the pattern it quotes; "" when it did not.
func patternProblem(pattern string) (problem string) {
	defer func() {
		if v := recover(); v != nil {
			problem = strings.TrimPrefix(fmt.Sprint(v), "parsing "+strconv.Quote(pattern)+": ")
		}
	}()
	http.NewServeMux().Handle(pattern, http.NotFoundHandler())
	return ""
}

// conflict registers pattern on mux and returns the description of the
// conflict ServeMux panics with, without the places of registration (this
// file's lines, which would only confuse); "" when there is none.
func conflict(mux *http.ServeMux, pattern string) (text string) {
	defer func() {
		if v := recover(); v != nil {
			text = fmt.Sprint(v)
			if _, desc, ok := strings.Cut(text, ":\n"); ok {
				text = desc
			}
			text = strings.Join(strings.Fields(strings.ReplaceAll(text, "\n", " ")), " ")
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return ""
}

func checkRouteUpstream(_ Config, rc RouteConfig, r *report) {
	if rc.Upstream == "" {
		return // checkRouteTarget reports a route with neither upstream nor handler
	}
	if problem := upstreamProblem(rc.Upstream); problem != "" {
		rc.bad(r, "upstream", rc.Upstream, problem,
			"write an http(s) URL with a host and an optional base path, e.g. upstream: http://127.0.0.1:9000 or https://orders.internal/api")
	}
}

// upstreamProblem checks an upstream URL: absolute http(s) with a host;
// the request's path is joined to its path, so a query or fragment would
// have no place, and credentials in a URL end up in logs.
func upstreamProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return "is not a URL"
	case u.Scheme == "":
		return "is not an absolute URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http(s) URL"
	case u.Opaque != "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "holds a user name or password"
	case u.RawQuery != "" || u.ForceQuery:
		return "has a query"
	case strings.Contains(raw, "#"):
		return "has a fragment"
	}
	return ""
}

func checkRouteHandler(_ Config, rc RouteConfig, r *report) {
	if rc.Handler == "" || slices.Contains(routeHandlers, rc.Handler) {
		return
	}
	fix := "name one of the built-in handlers: " + strings.Join(routeHandlers, ", ") + "; or proxy the route with upstream: URL"
	if near := nearest(rc.Handler, routeHandlers); near != "" {
		fix = "did you mean " + near + "? Write handler: " + near + "; the built-in handlers are " + strings.Join(routeHandlers, ", ")
	}
	rc.bad(r, "handler", rc.Handler, "is not a built-in handler", fix)
}

// checkRouteTarget reports an entry with both upstream and handler, or
// neither, and the keys that mean something for an upstream only.
func checkRouteTarget(rc RouteConfig, r *report) {
	switch {
	case rc.Upstream != "" && rc.Handler != "":
		rc.bad(r, "handler", rc.Handler, "is set together with upstream ("+rc.sources["upstream"].String()+")",
			"a route either proxies (upstream) or is served in the program (handler): keep one")
	case rc.Upstream == "" && rc.Handler == "":
		rc.bad(r, "upstream", "", "is not set, nor is handler",
			"say where the route's requests go: upstream: URL (e.g. http://127.0.0.1:9000), or handler: one of "+strings.Join(routeHandlers, ", "))
	case rc.Handler != "":
		for _, key := range []string{"timeout", "pass_authorization", "preserve_host"} {
			if rc.sources[key].Kind == SourceFile {
				rc.bad(r, key, routeSettingByKey(key).display(rc), "is set on a route served by a handler",
					key+" applies to an upstream only: remove it, or proxy the route with upstream: URL")
			}
		}
	}
}

func checkRouteAuth(_ Config, rc RouteConfig, r *report) {
	switch rc.Auth {
	case "", authToken:
		return
	case authNone:
		for _, key := range []string{"scopes", "any_scopes", "assert_claims", "headers"} {
			if s := routeSettingByKey(key); s.display(rc) != "" {
				rc.bad(r, key, "", "is set on a public route (auth: none)",
					"a public route has no token to check or take claims from: remove "+key+", or drop auth: none to require a token")
			}
		}
		for _, key := range []string{"dpop", "introspect"} {
			if rc.sources[key].Kind == SourceFile {
				rc.bad(r, key, routeSettingByKey(key).display(rc), "is set on a public route (auth: none)",
					"a public route checks no token: remove "+key+", or drop auth: none to require a token")
			}
		}
		return
	}
	fix := "write auth: token (a valid access token is required; the default) or auth: none (a public route)"
	if near := nearest(rc.Auth, []string{authToken, authNone}); near != "" {
		fix = "did you mean " + near + "? Write auth: " + near + "; " + fix
	}
	rc.bad(r, "auth", rc.Auth, "is neither token nor none", fix)
}

// checkRouteScopes returns the check of the scope list key (scopes or
// any_scopes): each item a scope token, as the token's scope claim holds
// them (RFC 6749 §3.3), or the route could never be satisfied.
func checkRouteScopes(key string) func(Config, RouteConfig, *report) {
	return func(_ Config, rc RouteConfig, r *report) {
		for _, s := range *routeSettingByKey(key).ptr(&rc).(*[]string) {
			if err := scope.Check(s); err != nil {
				rc.bad(r, key, s, "is not a scope token ("+err.Error()+")",
					"list scopes as the issuer grants them, without spaces, quotes or backslashes, e.g. "+key+": [orders:read, orders:write]; "+scope.Syntax)
			}
		}
	}
}

// checkRouteClaims holds assert_claims to the verifier's rules on an
// issuer's assert_claims (verifier.Config.Validate), the one judge of the
// language both use.
func checkRouteClaims(_ Config, rc RouteConfig, r *report) {
	if len(rc.AssertClaims) == 0 {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(rc.AssertClaims)) { // one at a time, in order: Validate's map order is random
		err := verifier.Config{AssertClaims: map[string]any{name: rc.AssertClaims[name]}}.Validate()
		var ce *verifier.ConfigError
		if err == nil || !errors.As(unjoinAssertion(err), &ce) {
			continue
		}
		problem := ce.Problem
		if problem == "" {
			problem = "is refused"
		}
		r.errs = append(r.errs, &Error{Field: rc.name("assert_claims"), Value: ce.Value, Source: rc.sources["assert_claims"],
			Problem: problem, Fix: ce.Fix, Err: ce})
	}
}

// unjoinAssertion picks, of the errors of a Config holding only
// AssertClaims, the one about AssertClaims: the empty Config's other fields
// are not the route's.
func unjoinAssertion(err error) error {
	for _, e := range unjoin(err) {
		var ce *verifier.ConfigError
		if errors.As(e, &ce) && ce.Field == "AssertClaims" {
			return e
		}
	}
	return nil
}

func checkRouteTimeout(_ Config, rc RouteConfig, r *report) {
	if rc.Timeout < 0 || rc.Timeout == 0 && rc.sources["timeout"].Kind == SourceFile {
		rc.bad(r, "timeout", rc.Timeout.String(), "is not positive",
			"write how long to wait for the upstream's response headers, e.g. timeout: 10s, or leave it out for the default ("+routeSettingByKey("timeout").defDoc+")")
	}
}

// checkForwardAuthPath is FORWARD_AUTH_PATH's own check: a path the
// gateway can register as it is. Whether a route takes it is
// checkRouteConflicts's.
func checkForwardAuthPath(c Config, r *report) {
	if problem := forwardAuthPathProblem(c.ForwardAuthPath); problem != "" {
		r.bad("FORWARD_AUTH_PATH", c.ForwardAuthPath, problem,
			"set "+r.places("FORWARD_AUTH_PATH")+" to a plain path, e.g. /_auth (the default), without query, fragment or wildcards")
	}
}

// forwardAuthPathProblem checks the forward-auth endpoint's path.
func forwardAuthPathProblem(p string) string {
	switch {
	case p == "":
		return "is empty"
	case !strings.HasPrefix(p, "/"):
		return "does not start with /"
	case strings.ContainsAny(p, "?#"):
		return "has a query or fragment"
	case strings.ContainsAny(p, "{}"):
		return "holds a wildcard"
	case strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 || !utf8.ValidString(p):
		return "holds a space or a control character"
	case path.Clean(p) != strings.TrimSuffix(p, "/") && p != "/":
		return "is not a clean path (// . or ..), which requests are redirected away from"
	}
	if problem := patternProblem(p); problem != "" {
		return "is not a ServeMux path (" + problem + ")"
	}
	return ""
}

// refusedHeaders are the header names headers: may not set, with why:
// the gateway's own list (gateway.New refuses them too), so that a file
// it would refuse is refused at load, with the file's line.
var refusedHeaders = func() map[string]string {
	m := map[string]string{}
	for why, names := range map[string][]string{
		"is a hop-by-hop header, which the proxy removes": {"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization"},
		"describes the request's body":                    {"Transfer-Encoding", "Content-Length", "Content-Type", "Content-Encoding", "Expect"},
		"says where the request came from or is going":    {"Host", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Method", "X-Forwarded-Uri", "X-Original-Uri", "X-Original-Method"},
		"carries the client's credentials":                {"Authorization", "Cookie", "Dpop"},
	} {
		for _, n := range names {
			m[n] = why
		}
	}
	return m
}()

// checkRouteHeaders checks the route's own headers: (see checkHeaders).
func checkRouteHeaders(_ Config, rc RouteConfig, r *report) {
	checkHeaders(rc.Headers, rc.name("headers"), "this route", r)
}

// checkHeaders checks each header of a headers: mapping (a route's, or the
// top level's), named field in messages and where in the fix for a
// repeated name: a name that is an HTTP token, not refused, not repeated
// in another case; a claim that is a JSON Pointer; a separator that a
// header value can hold.
func checkHeaders(headers []HeaderConfig, field, where string, r *report) {
	bad := func(h HeaderConfig, value, problem, fix string) {
		r.errs = append(r.errs, &Error{Field: h.src.Name, Value: value, Source: h.src, Problem: problem, Fix: fix})
	}
	for i, h := range headers {
		if h.src.Name == "" { // a Config built by hand
			h.src.Name = field + "." + h.Name
		}
		canon := http.CanonicalHeaderKey(h.Name)
		switch {
		case !httpToken(h.Name):
			bad(h, h.Name, "is not a header name", "name the header with letters, digits and - only, e.g. X-Auth-Subject")
		case refusedHeaders[canon] != "":
			bad(h, h.Name, refusedHeaders[canon]+", so a claim cannot be sent in it", "choose a header of your own, e.g. X-Auth-"+strings.TrimPrefix(canon, "Proxy-"))
		}
		for _, other := range headers[:i] {
			if strings.EqualFold(other.Name, h.Name) {
				bad(h, h.Name, fmt.Sprintf("is set twice in %s, as %s (line %d) too", where, other.Name, other.src.Line),
					"header names are case-insensitive: keep one of them")
			}
		}
		if problem, fix := pointerProblem(h.Claim); problem != "" {
			bad(h, h.Claim, problem, fix)
		}
		if strings.IndexFunc(h.Separator, func(c rune) bool { return c < 0x20 && c != '\t' || c == 0x7f }) >= 0 {
			bad(h, h.Separator, "has a separator holding a control character (a line break?), which no header value can hold",
				"join with plain characters, e.g. separator: \",\" (the default) or \" \"")
		}
	}
}

// httpToken says whether s is an RFC 9110 token, as a header name must be.
func httpToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// pointerProblem checks a claim's JSON Pointer (RFC 6901): "/" and a claim
// name, "/" between nested names, "~" only as the escapes ~0 and ~1. The
// empty pointer (the whole claims object) has no place in a header.
func pointerProblem(p string) (problem, fix string) {
	const rule = "write a JSON Pointer (RFC 6901): / and the claim's name, / between nested names, ~1 for a / and ~0 for a ~ within a name, e.g. /sub, /realm_access/roles or /https:~1~1example.com~1tenant"
	switch {
	case p == "":
		return "has no claim", "name the claim: " + rule
	case !strings.HasPrefix(p, "/"):
		return "is not a JSON Pointer: it does not start with /", "did you mean /" + p + "? W" + rule[1:]
	case !utf8.ValidString(p):
		return "is not UTF-8", rule
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 == len(p) || p[i+1] != '0' && p[i+1] != '1') {
			return "is not a JSON Pointer: it holds a ~ that is not ~0 or ~1", rule
		}
	}
	return "", ""
}

// checkRouteConflicts registers the routes' patterns, in order, on one
// throwaway ServeMux, as the gateway will on its own: ServeMux refuses
// (panics on) a pattern that conflicts with one before it, and the same
// pattern twice. The program's own routes (server.OwnPatterns: health,
// readiness, metadata) come first. Each refusal becomes an error naming
// both routes. The
// forward-auth endpoint is answered before the routes (gateway.Config's
// ForwardAuthPath), so only a route on its very path is refused.
func checkRouteConflicts(c Config, r *report) {
	mux := http.NewServeMux()
	for _, own := range server.OwnPatterns {
		mux.Handle(own, http.NotFoundHandler())
	}
	fap := c.ForwardAuthPath
	if forwardAuthPathProblem(fap) != "" {
		fap = "" // its own check reports it
	}
	var done []RouteConfig // the routes registered, in order
	for _, rc := range c.Routes {
		m := strings.TrimSpace(rc.Match)
		if m == "" || patternProblem(m) != "" {
			continue // checkRouteMatch reports it
		}
		if i := slices.IndexFunc(done, func(o RouteConfig) bool { return strings.TrimSpace(o.Match) == m }); i >= 0 {
			rc.bad(r, "match", rc.Match, fmt.Sprintf("is listed twice, as %s (line %d) too", done[i].name("match"), done[i].sources["match"].Line),
				"keep one route per pattern: merge the two entries")
			continue
		}
		if fap != "" && patternPath(m) == fap {
			rc.bad(r, "match", rc.Match, "takes the forward-auth endpoint's path, FORWARD_AUTH_PATH "+strconv.Quote(fap)+" ("+c.sources["FORWARD_AUTH_PATH"].String()+")",
				"give the route another path, or set "+r.places("FORWARD_AUTH_PATH")+" to a path no route takes")
			continue
		}
		if text := conflict(mux, m); text != "" {
			rc.bad(r, "match", rc.Match, "conflicts with "+conflictsWith(done, m)+": "+text, conflictFix)
			continue
		}
		done = append(done, rc)
	}
}

// conflictFix is the fix for two conflicting patterns.
const conflictFix = "ServeMux sends a request to the most specific pattern that matches it, and refuses two patterns that overlap without one being more specific: make one of them more specific (a method, a longer path) or remove one"

// conflictsWith names the route of done, with its line, that m conflicts
// with. It replays the registrations pairwise, rather than reading the
// pattern out of ServeMux's message, whose wording is not an API.
func conflictsWith(done []RouteConfig, m string) string {
	for _, o := range done {
		mux := http.NewServeMux()
		mux.Handle(strings.TrimSpace(o.Match), http.NotFoundHandler())
		if conflict(mux, m) != "" {
			return fmt.Sprintf("%s %q (line %d)", o.name("match"), o.Match, o.sources["match"].Line)
		}
	}
	for _, own := range server.OwnPatterns {
		mux := http.NewServeMux()
		mux.Handle(own, http.NotFoundHandler())
		if conflict(mux, m) != "" {
			return fmt.Sprintf("the program's own route %q", own)
		}
	}
	return "an earlier route"
}

// patternPath is the path of a ServeMux pattern: without its method and
// host.
func patternPath(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return pattern
}

func checkRouteDPoP(_ Config, rc RouteConfig, r *report) {
	if problem, fix := checkDPoPMode(rc.DPoP); problem != "" {
		rc.bad(r, "dpop", rc.DPoP, problem, fix)
	}
}

// checkRouteIntrospect checks introspect: auto or always, and always only
// with an issuer that has introspection.
func checkRouteIntrospect(c Config, rc RouteConfig, r *report) {
	switch rc.Introspect {
	case "", IntrospectAuto:
		return
	case IntrospectAlways:
		if !slices.ContainsFunc(c.Issuers, func(ic IssuerConfig) bool { return ic.Introspection != nil }) {
			rc.bad(r, "introspect", rc.Introspect, "needs an issuer with introspection, and none has it",
				"give the issuer whose tokens the route takes an introspection: mapping in the issuers: list (url, client_id, client_secret_env; `resource-server config example` shows one), or write introspect: auto")
		}
		return
	}
	fix := "write introspect: auto (only opaque tokens are introspected; the default) or introspect: always (every token, for immediate revocation)"
	if near := nearest(rc.Introspect, []string{IntrospectAuto, IntrospectAlways}); near != "" {
		fix = "did you mean " + near + "? Write introspect: " + near + "; " + strings.TrimPrefix(fix, "write ")
	}
	rc.bad(r, "introspect", rc.Introspect, "is neither auto nor always", fix)
}
