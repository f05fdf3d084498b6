package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

// quiet is the logger of the servers under test that need not be heard.
var quiet = slog.New(slog.DiscardHandler)

type fixture struct {
	issuer *devissuer.Server
	api    *httptest.Server
	now    time.Time
}

// start runs an issuer and the API against it, both on loopback.
func start(t *testing.T, edit func(*server.Deps)) *fixture {
	t.Helper()
	iss := devissuertest.Start(t, devissuer.Options{})
	v, err := verifier.New(devissuertest.VerifierConfig(iss))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{issuer: iss, now: time.Date(2026, 11, 23, 4, 5, 6, 789e6, time.UTC)}
	deps := server.Deps{Verifier: v, Logger: quiet, SecureRoute: true, Now: func() time.Time { return f.now }}
	if edit != nil {
		edit(&deps)
	}
	f.api = httptest.NewServer(server.New(deps))
	t.Cleanup(f.api.Close)
	return f
}

func (f *fixture) token(t *testing.T, overrides map[string]any) string {
	t.Helper()
	tok, err := f.issuer.Issuer.MintAccessToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) do(t *testing.T, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.api.URL+path, nil)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func bearerHeader(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func TestExpressRoutes(t *testing.T) {
	f := start(t, nil)
	resp, body := f.do(t, "GET", "/", nil)
	if resp.StatusCode != 200 || body != `{"message":"Hello!  There's not much to see here :) Please grab one of our front-end samples for use with this sample resource server"}` {
		t.Errorf("GET /: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", "/api/messages", bearerHeader(f.token(t, nil)))
	want := `{"messages":[{"date":"2026-11-23T04:05:06.789Z","text":"I am a robot."},{"date":"2026-11-23T03:05:06.789Z","text":"Hello, world!"}]}`
	if resp.StatusCode != 200 || body != want {
		t.Errorf("GET /api/messages: %d %s, want %s", resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	resp, body = f.do(t, "GET", "/secure", bearerHeader(f.token(t, map[string]any{"sub": "alice"})))
	var secure struct {
		Header map[string]any `json:"header"`
		Claims map[string]any `json:"claims"`
	}
	if err := json.Unmarshal([]byte(body), &secure); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /secure: %d %s", resp.StatusCode, body)
	}
	if secure.Header["alg"] != "RS256" || secure.Header["kid"] == nil || secure.Claims["sub"] != "alice" || secure.Claims["aud"] != "api://default" {
		t.Errorf("GET /secure: %s", body)
	}
	resp, body = f.do(t, "GET", "/nope", nil)
	if resp.StatusCode != 404 || !strings.Contains(body, `"error":"not_found"`) {
		t.Errorf("GET /nope: %d %s", resp.StatusCode, body)
	}
}

func TestRefusals(t *testing.T) {
	f := start(t, nil)
	valid := f.token(t, nil)
	tests := []struct {
		name      string
		header    http.Header
		status    int
		challenge string // prefix of WWW-Authenticate
		noError   bool   // the challenge must carry no error attribute
	}{
		{"no token", nil, 401, `Bearer realm="api"`, true},
		{"basic scheme", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, 401, `Bearer realm="api"`, true},
		{"not a JWT", bearerHeader("not-a-jwt"), 401, `Bearer realm="api", error="invalid_token"`, false},
		{"wrong audience", bearerHeader(f.token(t, map[string]any{"aud": "api://other"})), 401, `Bearer realm="api", error="invalid_token"`, false},
		{"wrong issuer", bearerHeader(f.token(t, map[string]any{"iss": "https://evil.example.com"})), 401, `Bearer realm="api", error="invalid_token"`, false},
		{"expired", bearerHeader(f.token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})), 401, `Bearer realm="api", error="invalid_token"`, false},
		{"nbf ahead", bearerHeader(f.token(t, map[string]any{"nbf": time.Now().Add(time.Hour).Unix()})), 401, `Bearer realm="api", error="invalid_token"`, false},
		{"two headers", http.Header{"Authorization": {"Bearer " + valid, "Bearer " + valid}}, 400, `Bearer realm="api", error="invalid_request"`, false},
		{"tab after the scheme", http.Header{"Authorization": {"Bearer\t" + valid}}, 400, `Bearer realm="api", error="invalid_request"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.do(t, "GET", "/api/messages", tt.header)
			ch := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != tt.status || !strings.HasPrefix(ch, tt.challenge) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, ch, tt.status, tt.challenge)
			}
			if tt.noError == strings.Contains(ch, "error=") {
				t.Errorf("challenge %q: error attribute present = %v", ch, !tt.noError)
			}
			if !strings.Contains(body, `"error"`) {
				t.Errorf("body %s is not a JSON error", body)
			}
			if strings.Contains(body, valid) || strings.Contains(ch, valid) {
				t.Error("the response repeats the token")
			}
		})
	}
	// lower-case scheme, array audience: accepted.
	for name, h := range map[string]http.Header{
		"lower-case bearer": {"Authorization": {"bearer " + valid}},
		"array aud":         bearerHeader(f.token(t, map[string]any{"aud": []string{"api://default", "x"}})),
	} {
		if resp, body := f.do(t, "GET", "/api/messages", h); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
}

func TestUntrustedKey(t *testing.T) {
	f := start(t, nil)
	other := devissuertest.Start(t, devissuer.Options{})
	// Same claims as our issuer's, signed by another issuer's key.
	claims := f.issuer.Issuer.AccessTokenClaims()
	forged, err := other.Issuer.Sign(nil, claims)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := f.do(t, "GET", "/api/messages", bearerHeader(forged))
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("token signed by an untrusted key: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestCORS(t *testing.T) {
	f := start(t, nil)
	resp, _ := f.do(t, "OPTIONS", "/api/messages", http.Header{
		"Origin":                         {"http://localhost:8080"},
		"Access-Control-Request-Method":  {"GET"},
		"Access-Control-Request-Headers": {"authorization"},
	})
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") == "" ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = f.do(t, "GET", "/api/messages", http.Header{"Origin": {"http://localhost:8080"}})
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Www-Authenticate") {
		t.Errorf("a refused request still carries CORS headers, exposing the challenge: %v", resp.Header)
	}

	// Every answer but a preflight varies by Origin, whether the request
	// had one or not (without one, CORS adds nothing else).
	for _, h := range []http.Header{{"Origin": {"http://localhost:8080"}}, nil} {
		resp, _ = f.do(t, "GET", "/api/messages", h)
		if got := resp.Header.Values("Vary"); !slices.Equal(got, []string{"Origin"}) {
			t.Errorf("Origin %q: Vary %q, want [Origin]", h.Get("Origin"), got)
		}
		if h == nil && (resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Expose-Headers") != "") {
			t.Errorf("no Origin: CORS headers %v", resp.Header)
		}
	}

	restricted := start(t, func(d *server.Deps) { d.CORSAllowedOrigins = []string{"https://app.example.com"} })
	resp, _ = restricted.do(t, "GET", "/", http.Header{"Origin": {"https://evil.example.com"}})
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("origin outside the allow-list got Access-Control-Allow-Origin %q", got)
	}
	resp, _ = restricted.do(t, "GET", "/", http.Header{"Origin": {"https://app.example.com"}})
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example.com" {
		t.Errorf("listed origin got Access-Control-Allow-Origin %q", got)
	}
}

func TestHealthReadinessMetadata(t *testing.T) {
	f := start(t, nil)
	if resp, _ := f.do(t, "GET", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if resp, _ := f.do(t, "GET", "/readyz", nil); resp.StatusCode != 503 {
		t.Errorf("readyz before any key fetch: %d, want 503", resp.StatusCode)
	}
	f.do(t, "GET", "/api/messages", bearerHeader(f.token(t, nil)))
	if resp, body := f.do(t, "GET", "/readyz", nil); resp.StatusCode != 200 {
		t.Errorf("readyz with keys: %d %s", resp.StatusCode, body)
	}
	_, body := f.do(t, "GET", "/.well-known/oauth-protected-resource", nil)
	var md struct {
		Resource string   `json:"resource"`
		Servers  []string `json:"authorization_servers"`
	}
	if json.Unmarshal([]byte(body), &md); md.Resource != f.api.URL || len(md.Servers) != 1 || md.Servers[0] != f.issuer.URL {
		t.Errorf("metadata: %s", body)
	}
}

func TestSecureRouteCanBeSwitchedOff(t *testing.T) {
	f := start(t, func(d *server.Deps) { d.SecureRoute = false })
	if resp, _ := f.do(t, "GET", "/secure", bearerHeader(f.token(t, nil))); resp.StatusCode != 404 {
		t.Errorf("/secure switched off: %d", resp.StatusCode)
	}
}

// TestRequiredScopes: with REQUIRED_SCOPES, every protected route answers a
// valid token lacking a scope 403 insufficient_scope, naming all of them, as
// the Okta TCK's scope test expects; the metadata publishes them.
func TestRequiredScopes(t *testing.T) {
	f := start(t, func(d *server.Deps) { d.RequiredScopes = []string{"messages:read", "messages:list"} })
	for _, path := range []string{"/api/messages", "/secure"} {
		resp, body := f.do(t, "GET", path, bearerHeader(f.token(t, map[string]any{"scp": []string{"openid", "messages:read"}, "scope": nil})))
		challenge := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != 403 || !strings.Contains(challenge, `error="insufficient_scope"`) || !strings.Contains(challenge, `scope="messages:read messages:list"`) {
			t.Errorf("%s, one scope of two: %d %q %s", path, resp.StatusCode, challenge, body)
		}
		resp, body = f.do(t, "GET", path, bearerHeader(f.token(t, map[string]any{"scp": nil, "scope": "openid messages:list messages:read"})))
		if resp.StatusCode != 200 {
			t.Errorf("%s, both scopes: %d %s", path, resp.StatusCode, body)
		}
		// An invalid token is still 401, not 403: the scope check comes after.
		resp, _ = f.do(t, "GET", path, bearerHeader("not-a-jwt"))
		if resp.StatusCode != 401 {
			t.Errorf("%s, invalid token: %d", path, resp.StatusCode)
		}
	}
	_, body := f.do(t, "GET", "/.well-known/oauth-protected-resource", nil)
	var md struct {
		Scopes []string `json:"scopes_supported"`
	}
	if json.Unmarshal([]byte(body), &md); strings.Join(md.Scopes, " ") != "messages:read messages:list" {
		t.Errorf("metadata scopes_supported: %s", body)
	}
}

func TestKeysUnavailableIs503(t *testing.T) {
	f := start(t, nil)
	tok := f.token(t, nil)
	f.issuer.Close() // before any key was fetched
	resp, body := f.do(t, "GET", "/api/messages", bearerHeader(tok))
	if resp.StatusCode != 503 || !strings.Contains(body, "temporarily_unavailable") {
		t.Errorf("issuer down, no keys: %d %s", resp.StatusCode, body)
	}
}
