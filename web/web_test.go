package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var testConfig = Config{
	Issuer:     "https://id.example.com/oauth2/default/",
	ClientID:   "spa-123",
	APIBaseURL: "http://api.example.net:8000",
}

func TestHandlerServesFiles(t *testing.T) {
	h := Handler(testConfig)
	tests := []struct {
		path        string
		status      int
		contentType string
		contains    string
	}{
		{"/", 200, "text/html; charset=utf-8", `<script type="module" src="/static/app.js">`},
		{"/static/app.js", 200, "text/javascript; charset=utf-8", "code_challenge_method"},
		{"/static/palette.css", 200, "text/css; charset=utf-8", ":root"},
		{"/static/style.css", 200, "text/css; charset=utf-8", "var(--accent)"},
		{"/static/favicon.svg", 200, "image/svg+xml", "<svg"},
		{"/config.json", 200, "application/json; charset=utf-8", `"clientId": "spa-123"`},
		// Client routes load the shell, so that reloads and the redirect work.
		{"/login/callback", 200, "text/html; charset=utf-8", `id="login"`},
		{"/messages", 200, "text/html; charset=utf-8", `id="nav-messages"`},
		{"/claims", 200, "text/html; charset=utf-8", `id="nav-claims"`},
		{"/some/deep/route", 200, "text/html; charset=utf-8", `id="error"`},
		// Files the app does not have.
		{"/static/missing.js", 404, "text/plain; charset=utf-8", "not found"},
		{"/static/", 404, "text/plain; charset=utf-8", "not found"},
		{"/static/index.html", 404, "text/plain; charset=utf-8", "not found"},
		{"/robots.txt", 404, "text/plain; charset=utf-8", "not found"},
		{"/favicon.ico", 301, "text/html; charset=utf-8", "/static/favicon.svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := get(t, h, http.MethodGet, tt.path, nil)
			b := body(t, res)
			if res.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.status)
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if !strings.Contains(b, tt.contains) {
				t.Errorf("body does not contain %q:\n%.300s", tt.contains, b)
			}
			if res.Header.Get("Content-Security-Policy") == "" {
				t.Error("no Content-Security-Policy header")
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q, want no-referrer (the callback URL carries the code)", got)
			}
		})
	}
}

func TestConfigJSON(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{
			name: "defaults and trailing slashes",
			in:   testConfig,
			want: Config{
				Issuer:       "https://id.example.com/oauth2/default",
				ClientID:     "spa-123",
				APIBaseURL:   "http://api.example.net:8000",
				Scopes:       []string{"openid", "profile", "email"},
				RedirectPath: "/login/callback",
			},
		},
		{
			name: "explicit values",
			in: Config{
				Issuer:       "http://localhost:8000/oauth2/default",
				ClientID:     "dev-spa",
				APIBaseURL:   "http://localhost:8000",
				Scopes:       []string{"openid", "messages:read"},
				RedirectPath: "implicit/callback",
			},
			want: Config{
				Issuer:       "http://localhost:8000/oauth2/default",
				ClientID:     "dev-spa",
				APIBaseURL:   "http://localhost:8000",
				Scopes:       []string{"openid", "messages:read"},
				RedirectPath: "/implicit/callback",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, Handler(tt.in), http.MethodGet, "/config.json", nil)
			var got Config
			if err := json.Unmarshal([]byte(body(t, res)), &got); err != nil {
				t.Fatalf("config.json is not JSON: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("config.json = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestConfigIsCopied(t *testing.T) {
	scopes := []string{"openid"}
	h := Handler(Config{Issuer: "http://localhost:8000/oauth2/default", ClientID: "dev-spa", Scopes: scopes})
	scopes[0] = "changed"
	if b := body(t, get(t, h, http.MethodGet, "/config.json", nil)); !strings.Contains(b, `"openid"`) {
		t.Errorf("changing the caller's slice changed the served config:\n%s", b)
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		connect string
	}{
		{"issuer and API on other origins", testConfig, "connect-src 'self' https://id.example.com http://api.example.net:8000"},
		{"issuer and API on one origin", Config{Issuer: "http://localhost:8000/oauth2/default", APIBaseURL: "http://localhost:8000/"}, "connect-src 'self' http://localhost:8000"},
		{"API on the front-end's origin", Config{Issuer: "https://id.example.com/oauth2/default"}, "connect-src 'self' https://id.example.com"},
		{"no usable URLs", Config{Issuer: "not a url", APIBaseURL: "ftp://x"}, "connect-src 'self'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csp := get(t, Handler(tt.cfg), http.MethodGet, "/", nil).Header.Get("Content-Security-Policy")
			directives := map[string]string{}
			for _, d := range strings.Split(csp, ";") {
				d = strings.TrimSpace(d)
				name, _, _ := strings.Cut(d, " ")
				directives[name] = d
			}
			for name, want := range map[string]string{
				"default-src":     "default-src 'none'",
				"script-src":      "script-src 'self'",
				"style-src":       "style-src 'self'",
				"connect-src":     tt.connect,
				"frame-ancestors": "frame-ancestors 'none'",
			} {
				if got := directives[name]; got != want {
					t.Errorf("%s: got %q, want %q (whole policy: %s)", name, got, want, csp)
				}
			}
		})
	}
}

func TestMethodsAndCaching(t *testing.T) {
	h := Handler(testConfig)

	res := get(t, h, http.MethodPost, "/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: status %d Allow %q, want 405 and \"GET, HEAD\"", res.StatusCode, res.Header.Get("Allow"))
	}

	res = get(t, h, http.MethodHead, "/static/app.js", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD /static/app.js: status %d with a body, want 200 without", res.StatusCode)
	}

	res = get(t, h, http.MethodGet, "/static/app.js", nil)
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /static/app.js: ETag %q Cache-Control %q, want an ETag and no-cache", etag, res.Header.Get("Cache-Control"))
	}
	res = get(t, h, http.MethodGet, "/static/app.js", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("GET with If-None-Match: status %d, want 304", res.StatusCode)
	}
	if other := get(t, h, http.MethodGet, "/static/style.css", nil).Header.Get("ETag"); other == etag {
		t.Errorf("app.js and style.css share ETag %s", etag)
	}
}

// TestShellReferencesOnlyOwnAssets keeps the page free of external assets:
// everything the shell loads must be one of the embedded files.
func TestShellReferencesOnlyOwnAssets(t *testing.T) {
	h := Handler(testConfig)
	shell := body(t, get(t, h, http.MethodGet, "/", nil))
	for _, attr := range []string{`src="`, `href="`} {
		rest := shell
		for {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			ref, _, _ := strings.Cut(rest, `"`)
			if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
				t.Errorf("shell references %q, which is not a path on the app's own origin", ref)
				continue
			}
			if strings.HasPrefix(ref, "/static/") {
				if res := get(t, h, http.MethodGet, ref, nil); res.StatusCode != http.StatusOK {
					t.Errorf("shell references %s, which answers %d", ref, res.StatusCode)
				}
			}
		}
	}
	for _, id := range []string{`id="login"`, `id="logout"`, `id="nav-messages"`, `id="nav-claims"`, `id="error"`} {
		if !strings.Contains(shell, id) {
			t.Errorf("shell lacks %s, which the browser tests use", id)
		}
	}
}
