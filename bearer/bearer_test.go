package bearer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/resource-server/resource-server/verifier"
)

// fakeVerifier accepts every token it is given unless fn says otherwise, and
// records what it was asked.
type fakeVerifier struct {
	fn func(token string) (*verifier.Token, error)

	mu        sync.Mutex
	tokens    []string
	audiences [][]string
}

func (f *fakeVerifier) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error) {
	f.mu.Lock()
	f.tokens = append(f.tokens, token)
	f.audiences = append(f.audiences, audiences)
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(token)
	}
	return &verifier.Token{}, nil
}

func (f *fakeVerifier) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokens)
}

// discard is the logger of tests that refuse requests and do not read the
// log: Options{} logs to slog.Default().
var discard = slog.New(slog.DiscardHandler)

// okHandler answers 200 "ok" and reports whether it saw a token.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, ok := FromContext(r.Context()); !ok {
		http.Error(w, "no token in context", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "ok")
})

const (
	noCredentialsBody = `{"error":"unauthorized","error_description":"this resource needs a bearer token"}`
	otherSchemeBody   = `{"error":"unauthorized","error_description":"this resource needs a bearer token; the Authorization header uses another scheme"}`
	plainChallenge    = `Bearer realm="api"`
)

func invalidRequest(desc string) (challenge, body string) {
	return `Bearer realm="api", error="invalid_request", error_description="` + desc + `"`,
		`{"error":"invalid_request","error_description":"` + desc + `"}`
}

func TestExtraction(t *testing.T) {
	const (
		sepDesc     = "the Bearer scheme must be followed by one or more spaces and the token; found a tab"
		emptyDesc   = "the Authorization header holds the Bearer scheme but no token"
		syntaxDesc  = "the bearer token holds a character outside the RFC 6750 token syntax [A-Za-z0-9-._~+/]+=*"
		severalDesc = "the request has more than one Authorization header"
		urlDesc     = "access tokens in the URL are not accepted; send the token in the Authorization header"
	)
	type want struct {
		status    int
		challenge string // exact WWW-Authenticate; "" for none
		body      string // exact body
		token     string // token the verifier must see (status 200)
	}
	refused := func(status int, challenge, body string) want { return want{status, challenge, body, ""} }
	ok := func(tok string) want { return want{http.StatusOK, "", "ok", tok} }
	bad := func(desc string) want {
		c, b := invalidRequest(desc)
		return want{http.StatusBadRequest, c, b, ""}
	}
	tests := []struct {
		name    string
		headers []string // Authorization header values; nil = none
		query   string
		want    want
	}{
		{"no header", nil, "", refused(401, plainChallenge, noCredentialsBody)},
		{"empty header", []string{""}, "", refused(401, plainChallenge, noCredentialsBody)},
		{"Bearer", []string{"Bearer abc"}, "", ok("abc")},
		{"lower-case bearer", []string{"bearer abc"}, "", ok("abc")},
		{"upper-case BEARER", []string{"BEARER abc"}, "", ok("abc")},
		{"mixed-case BeArEr", []string{"BeArEr abc"}, "", ok("abc")},
		{"JWT-shaped", []string{"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}, "", ok("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")},
		{"every token character", []string{"Bearer AZaz09-._~+/"}, "", ok("AZaz09-._~+/")},
		{"= padding", []string{"Bearer abc=="}, "", ok("abc==")},
		{"only =", []string{"Bearer ="}, "", bad(syntaxDesc)},
		{"= inside", []string{"Bearer ab=c"}, "", bad(syntaxDesc)},
		{"= first", []string{"Bearer =abc"}, "", bad(syntaxDesc)},
		// RFC 6750 §2.1: "Bearer" 1*SP b64token.
		{"two spaces", []string{"Bearer  abc"}, "", ok("abc")},
		{"many spaces", []string{"bearer      abc"}, "", ok("abc")},
		{"tab", []string{"Bearer\tabc"}, "", bad(sepDesc)},
		{"space then tab", []string{"Bearer \tabc"}, "", bad(sepDesc)},
		{"tab then space", []string{"Bearer\t abc"}, "", bad(sepDesc)},
		{"spaces then tab", []string{"Bearer   \tabc"}, "", bad(sepDesc)},
		{"space then no-break space", []string{"Bearer \u00a0abc"}, "", bad(syntaxDesc)},
		{"space then em space", []string{"Bearer \u2003abc"}, "", bad(syntaxDesc)},
		{"no-break space for a space", []string{"Bearer\u00a0abc"}, "", refused(401, plainChallenge, otherSchemeBody)},
		{"empty token", []string{"Bearer "}, "", bad(emptyDesc)},
		{"scheme alone", []string{"Bearer"}, "", bad(emptyDesc)},
		{"lower-case scheme alone", []string{"bearer"}, "", bad(emptyDesc)},
		{"two spaces, no token", []string{"Bearer  "}, "", bad(emptyDesc)},
		{"scheme and tab", []string{"Bearer\t"}, "", bad(emptyDesc)},
		// RFC 9110 §5.5: white space around a field value is not part of it.
		{"trailing space", []string{"Bearer abc "}, "", ok("abc")},
		{"trailing spaces and tab", []string{"Bearer abc \t "}, "", ok("abc")},
		{"leading space", []string{"  Bearer abc"}, "", ok("abc")},
		{"white space only", []string{" \t "}, "", refused(401, plainChallenge, noCredentialsBody)},
		{"trailing no-break space", []string{"Bearer abc\u00a0"}, "", bad(syntaxDesc)},
		{"trailing newline", []string{"Bearer abc\n"}, "", bad(syntaxDesc)},
		{"space inside", []string{"Bearer ab c"}, "", bad(syntaxDesc)},
		{"illegal character", []string{"Bearer ab!c"}, "", bad(syntaxDesc)},
		{"quote", []string{`Bearer ab"c`}, "", bad(syntaxDesc)},
		{"comma and second credentials", []string{"Bearer abc, Basic xyz"}, "", bad(syntaxDesc)},
		{"non-ASCII", []string{"Bearer abcé"}, "", bad(syntaxDesc)},
		{"Basic", []string{"Basic dXNlcjpwYXNz"}, "", refused(401, plainChallenge, otherSchemeBody)},
		{"Bearer as a prefix of another scheme", []string{"Bearerx abc"}, "", refused(401, plainChallenge, otherSchemeBody)},
		{"Bearer not at the start", []string{"xxBearer abc"}, "", refused(401, plainChallenge, otherSchemeBody)},
		{"short other scheme", []string{"X"}, "", refused(401, plainChallenge, otherSchemeBody)},
		{"two headers", []string{"Bearer abc", "Bearer def"}, "", bad(severalDesc)},
		{"two headers, one empty", []string{"Bearer abc", ""}, "", bad(severalDesc)},
		{"two headers, other scheme", []string{"Basic x", "Bearer abc"}, "", bad(severalDesc)},
		{"query token alone", nil, "access_token=abc", bad(urlDesc)},
		{"query token with header", []string{"Bearer abc"}, "access_token=abc", bad(urlDesc)},
		{"query token among others", []string{"Bearer abc"}, "a=1&access_token=abc&b=2", bad(urlDesc)},
		{"query token without value", []string{"Bearer abc"}, "access_token", bad(urlDesc)},
		{"query token after ;", []string{"Bearer abc"}, "a=1;access_token=abc", bad(urlDesc)},
		{"query token percent-encoded name", []string{"Bearer abc"}, "access%5Ftoken=abc", bad(urlDesc)},
		{"other query parameters", []string{"Bearer abc"}, "access_token_hint=1&x=access_token", ok("abc")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := &fakeVerifier{}
			h := Middleware(fv, Options{Logger: discard})(okHandler)
			target := "/api/messages"
			if tt.query != "" {
				target += "?" + tt.query
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			for _, v := range tt.headers {
				r.Header.Add("Authorization", v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tt.want.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.want.status, w.Body)
			}
			if got := w.Body.String(); got != tt.want.body {
				t.Errorf("body = %s\nwant   %s", got, tt.want.body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.want.challenge {
				t.Errorf("WWW-Authenticate = %s\nwant               %s", got, tt.want.challenge)
			}
			calls := fv.calls()
			if tt.want.status == http.StatusOK {
				if len(calls) != 1 || calls[0] != tt.want.token {
					t.Errorf("verifier saw %q, want [%q]", calls, tt.want.token)
				}
				return
			}
			if len(calls) != 0 {
				t.Errorf("verifier called with %q on a refused request", calls)
			}
			checkRefusalHeaders(t, w, len(tt.want.body))

			// TokenFromRequest agrees with the middleware.
			tok, err := TokenFromRequest(r)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("TokenFromRequest error = %v (%T), want *Error", err, err)
			}
			if tok != "" || e.Status != tt.want.status {
				t.Errorf("TokenFromRequest = %q, status %d; want \"\", %d", tok, e.Status, tt.want.status)
			}
		})
	}
}

func checkRefusalHeaders(t *testing.T, w *httptest.ResponseRecorder, bodyLen int) {
	t.Helper()
	for k, v := range map[string]string{
		"Content-Type":   "application/json",
		"Cache-Control":  "no-store",
		"Content-Length": fmt.Sprint(bodyLen),
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestTokenFromRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "bearer abc.def")
	tok, err := TokenFromRequest(r)
	if tok != "abc.def" || err != nil {
		t.Fatalf("TokenFromRequest = %q, %v; want abc.def, nil", tok, err)
	}

	r.Header.Set("Authorization", "Bearer  abc.def ")
	if tok, err = TokenFromRequest(r); tok != "abc.def" || err != nil {
		t.Fatalf("TokenFromRequest = %q, %v; want abc.def, nil", tok, err)
	}

	r.Header.Set("Authorization", "Bearer\tabc")
	_, err = TokenFromRequest(r)
	want := &Error{Status: 400, Code: "invalid_request", Description: "the Bearer scheme must be followed by one or more spaces and the token; found a tab"}
	var e *Error
	if !errors.As(err, &e) || *e != *want {
		t.Fatalf("TokenFromRequest error = %#v, want %#v", err, want)
	}
	if got := err.Error(); got != "bearer: invalid_request: the Bearer scheme must be followed by one or more spaces and the token; found a tab" {
		t.Errorf("Error() = %q", got)
	}

	r.Header.Del("Authorization")
	_, err = TokenFromRequest(r)
	if got := err.Error(); got != "bearer: unauthorized: this resource needs a bearer token" {
		t.Errorf("Error() = %q", got)
	}
}

// A form already parsed by a handler in front of the middleware is checked;
// the body itself is never read.
func TestFormBody(t *testing.T) {
	newReq := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/api", strings.NewReader("access_token=abc"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	h := Middleware(&fakeVerifier{}, Options{Logger: discard})(okHandler)

	// Not parsed: the middleware does not read the body, so it sees no token.
	r := newReq()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != plainChallenge {
		t.Errorf("unparsed form: %d %q, want 401 %q", w.Code, w.Header().Get("WWW-Authenticate"), plainChallenge)
	}
	if rest, _ := io.ReadAll(r.Body); string(rest) != "access_token=abc" {
		t.Errorf("the middleware read the body: %q left", rest)
	}

	// Parsed upstream: refused like a query token.
	r = newReq()
	r.Header.Set("Authorization", "Bearer abc")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_request", error_description="access tokens in the request body are not accepted`) {
		t.Errorf("parsed form: %d %q, want 400 invalid_request", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestVerificationFailure(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name      string
		err       error
		status    int
		challenge string
		body      string
		retry     string
	}{
		{
			name:      "expired",
			err:       &verifier.ValidationError{Kind: verifier.ErrExpired, Claim: "exp", Found: "2024-01-01T00:00:00Z", Expected: "after 2025-01-01T00:00:00Z"},
			status:    401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="token expired: claim exp is 2024-01-01T00:00:00Z, expected after 2025-01-01T00:00:00Z"`,
			body:      `{"error":"invalid_token","error_description":"token expired: claim exp is 2024-01-01T00:00:00Z, expected after 2025-01-01T00:00:00Z"}`,
		},
		{
			name:      "wrong audience",
			err:       &verifier.ValidationError{Kind: verifier.ErrWrongAudience, Claim: "aud", Found: "x", Expected: "api://default"},
			status:    401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="wrong audience: claim aud is x, expected api://default"`,
			body:      `{"error":"invalid_token","error_description":"wrong audience: claim aud is x, expected api://default"}`,
		},
		{
			name:      "plain error",
			err:       errors.New("not a JWT"),
			status:    401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="not a JWT"`,
			body:      `{"error":"invalid_token","error_description":"not a JWT"}`,
		},
		{
			name:      "quotes, backslashes, control and non-ASCII characters",
			err:       errors.New("a \"b\" c\\d\r\ne\tf é"),
			status:    401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="a b cd??e?f ?"`,
			body:      `{"error":"invalid_token","error_description":"a b cd??e?f ?"}`,
		},
		{
			name:      "long description is cut",
			err:       errors.New(long),
			status:    401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="` + long[:197] + `..."`,
			body:      `{"error":"invalid_token","error_description":"` + long[:197] + `..."}`,
		},
		{
			name:      "keys unavailable",
			err:       &verifier.ValidationError{Kind: verifier.ErrKeysUnavailable, Err: errors.New("dial tcp 10.0.0.1:443: connection refused")},
			status:    503,
			challenge: plainChallenge,
			body:      `{"error":"temporarily_unavailable","error_description":"the authorization server's signing keys are unavailable; retry later"}`,
			retry:     "5",
		},
		{
			name:      "keys unavailable, wrapped",
			err:       fmt.Errorf("outer: %w", verifier.ErrKeysUnavailable),
			status:    503,
			challenge: plainChallenge,
			body:      `{"error":"temporarily_unavailable","error_description":"the authorization server's signing keys are unavailable; retry later"}`,
			retry:     "5",
		},
		{
			name:      "neither token nor error",
			err:       nil,
			status:    401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="the token was not accepted"`,
			body:      `{"error":"invalid_token","error_description":"the token was not accepted"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := &fakeVerifier{fn: func(string) (*verifier.Token, error) { return nil, tt.err }}
			h := Middleware(fv, Options{Logger: discard})(okHandler)
			r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
			r.Header.Set("Authorization", "Bearer abc")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %s\nwant               %s", got, tt.challenge)
			}
			if got := w.Body.String(); got != tt.body {
				t.Errorf("body = %s\nwant   %s", got, tt.body)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retry {
				t.Errorf("Retry-After = %q, want %q", got, tt.retry)
			}
			checkRefusalHeaders(t, w, len(tt.body))
		})
	}
}

func TestOptions(t *testing.T) {
	const md = "https://api.example.com/.well-known/oauth-protected-resource"
	fv := &fakeVerifier{fn: func(tok string) (*verifier.Token, error) {
		if tok == "good" {
			return &verifier.Token{}, nil
		}
		return nil, errors.New("bad token")
	}}
	h := Middleware(fv, Options{Realm: "example", ResourceMetadata: md, Audiences: []string{"a", "b"}, Logger: discard})(
		RequireScopes("read", "write")(okHandler))

	tests := []struct {
		auth, challenge string
		status          int
	}{
		{"", `Bearer realm="example", resource_metadata="` + md + `"`, 401},
		{"Bearer\tx", `Bearer realm="example", error="invalid_request", error_description="the Bearer scheme must be followed by one or more spaces and the token; found a tab", resource_metadata="` + md + `"`, 400},
		{"Bearer bad", `Bearer realm="example", error="invalid_token", error_description="bad token", resource_metadata="` + md + `"`, 401},
		{"Bearer good", `Bearer realm="example", error="insufficient_scope", error_description="the token lacks the scope(s) read write", scope="read write", resource_metadata="` + md + `"`, 403},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status || w.Header().Get("WWW-Authenticate") != tt.challenge {
			t.Errorf("%q: %d %s\nwant %d %s", tt.auth, w.Code, w.Header().Get("WWW-Authenticate"), tt.status, tt.challenge)
		}
	}
	for i, auds := range fv.audiences {
		if !slices.Equal(auds, []string{"a", "b"}) {
			t.Errorf("call %d: audiences %q, want [a b]", i, auds)
		}
	}

	// Nil Audiences: the verifier's own.
	fv = &fakeVerifier{}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer good")
	Middleware(fv, Options{})(okHandler).ServeHTTP(httptest.NewRecorder(), r)
	if len(fv.audiences) != 1 || len(fv.audiences[0]) != 0 {
		t.Errorf("audiences = %q, want one call with none", fv.audiences)
	}
}

// The caller's Audiences slice is copied: changing it later changes nothing.
func TestOptionsAudiencesCopied(t *testing.T) {
	auds := []string{"a"}
	fv := &fakeVerifier{}
	h := Middleware(fv, Options{Audiences: auds})(okHandler)
	auds[0] = "changed"
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer t")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !slices.Equal(fv.audiences[0], []string{"a"}) {
		t.Errorf("audiences = %q, want [a]", fv.audiences[0])
	}
}

func TestRequireScopes(t *testing.T) {
	tok := &verifier.Token{} // grants no scope
	fv := &fakeVerifier{fn: func(string) (*verifier.Token, error) { return tok, nil }}
	tests := []struct {
		name      string
		scopes    []string
		status    int
		challenge string
		body      string
	}{
		{"none required", nil, 200, "", "ok"},
		{"one missing", []string{"messages:read"}, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope(s) messages:read", scope="messages:read"`,
			`{"error":"insufficient_scope","error_description":"the token lacks the scope(s) messages:read"}`},
		{"two missing", []string{"a", "b"}, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope(s) a b", scope="a b"`,
			`{"error":"insufficient_scope","error_description":"the token lacks the scope(s) a b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Middleware(fv, Options{Logger: discard})(RequireScopes(tt.scopes...)(okHandler))
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				r := httptest.NewRequest(method, "/", nil)
				r.Header.Set("Authorization", "Bearer abc")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != tt.status {
					t.Fatalf("%s: status %d, want %d", method, w.Code, tt.status)
				}
				if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
					t.Errorf("%s: WWW-Authenticate = %s\nwant %s", method, got, tt.challenge)
				}
				if tt.status == 200 {
					continue
				}
				wantBody := tt.body
				if method == http.MethodHead {
					wantBody = ""
				}
				if got := w.Body.String(); got != wantBody {
					t.Errorf("%s: body = %q, want %q", method, got, wantBody)
				}
				checkRefusalHeaders(t, w, len(tt.body))
			}
		})
	}
}

func TestRequireScopesOutsideMiddleware(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer abc")
	w := httptest.NewRecorder()
	RequireScopes("a")(okHandler).ServeHTTP(w, r)
	if w.Code != 500 || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("status %d, WWW-Authenticate %q; want 500 and none", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if want := `{"error":"server_error","error_description":"bearer.RequireScopes or bearer.Refuse runs outside bearer.Middleware"}`; w.Body.String() != want {
		t.Errorf("body = %s, want %s", w.Body, want)
	}
}

func TestFromContext(t *testing.T) {
	if tok, ok := FromContext(context.Background()); tok != nil || ok {
		t.Errorf("FromContext(Background) = %v, %v; want nil, false", tok, ok)
	}
	want := &verifier.Token{}
	fv := &fakeVerifier{fn: func(string) (*verifier.Token, error) { return want, nil }}
	var got *verifier.Token
	var gotOK bool
	h := Middleware(fv, Options{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Contexts derived from the request's still carry the token, and
		// other values put in before the middleware stay reachable.
		ctx, cancel := context.WithCancel(context.WithValue(r.Context(), struct{ k int }{1}, "x"))
		defer cancel()
		got, gotOK = FromContext(ctx)
		if ctx.Value(outerKey{}) != "outer" {
			t.Error("value put in before the middleware is lost")
		}
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(context.WithValue(r.Context(), outerKey{}, "outer"))
	r.Header.Set("Authorization", "Bearer abc")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != want || !gotOK {
		t.Errorf("FromContext = %p, %v; want %p, true", got, gotOK, want)
	}
}

type outerKey struct{}

// Cancelling the request's context reaches contexts derived inside the
// handler, through the middleware's context type.
func TestContextCancellation(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	done := make(chan struct{})
	h := Middleware(&fakeVerifier{}, Options{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		cancelParent()
		<-ctx.Done()
		close(done)
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(parent)
	r.Header.Set("Authorization", "Bearer abc")
	h.ServeHTTP(httptest.NewRecorder(), r)
	<-done
}

func TestHEAD(t *testing.T) {
	h := Middleware(&fakeVerifier{fn: func(string) (*verifier.Token, error) { return nil, errors.New("nope") }}, Options{Logger: discard})(okHandler)
	for _, auth := range []string{"", "Bearer\tx", "Bearer abc"} {
		get := httptest.NewRecorder()
		head := httptest.NewRecorder()
		for _, c := range []struct {
			method string
			w      *httptest.ResponseRecorder
		}{{http.MethodGet, get}, {http.MethodHead, head}} {
			r := httptest.NewRequest(c.method, "/", nil)
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			h.ServeHTTP(c.w, r)
		}
		if head.Code != get.Code || head.Body.Len() != 0 {
			t.Errorf("%q: HEAD %d with %d body bytes; GET %d", auth, head.Code, head.Body.Len(), get.Code)
		}
		for _, k := range []string{"WWW-Authenticate", "Content-Type", "Cache-Control", "Content-Length"} {
			if head.Header().Get(k) != get.Header().Get(k) || get.Header().Get(k) == "" {
				t.Errorf("%q: %s: HEAD %q, GET %q", auth, k, head.Header().Get(k), get.Header().Get(k))
			}
		}
	}
}

// Over a real connection: header parsing by net/http, several headers on the
// wire, HEAD.
func TestOverHTTP(t *testing.T) {
	srv := httptest.NewServer(Middleware(&fakeVerifier{}, Options{Logger: discard})(okHandler))
	t.Cleanup(srv.Close)
	do := func(method string, auth ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range auth {
			req.Header.Add("Authorization", a)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := do("GET", "bearer abc"); resp.StatusCode != 200 {
		t.Errorf("bearer abc: %d", resp.StatusCode)
	}
	if resp := do("GET", "Bearer a", "Bearer b"); resp.StatusCode != 400 {
		t.Errorf("two headers: %d", resp.StatusCode)
	}
	resp := do("HEAD")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != plainChallenge || resp.ContentLength != int64(len(noCredentialsBody)) {
		t.Errorf("HEAD: %d %q length %d", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), resp.ContentLength)
	}
}

func TestLogging(t *testing.T) {
	const secret = "s3cret-token.value"
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fv := &fakeVerifier{fn: func(tok string) (*verifier.Token, error) {
		switch tok {
		case "keys":
			return nil, &verifier.ValidationError{Kind: verifier.ErrKeysUnavailable}
		case secret:
			return nil, &verifier.ValidationError{Kind: verifier.ErrInvalidSignature, Claim: "alg", Found: "RS256"}
		}
		return &verifier.Token{}, nil
	}}
	h := Middleware(fv, Options{Logger: logger})(RequireScopes("admin")(okHandler))
	fp := fingerprint(secret)

	tests := []struct {
		auth  string
		query string
		want  []string // substrings of the log line
	}{
		{"", "", []string{`"level":"DEBUG"`, `"status":401`, `"error":"unauthorized"`, `"method":"GET"`, `"path":"/api/messages"`}},
		{"Bearer " + secret, "", []string{`"level":"INFO"`, `"status":401`, `"error":"invalid_token"`, `"kind":"invalid signature"`, `"token_sha256":"` + fp + `"`, `"reason":"verifier: invalid signature: claim \"alg\" is RS256"`}},
		{"Bearer\t" + secret, "", []string{`"level":"INFO"`, `"status":400`, `"token_sha256":"` + fp + `"`}},
		{"Bearer " + secret + "!", "", []string{`"level":"INFO"`, `"status":400`, `"token_sha256":"` + fingerprint(secret+"!") + `"`}},
		{"Bearer " + "other", "", []string{`"level":"INFO"`, `"status":403`, `"error":"insufficient_scope"`, `"token_sha256":"` + fingerprint("other") + `"`}},
		{"Bearer keys", "", []string{`"level":"WARN"`, `"status":503`, `"kind":"issuer keys unavailable"`}},
		{"", "access_token=" + secret, []string{`"level":"INFO"`, `"status":400`, `"path":"/api/messages"`}},
	}
	for _, tt := range tests {
		buf.Reset()
		target := "/api/messages"
		if tt.query != "" {
			target += "?" + tt.query
		}
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		line := buf.String()
		if strings.Count(line, "\n") != 1 {
			t.Errorf("%q: want one log line, got %q", tt.auth, line)
		}
		for _, s := range tt.want {
			if !strings.Contains(line, s) {
				t.Errorf("%q: log %s lacks %s", tt.auth, line, s)
			}
		}
		if strings.Contains(line, secret) {
			t.Errorf("%q: log holds the token: %s", tt.auth, line)
		}
	}

	// Accepted requests are not logged.
	buf.Reset()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer ok")
	Middleware(fv, Options{Logger: logger})(okHandler).ServeHTTP(httptest.NewRecorder(), r)
	if buf.Len() != 0 {
		t.Errorf("accepted request logged: %s", buf.String())
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"nil verifier", func() { Middleware(nil, Options{}) }},
		{"realm with quote", func() { Middleware(&fakeVerifier{}, Options{Realm: `a"b`}) }},
		{"realm with backslash", func() { Middleware(&fakeVerifier{}, Options{Realm: `a\b`}) }},
		{"resource metadata with newline", func() { Middleware(&fakeVerifier{}, Options{ResourceMetadata: "https://x\n"}) }},
		{"empty scope", func() { RequireScopes("") }},
		{"scope with space", func() { RequireScopes("a b") }},
		{"scope with quote", func() { RequireScopes(`a"`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text: 1-2", "plain text: 1-2"},
		{`claim "exp"`, "claim exp"},
		{`a\b`, "ab"},
		{"a\x00b\x7fc", "a?b?c"},
		{"日本", "??"},
		{"bad utf8 \xff", "bad utf8 ?"},
		{strings.Repeat("a", 200), strings.Repeat("a", 200)},
		{strings.Repeat("a", 201), strings.Repeat("a", 197) + "..."},
		{strings.Repeat(`"`, 300) + "x", "x"},
		{strings.Repeat("é", 300), strings.Repeat("?", 197) + "..."},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQueryHasKey(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"", false},
		{"access_token=x", true},
		{"access_token", true},
		{"access_token=", true},
		{"a=1&access_token=x", true},
		{"a=1;access_token=x", true},
		{"access%5ftoken=x", true},
		{"%61ccess_token=x", true},
		{"access_tokenx=1", false},
		{"xaccess_token=1", false},
		{"a=access_token", false},
		{"access%zz_token=1", false},
		{"ACCESS_TOKEN=1", false},
	}
	for _, tt := range tests {
		if got := queryHasKey(tt.raw, "access_token"); got != tt.want {
			t.Errorf("queryHasKey(%q) = %v, want %v", tt.raw, got, tt.want)
		}
		// Agrees with net/url wherever net/url can parse the query.
		if q, err := url.ParseQuery(tt.raw); err == nil && q.Has("access_token") != tt.want {
			t.Errorf("queryHasKey(%q) = %v, net/url says %v", tt.raw, tt.want, q.Has("access_token"))
		}
	}
}

// The happy path allocates only the request copy and the context that
// carries the token.
func TestHappyPathAllocations(t *testing.T) {
	tok := &verifier.Token{}
	fv := verifierFunc(func(context.Context, string, ...string) (*verifier.Token, error) { return tok, nil })
	h := Middleware(fv, Options{Audiences: []string{"api://default"}})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/api/messages?page=2", nil)
	r.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	w := httptest.NewRecorder()
	allocs := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, r) })
	if allocs > 2 {
		t.Errorf("%v allocations per request, want at most 2 (request copy and context)", allocs)
	}
}

type verifierFunc func(ctx context.Context, token string, audiences ...string) (*verifier.Token, error)

func (f verifierFunc) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error) {
	return f(ctx, token, audiences...)
}

func BenchmarkMiddleware(b *testing.B) {
	tok := &verifier.Token{}
	fv := verifierFunc(func(context.Context, string, ...string) (*verifier.Token, error) { return tok, nil })
	h := Middleware(fv, Options{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
	r.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
