package gateway

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/resource-server/resource-server/internal/jsonerror"
)

// forwardAuth is the forward-auth endpoint: it rebuilds the request a proxy
// asks about, finds its route in the same table, and runs the same checks,
// answering instead of proxying.
func (g *Gateway) forwardAuth(w http.ResponseWriter, r *http.Request) {
	orig, rawPath, err := originalRequest(r)
	if err != nil {
		jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	to := g.routeOf(orig, rawPath)
	if to.rt == nil || orig.URL.Path == g.forwardAuthPath {
		// No route, the forward-auth endpoint itself, or a redirect to a
		// cleaned path: nothing a proxy should let through.
		notFound(w, orig)
		return
	}
	// The pattern, as ServeMux sets it on a routed request: the route's
	// metrics label and its resource's metadata URL come from it.
	orig.Pattern = to.pattern
	to.rt.check.ServeHTTP(w, orig)
}

// originalRequest rebuilds the request a proxy asks about from the headers
// it sends: nginx auth_request's X-Original-URI and X-Original-Method (as
// its configuration usually names them), or Traefik ForwardAuth's and Caddy
// forward_auth's X-Forwarded-Uri, X-Forwarded-Method and X-Forwarded-Host.
// The method defaults to the subrequest's own; the host to
// X-Forwarded-Host, X-Original-Host, then the subrequest's Host. The
// request keeps the subrequest's headers (Authorization, Origin…) and
// context; it has no body, which no check reads. rawPath is the URI's
// path, as sent.
func originalRequest(r *http.Request) (orig *http.Request, rawPath string, err error) {
	h := r.Header
	uri, method := get(h, "X-Original-Uri"), get(h, "X-Original-Method")
	if uri == "" {
		uri, method = get(h, "X-Forwarded-Uri"), get(h, "X-Forwarded-Method")
	}
	if uri == "" {
		return nil, "", errors.New("the original request is not named: set X-Original-URI (nginx auth_request) or X-Forwarded-Uri (Traefik ForwardAuth, Caddy forward_auth)")
	}
	method = cmp.Or(method, r.Method)
	if !validHeaderName(method) { // a method is a token, as a header name is
		return nil, "", errors.New("the original method (X-Original-Method or X-Forwarded-Method) is not an HTTP method")
	}
	if uri[0] != '/' {
		return nil, "", errors.New("the original URI (X-Original-URI or X-Forwarded-Uri) does not start with \"/\": send the path and query only")
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, "", errors.New("the original URI (X-Original-URI or X-Forwarded-Uri) is not a valid path and query")
	}
	host := cmp.Or(get(h, "X-Forwarded-Host"), get(h, "X-Original-Host"), r.Host)
	if strings.ContainsAny(host, " \t/\\@?#") || !validHeaderValue(host) {
		return nil, "", errors.New("the original host (X-Forwarded-Host) is not a host name")
	}
	orig = r.WithContext(r.Context())
	orig.Method, orig.URL, orig.Host, orig.RequestURI = method, u, host, uri
	orig.Body, orig.ContentLength, orig.Form, orig.PostForm = http.NoBody, 0, nil, nil
	orig.Pattern = ""
	// The scheme the client used, for a DPoP proof's "htu": the
	// subrequest's own is the proxy's to this endpoint.
	if proto := get(h, "X-Forwarded-Proto"); proto == "https" || proto == "http" {
		orig.URL.Scheme = proto
	}
	rawPath, _, _ = strings.Cut(uri, "?")
	return orig, rawPath, nil
}

// get is h.Get for a key already in canonical form, as every key of a
// request net/http has read is: it looks the key up without canonicalizing
// it again, which forward-auth, asked on every request, would pay six times.
func get(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
