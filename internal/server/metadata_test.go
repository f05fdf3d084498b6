package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

// TestResourceMetadataIsTheBaseURL: the RFC 9728 metadata's resource is
// the base URL its URL derives from (§3.3), PublicURL or the request's
// scheme and Host (never X-Forwarded-*), and every Bearer challenge (401,
// 400, 403) points at that metadata with resource_metadata (§5.1).
func TestResourceMetadataIsTheBaseURL(t *testing.T) {
	iss, v := issuerAndVerifier(t)
	noScope, err := iss.Issuer.MintAccessToken(map[string]any{"scp": []string{"openid"}, "scope": nil})
	if err != nil {
		t.Fatal(err)
	}
	forwarded := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil.example.com"}, "Forwarded": {"proto=https;host=evil.example.com"}}
	tests := []struct {
		name      string
		publicURL string
		url       string
		header    http.Header
		base      string // "" when none can be known
	}{
		{name: "dev mode's address", url: "http://localhost:8000", base: "http://localhost:8000"},
		{name: "over TLS", url: "https://api.internal:8443", base: "https://api.internal:8443"},
		{name: "forwarded headers are not trusted", url: "http://10.0.0.5:8000", header: forwarded, base: "http://10.0.0.5:8000"},
		{name: "PublicURL", publicURL: "https://api.example.com/", url: "http://10.0.0.5:8000", header: forwarded, base: "https://api.example.com"},
		{name: "PublicURL with a path", publicURL: "https://example.com/api", url: "http://10.0.0.5:8000", base: "https://example.com/api"},
		{name: "no Host", url: "http://localhost:8000", header: http.Header{"Host": {""}}, base: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := server.New(server.Deps{Verifier: v, Logger: quiet, PublicURL: tt.publicURL, SecureRoute: true, RequiredScopes: []string{"messages:read"}})
			do := func(path, auth string) *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodGet, tt.url+path, nil)
				for k, vs := range tt.header {
					r.Header[k] = vs
				}
				if _, ok := tt.header["Host"]; ok {
					r.Host = ""
				}
				if auth != "" {
					r.Header.Set("Authorization", auth)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w
			}
			checkMetadata(t, do("/.well-known/oauth-protected-resource", ""), tt.base, iss.URL)
			for _, c := range []struct {
				name, path, auth string
				status           int
			}{
				{"no token", "/api/messages", "", 401},
				{"token in the URL", "/api/messages?access_token=x", "", 400},
				{"invalid token", "/api/messages", "Bearer not-a-jwt", 401},
				{"scope missing", "/secure", "Bearer " + noScope, 403},
			} {
				checkChallenge(t, c.name, do(c.path, c.auth), c.status, tt.base)
			}
		})
	}
}

// issuerAndVerifier starts a development issuer, until the test ends, and
// a verifier of its tokens.
func issuerAndVerifier(t *testing.T) (*devissuer.Server, *verifier.Verifier) {
	t.Helper()
	iss := devissuertest.Start(t, devissuer.Options{})
	v := devissuertest.Verifier(t, iss)
	return iss, v
}

// checkMetadata checks a metadata answer: resource base and the issuer, or
// 400 when base is "" (no Host to derive it from).
func checkMetadata(t *testing.T, w *httptest.ResponseRecorder, base, issuer string) {
	t.Helper()
	var md struct {
		Resource string   `json:"resource"`
		Servers  []string `json:"authorization_servers"`
	}
	json.Unmarshal(w.Body.Bytes(), &md)
	switch {
	case base == "" && w.Code != http.StatusBadRequest:
		t.Errorf("metadata without a Host: %d %s, want 400", w.Code, w.Body)
	case base != "" && (w.Code != 200 || md.Resource != base || len(md.Servers) != 1 || md.Servers[0] != issuer):
		t.Errorf("metadata: %d %s, want resource %q", w.Code, w.Body, base)
	}
}

// checkChallenge checks that a refusal's challenge ends with the
// resource_metadata of base, or has none when base is "".
func checkChallenge(t *testing.T, name string, w *httptest.ResponseRecorder, status int, base string) {
	t.Helper()
	ch := w.Header().Get("WWW-Authenticate")
	suffix := `, resource_metadata="` + base + `/.well-known/oauth-protected-resource"`
	ok := strings.HasSuffix(ch, suffix)
	if base == "" {
		ok = strings.HasSuffix(ch, `"`) && !strings.Contains(ch, "resource_metadata")
	}
	if w.Code != status || !strings.HasPrefix(ch, `Bearer realm="api"`) || !ok {
		t.Errorf("%s: %d %q, want %d with the metadata of %q", name, w.Code, ch, status, base)
	}
}

// TestResourceMetadataDPoP: with DPoP, the metadata names the proof
// algorithms accepted, and says whether every token must be bound (RFC
// 9449 §5.1); without it, neither member is there.
func TestResourceMetadataDPoP(t *testing.T) {
	_, v := issuerAndVerifier(t)
	dv, err := verifier.NewDPoPVerifier(verifier.DPoPConfig{Algorithms: []string{"ES256", "EdDSA"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		dpop *bearer.DPoPOptions
		want string
	}{
		{"no DPoP", nil, `"bearer_methods_supported":["header"]}`},
		{"allowed", &bearer.DPoPOptions{Verifier: dv}, `"dpop_signing_alg_values_supported":["ES256","EdDSA"]}`},
		{"required", &bearer.DPoPOptions{Verifier: dv, Mode: bearer.DPoPRequired},
			`"dpop_signing_alg_values_supported":["ES256","EdDSA"],"dpop_bound_access_tokens_required":true}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := server.New(server.Deps{Verifier: v, Logger: quiet, DPoP: tt.dpop})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://localhost:8000/.well-known/oauth-protected-resource", nil))
			if body := strings.TrimSpace(w.Body.String()); !strings.HasSuffix(body, tt.want) {
				t.Errorf("metadata %s, want it to end with %s", body, tt.want)
			}
		})
	}
}
