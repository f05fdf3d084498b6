package gateway

import (
	"github.com/resource-server/resource-server/bearer"

	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Route is one entry of the route table: which requests it takes (Match),
// what they must carry (Public, Scopes, AnyScopes, AssertClaims), which claims go
// upstream as headers (Headers) and where the request goes (Upstream or
// Handler).
type Route struct {
	// Match is a net/http ServeMux pattern: "GET /orders/{id}",
	// "/public/", "POST /admin/{path...}", "api.example.com/v1/". The most
	// specific pattern wins, exactly as ServeMux decides; two patterns that
	// conflict are refused by New, naming both.
	Match string

	// Upstream is where matched requests are proxied: scheme, host and an
	// optional base path, to which the request's path is joined (as
	// httputil.ProxyRequest.SetURL does). Exactly one of Upstream and Handler
	// is set.
	Upstream *url.URL
	// Handler serves matched requests in-process (the program's built-in
	// Messages handlers). The verified token is in the request context
	// (bearer.FromContext).
	Handler http.Handler

	// Public admits requests without a token (configuration: auth: none).
	// A token that is present is then not looked at, and no claim headers
	// are set (every configured one is still removed).
	Public bool
	// Scopes must all be in the token's scope (configuration: scopes:).
	Scopes []string
	// AnyScopes: at least one must be in the token's scope (any_scopes:).
	AnyScopes []string
	// AssertClaims are claim assertions in verifier.Config.AssertClaims's
	// language ("name": value, "name.includes": value or list). A token that
	// fails one is refused 403 insufficient_scope: it is valid, but not
	// for this route.
	AssertClaims map[string]any

	// Headers set claims of the verified token as request headers for the
	// upstream (or, at the forward-auth endpoint, as response headers for
	// the proxy to copy).
	Headers []ClaimHeader

	// PreserveHost sends the client's Host header to the upstream. Default:
	// the upstream's own host (as httputil.ProxyRequest.SetURL sets it, and
	// as nginx's proxy_pass does), which virtual-hosted and TLS upstreams
	// expect; the client's host is in X-Forwarded-Host either way.
	PreserveHost bool

	// Verifier, when set, verifies this route's tokens instead of
	// Config.Verifier: the program's introspect: always routes introspect
	// every token with it.
	Verifier bearer.AccessTokenVerifier
	// Bearer, when set, are this route's middleware options instead of
	// Config.Bearer.
	Bearer *bearer.Options
	// DPoP, when set, is this route's DPoP mode, whatever the token's
	// issuer: bearer.DPoPOff takes no DPoP scheme here; DPoPAllowed or
	// DPoPRequired need the options' DPoP (its Verifier) to be set.
	DPoP *bearer.DPoPMode

	// StripAuthorization keeps the Authorization header from the upstream
	// (configuration: pass_authorization: false). Default: it is passed.
	StripAuthorization bool

	// Timeout bounds the wait for the upstream's response headers; past it
	// the client gets 504. Zero: DefaultTimeout. It does not bound a
	// streamed body or an upgraded (WebSocket) connection.
	Timeout time.Duration
}

// ClaimHeader sets one request header from one claim.
type ClaimHeader struct {
	// Name is the header's name, e.g. "X-Auth-Subject".
	Name string
	// Claim is a JSON Pointer (RFC 6901) into the token's claims: "/sub",
	// "/realm_access/roles", "/https:~1~1example.com~1tenant".
	Claim string
	// Separator joins the elements of an array claim. Default ",".
	Separator string
}

// DefaultTimeout is Route.Timeout's default.
const DefaultTimeout = 30 * time.Second

// DefaultForwardAuthPath is Config.ForwardAuthPath's default.
const DefaultForwardAuthPath = "/_auth"

// RouteError is one reason New refuses a route: Config.Routes[Index]'s Field
// ("Match", "Upstream", "Scopes", "Headers[1].Claim"…) holds Value, which
// is wrong as Problem says; Fix says what to write instead.
type RouteError struct {
	// Index is the route's index in Config.Routes; -1 for a Config field
	// that is not a route's (Field then names it: "ForwardAuthPath").
	Index int
	// Match is the route's Match, to find it in a configuration.
	Match string
	// Field is the Route field at fault.
	Field string
	// Value is the offending value, "" when it is missing.
	Value string
	// Problem says what is wrong with Value; it may be empty.
	Problem string
	// Fix says what to do.
	Fix string
	// Err is the underlying error, if any (from ServeMux, internal/scope,
	// verifier.NewAssertions).
	Err error
}

// Error returns `gateway: routes[I] "MATCH": invalid FIELD "VALUE" (PROBLEM): FIX`.
func (e *RouteError) Error() string {
	msg := "gateway: "
	if e.Index >= 0 {
		msg += fmt.Sprintf("routes[%d] %q: ", e.Index, e.Match)
	}
	msg += "invalid " + e.Field
	if e.Value != "" {
		msg += fmt.Sprintf(" %q", e.Value)
	}
	if e.Problem != "" {
		msg += " (" + e.Problem + ")"
	}
	return msg + ": " + e.Fix
}

// Unwrap returns the underlying error.
func (e *RouteError) Unwrap() error { return e.Err }

// ConflictError is New's refusal of two routes whose Match patterns
// net/http.ServeMux cannot order: both match some request, and neither is
// more specific.
type ConflictError struct {
	// Index and Match are the later route's; Other and OtherMatch the
	// earlier one's, which it conflicts with.
	Index, Other      int
	Match, OtherMatch string
	// Detail is ServeMux's explanation (a request both match).
	Detail string
}

// Error names both routes, by index and pattern.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("gateway: routes[%d] %q conflicts with routes[%d] %q: %s; make one more specific (a method, a longer literal path, a host)",
		e.Index, e.Match, e.Other, e.OtherMatch, e.Detail)
}
