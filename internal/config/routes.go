package config

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resource-server/resource-server/gateway"
)

// RouteConfig is one entry of the YAML file's routes: list: which requests
// it takes (Match), what they must carry (Auth, Scopes, AnyScopes,
// AssertClaims), which claims go upstream as headers (Headers) and where the
// requests go (Upstream or Handler). GatewayRoutes turns the list into the
// gateway's route table. Only a YAML file carries routes: there is no
// environment variable or flag for them, since a table does not fit in one
// value.
type RouteConfig struct {
	Match    string // match: a net/http ServeMux pattern, "GET /orders/{id}"
	Upstream string // upstream: an http(s) URL; "" when Handler is set
	Handler  string // handler: a built-in handler's name (see RouteHandlers)
	// Auth is auth: "token" (a valid access token is required) or "none"
	// (a public route). "" counts as "token", for a RouteConfig built by
	// hand.
	Auth         string
	Scopes       []string       // scopes: all required
	AnyScopes    []string       // any_scopes: at least one required
	AssertClaims map[string]any // assert_claims, in the language of an issuer's
	Headers      []HeaderConfig // headers, in the file's order
	// Timeout is timeout: the wait for the upstream's response headers.
	// Load sets gateway.DefaultTimeout when the entry leaves it out.
	Timeout time.Duration
	// PassAuthorization is pass_authorization: the Authorization header
	// goes upstream. Load sets true when the entry leaves it out; a
	// RouteConfig built by hand must say so itself.
	PassAuthorization bool
	// PreserveHost is preserve_host: the client's Host header goes
	// upstream instead of the upstream's own host.
	PreserveHost bool
	// DPoP is dpop: DPoPOff, DPoPAllowed or DPoPRequired, overriding the
	// issuer's dpop for the route's requests; "" for the issuer's.
	DPoP string
	// Introspect is introspect: IntrospectAuto (only tokens that are not
	// JWTs are introspected) or IntrospectAlways (every token, for
	// immediate revocation; an issuer must have introspection). Load sets
	// IntrospectAuto when the entry leaves it out; "" counts as
	// IntrospectAuto, for a RouteConfig built by hand.
	Introspect string

	// Index is the entry's position in the list, from 0.
	Index int
	// sources maps a key ("scopes") to its line in the file; a key the
	// entry leaves out has the default Source when Load gave it a default,
	// else none.
	sources map[string]Source
	// src is where the entry starts, for messages about a key it lacks.
	src Source
}

// HeaderConfig is one entry of a route's headers: mapping: a request header
// set from a claim of the verified token.
type HeaderConfig struct {
	Name  string // the header's name, as written: "X-Auth-Subject"
	Claim string // a JSON Pointer (RFC 6901) into the claims: "/sub"
	// Separator joins the elements of an array claim; Load sets "," when
	// the entry leaves it out.
	Separator string

	// src is where the header stands in the file.
	src Source
}

// Source says where the entry's value of key (its YAML key, "scopes") came
// from: its line in the file, SourceDefault for a default Load filled in,
// or the zero Source for a key neither sets.
func (rc RouteConfig) Source(key string) Source { return rc.sources[key] }

// name is the entry's key as messages name it: "routes[1].match".
func (rc RouteConfig) name(key string) string {
	return "routes[" + strconv.Itoa(rc.Index) + "]." + key
}

// The values of auth:.
const (
	authToken = "token"
	authNone  = "none"
)

// routeHandlers are the names handler: accepts, the program's built-in
// handlers: GET /'s welcome text, the sample's messages, and /secure's echo
// of the verified token.
var routeHandlers = []string{"welcome", "messages", "secure"}

// RouteHandlers returns the names a route's handler: may hold, the keys of
// the map GatewayRoutes takes.
func RouteHandlers() []string { return slices.Clone(routeHandlers) }

// kindHeaders is a mapping of header names to claims (headers).
const kindHeaders kind = 101

// routeSetting declares one key of a routes: entry, once, in the style of
// issuerSetting: its YAML key, type, default, help and checks.
// decodeRoutes, validateRoutes, Describe, ExampleYAML and the README's table
// of route keys (MarkdownRouteTable) are driven by routeSettings.
type routeSetting struct {
	key    string
	kind   kind // kindString, kindList, kindBool, kindDuration, kindClaims or kindHeaders
	defDoc string
	help   string
	ptr    func(*RouteConfig) any
	check  func(c Config, rc RouteConfig, r *report)
}

// routeSettings is the table of a routes: entry's keys. It is filled by
// init because the checks read it (an entry's defaults, the keys a public
// route must not set).
var routeSettings []*routeSetting

func init() { routeSettings = routeKeyTable() }

// routeKeyTable declares the keys of a routes: entry, in the order of the
// README's table and the example file.
func routeKeyTable() []*routeSetting {
	return []*routeSetting{
		{key: "match", kind: kindString, defDoc: "none: required",
			help: "the requests the route takes, a net/http ServeMux pattern, [METHOD ][HOST]/PATH: GET /orders/{id}, /public/ (a subtree), POST /admin/{path...}; the most specific pattern wins, and two patterns that overlap without one being more specific are refused",
			ptr:  func(rc *RouteConfig) any { return &rc.Match }, check: checkRouteMatch},
		{key: "upstream", kind: kindString, defDoc: "none: upstream or handler is required",
			help: "where matched requests are proxied: an http(s) URL with a host and an optional base path, to which the request's path is joined; no query, fragment or user name",
			ptr:  func(rc *RouteConfig) any { return &rc.Upstream }, check: checkRouteUpstream},
		{key: "handler", kind: kindString, defDoc: "none: upstream or handler is required",
			help: "serve matched requests in the program instead of proxying them: welcome (GET /'s text), messages (the sample's messages) or secure (echoes the verified token)",
			ptr:  func(rc *RouteConfig) any { return &rc.Handler }, check: checkRouteHandler},
		{key: "auth", kind: kindString, defDoc: "token",
			help: "token: a valid access token is required; none: a public route, whose requests pass without one (it then takes no scopes, any_scopes, assert_claims or headers)",
			ptr:  func(rc *RouteConfig) any { return &rc.Auth }, check: checkRouteAuth},
		{key: "scopes", kind: kindList, defDoc: "none",
			help: "scopes the token must all hold, else 403 insufficient_scope",
			ptr:  func(rc *RouteConfig) any { return &rc.Scopes }, check: checkRouteScopes("scopes")},
		{key: "any_scopes", kind: kindList, defDoc: "none",
			help: "scopes of which the token must hold at least one, else 403 insufficient_scope",
			ptr:  func(rc *RouteConfig) any { return &rc.AnyScopes }, check: checkRouteScopes("any_scopes")},
		{key: "assert_claims", kind: kindClaims, defDoc: "none",
			help: "further claims required, as in an issuer's assert_claims: claim: value for equality, claim.includes: value or [values] for an array (or space-separated string) claim holding each; a token failing one gets 403",
			ptr:  func(rc *RouteConfig) any { return &rc.AssertClaims }, check: checkRouteClaims},
		{key: "headers", kind: kindHeaders, defDoc: "none",
			help: "claims sent upstream as request headers (and answered by the forward-auth endpoint): Header-Name: /json/pointer (RFC 6901), or Header-Name: {claim: /pointer, separator: \" \"} to choose how an array claim is joined (default \",\"); added to the top-level headers: (the same mapping, for every route that takes a token), a header named in both taking the route's",
			ptr:  func(rc *RouteConfig) any { return &rc.Headers }, check: checkRouteHeaders},
		{key: "timeout", kind: kindDuration, defDoc: shortDuration(gateway.DefaultTimeout),
			help: "how long to wait for the upstream's response headers, past which the client gets 504; it does not bound a streamed body or a WebSocket",
			ptr:  func(rc *RouteConfig) any { return &rc.Timeout }, check: checkRouteTimeout},
		{key: "pass_authorization", kind: kindBool, defDoc: "true",
			help: "pass the Authorization header (the token) to the upstream; false keeps it from the upstream",
			ptr:  func(rc *RouteConfig) any { return &rc.PassAuthorization }},
		{key: "preserve_host", kind: kindBool, defDoc: "false",
			help: "send the client's Host header to the upstream instead of the upstream's own host (which virtual-hosted and TLS upstreams expect); the client's host is in X-Forwarded-Host either way",
			ptr:  func(rc *RouteConfig) any { return &rc.PreserveHost }},
		{key: "dpop", kind: kindString, defDoc: "the issuer's dpop",
			help: "DPoP for this route, overriding the issuer's: off (the Bearer scheme only), allowed (a DPoP-bound token needs the DPoP scheme and a proof) or required (DPoP-bound tokens only)",
			ptr:  func(rc *RouteConfig) any { return &rc.DPoP }, check: checkRouteDPoP},
		{key: "introspect", kind: kindString, defDoc: IntrospectAuto,
			help: "auto: only tokens that are not JWTs (opaque tokens) are introspected; always: every token of the route, JWTs too, must be active at the introspection endpoint, so that a revoked token is refused at once (a JWT of an issuer without introspection is refused); always needs an issuer with introspection",
			ptr:  func(rc *RouteConfig) any { return &rc.Introspect }, check: checkRouteIntrospect},
	}
}

// routeSettingByKey finds an entry's key; nil for none.
func routeSettingByKey(key string) *routeSetting {
	for _, s := range routeSettings {
		if s.key == key {
			return s
		}
	}
	return nil
}

// routeKeys lists the keys of a routes: entry.
func routeKeys() []string {
	keys := make([]string, len(routeSettings))
	for i, s := range routeSettings {
		keys[i] = s.key
	}
	return keys
}

// newRoute is entry i before its keys are read: with the defaults Load
// gives, each recorded as a default so that Describe says so.
func newRoute(i int) RouteConfig {
	def := Source{Kind: SourceDefault}
	return RouteConfig{Index: i, Auth: authToken, Timeout: gateway.DefaultTimeout, PassAuthorization: true, Introspect: IntrospectAuto,
		sources: map[string]Source{"auth": def, "timeout": def, "pass_authorization": def, "introspect": def}}
}

// GatewayRoutes is the routes: list as the gateway's route table, in the
// file's order. handlers holds the built-in handlers by name (see
// RouteHandlers); a route naming one it lacks is an error, as is a
// list Validate refuses (checked again here, for a Config built by hand).
// An empty list gives nil: the program then serves its built-in routes.
func (c Config) GatewayRoutes(handlers map[string]http.Handler) ([]gateway.Route, error) {
	if len(c.Routes) == 0 {
		return nil, nil
	}
	r := &report{c: c}
	c.validateRoutes(r)
	if err := errors.Join(r.errs...); err != nil {
		return nil, err
	}
	routes := make([]gateway.Route, len(c.Routes))
	for i, rc := range c.Routes {
		gr, err := rc.gatewayRoute(c.Headers, handlers)
		if err != nil {
			return nil, err
		}
		routes[i] = gr
	}
	return routes, nil
}

// gatewayRoute is the entry as a gateway.Route, with the top-level
// headers: top (see headersWith); the entry is valid.
func (rc RouteConfig) gatewayRoute(top []HeaderConfig, handlers map[string]http.Handler) (gateway.Route, error) {
	gr := gateway.Route{
		Match:              strings.TrimSpace(rc.Match),
		Public:             rc.Auth == authNone,
		Scopes:             slices.Clone(rc.Scopes),
		AnyScopes:          slices.Clone(rc.AnyScopes),
		AssertClaims:       maps.Clone(rc.AssertClaims),
		StripAuthorization: !rc.PassAuthorization,
		PreserveHost:       rc.PreserveHost,
		Timeout:            rc.Timeout,
	}
	for _, h := range rc.headersWith(top) {
		gr.Headers = append(gr.Headers, gateway.ClaimHeader{Name: h.Name, Claim: h.Claim, Separator: h.Separator})
	}
	if rc.Upstream != "" {
		u, err := url.Parse(rc.Upstream)
		if err != nil { // Validate parsed it: unreachable but for a race on the Config
			return gateway.Route{}, &Error{Field: rc.name("upstream"), Value: rc.Upstream, Source: rc.sources["upstream"], Problem: "is not a URL", Err: err}
		}
		gr.Upstream = u
		return gr, nil
	}
	h := handlers[rc.Handler]
	if h == nil {
		return gateway.Route{}, &Error{Field: rc.name("handler"), Value: rc.Handler, Source: rc.sources["handler"],
			Problem: "names a handler this program did not provide", Fix: "use one of " + strings.Join(slices.Sorted(maps.Keys(handlers)), ", ")}
	}
	gr.Handler = h
	return gr, nil
}

// display is the entry's value of s as text for people.
func (s *routeSetting) display(rc RouteConfig) string {
	p := s.ptr(&rc)
	if text, ok := formatValue(p, s.kind); ok {
		return text
	}
	switch p := p.(type) {
	case *map[string]any:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(*p)) {
			parts = append(parts, fmt.Sprintf("%s=%v", k, (*p)[k]))
		}
		return strings.Join(parts, " ")
	case *[]HeaderConfig:
		return displayHeaders(*p)
	}
	panic("config: route key " + s.key + " has an unknown field type")
}

// MarkdownRouteTable returns the README's table of the keys of a routes:
// entry, one row per key: key, default and help.
func MarkdownRouteTable() string {
	var b strings.Builder
	b.WriteString("| Key | Default | Meaning |\n|---|---|---|\n")
	for _, s := range routeSettings {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.key, s.defDoc, s.help)
	}
	return b.String()
}

// routeMatches lists the routes' patterns, for logs.
func (c Config) routeMatches() []string {
	matches := make([]string, len(c.Routes))
	for i, rc := range c.Routes {
		matches[i] = rc.Match
	}
	return matches
}

// describeRoutes writes, for Describe, the top-level headers: and each
// route's keys, one a line: the value and its line in the file, or
// "default"; a route's headers are those it sends, the top-level ones
// included.
func (c Config) describeRoutes(tw io.Writer) {
	if len(c.Headers) > 0 {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", headersKey, displayHeaders(c.Headers), c.headersSource.origin())
	}
	for _, rc := range c.Routes {
		for _, s := range routeSettings {
			v := s.display(rc)
			origin := rc.sources[s.key].origin()
			if rc.sources[s.key].Kind == SourceUnknown {
				origin = "default"
			}
			if s.key == "headers" {
				v, origin = rc.describeHeaders(c, origin)
			}
			if v == "" {
				v = `""`
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", rc.name(s.key), v, origin)
		}
	}
}

// exampleRoutes writes the example file's commented routes: block: what
// the list is, each key of an entry with its help and default, and an
// example.
func exampleRoutes(b *strings.Builder) {
	b.WriteByte('\n')
	wrap(b, "# ", "routes: the gateway's route table, served instead of the built-in routes (GET /, GET /api/messages, GET /secure): "+
		"each request goes to the route whose match is the most specific that matches it, which checks its token and proxies it to its upstream "+
		"or serves it with a built-in handler; a request no route matches gets 404. The keys of an entry:")
	for _, s := range routeSettings {
		wrap(b, "#   ", s.key+": "+s.help+". Default: "+s.defDoc+".")
	}
	b.WriteString(exampleRoutesYAML)
	exampleHeaders(b)
}

// exampleRoutesYAML is the example of the routes: list, commented.
const exampleRoutesYAML = `# routes:
#   - match: GET /orders/{id}
#     upstream: http://127.0.0.1:9000
#     scopes: [orders:read]
#     headers:
#       X-Auth-Subject: /sub
#       X-Auth-Roles: { claim: /realm_access/roles, separator: " " }
#     timeout: 10s
#     dpop: required
#   - match: /public/
#     upstream: http://127.0.0.1:9000
#     auth: none
#   - match: GET /api/messages
#     handler: messages
#     any_scopes: [messages:read, admin]
#     assert_claims: { "groups.includes": admins }
`
