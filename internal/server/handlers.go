package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/jsonerror"
	"github.com/resource-server/resource-server/verifier"
)

// welcome is the Express sample's text, two spaces and all: clients and
// scripts compare it.
const welcome = "Hello!  There's not much to see here :) Please grab one of our front-end samples for use with this sample resource server"

// writeJSON answers status with v as JSON. Errors, {"error":…}, go through
// jsonerror.Write instead.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		jsonerror.Write(w, r, http.StatusInternalServerError, "server_error", "the answer could not be encoded as JSON")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

func handleWelcome() http.Handler {
	body := map[string]string{"message": welcome}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, body)
	})
}

// handleSecure echoes the verified token, header and claims as the issuer
// sent them. A debugging route: switch it off with SECURE_ROUTE=false.
func handleSecure() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer.FromContext(r.Context())
		if !ok {
			jsonerror.Write(w, r, http.StatusInternalServerError, "server_error", "no verified token")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, http.StatusOK, tok)
	})
}

func handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readiness is the body of /readyz: the verdict, the rule that gives it,
// and each issuer's key state.
type readiness struct {
	Status  string        `json:"status"` // "ready" or "not ready"
	Rule    string        `json:"rule"`
	Issuers []issuerState `json:"issuers"`
}

// issuerState is one issuer's key state in /readyz.
type issuerState struct {
	Issuer string `json:"issuer"`
	Ready  bool   `json:"ready"`
	Keys   int    `json:"keys"`
	// KeysAgeSeconds is how long ago a fetch last confirmed the keys; null
	// before the first.
	KeysAgeSeconds *int64 `json:"keys_age_seconds"`
	LastError      string `json:"last_error,omitempty"`
	Tenants        int    `json:"tenants,omitempty"`
}

// handleReady tells the truth about the keys: 200 or 503 as the verifier's
// readiness rule (verifier.ReadyRule, said in the body) decides, so a load
// balancer does not send traffic that would all be refused, with each
// issuer's key state: ready, key count, age of its keys, last error.
func handleReady(v Verifier, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := readiness{Status: "ready", Rule: verifier.ReadyRule}
		t := now()
		for _, st := range v.Status() {
			is := issuerState{Issuer: st.Issuer, Ready: st.Ready, Keys: st.KeyCount, LastError: st.LastError, Tenants: st.Tenants}
			if !st.KeysFetched.IsZero() {
				age := int64(t.Sub(st.KeysFetched) / time.Second)
				is.KeysAgeSeconds = &age
			}
			body.Issuers = append(body.Issuers, is)
		}
		status := http.StatusOK
		if !v.Ready() {
			body.Status, status = "not ready", http.StatusServiceUnavailable
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, r, status, body)
	})
}

// Admin returns the admin listener's handler: /healthz and /readyz as the
// API serves them, metrics (nil for none) at /metrics, and POST /revoke
// when d.Revoke is set; anything else 404. No CORS, no authentication: the
// listener is loopback unless its operator says otherwise (ADMIN_HOST),
// and whoever reaches it can revoke tokens.
func Admin(d Deps, metrics http.Handler) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", handleHealth())
	mux.Handle("GET /readyz", handleReady(d.Verifier, d.Now))
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	if d.Revoke != nil {
		mux.Handle("POST /revoke", handleRevoke(d.Revoke))
	}
	mux.Handle("/", handleNotFound())
	return mux
}

// maxRevokeBody bounds POST /revoke's form: a token and a hint.
const maxRevokeBody = 64 << 10

// handleRevoke takes a revocation as RFC 7009 §2.1 words one: a form with
// token (and an optional token_type_hint, unused). It answers 200 whether
// or not the token was known or valid (§2.2), 400 without a token, and 503
// when the revocation could not be recorded for every instance.
func handleRevoke(revoke func(ctx context.Context, token string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRevokeBody)
		if err := r.ParseForm(); err != nil {
			jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request", "the body is not a form of at most 64 KiB: "+err.Error())
			return
		}
		token := r.PostForm.Get("token")
		if token == "" || len(r.PostForm["token"]) > 1 {
			jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request", "send exactly one token form parameter (application/x-www-form-urlencoded)")
			return
		}
		if err := revoke(r.Context(), token); err != nil {
			w.Header().Set("Retry-After", "5")
			jsonerror.Write(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err.Error())
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	})
}

// metadataPath is where the RFC 9728 protected-resource metadata is served,
// at the root of the resource's base URL.
const metadataPath = "/.well-known/oauth-protected-resource"

// resourceMetadata is the body of the metadata (RFC 9728 §2).
type resourceMetadata struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	BearerMethods        []string `json:"bearer_methods_supported"`
	Scopes               []string `json:"scopes_supported,omitempty"`
	// DPoP (RFC 9449 §5.1): the proof algorithms accepted, and whether
	// every token must be DPoP-bound; absent without DPoP.
	DPoPAlgorithms  []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPBoundTokens bool     `json:"dpop_bound_access_tokens_required,omitempty"`
}

// handleResourceMetadata serves RFC 9728 protected-resource metadata, so a
// client can discover which authorization servers issue tokens for us: every
// configured issuer, in order, except template issuers (holding
// "{tenantid}"): authorization_servers holds issuer identifiers, URLs a
// client can fetch metadata from (RFC 9728 §2, RFC 8414), which a template
// is not, and listing its tenants would publish the tenants trusted. Its
// resource is the identifier the metadata URL derives from (§3.3): the base
// URL, PublicURL or the request's, followed by the path after the
// well-known one ({path...}, none for the sample's one resource), and its
// scopes_supported are scopes(that path).
func handleResourceMetadata(d Deps, scopes func(resourcePath string) []string) http.Handler {
	servers := []string{}
	for _, iss := range d.Verifier.Issuers() {
		if !strings.Contains(iss, "{") {
			servers = append(servers, iss)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := baseURL(d.PublicURL, r)
		if base == "" {
			jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request",
				"the request names no host, from which the resource identifier is derived (the server's operator can set PUBLIC_URL)")
			return
		}
		path := ""
		if p := r.PathValue("path"); p != "" {
			path = "/" + p
		}
		md := resourceMetadata{Resource: base + path, AuthorizationServers: servers,
			BearerMethods: []string{"header"}, Scopes: scopes(path)}
		if d.DPoP != nil {
			md.DPoPAlgorithms = d.DPoP.Verifier.Algorithms()
			md.DPoPBoundTokens = d.DPoP.Mode == bearer.DPoPRequired
		}
		writeJSON(w, r, http.StatusOK, md)
	})
}

// resourcePath is the path of the protected resource a route pattern
// serves, whose metadata its challenges name: the pattern's path without
// method and host, up to its first wildcard, without a trailing "/"
// ("GET /orders/{id}" → "/orders", "/public/" → "/public").
func resourcePath(pattern string) string {
	if _, rest, ok := strings.Cut(pattern, " "); ok {
		pattern = strings.TrimLeft(rest, " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // after the host
	}
	if i := strings.IndexByte(pattern, '{'); i >= 0 {
		pattern = pattern[:i]
	}
	return strings.TrimRight(pattern, "/")
}

// baseURL is the base URL of the resource: publicURL when set, else the
// request's scheme (https when it came over TLS) and Host; "" when the
// request has no Host. X-Forwarded-* headers are not trusted: anyone can
// send them.
func baseURL(publicURL string, r *http.Request) string {
	switch {
	case publicURL != "":
		return publicURL
	case r.Host == "":
		return ""
	case r.TLS != nil:
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonerror.Write(w, r, http.StatusNotFound, "not_found", "no route for "+r.Method+" "+r.URL.Path)
	})
}
