package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/resource-server/resource-server/internal/scope"
	"github.com/resource-server/resource-server/verifier"
)

// claimHeader is a ClaimHeader ready to use.
type claimHeader struct {
	name  string // canonical
	claim string // as configured, for logs
	ptr   pointer
	sep   string
	// registered reads a registered string claim ("sub", "iss", "jti")
	// from the token's decoded fields, nil for other claims: the common
	// X-Auth-Subject then costs no decoding of the payload. The verifier
	// refuses a token whose such claim is not a string, so the field is
	// the claim, or "" when it is absent.
	registered func(*verifier.Token) string
	// warned is set once an invalid value has been logged: the value is
	// the issuer's data, the same for every request that carries it, so
	// one record says it all.
	warned atomic.Bool
}

// registeredClaims are the string claims a verified Token holds decoded.
var registeredClaims = map[string]func(*verifier.Token) string{
	"sub": (*verifier.Token).Subject,
	"iss": (*verifier.Token).Issuer,
	"jti": (*verifier.Token).ID,
}

// reservedHeaders cannot be set from claims: the hop-by-hop ones (RFC 9110
// §7.6.1) are removed by the proxy, the others carry framing, routing or
// credentials that a claim must not override.
var reservedHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Authorization": true, "Host": true, "Content-Length": true, "Content-Type": true,
	"Content-Encoding": true, "Expect": true, "Cookie": true, "Forwarded": true,
	"X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
	"X-Forwarded-Method": true, "X-Forwarded-Uri": true, "X-Original-Uri": true,
	"X-Original-Method": true, "Dpop": true,
}

// checkRoute checks everything of a route but its Match, which ServeMux
// checks when New registers it.
func checkRoute(i int, r *Route) []error {
	bad := func(field, value, problem, fix string, err error) error {
		return &RouteError{Index: i, Match: r.Match, Field: field, Value: value, Problem: problem, Fix: fix, Err: err}
	}
	var errs []error
	switch {
	case r.Upstream == nil && r.Handler == nil:
		errs = append(errs, bad("Upstream", "", "is missing, and so is Handler", "set the upstream URL the route proxies to", nil))
	case r.Upstream != nil && r.Handler != nil:
		errs = append(errs, bad("Handler", "", "is set, and so is Upstream", "set one of them: a route either proxies or serves in-process", nil))
	case r.Upstream != nil:
		if err := checkUpstream(r.Upstream.String(), r); err != "" {
			errs = append(errs, bad("Upstream", r.Upstream.String(), err, "use an absolute http(s) URL with a host and an optional base path, e.g. http://127.0.0.1:8080/api", nil))
		}
	}
	errs = append(errs, checkScopes(r.Scopes, "Scopes", bad)...)
	errs = append(errs, checkScopes(r.AnyScopes, "AnyScopes", bad)...)
	if _, err := verifier.NewAssertions(r.AssertClaims); err != nil {
		errs = append(errs, bad("AssertClaims", "", strings.ReplaceAll(err.Error(), "\n", "; "), "write each as \"claim\": value or \"claim.includes\": value or list", err))
	}
	errs = append(errs, checkHeaders(r, bad)...)
	if r.Public {
		for _, f := range []struct {
			field string
			set   bool
		}{{"Scopes", len(r.Scopes) > 0}, {"AnyScopes", len(r.AnyScopes) > 0},
			{"AssertClaims", len(r.AssertClaims) > 0}, {"Headers", len(r.Headers) > 0}} {
			if f.set {
				errs = append(errs, bad(f.field, "", "is set on a Public route, which takes no token",
					"remove it, or make the route non-public: a public route has no token to check or to read claims from", nil))
			}
		}
	}
	if r.Timeout < 0 {
		errs = append(errs, bad("Timeout", r.Timeout.String(), "is negative", "leave it 0 for DefaultTimeout, or give the wait for response headers", nil))
	}
	return errs
}

// checkUpstream returns what is wrong with an upstream URL, "" if nothing.
func checkUpstream(s string, r *Route) string {
	u := r.Upstream
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http or https URL"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "holds a user name or password"
	case u.RawQuery != "" || u.ForceQuery:
		return "has a query: the request's query is passed on, and would be joined to it"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "has a fragment"
	}
	return ""
}

type badFunc func(field, value, problem, fix string, err error) error

func checkScopes(scopes []string, field string, bad badFunc) []error {
	var errs []error
	for j, s := range scopes {
		if err := scope.Check(s); err != nil {
			errs = append(errs, bad(fmt.Sprintf("%s[%d]", field, j), s, err.Error(), "write one scope per item; "+scope.Syntax, err))
		}
	}
	return errs
}

// checkHeaders checks Headers: names, pointers, separators, duplicates.
func checkHeaders(r *Route, bad badFunc) []error {
	var errs []error
	seen := map[string]bool{}
	for j, h := range r.Headers {
		field := fmt.Sprintf("Headers[%d]", j)
		name := http.CanonicalHeaderKey(h.Name)
		switch {
		case !validHeaderName(h.Name):
			errs = append(errs, bad(field+".Name", h.Name, "is not a header field name", "use letters, digits and -, e.g. X-Auth-Subject", nil))
		case reservedHeaders[name]:
			errs = append(errs, bad(field+".Name", h.Name, "is a hop-by-hop, framing, forwarding or credential header",
				"choose a header of your own, e.g. X-Auth-Subject", nil))
		case seen[name]:
			errs = append(errs, bad(field+".Name", h.Name, "is set twice in this route", "keep one ClaimHeader per header name", nil))
		}
		seen[name] = true
		if _, err := parsePointer(h.Claim); err != nil {
			errs = append(errs, bad(field+".Claim", h.Claim, err.Error(), "write a JSON Pointer (RFC 6901), e.g. \"/sub\" or \"/realm_access/roles\"", err))
		}
		if !validHeaderValue(h.Separator) {
			errs = append(errs, bad(field+".Separator", h.Separator, "holds a control character", "use printable characters, e.g. \",\"", nil))
		}
	}
	return errs
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// compileHeaders returns the route's claim headers, ready to use; checkRoute
// has checked them.
func compileHeaders(hs []ClaimHeader) []*claimHeader {
	out := make([]*claimHeader, 0, len(hs))
	for _, h := range hs {
		ptr, _ := parsePointer(h.Claim)
		sep := h.Separator
		if sep == "" {
			sep = ","
		}
		ch := &claimHeader{name: http.CanonicalHeaderKey(h.Name), claim: h.Claim, ptr: ptr, sep: sep}
		if len(ptr) == 1 {
			ch.registered = registeredClaims[ptr[0]]
		}
		out = append(out, ch)
	}
	return out
}
