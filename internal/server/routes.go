package server

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/internal/messages"
)

// routes lists every route of the program with the Express sample's routes.
func routes(d Deps) http.Handler {
	mux := http.NewServeMux()
	auth := bearer.Middleware(d.Verifier, bearerOptions(d))
	if len(d.RequiredScopes) > 0 {
		scoped := bearer.RequireScopes(d.RequiredScopes...)
		withAuth := auth
		auth = func(h http.Handler) http.Handler { return withAuth(scoped(h)) }
	}

	mux.Handle("GET /{$}", handleWelcome())
	mux.Handle("GET /api/messages", auth(messages.Handler(d.Now)))
	if d.SecureRoute {
		mux.Handle("GET /secure", auth(handleSecure()))
	}
	mux.Handle("GET /healthz", handleHealth())
	mux.Handle("GET /readyz", handleReady(d.Verifier, d.Now))
	mux.Handle("GET "+metadataPath, handleResourceMetadata(d, func(string) []string { return d.RequiredScopes }))
	mux.Handle("/", handleNotFound())
	return withDevIssuer(d, withCORS(corsFor(d.CORSAllowedOrigins), mux))
}

// OwnPatterns are the program's own routes beside the gateway's route
// table, in this order: health, readiness, the RFC 9728 metadata of the
// root resource and of each route's. internal/config refuses a route that
// conflicts with one of them, naming its line.
var OwnPatterns = []string{
	"GET /healthz",
	"GET /readyz",
	"GET " + metadataPath,
	"GET " + metadataPath + "/{path...}",
}

// gatewayRoutes lists every route of the program with the gateway's route
// table: the program's own routes, public, are added to d.Routes, so that a
// route of the configuration that conflicts with one of them is refused
// like any conflict.
func gatewayRoutes(d Deps) (http.Handler, error) {
	var g *gateway.Gateway // the metadata handlers read its scopes
	handlers := []http.Handler{handleHealth(), handleReady(d.Verifier, d.Now), gatewayMetadata(d, &g), gatewayMetadata(d, &g)}
	own := make([]gateway.Route, len(OwnPatterns))
	for i, p := range OwnPatterns {
		own[i] = gateway.Route{Match: p, Handler: handlers[i], Public: true}
	}
	opts := bearerOptions(d)
	opts.ResourceMetadata, opts.ResourceMetadataFunc = "", func(r *http.Request) string {
		if base := baseURL(d.PublicURL, r); base != "" {
			return base + gateway.MetadataPath(resourcePath(r.Pattern))
		}
		return ""
	}
	g, err := gateway.New(gateway.Config{
		Routes:          append(slices.Clip(d.Routes), own...),
		Verifier:        d.Verifier,
		Bearer:          opts,
		Transport:       d.Transport,
		ForwardAuthPath: d.ForwardAuthPath,
		Logger:          d.Logger,
	})
	if err != nil {
		return nil, err
	}
	api := withCORS(corsFor(d.CORSAllowedOrigins), g)
	forwardAuth := cmp.Or(d.ForwardAuthPath, gateway.DefaultForwardAuthPath)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The forward-auth endpoint is asked by a proxy, never by a
		// browser: no CORS there (nor its Vary header on every answer).
		if r.URL.Path == forwardAuth {
			g.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}), nil
}

// gatewayMetadata serves the RFC 9728 metadata of the gateway's resources,
// whose scopes_supported are those of the routes under each: *g is the
// gateway, set once built, before any request.
func gatewayMetadata(d Deps, g **gateway.Gateway) http.Handler {
	return handleResourceMetadata(d, func(path string) []string { return (*g).ScopesSupported(path) })
}

// bearerOptions are the bearer middleware's options: the realm, the
// logger, the RFC 9728 metadata URL of every challenge (PUBLIC_URL's, else
// the request's) and the metrics' observer.
func bearerOptions(d Deps) bearer.Options {
	opts := bearer.Options{Realm: "api", Logger: d.Logger}
	if d.PublicURL != "" {
		opts.ResourceMetadata = d.PublicURL + metadataPath
	} else {
		opts.ResourceMetadataFunc = func(r *http.Request) string {
			if base := baseURL("", r); base != "" {
				return base + metadataPath
			}
			return ""
		}
	}
	if d.Metrics != nil {
		opts.Observe = d.Metrics.Observe
	}
	if d.DPoP != nil {
		dpop := *d.DPoP
		if dpop.URL == nil {
			dpop.URL = proofURL(d.PublicURL)
		}
		opts.DPoP = &dpop
	}
	return opts
}

// proofURL is the URL a DPoP proof's "htu" must name: publicURL joined
// with the request's path; without publicURL, the request's scheme (its
// URL's, which a forward-auth check takes from X-Forwarded-Proto, else
// https over TLS) and Host.
func proofURL(publicURL string) func(*http.Request) string {
	return func(r *http.Request) string {
		if publicURL != "" {
			return publicURL + r.URL.EscapedPath()
		}
		scheme := "http"
		switch {
		case r.URL.Scheme == "https" || r.URL.Scheme == "http":
			scheme = r.URL.Scheme
		case r.TLS != nil:
			scheme = "https"
		}
		return scheme + "://" + r.Host + r.URL.EscapedPath()
	}
}

// withDevIssuer serves the embedded development issuer, when there is one,
// outside CORS and authentication, for every path under DevIssuerPath.
func withDevIssuer(d Deps, api http.Handler) http.Handler {
	if d.DevIssuer == nil {
		return api
	}
	issuerPath := strings.TrimSuffix(d.DevIssuerPath, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == issuerPath || strings.HasPrefix(p, issuerPath+"/") || strings.HasPrefix(p, "/.well-known/oauth-authorization-server"+issuerPath) {
			d.DevIssuer.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// varyOrigin is the Vary value of every answer but a preflight's, shared
// as rs/cors shares its own (append copies it: its capacity is its length).
var varyOrigin = []string{"Origin"}

// withCORS is c.Handler(next) that answers a request without an Origin
// header, which is no CORS request, as rs/cors does, without it: its only
// work then is "Vary: Origin" (a cached answer must not be served to a
// browser origin it does not fit), added here. API clients, the load
// benchmark's wrk among them, send no Origin.
func withCORS(c *cors.Cors, next http.Handler) http.Handler {
	h := c.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions || r.Header["Origin"] != nil {
			h.ServeHTTP(w, r)
			return
		}
		hdr := w.Header()
		if vary := hdr["Vary"]; vary == nil {
			hdr["Vary"] = varyOrigin
		} else {
			hdr["Vary"] = append(vary, "Origin")
		}
		next.ServeHTTP(w, r)
	})
}

// corsFor answers CORS as the Express sample's cors() does by default (any
// origin, the usual methods, requested headers reflected, preflight 204),
// restricted to origins when they are listed, and lets browsers read
// WWW-Authenticate so a front-end can tell an expired token from an outage.
func corsFor(origins []string) *cors.Cors {
	return cors.New(cors.Options{
		AllowedOrigins:       origins,
		AllowedMethods:       []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodPost, http.MethodDelete},
		AllowedHeaders:       []string{"*"},
		ExposedHeaders:       []string{"WWW-Authenticate"},
		OptionsSuccessStatus: http.StatusNoContent,
	})
}

// Builtins are the handlers a route of the gateway's table may name
// instead of an upstream (config's handler:): the sample's welcome,
// messages and secure routes.
func Builtins(now func() time.Time) map[string]http.Handler {
	if now == nil {
		now = time.Now
	}
	return map[string]http.Handler{
		"welcome":  handleWelcome(),
		"messages": messages.Handler(now),
		"secure":   handleSecure(),
	}
}
