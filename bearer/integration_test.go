package bearer_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// discard is the middleware's logger in tests that do not read its records.
var discard = slog.New(slog.DiscardHandler)

// verifierFor returns a verifier of srv's tokens, as the program would
// configure one.
func verifierFor(t testing.TB, srv *devissuer.Server) *verifier.Verifier {
	t.Helper()
	v, err := verifier.New(devissuertest.VerifierConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mint(t *testing.T, srv *devissuer.Server, overrides map[string]any) string {
	t.Helper()
	tok, err := srv.Issuer.MintAccessToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// subjectHandler answers 200 with the verified token's subject.
var subjectHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer.FromContext(r.Context())
	if !ok {
		http.Error(w, "no token", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "sub="+tok.Subject())
})

func TestWithRealVerifier(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := verifierFor(t, srv)
	h := bearer.Middleware(v, bearer.Options{Logger: discard})(subjectHandler)
	hour := time.Hour
	tests := []struct {
		name      string
		auth      string
		status    int
		body      string // exact, for 200
		challenge string // prefix of WWW-Authenticate
		mention   string // the error_description must contain it
	}{
		{name: "valid", auth: "Bearer " + mint(t, srv, nil), status: 200, body: "sub=" + devissuer.DefaultUsername},
		{name: "lower-case scheme", auth: "bearer " + mint(t, srv, nil), status: 200, body: "sub=" + devissuer.DefaultUsername},
		{name: "other subject", auth: "Bearer " + mint(t, srv, map[string]any{"sub": "alice"}), status: 200, body: "sub=alice"},
		{name: "aud array holding ours", auth: "Bearer " + mint(t, srv, map[string]any{"aud": []string{"api://other", "api://default"}}), status: 200, body: "sub=" + devissuer.DefaultUsername},
		{name: "expired", auth: "Bearer " + mint(t, srv, map[string]any{"exp": time.Now().Add(-hour).Unix()}),
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="`, mention: "exp"},
		{name: "no exp", auth: "Bearer " + mint(t, srv, map[string]any{"exp": nil}),
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="`, mention: "exp"},
		{name: "not yet valid", auth: "Bearer " + mint(t, srv, map[string]any{"nbf": time.Now().Add(hour).Unix()}),
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="`, mention: "nbf"},
		{name: "wrong audience", auth: "Bearer " + mint(t, srv, map[string]any{"aud": "api://other"}),
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="`, mention: "aud"},
		{name: "wrong issuer", auth: "Bearer " + mint(t, srv, map[string]any{"iss": "http://127.0.0.1:1/oauth2/default"}),
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="`, mention: "iss"},
		{name: "not a JWT", auth: "Bearer not-a-jwt",
			status: 401, challenge: `Bearer realm="api", error="invalid_token", error_description="`},
		{name: "no token", auth: "", status: 401, challenge: `Bearer realm="api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; WWW-Authenticate %s; body %s", w.Code, tt.status, w.Header().Get("WWW-Authenticate"), w.Body)
			}
			if tt.status == 200 {
				if w.Body.String() != tt.body {
					t.Errorf("body %q, want %q", w.Body, tt.body)
				}
				return
			}
			challenge := w.Header().Get("WWW-Authenticate")
			t.Logf("%d WWW-Authenticate: %s", w.Code, challenge)
			if !strings.HasPrefix(challenge, tt.challenge) {
				t.Errorf("WWW-Authenticate %s, want prefix %s", challenge, tt.challenge)
			}
			if tt.challenge == `Bearer realm="api"` && challenge != tt.challenge {
				t.Errorf("WWW-Authenticate %s, want exactly %s", challenge, tt.challenge)
			}
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if !strings.Contains(challenge, `error_description="`+body.Description+`"`) && body.Error != "unauthorized" {
				t.Errorf("challenge %s and body %s disagree", challenge, w.Body)
			}
			if !strings.Contains(body.Description, tt.mention) {
				t.Errorf("error_description %q does not mention %q", body.Description, tt.mention)
			}
			if strings.Contains(challenge+w.Body.String(), strings.TrimPrefix(tt.auth, "Bearer ")) && tt.auth != "" {
				t.Errorf("the response repeats the token")
			}
		})
	}
}

// Options.Audiences replaces the verifier's configured audiences.
func TestWithRealVerifierAudiences(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := verifierFor(t, srv)
	h := bearer.Middleware(v, bearer.Options{Audiences: []string{"api://orders"}, Logger: discard})(subjectHandler)
	for _, tt := range []struct {
		aud    string
		status int
	}{{"api://orders", 200}, {"api://default", 401}} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+mint(t, srv, map[string]any{"aud": tt.aud}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("aud %s: status %d, want %d (%s)", tt.aud, w.Code, tt.status, w.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestWithRealVerifierScopes(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := verifierFor(t, srv)
	var logs bytes.Buffer
	mw := bearer.Middleware(v, bearer.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	scp := mint(t, srv, map[string]any{"scp": []string{"messages:read", "openid"}, "scope": nil, "jti": "AT.scp-only"})
	scope := mint(t, srv, map[string]any{"scp": nil, "scope": "messages:read openid"})
	tests := []struct {
		name      string
		token     string
		scopes    []string
		status    int
		challenge string
	}{
		{"scp array grants", scp, []string{"messages:read"}, 200, ""},
		{"scope string grants", scope, []string{"messages:read", "openid"}, 200, ""},
		{"none required", scp, nil, 200, ""},
		{"scp array lacks", scp, []string{"messages:read", "messages:write"}, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope(s) messages:write", scope="messages:read messages:write"`},
		{"scope string lacks", scope, []string{"admin"}, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope(s) admin", scope="admin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mw(bearer.RequireScopes(tt.scopes...)(subjectHandler))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || w.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Errorf("%d %s\nwant %d %s", w.Code, w.Header().Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
		})
	}
	// The 403 of a token with a jti is logged with it, and without the token.
	if !strings.Contains(logs.String(), `"token_id":"AT.scp-only"`) {
		t.Errorf("log lacks the token's jti: %s", logs.String())
	}
	if strings.Contains(logs.String(), scp) || strings.Contains(logs.String(), scope) {
		t.Errorf("log holds a token: %s", logs.String())
	}
}

// When the issuer cannot be reached and no keys are cached, the answer is 503,
// not a challenge that blames the token.
func TestWithRealVerifierKeysUnavailable(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := verifierFor(t, srv)
	tok := mint(t, srv, nil)
	srv.Close()
	h := bearer.Middleware(v, bearer.Options{Logger: discard})(subjectHandler)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 503 || w.Header().Get("Retry-After") != "5" || w.Header().Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Fatalf("status %d, Retry-After %q, WWW-Authenticate %q; want 503, 5, Bearer realm=\"api\"", w.Code, w.Header().Get("Retry-After"), w.Header().Get("WWW-Authenticate"))
	}
	want := `{"error":"temporarily_unavailable","error_description":"the authorization server's signing keys are unavailable; retry later"}`
	if w.Body.String() != want {
		t.Errorf("body %s, want %s", w.Body, want)
	}
}
