package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// tokensKey is where the front-end keeps its tokens in sessionStorage.
const tokensKey = "resource-server-demo.tokens"

// TestLoginMessagesClaimsLogout walks the demo as a new user would: sign in
// at the embedded authorization server, read the messages from the resource
// server on another origin (so CORS is real), look at the token's claims,
// sign out.
func TestLoginMessagesClaimsLogout(t *testing.T) {
	const user, password = "alice", "correct horse battery staple"
	a := startApp(t, "--dev-user", user, "--dev-password", password)
	b := newBrowser(t)

	b.do("opening the front-end",
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
	)
	b.do("clicking Sign in", chromedp.Click(chromedp.CSS("#login")))
	b.do("waiting for the login page", chromedp.WaitVisible(chromedp.CSS("#username")))
	if loc := b.location(); !strings.HasPrefix(loc, a.Issuer+"/v1/authorize?") {
		t.Fatalf("Sign in went to %s, want the issuer's authorization endpoint %s/v1/authorize", loc, a.Issuer)
	}
	for _, p := range []string{"code_challenge_method=S256", "client_id=dev-spa", "response_type=code"} {
		if loc := b.location(); !strings.Contains(loc, p) {
			t.Errorf("authorization request %s lacks %s", loc, p)
		}
	}
	b.signIn(user, password)
	if loc := b.location(); loc != a.FrontURL+"/" {
		t.Errorf("after sign-in the page is %s, want %s/ (the code must not stay in the address bar)", loc, a.FrontURL)
	}
	if welcome := b.text(`[data-testid="welcome"]`); !strings.Contains(welcome, user) {
		t.Errorf("home page greets %q, want the user's name %q", welcome, user)
	}

	b.do("opening Messages", chromedp.Click(chromedp.CSS("#nav-messages")))
	texts := b.messageTexts()
	for _, want := range []string{"I am a robot.", "Hello, world!"} {
		if !slices.Contains(texts, want) {
			t.Errorf("messages %q lack %q", texts, want)
		}
	}
	if path := b.screenshot("messages-after-login"); path == "" {
		t.Error("could not write the screenshot of the Messages page")
	}

	b.do("opening Claims",
		chromedp.Click(chromedp.CSS("#nav-claims")),
		chromedp.WaitVisible(chromedp.CSS("#claims pre")),
	)
	claims := b.text("#claims")
	for _, want := range []string{`"aud": "api://default"`, `"sub": "` + user + `"`, `"cid": "dev-spa"`, `"alg": "RS256"`} {
		if !strings.Contains(claims, want) {
			t.Errorf("claims page lacks %s:\n%s", want, claims)
		}
	}

	_, reqMark := b.mark()
	b.do("signing out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login")),
	)
	if !b.requestedSince(reqMark, regexp.MustCompile(`^`+regexp.QuoteMeta(a.Issuer+"/v1/logout?"))) {
		t.Error("Sign out did not visit the issuer's end_session_endpoint")
	}
	if loc := b.location(); loc != a.FrontURL+"/" {
		t.Errorf("after sign-out the page is %s, want %s/", loc, a.FrontURL)
	}
	stored := eval[any](b, `sessionStorage.getItem("`+tokensKey+`")`)
	if stored != nil {
		t.Errorf("tokens still in sessionStorage after sign-out: %v", stored)
	}
	logoutVisible := eval[bool](b, `!document.querySelector('#logout').hidden`)
	if logoutVisible {
		t.Error("Sign out button still visible after sign-out")
	}
}

// TestExpiredSessionRecovers signs in with tokens that live 3 seconds, waits
// until the resource server refuses the token, and checks that the page says
// the session expired and that "Sign in again" brings the messages back.
func TestExpiredSessionRecovers(t *testing.T) {
	a := startApp(t, "--dev-token-lifetime", "3s")
	b := newBrowser(t)

	b.do("opening the front-end",
		chromedp.Navigate(a.FrontURL+"/messages"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
	)
	b.signIn("demo", "demo")
	if loc := b.location(); loc != a.FrontURL+"/messages" {
		t.Errorf("after sign-in the page is %s, want to be back at %s/messages", loc, a.FrontURL)
	}
	if texts := b.messageTexts(); !slices.Contains(texts, "I am a robot.") {
		t.Fatalf("messages %q lack %q", texts, "I am a robot.")
	}

	old := eval[string](b, `JSON.parse(sessionStorage.getItem("`+tokensKey+`")).access_token`)
	exp := expiry(t, old)
	if life := time.Until(exp); life > 5*time.Second {
		t.Fatalf("access token expires in %s, want about 3s (--dev-token-lifetime 3s)", life.Round(time.Second))
	}

	// Wait, polling the API directly, until the resource server refuses the
	// token: exp plus the verifier's clock leeway.
	status, challenge := waitRefused(t, a.APIURL+"/api/messages", old, 2*time.Minute)
	t.Logf("resource server refused the token %s after its exp: %d %s", time.Since(exp).Round(100*time.Millisecond), status, challenge)
	if status != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer ") || !strings.Contains(challenge, `error="invalid_token"`) {
		t.Errorf("expired token: got %d with WWW-Authenticate %q, want 401 with Bearer … error=\"invalid_token\"", status, challenge)
	}

	respMark, _ := b.mark()
	b.do("opening Messages with the expired token",
		chromedp.Click(chromedp.CSS("#nav-messages")),
		chromedp.WaitVisible(chromedp.CSS("#relogin")),
	)
	if msg := b.text("#error"); !strings.Contains(msg, "Your session has expired") {
		t.Errorf("error box says %q, want it to say the session expired", msg)
	}
	kind := eval[string](b, `document.querySelector('#error').dataset.kind`)
	if kind != "expired" {
		t.Errorf("#error data-kind = %q, want expired", kind)
	}
	// The browser itself got the challenge (not only our direct request).
	apiResponses := b.responsesSince(respMark, regexp.MustCompile(`^`+regexp.QuoteMeta(a.APIURL+"/api/messages")+`$`))
	var saw401 bool
	for _, r := range apiResponses {
		if r.Status == http.StatusUnauthorized && strings.Contains(header(r, "WWW-Authenticate"), `error="invalid_token"`) {
			saw401 = true
		}
	}
	if !saw401 {
		t.Errorf("the browser's GET /api/messages did not get 401 with error=\"invalid_token\"; responses: %d", len(apiResponses))
	}

	b.do("clicking Sign in again", chromedp.Click(chromedp.CSS("#relogin")))
	b.signIn("demo", "demo")
	if texts := b.messageTexts(); !slices.Contains(texts, "I am a robot.") || !slices.Contains(texts, "Hello, world!") {
		t.Errorf("after signing in again, messages are %q", texts)
	}
	if loc := b.location(); loc != a.FrontURL+"/messages" {
		t.Errorf("after signing in again the page is %s, want %s/messages", loc, a.FrontURL)
	}
	fresh := eval[string](b, `JSON.parse(sessionStorage.getItem("`+tokensKey+`")).access_token`)
	if fresh == old {
		t.Error("signing in again kept the expired access token")
	}
	errorHidden := eval[bool](b, `document.querySelector('#error').hidden`)
	if !errorHidden {
		t.Errorf("the error box is still shown after signing in again: %q", b.text("#error"))
	}
}

// waitRefused calls url with token every 250 ms until the answer is not 200
// or timeout passes, and returns the status and WWW-Authenticate header.
func waitRefused(t *testing.T, url, token string, timeout time.Duration) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return res.StatusCode, res.Header.Get("WWW-Authenticate")
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s still accepts the token %s after it expired", url, timeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// expiry reads a JWT's exp claim without verifying it.
func expiry(t *testing.T, jwt string) time.Time {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWS: %q", jwt)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("access token payload: %v", err)
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == 0 {
		t.Fatalf("access token has no exp: %s (%v)", payload, err)
	}
	return time.Unix(claims.Exp, 0)
}

// TestAPIDownIsReported kills the program while the signed-in page stays
// open, and checks that the page says the resource server is not reachable
// rather than blaming the token.
func TestAPIDownIsReported(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.do("opening the front-end",
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
	)
	b.signIn("demo", "demo")

	a.Kill()
	b.do("opening Messages with the API down",
		chromedp.Click(chromedp.CSS("#nav-messages")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	)
	want := "The resource server at " + a.APIURL + " is not reachable"
	if msg := b.text("#error"); !strings.Contains(msg, want) {
		t.Errorf("error box says %q, want %q", msg, want)
	}
	if kind := eval[string](b, `document.querySelector('#error').dataset.kind`); kind != "unreachable" {
		t.Errorf("#error data-kind = %q, want unreachable", kind)
	}
	if relogin := eval[bool](b, `document.querySelector('#relogin') !== null`); relogin {
		t.Error("the page offers to sign in again, which cannot help when the API is down")
	}
}

// TestCORSRefusalIsReported runs the resource server with a CORS allow-list
// that does not hold the front-end's origin, and checks that the page names
// CORS as the cause instead of calling the server unreachable.
func TestCORSRefusalIsReported(t *testing.T) {
	a := startApp(t, "--cors-origins", "https://app.example.com")
	b := newBrowser(t)
	b.do("opening the front-end",
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
	)
	b.signIn("demo", "demo")

	b.do("opening Messages from an origin the API refuses",
		chromedp.Click(chromedp.CSS("#nav-messages")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	)
	msg := b.text("#error")
	for _, want := range []string{"The resource server at " + a.APIURL + " refused this page's request (CORS)", a.FrontURL} {
		if !strings.Contains(msg, want) {
			t.Errorf("error box says %q, want it to contain %q", msg, want)
		}
	}
	if kind := eval[string](b, `document.querySelector('#error').dataset.kind`); kind != "cors" {
		t.Errorf("#error data-kind = %q, want cors", kind)
	}
}
