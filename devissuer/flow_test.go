package devissuer_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

const (
	redirectURI = "http://localhost:8080/login/callback"
	verifier    = "dBjftJeZ4CQP9Kay-_j3Gdvw8uPHu3uo2GN0u0h4fWeW1x3" // 47 chars of the RFC 7636 alphabet
)

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// noRedirect lets tests look at redirects instead of following them, the
// way a browser test would look at the address bar.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func get(t *testing.T, u string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(t, req)
}

func postForm(t *testing.T, u string, form url.Values, edit func(*http.Request)) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	return do(t, req)
}

func authorizeURL(s *devissuer.Server, edit func(url.Values)) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {"dev-spa"},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid profile email"},
		"state":                 {"st-123"},
		"nonce":                 {"n-456"},
		"code_challenge":        {challenge(verifier)},
		"code_challenge_method": {"S256"},
	}
	if edit != nil {
		edit(q)
	}
	return s.URL + "/v1/authorize?" + q.Encode()
}

var requestIDPattern = regexp.MustCompile(`name="request_id" value="([^"]+)"`)

// login walks the browser part of the flow and returns the code.
func login(t *testing.T, s *devissuer.Server) string {
	t.Helper()
	page := get(t, authorizeURL(s, nil))
	if page.status != http.StatusOK {
		t.Fatalf("authorize: status %d: %s", page.status, page.body)
	}
	m := requestIDPattern.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("login page has no request_id: %s", page.body)
	}
	resp := postForm(t, s.URL+"/v1/authorize", url.Values{"request_id": {m[1]}, "username": {"demo"}, "password": {"demo"}, "action": {"login"}}, nil)
	if resp.status != http.StatusSeeOther {
		t.Fatalf("login: status %d: %s", resp.status, resp.body)
	}
	loc, err := url.Parse(resp.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want %s", loc, redirectURI)
	}
	if loc.Query().Get("state") != "st-123" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %s lacks code or state", loc)
	}
	return loc.Query().Get("code")
}

func exchange(t *testing.T, s *devissuer.Server, code, verifier string) response {
	t.Helper()
	return postForm(t, s.URL+"/v1/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"dev-spa"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier},
	}, nil)
}

func TestAuthorizationCodeFlow(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	code := login(t, s)
	resp := exchange(t, s, code, verifier)
	if resp.status != http.StatusOK {
		t.Fatalf("token: status %d: %s", resp.status, resp.body)
	}
	if resp.header.Get("Cache-Control") != "no-store" || resp.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("token response headers: %v", resp.header)
	}
	body := resp.json(t)
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) || body["scope"] != "openid profile email" {
		t.Errorf("token response = %v", body)
	}
	at, _ := body["access_token"].(string)
	atClaims := verify(t, s.Issuer, s.Issuer.CurrentKeyID(), at)
	for k, v := range map[string]any{"iss": s.URL, "aud": "api://default", "sub": "demo", "cid": "dev-spa", "client_id": "dev-spa"} {
		if atClaims[k] != v {
			t.Errorf("access token %s = %v, want %v", k, atClaims[k], v)
		}
	}
	if typ := decodeSegment(t, at, 0)["typ"]; typ != "at+jwt" {
		t.Errorf("access token typ = %v", typ)
	}
	idt, _ := body["id_token"].(string)
	idClaims := verify(t, s.Issuer, s.Issuer.CurrentKeyID(), idt)
	for k, v := range map[string]any{"iss": s.URL, "aud": "dev-spa", "sub": "demo", "nonce": "n-456", "name": "demo",
		"email": "demo@example.com", "preferred_username": "demo@example.com", "at_hash": atHash(at)} {
		if idClaims[k] != v {
			t.Errorf("ID token %s = %v, want %v", k, idClaims[k], v)
		}
	}
	if typ := decodeSegment(t, idt, 0)["typ"]; typ != "JWT" {
		t.Errorf("ID token typ = %v, want JWT", typ)
	}

	t.Run("code reuse refused", func(t *testing.T) {
		resp := exchange(t, s, code, verifier)
		if resp.status != http.StatusBadRequest || resp.json(t)["error"] != "invalid_grant" {
			t.Errorf("reuse: %d %s, want 400 invalid_grant", resp.status, resp.body)
		}
	})
	t.Run("wrong verifier refused and burns the code", func(t *testing.T) {
		code := login(t, s)
		wrong := strings.Repeat("x", 43)
		if resp := exchange(t, s, code, wrong); resp.status != http.StatusBadRequest || resp.json(t)["error"] != "invalid_grant" {
			t.Errorf("wrong verifier: %d %s, want 400 invalid_grant", resp.status, resp.body)
		}
		if resp := exchange(t, s, code, verifier); resp.status != http.StatusBadRequest {
			t.Errorf("right verifier after a wrong one: %d %s, want 400", resp.status, resp.body)
		}
	})
	t.Run("redirect_uri must match", func(t *testing.T) {
		code := login(t, s)
		resp := postForm(t, s.URL+"/v1/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {"dev-spa"},
			"code": {code}, "redirect_uri": {"http://localhost:8080/other"}, "code_verifier": {verifier}}, nil)
		if resp.status != http.StatusBadRequest || resp.json(t)["error"] != "invalid_grant" {
			t.Errorf("%d %s, want 400 invalid_grant", resp.status, resp.body)
		}
	})
	t.Run("missing verifier", func(t *testing.T) {
		code := login(t, s)
		if resp := exchange(t, s, code, ""); resp.status != http.StatusBadRequest || resp.json(t)["error"] != "invalid_request" {
			t.Errorf("%d %s, want 400 invalid_request", resp.status, resp.body)
		}
	})
	t.Run("confidential client cannot redeem", func(t *testing.T) {
		code := login(t, s)
		resp := postForm(t, s.URL+"/v1/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {redirectURI}, "code_verifier": {verifier}}, func(r *http.Request) { r.SetBasicAuth("dev-client", "dev-secret") })
		if resp.status != http.StatusBadRequest || resp.json(t)["error"] != "unauthorized_client" {
			t.Errorf("%d %s, want 400 unauthorized_client", resp.status, resp.body)
		}
	})
	t.Run("userinfo", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp := do(t, req)
		if resp.status != http.StatusOK {
			t.Fatalf("userinfo: %d %s", resp.status, resp.body)
		}
		want := `{"email":"demo@example.com","email_verified":true,"name":"demo","preferred_username":"demo@example.com","sub":"demo"}`
		if got := jsonString(resp.json(t)); got != want {
			t.Errorf("userinfo = %s, want %s", got, want)
		}
	})
}

func atHash(at string) string {
	sum := sha256.Sum256([]byte(at))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func TestLoginPage(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	page := get(t, authorizeURL(s, nil))
	if !strings.Contains(page.body, "for development and tests only") {
		t.Errorf("login page lacks the development banner")
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self' http://localhost:8080") {
		t.Errorf("CSP = %q", csp)
	}
	if strings.Contains(page.body, "<script") || strings.Contains(page.body, "<link") || strings.Contains(page.body, "src=") {
		t.Errorf("login page loads scripts or external assets")
	}
	id := requestIDPattern.FindStringSubmatch(page.body)[1]
	form := func(user, pass, action string) url.Values {
		return url.Values{"request_id": {id}, "username": {user}, "password": {pass}, "action": {action}}
	}

	wrong := postForm(t, s.URL+"/v1/authorize", form("demo", "nope", "login"), nil)
	if wrong.status != http.StatusUnauthorized || !strings.Contains(wrong.body, "Wrong username or password") || wrong.header.Get("Location") != "" {
		t.Errorf("wrong password: %d, want 401 with the page again", wrong.status)
	}
	if !strings.Contains(wrong.body, `value="`+id+`"`) {
		t.Errorf("the page after a wrong password lost the request id")
	}
	cancel := postForm(t, s.URL+"/v1/authorize", form("", "", "cancel"), nil)
	loc, _ := url.Parse(cancel.header.Get("Location"))
	if cancel.status != http.StatusSeeOther || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-123" {
		t.Errorf("cancel: %d %s, want a redirect with error=access_denied&state=st-123", cancel.status, loc)
	}
	again := postForm(t, s.URL+"/v1/authorize", form("demo", "demo", "login"), nil)
	if again.status != http.StatusBadRequest || again.header.Get("Location") != "" {
		t.Errorf("used request id: %d, want 400 without redirect", again.status)
	}
	forged := postForm(t, s.URL+"/v1/authorize", url.Values{"request_id": {"forged"}, "username": {"demo"}, "password": {"demo"}}, nil)
	if forged.status != http.StatusBadRequest || forged.header.Get("Location") != "" {
		t.Errorf("unknown request id: %d, want 400 without redirect", forged.status)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	tests := []struct {
		name      string
		edit      func(url.Values)
		wantError string // "" means an HTML error page, never a redirect
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "evil") }, ""},
		{"confidential client", func(q url.Values) { q.Set("client_id", "dev-client") }, ""},
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "http://evil.example/cb") }, ""},
		{"missing redirect", func(q url.Values) { q.Del("redirect_uri") }, ""},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		{"no PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		{"PKCE plain", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"PKCE method missing", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"malformed challenge", func(q url.Values) { q.Set("code_challenge", "short") }, "invalid_request"},
		// 43 characters hold 258 bits: the last one's low 2 bits must be
		// zero in the encoding of 32 bytes ('B' is 000001).
		{"non-canonical challenge", func(q url.Values) { q.Set("code_challenge", strings.Repeat("A", 42)+"B") }, "invalid_request"},
		{"challenge with a padding", func(q url.Values) { q.Set("code_challenge", strings.Repeat("A", 42)+"=") }, "invalid_request"},
		{"unsupported scope", func(q url.Values) { q.Set("scope", "openid admin") }, "invalid_scope"},
		{"silent", func(q url.Values) { q.Set("prompt", "none") }, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, authorizeURL(s, tt.edit))
			if tt.wantError == "" {
				if resp.status != http.StatusBadRequest || resp.header.Get("Location") != "" || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/html") {
					t.Errorf("status %d, Location %q, Content-Type %q; want a 400 HTML page", resp.status, resp.header.Get("Location"), resp.header.Get("Content-Type"))
				}
				return
			}
			loc, _ := url.Parse(resp.header.Get("Location"))
			if resp.status != http.StatusSeeOther || loc.Query().Get("error") != tt.wantError || loc.Query().Get("state") != "st-123" {
				t.Errorf("status %d, Location %q; want a redirect with error=%s and the state", resp.status, loc, tt.wantError)
			}
		})
	}
}

func TestCodeExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := devissuertest.Start(t, devissuer.Options{Now: clock})
	code := login(t, s)
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	if resp := exchange(t, s, code, verifier); resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "expired") {
		t.Errorf("expired code: %d %s, want 400 invalid_grant expired", resp.status, resp.body)
	}
}

func TestClientCredentials(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{SupportedScopes: []string{"messages:read"}})
	basic := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(id, secret) }
	}
	tests := []struct {
		name       string
		form       url.Values
		edit       func(*http.Request)
		status     int
		wantError  string
		wantScope  string
		wantBasicC bool // WWW-Authenticate: Basic expected
	}{
		{"basic", url.Values{"grant_type": {"client_credentials"}}, basic("dev-client", "dev-secret"), 200, "", "openid profile email", false},
		{"post", url.Values{"grant_type": {"client_credentials"}, "client_id": {"dev-client"}, "client_secret": {"dev-secret"}, "scope": {"messages:read"}}, nil, 200, "", "messages:read", false},
		{"wrong secret basic", url.Values{"grant_type": {"client_credentials"}}, basic("dev-client", "nope"), 401, "invalid_client", "", true},
		{"wrong secret post", url.Values{"grant_type": {"client_credentials"}, "client_id": {"dev-client"}, "client_secret": {"nope"}}, nil, 401, "invalid_client", "", false},
		{"no secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"dev-client"}}, nil, 401, "invalid_client", "", false},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}}, basic("who", "x"), 401, "invalid_client", "", true},
		{"no client", url.Values{"grant_type": {"client_credentials"}}, nil, 401, "invalid_client", "", false},
		{"two auth methods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"dev-secret"}}, basic("dev-client", "dev-secret"), 400, "invalid_request", "", false},
		{"public client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"dev-spa"}}, nil, 400, "unauthorized_client", "", false},
		{"unsupported scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, basic("dev-client", "dev-secret"), 400, "invalid_scope", "", false},
		{"unsupported grant", url.Values{"grant_type": {"password"}}, basic("dev-client", "dev-secret"), 400, "unsupported_grant_type", "", false},
		{"missing grant", url.Values{}, basic("dev-client", "dev-secret"), 400, "invalid_request", "", false},
		{"repeated parameter", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, basic("dev-client", "dev-secret"), 400, "invalid_request", "", false},
		{"JSON body", url.Values{"grant_type": {"client_credentials"}}, func(r *http.Request) {
			r.SetBasicAuth("dev-client", "dev-secret")
			r.Header.Set("Content-Type", "application/json")
		}, 400, "invalid_request", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := postForm(t, s.URL+"/v1/token", tt.form, tt.edit)
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.status, resp.body)
			}
			body := resp.json(t)
			if got := strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Basic"); got != tt.wantBasicC {
				t.Errorf("WWW-Authenticate = %q", resp.header.Get("WWW-Authenticate"))
			}
			if tt.wantError != "" {
				if body["error"] != tt.wantError || body["error_description"] == "" {
					t.Errorf("body = %v, want error %s with a description", body, tt.wantError)
				}
				return
			}
			if body["scope"] != tt.wantScope || body["token_type"] != "Bearer" || body["id_token"] != nil {
				t.Errorf("body = %v, want scope %q, Bearer, no id_token", body, tt.wantScope)
			}
			claims := verify(t, s.Issuer, s.Issuer.CurrentKeyID(), body["access_token"].(string))
			if claims["sub"] != "dev-client" || claims["cid"] != "dev-client" || claims["scope"] != tt.wantScope || claims["aud"] != "api://default" {
				t.Errorf("claims = %v", claims)
			}
		})
	}
	t.Run("GET refused", func(t *testing.T) {
		if resp := get(t, s.URL+"/v1/token"); resp.status != http.StatusMethodNotAllowed || resp.header.Get("Allow") != "POST" {
			t.Errorf("GET token: %d Allow %q", resp.status, resp.header.Get("Allow"))
		}
	})
}

func TestCORS(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	for _, path := range []string{"/v1/token", "/v1/keys", "/v1/userinfo", "/.well-known/openid-configuration"} {
		t.Run(path, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, s.URL+path, nil)
			req.Header.Set("Origin", "http://localhost:8080")
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			resp := do(t, req)
			h := resp.header
			if resp.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
				h.Get("Access-Control-Allow-Headers") != "authorization,content-type" || h.Get("Access-Control-Allow-Methods") == "" {
				t.Errorf("preflight: %d %v", resp.status, h)
			}
		})
	}
	if resp := get(t, s.URL+"/v1/authorize"); resp.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("the HTML authorize endpoint should not be readable cross-origin")
	}
}

func TestUserinfoRefusals(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	iss := s.Issuer
	old := iss.CurrentKeyID()
	if _, err := iss.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if err := iss.RetireKey(old); err != nil {
		t.Fatal(err)
	}
	retired, _ := iss.SignWith(old, nil, iss.AccessTokenClaims())
	tests := []struct {
		name   string
		auth   string
		status int
		error  string
	}{
		{"no credentials", "", 401, ""},
		{"not a JWT", "Bearer not-a-jwt", 401, "invalid_token"},
		{"retired key", "Bearer " + retired, 401, "invalid_token"},
		{"expired", "Bearer " + must(iss.MintAccessToken(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), 401, "invalid_token"},
		{"wrong audience", "Bearer " + must(iss.MintAccessToken(map[string]any{"aud": "api://other"})), 401, "invalid_token"},
		{"no openid scope", "Bearer " + must(iss.MintAccessToken(map[string]any{"scp": []string{"email"}})), 403, "insufficient_scope"},
		// RFC 6750 §3.1: another scheme carries no bearer credentials, so
		// the challenge names no error, as for a request without any.
		{"basic scheme", "Basic ZGVtbzpkZW1v", 401, ""},
		{"lower-case scheme accepted", "bearer " + must(iss.MintAccessToken(nil)), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/userinfo", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp := do(t, req)
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.status, resp.body)
			}
			wa := resp.header.Get("WWW-Authenticate")
			switch {
			case tt.status == 200:
				if resp.json(t)["sub"] != "demo" {
					t.Errorf("body %s", resp.body)
				}
			case !strings.HasPrefix(wa, "Bearer "):
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", wa)
			case tt.error == "" && strings.Contains(wa, "error="):
				t.Errorf("WWW-Authenticate = %q, want no error code without credentials", wa)
			case tt.error != "" && !strings.Contains(wa, `error="`+tt.error+`"`):
				t.Errorf("WWW-Authenticate = %q, want error=%q", wa, tt.error)
			}
		})
	}
}

// TestUserinfoReadsKeysInProcess: userinfo verifies with the keys the issuer
// publishes at the time, a key rotated in a moment ago included, without a
// request to its own JWKS endpoint (Requests counts what the code under
// test fetched, not the issuer itself).
func TestUserinfoReadsKeysInProcess(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+must(s.Issuer.MintAccessToken(nil)))
		if resp := do(t, req); resp.status != http.StatusOK {
			t.Fatalf("userinfo: %d %s", resp.status, resp.body)
		}
		if _, err := s.Issuer.RotateKey(); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Issuer.Requests("/v1/keys"); n != 0 {
		t.Errorf("%d requests to /v1/keys, want none", n)
	}
}

func TestLogout(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	tests := []struct {
		name     string
		query    string
		status   int
		location string
	}{
		{"allowed origin", "post_logout_redirect_uri=" + url.QueryEscape("http://localhost:8080/") + "&state=s1", 303, "http://localhost:8080/?state=s1"},
		{"other path on the origin", "post_logout_redirect_uri=" + url.QueryEscape("http://localhost:8080/bye"), 303, "http://localhost:8080/bye"},
		{"foreign origin", "post_logout_redirect_uri=" + url.QueryEscape("http://evil.example/"), 400, ""},
		{"other port", "post_logout_redirect_uri=" + url.QueryEscape("http://localhost:8081/"), 400, ""},
		{"no redirect", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, s.URL+"/v1/logout?"+tt.query)
			if resp.status != tt.status || resp.header.Get("Location") != tt.location {
				t.Errorf("status %d Location %q, want %d %q", resp.status, resp.header.Get("Location"), tt.status, tt.location)
			}
		})
	}
}

func TestRevokeAccepted(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	if resp := postForm(t, s.URL+"/v1/revoke", url.Values{"token": {"x"}, "client_id": {"dev-spa"}}, nil); resp.status != 200 {
		t.Errorf("revoke: %d %s", resp.status, resp.body)
	}
}
