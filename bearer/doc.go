// Package bearer is net/http middleware that protects handlers with OAuth 2.0
// bearer tokens (RFC 6750).
//
// Middleware takes the access token from the request's Authorization header,
// has it verified (normally by a *verifier.Verifier, or a *verifier.Set for
// several issuers), and either calls the next handler with the verified
// *verifier.Token in the request context (read it with FromContext) or
// refuses the request with an RFC 6750 challenge and a small JSON body.
// RequireScopes, placed inside Middleware, refuses tokens that lack the
// scopes a route needs.
//
// # Responses
//
//	request                                         status  WWW-Authenticate                                        body "error"
//	no Authorization header (or an empty one)       401     Bearer realm="api"                                      unauthorized
//	another scheme (e.g. "Basic …")                 401     Bearer realm="api"                                      unauthorized
//	"Bearer" with bad syntax (a tab after the       400     Bearer realm="api", error="invalid_request", …          invalid_request
//	  scheme, no token, an illegal byte)
//	more than one Authorization header              400     Bearer realm="api", error="invalid_request", …          invalid_request
//	access_token in the URL query (with or          400     Bearer realm="api", error="invalid_request", …          invalid_request
//	  without a header)
//	token refused by the verifier                   401     Bearer realm="api", error="invalid_token", …            invalid_token
//	verifier cannot get the issuer's keys           503     Bearer realm="api"  (+ Retry-After: 5)                  temporarily_unavailable
//	token lacks a scope required by RequireScopes   403     Bearer realm="api", error="insufficient_scope", …,      insufficient_scope
//	                                                          scope="a b"
//
// The checks run in that order of precedence: several headers, then a token
// in the URL, then the header itself. The header is RFC 6750 §2.1's
// "Bearer" 1*SP b64token: one or more spaces after the scheme ("Bearer  abc"
// is accepted), never a tab. Spaces and tabs before or after the whole value
// are not part of it (RFC 9110 §5.5): net/http's HTTP/1 reader strips them,
// and the middleware does too, so "Bearer abc " gets the same answer whether
// it came over HTTP/1, over HTTP/2 (which keeps them) or was set by code.
//
// # DPoP
//
// With Options.DPoP set, Middleware also accepts DPoP-bound tokens (RFC
// 9449): "Authorization: DPoP <token>" with exactly one "DPoP: <proof>"
// header. The token is verified as a bearer token is, must be bound to a key
// (cnf.jkt), and the proof is checked by DPoPOptions.Verifier against the
// request's method, its URL (DPoPOptions.URL: the public URL, not the
// client's Host header, behind a proxy), the token and its key; each proof
// is accepted once. In DPoPAllowed mode the Bearer scheme stays accepted for
// tokens bound to no key; in DPoPRequired mode it is refused. The DPoP
// challenge lists the accepted algorithms (algs="ES256") and carries the
// error when it concerns the DPoP scheme; in DPoPAllowed mode the Bearer
// challenge is sent as a second WWW-Authenticate field, and the challenge
// of the scheme in error comes first; DPoPFromContext tells a handler which
// scheme an admitted request used. Beside the table above:
//
//	request                                         status  WWW-Authenticate (first; second)                        body "error"
//	DPoP token + a valid proof                      200     (DPoP-Nonce: <nonce> when nonces are configured)
//	no credentials, another scheme                  401     Bearer realm="api"; DPoP algs="ES256"                   unauthorized
//	Bearer scheme in DPoPRequired mode              401     DPoP algs="ES256"  (no Bearer challenge)                unauthorized
//	DPoP-bound token sent as Bearer                 401     Bearer realm="api", error="invalid_token", …;           invalid_token
//	                                                          DPoP algs="ES256"
//	DPoP scheme: token refused, or bound to no key  401     DPoP algs="ES256", error="invalid_token", …;            invalid_token
//	                                                          Bearer realm="api"
//	DPoP scheme: no DPoP header, several, or a      401     DPoP algs="ES256", error="invalid_dpop_proof", …;       invalid_dpop_proof
//	  proof refused (which check, in the                      Bearer realm="api"
//	  description) or replayed
//	DPoP scheme: nonce missing or stale (nonces     401     DPoP algs="ES256", error="use_dpop_nonce", …;           use_dpop_nonce
//	  configured)                                             Bearer realm="api"  (+ DPoP-Nonce: <nonce>)
//	DPoP scheme: the replay store is unavailable    503     DPoP algs="ES256"; Bearer realm="api"  (+ Retry-After)  temporarily_unavailable
//	DPoP token lacks a scope (RequireScopes)        403     DPoP algs="ES256", error="insufficient_scope", …;       insufficient_scope
//	                                                          Bearer realm="api"
//
// Without Options.DPoP, nothing changes: "DPoP …" is another scheme, and a
// DPoP-bound token sent as Bearer is accepted like any other (its binding
// is not enforced), as before DPoP was supported.
//
// Every refusal carries Content-Type: application/json, Cache-Control:
// no-store and the body {"error":"…","error_description":"…"}; HEAD requests
// get the same headers and no body. When Options.ResourceMetadata is set, every
// challenge ends with resource_metadata="…" (RFC 9728).
//
// Only the Authorization header method of RFC 6750 §2.1 is supported. A token
// in the URL query is refused with 400 (URLs end up in logs and browser
// history). Form-encoded body tokens (RFC 6750 §2.2) are not supported: the
// middleware never reads the request body, so such a token is simply not seen
// (the request is answered 401 as one without credentials), unless a handler
// in front of the middleware has already parsed the form, in which case an
// access_token form field is refused with 400 like a query token.
//
// # Use with routers
//
// Middleware and RequireScopes return func(http.Handler) http.Handler, the
// shape every net/http router accepts:
//
//	// net/http
//	mux := http.NewServeMux()
//	mux.Handle("GET /api/messages", bearer.RequireScopes("messages:read")(messages))
//	http.ListenAndServe(":8000", bearer.Middleware(v, bearer.Options{})(mux))
//
//	// github.com/go-chi/chi/v5
//	r := chi.NewRouter()
//	r.Use(bearer.Middleware(v, bearer.Options{}))
//	r.With(bearer.RequireScopes("messages:read")).Get("/api/messages", messages)
//
//	// github.com/labstack/echo/v4
//	e := echo.New()
//	e.Use(echo.WrapMiddleware(bearer.Middleware(v, bearer.Options{})))
//
//	// github.com/gin-gonic/gin: adapt once
//	func ginBearer(mw func(http.Handler) http.Handler) gin.HandlerFunc {
//		return func(c *gin.Context) {
//			passed := false
//			mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
//				passed = true
//				c.Request = r // carries the verified token
//			})).ServeHTTP(c.Writer, c.Request)
//			if !passed {
//				c.Abort()
//				return
//			}
//			c.Next()
//		}
//	}
//	router.Use(ginBearer(bearer.Middleware(v, bearer.Options{})))
//
// Handlers behind any of them read the token with
// bearer.FromContext(r.Context()) (with gin: c.Request.Context()).
//
// # Logging
//
// Every refusal is logged, through Options.Logger or, when it is nil,
// slog.Default() (pass slog.New(slog.DiscardHandler) for silence), with its
// reason, the request's method and path, and the token's "jti" (when the
// token was verified) or the first 12 hex digits of the token's SHA-256 hash
// — never the token itself. Requests without credentials, and DPoP nonce
// challenges, are logged at Debug, other refusals at Info, and unavailable
// issuer keys or DPoP replay store (503) at Warn. At most
// Options.LogRate records are written per second (DefaultLogRate, 100): under
// a flood of bad tokens every request is still refused, and the next record
// written counts the ones dropped ("dropped_since_last").
package bearer
