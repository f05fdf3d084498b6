package devissuer

import (
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/resource-server/resource-server/internal/jsonerror"
)

// route is one endpoint of the layout. cors marks the endpoints a browser
// app on another origin calls with fetch (discovery, keys, token, userinfo,
// revoke); the HTML endpoints are navigations and need none.
type route struct {
	methods []string
	cors    bool
	handle  func(w http.ResponseWriter, r *http.Request)
}

func (i *Issuer) routes() map[string]route {
	return map[string]route{
		"/.well-known/openid-configuration":       {methods: []string{http.MethodGet}, cors: true, handle: i.serveMetadata},
		"/.well-known/oauth-authorization-server": {methods: []string{http.MethodGet}, cors: true, handle: i.serveMetadata},
		"/v1/keys":       {methods: []string{http.MethodGet}, cors: true, handle: i.serveKeys},
		"/v1/token":      {methods: []string{http.MethodPost}, cors: true, handle: i.serveToken},
		"/v1/authorize":  {methods: []string{http.MethodGet, http.MethodPost}, handle: i.serveAuthorize},
		"/v1/userinfo":   {methods: []string{http.MethodGet, http.MethodPost}, cors: true, handle: i.serveUserinfo},
		"/v1/revoke":     {methods: []string{http.MethodPost}, cors: true, handle: i.serveRevoke},
		"/v1/introspect": {methods: []string{http.MethodPost}, handle: i.serveIntrospect},
		"/v1/logout":     {methods: []string{http.MethodGet}, handle: i.serveLogout},
		"/v1/rotate":     {methods: []string{http.MethodPost}, handle: i.serveRotate},
	}
}

// Handler serves the whole layout. It matches full request paths, so mount
// it at the root of a listener or under a mux pattern that leaves the path
// unchanged (e.g. mux.Handle(path+"/", h) and
// mux.Handle("/.well-known/oauth-authorization-server"+path, h)).
func (i *Issuer) Handler() http.Handler {
	routes := i.routes()
	rfc8414 := "/.well-known/oauth-authorization-server" + i.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var suffix string
		switch {
		case r.URL.Path == rfc8414:
			suffix = "/.well-known/oauth-authorization-server"
		case strings.HasPrefix(r.URL.Path, i.path):
			suffix = r.URL.Path[len(i.path):]
		}
		rt, ok := routes[suffix]
		if !ok {
			http.NotFound(w, r)
			return
		}
		i.count(i.path + suffix)
		if rt.cors {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				preflight(w, r, rt.methods)
				return
			}
		}
		allowed := rt.methods
		if slices.Contains(allowed, http.MethodGet) {
			allowed = append(slices.Clone(allowed), http.MethodHead)
		}
		if !slices.Contains(allowed, r.Method) {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			jsonerror.Write(w, r, http.StatusMethodNotAllowed, "invalid_request", "method "+r.Method+" is not allowed here; use "+strings.Join(rt.methods, " or "))
			return
		}
		rt.handle(w, r)
	})
}

// preflight answers a CORS preflight permissively: any origin may call a
// development server, and reflecting the requested headers spares the SPA
// from guessing which ones its OAuth library adds.
func preflight(w http.ResponseWriter, r *http.Request, methods []string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(append(slices.Clone(methods), http.MethodOptions), ", "))
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}

// writeJSON answers status with v as indented JSON, for people reading the
// documents with curl. Errors go through jsonerror.Write instead.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// metadata is the discovery document; Okta serves the same content at both
// well-known names, and so do we.
func (i *Issuer) metadata() map[string]any {
	i.mu.Lock()
	alg := i.keys[i.current].alg
	i.mu.Unlock()
	auth := []string{"client_secret_basic", "client_secret_post", "none"}
	return map[string]any{
		"issuer":                                        i.opts.Issuer,
		"authorization_endpoint":                        i.endpoint("/v1/authorize"),
		"token_endpoint":                                i.endpoint("/v1/token"),
		"userinfo_endpoint":                             i.endpoint("/v1/userinfo"),
		"end_session_endpoint":                          i.endpoint("/v1/logout"),
		"revocation_endpoint":                           i.endpoint("/v1/revoke"),
		"jwks_uri":                                      i.endpoint("/v1/keys"),
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{"authorization_code", "client_credentials"},
		"subject_types_supported":                       []string{"public"},
		"scopes_supported":                              i.supported,
		"code_challenge_methods_supported":              []string{"S256"},
		"token_endpoint_auth_methods_supported":         auth,
		"revocation_endpoint_auth_methods_supported":    auth,
		"introspection_endpoint":                        i.endpoint("/v1/introspect"),
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"id_token_signing_alg_values_supported":         []string{alg},
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "jti", "nonce",
			"name", "email", "preferred_username", "at_hash", "cid", "client_id", "scp", "scope"},
	}
}

func (i *Issuer) serveMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=300")
	writeJSON(w, http.StatusOK, i.metadata())
}

func (i *Issuer) serveKeys(w http.ResponseWriter, r *http.Request) {
	// Okta-like caching: long enough that verifiers cache, short enough
	// that a rotation is picked up by one that honours it.
	w.Header().Set("Cache-Control", "max-age=300")
	writeJSON(w, http.StatusOK, i.jwks())
}

// serveRotate lets a developer show rotation on the running dev server
// (curl -X POST …/v1/rotate). Only loopback peers may call it, and a browser
// request from another origin is refused so a web page cannot trigger it.
func (i *Issuer) serveRotate(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		jsonerror.Write(w, r, http.StatusForbidden, "access_denied", "key rotation is only allowed from a loopback address")
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != originOf(i.opts.Issuer) {
		jsonerror.Write(w, r, http.StatusForbidden, "access_denied", "key rotation is not allowed from origin "+o)
		return
	}
	kid, err := i.RotateKey()
	if err != nil {
		jsonerror.Write(w, r, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"kid": kid})
}
