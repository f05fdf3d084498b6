package server

import (
	"net/http"
	"strings"

	"github.com/rs/cors"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/messages"
)

// routes lists every route of the program.
func routes(d Deps) http.Handler {
	mux := http.NewServeMux()
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
	auth := bearer.Middleware(d.Verifier, opts)

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
	mux.Handle("GET "+metadataPath, handleResourceMetadata(d))
	mux.Handle("/", handleNotFound())

	api := withCORS(corsFor(d.CORSAllowedOrigins), mux)
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
