package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestEnterInUsernameSignsIn: Enter in the username field submits the login
// form with Sign in, not Cancel (the form's first submit button is the one
// implicit submission uses). b.signIn presses Enter in the password field.
func TestEnterInUsernameSignsIn(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.do("opening the login page",
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
	if first := eval[string](b, `document.querySelector('form [type=submit]').value`); first != "login" {
		t.Errorf("the login form's first submit button is %q, want login: Enter in a field submits with it", first)
	}
	b.do("typing the password, then the username and Enter",
		chromedp.SendKeys(chromedp.CSS("#password"), "demo"),
		chromedp.SendKeys(chromedp.CSS("#username"), "demo"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
	)
	if welcome := b.text(`[data-testid="welcome"]`); !strings.Contains(welcome, "demo") {
		t.Errorf("after Enter the home page says %q, want a welcome of demo", welcome)
	}
	b.checkNoError()
}

// checkNoError fails the test when the page shows an error.
func (b *browser) checkNoError() {
	b.t.Helper()
	if !eval[bool](b, `document.querySelector('#error').hidden`) {
		b.t.Errorf("the page shows an error: %q", b.text("#error"))
	}
}

// signInActions returns the visible controls that offer to sign in.
func (b *browser) signInActions() []string {
	b.t.Helper()
	return eval[[]string](b, visibleSignInActions)
}

// TestErrorWithoutActionShowsNoNull: an error the user cannot fix by signing
// in again (here the API refuses the page's origin) shows its title and
// detail only, without a stray "null" line where the button would be.
func TestErrorWithoutActionShowsNoNull(t *testing.T) {
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
		chromedp.WaitVisible(chromedp.CSS(`#error[data-kind="cors"]`)),
	)
	b.screenshot("error-without-action")
	lines := eval[[]string](b, `document.querySelector('#error').innerText.split('\n').map((l) => l.trim()).filter(Boolean)`)
	if len(lines) != 2 || slices.Contains(lines, "null") {
		t.Errorf("the error box shows %q, want its title and detail only", lines)
	}
	if stray := eval[int](b, `[...document.querySelector('#error').childNodes].filter((n) => n.nodeType !== 1).length`); stray != 0 {
		t.Errorf("the error box holds %d text nodes beside its elements", stray)
	}
	if actions := b.signInActions(); len(actions) != 0 {
		t.Errorf("signed in, the page offers to sign in: %v", actions)
	}
}

// TestBackAfterSignIn: Back after signing in shows the login page again;
// signing in there must land in the app, signed in, without a state-mismatch
// error, and the tab keeps its session. Chromium restores the page from its
// back/forward cache, request ID and all; without that cache it loads the
// page anew, a new sign-in request with the old state. Both are tried.
func TestBackAfterSignIn(t *testing.T) {
	t.Run("back-forward cache", func(t *testing.T) { testBackAfterSignIn(t, true) })
	t.Run("page loaded again", func(t *testing.T) { testBackAfterSignIn(t, false) })
}

// requestIDJS reads the login form's request ID.
const requestIDJS = `document.querySelector('input[name="request_id"]').value`

func testBackAfterSignIn(t *testing.T, bfcache bool) {
	a := startApp(t)
	var extra []chromedp.ExecAllocatorOption
	if !bfcache {
		extra = append(extra, chromedp.Flag("disable-features", "BackForwardCache"))
	}
	b := newBrowser(t, extra...)
	b.do("opening the login page",
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
	firstID := eval[string](b, requestIDJS)
	b.signIn("demo", "demo")
	before := eval[string](b, `JSON.parse(sessionStorage.getItem("`+tokensKey+`")).access_token`)

	b.do("pressing Back", back())
	// chromedp loses track of a page restored from the back/forward cache,
	// so the old login page is driven through the protocol directly.
	b.waitRaw("waiting for the login page", `location.href.startsWith(`+jsString(a.Issuer+"/v1/authorize?")+`) && document.querySelector('#password') !== null`)
	if again := b.rawEval(requestIDJS); (again == firstID) != bfcache {
		t.Errorf("the login page came back with request ID %q (first %q): back/forward cache used = %t, want %t", again, firstID, again == firstID, bfcache)
	}
	b.rawEval(`(() => { for (const id of ['username', 'password']) document.getElementById(id).value = 'demo'; document.getElementById('password').focus(); return ''; })()`)
	b.do("pressing Enter in the password field",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="welcome"]`)),
	)
	if loc := b.location(); loc != a.FrontURL+"/" {
		t.Errorf("after signing in on the old login page the page is %s, want %s/", loc, a.FrontURL)
	}
	b.checkNoError()
	if user := b.text("#user"); !strings.Contains(user, "demo") {
		t.Errorf("the header names %q, want demo", user)
	}
	if after := eval[string](b, `JSON.parse(sessionStorage.getItem("`+tokensKey+`")).access_token`); after != before {
		t.Error("the tab's tokens changed: an answer to a finished sign-in must not be redeemed")
	}
	b.do("opening Messages", chromedp.Click(chromedp.CSS("#nav-messages")))
	if texts := b.messageTexts(); !slices.Contains(texts, "I am a robot.") {
		t.Errorf("messages after Back and sign-in: %q", texts)
	}
}

// TestStaleAnswerWhenSignedOut: an authorization answer this tab did not ask
// for, arriving when it holds no session, is refused with one clean way out
// (Sign in again) and a header that says signed out.
func TestStaleAnswerWhenSignedOut(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.do("opening the callback with a state this tab never sent",
		chromedp.Navigate(a.FrontURL+"/login/callback?code=abc&state=never-sent"),
		chromedp.WaitVisible(chromedp.CSS("#relogin")),
	)
	if msg := b.text("#error"); !strings.Contains(msg, "state does not match") {
		t.Errorf("error box says %q, want it to explain the state mismatch", msg)
	}
	if loc := b.location(); loc != a.FrontURL+"/" {
		t.Errorf("the page is %s, want %s/ (no code in the address bar)", loc, a.FrontURL)
	}
	if actions := b.signInActions(); !slices.Equal(actions, []string{`#relogin "Sign in again"`}) {
		t.Errorf("sign-in actions on screen: %v, want only #relogin", actions)
	}
	if eval[bool](b, `!document.querySelector('#logout').hidden || !document.querySelector('#user').hidden`) {
		t.Error("the header shows a signed-in user while the tab holds no session")
	}
	b.do("clicking Sign in again", chromedp.Click(chromedp.CSS("#relogin")))
	b.signIn("demo", "demo")
	b.checkNoError()
}

// TestOneSignInAction: whatever the page and whatever went wrong, there is
// one sign-in button on screen, not one in the header, one in the page and
// one in the error.
func TestOneSignInAction(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	for _, path := range []string{"/", "/messages", "/claims"} {
		b.do("opening "+path+" signed out",
			chromedp.Navigate(a.FrontURL+path),
			chromedp.WaitVisible(chromedp.CSS(`#view .card`)),
		)
		if actions := b.signInActions(); !slices.Equal(actions, []string{`#login "Sign in"`}) {
			t.Errorf("%s signed out: sign-in actions %v, want only the header's #login", path, actions)
		}
	}
	b.do("cancelling at the login page",
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.Click(chromedp.CSS(`button[value="cancel"]`)),
		chromedp.WaitVisible(chromedp.CSS("#relogin")),
	)
	b.screenshot("sign-in-cancelled")
	if msg := b.text("#error"); !strings.Contains(msg, "access_denied") {
		t.Errorf("after Cancel the error box says %q, want access_denied", msg)
	}
	if actions := b.signInActions(); !slices.Equal(actions, []string{`#relogin "Sign in again"`}) {
		t.Errorf("after Cancel: sign-in actions %v, want only the error's #relogin", actions)
	}
}

// TestRotationKeepsSessionAndBoundsJWKS: rotating the dev issuer's key keeps
// the signed-in page working (the previous key stays published), and
// rotating again and again does not grow the JWKS without bound.
func TestRotationKeepsSessionAndBoundsJWKS(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.do("opening the front-end",
		chromedp.Navigate(a.FrontURL+"/messages"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
	)
	b.signIn("demo", "demo")
	rotate(t, a)
	b.do("reloading Messages after a rotation", chromedp.Reload())
	if texts := b.messageTexts(); !slices.Contains(texts, "I am a robot.") {
		t.Errorf("messages after a key rotation: %q", texts)
	}
	for n := 0; n < 6; n++ {
		rotate(t, a)
	}
	if n := jwksSize(t, a); n > 4 {
		t.Errorf("after 7 rotations the JWKS holds %d keys, want at most 4 (the current key and 3 before it)", n)
	}
}

func rotate(t *testing.T, a *app) {
	t.Helper()
	res, err := http.Post(a.Issuer+"/v1/rotate", "", nil)
	if err != nil {
		t.Fatalf("rotating the key: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("rotating the key: %s", res.Status)
	}
}

func jwksSize(t *testing.T, a *app) int {
	t.Helper()
	res, err := http.Get(a.Issuer + "/v1/keys")
	if err != nil {
		t.Fatalf("fetching the JWKS: %v", err)
	}
	defer res.Body.Close()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatalf("decoding the JWKS: %v", err)
	}
	return len(set.Keys)
}

// TestHomeSaysWhenSessionExpired: with 5 s tokens, the home page stops
// saying "You are signed in" when the access token expires, without a
// reload, and after one; the header says so too, and one button offers to
// sign in again.
func TestHomeSaysWhenSessionExpired(t *testing.T) {
	a := startApp(t, "--dev-token-lifetime", "5s")
	b := newBrowser(t)
	b.do("opening the front-end",
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
	)
	b.signIn("demo", "demo")
	if lead := b.text(`#view .lead`); !strings.Contains(lead, "You are signed in") {
		t.Fatalf("right after signing in the home page says %q", lead)
	}
	b.do("waiting, on the home page, for the token to expire", chromedp.WaitVisible(chromedp.CSS(`#error[data-kind="expired"]`)))
	b.checkExpiredHome("once the token expired")
	b.screenshot("home-session-expired")
	b.do("reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#error[data-kind="expired"]`)))
	b.checkExpiredHome("after a reload")

	b.do("clicking Sign in again", chromedp.Click(chromedp.CSS("#relogin")))
	b.signIn("demo", "demo")
	if lead := b.text(`#view .lead`); !strings.Contains(lead, "You are signed in") {
		t.Errorf("after signing in again the home page says %q", lead)
	}
}

func (b *browser) checkExpiredHome(when string) {
	b.t.Helper()
	if lead := b.text(`#view .lead`); strings.Contains(lead, "signed in") || !strings.Contains(lead, "expired") {
		b.t.Errorf("%s the home page says %q, want that the session expired", when, lead)
	}
	if user := b.text("#user"); !strings.Contains(user, "session expired") {
		b.t.Errorf("%s the header says %q, want it to say the session expired", when, user)
	}
	if actions := b.signInActions(); !slices.Equal(actions, []string{`#relogin "Sign in again"`}) {
		b.t.Errorf("%s: sign-in actions %v, want only #relogin", when, actions)
	}
}
