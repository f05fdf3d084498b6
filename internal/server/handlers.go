package server

import (
	"encoding/json"
	"net/http"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/jsonerror"
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

// handleReady tells the truth about the keys: not ready until the issuer's
// keys are held, so a load balancer does not send traffic that would all be
// refused.
func handleReady(v Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !v.Ready() {
			writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "the issuer's keys are not held: not fetched yet, or older than the maximum key age while the issuer does not answer"})
			return
		}
		writeJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
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
}

// handleResourceMetadata serves RFC 9728 protected-resource metadata, so a
// client can discover which authorization server issues tokens for us. Its
// resource is the identifier the metadata URL derives from (§3.3): the base
// URL, PublicURL or the request's.
func handleResourceMetadata(d Deps) http.Handler {
	servers := []string{d.Verifier.Issuer()}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := baseURL(d.PublicURL, r)
		if base == "" {
			jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request",
				"the request names no host, from which the resource identifier is derived (the server's operator can set PUBLIC_URL)")
			return
		}
		writeJSON(w, r, http.StatusOK, resourceMetadata{Resource: base, AuthorizationServers: servers,
			BearerMethods: []string{"header"}, Scopes: d.RequiredScopes})
	})
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
