package devissuer_test

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// TestLoginFormSubmitsWithSignIn: Enter in a field submits a form with its
// first submit button (HTML's implicit submission), so that button must be
// Sign in, not Cancel.
func TestLoginFormSubmitsWithSignIn(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	page := get(t, authorizeURL(s, nil))
	first := regexp.MustCompile(`<button[^>]*type="submit"[^>]*>`).FindString(page.body)
	if !strings.Contains(first, `value="login"`) {
		t.Errorf("the login form's first submit button is %s, want the Sign in button (action=login)", first)
	}
}

// cssVars returns the custom properties of the palette in css: those of its
// first :root rule (light) and those of the :root rule inside its
// prefers-color-scheme: dark media query.
func cssVars(t *testing.T, css string) (light, dark map[string]string) {
	t.Helper()
	decl := regexp.MustCompile(`(--[a-z-]+)\s*:\s*([^;]+);`)
	block := func(s string) map[string]string {
		start := strings.Index(s, ":root {")
		if start < 0 {
			t.Fatalf("no :root rule in %.200q", s)
		}
		end := strings.Index(s[start:], "}")
		vars := map[string]string{}
		for _, m := range decl.FindAllStringSubmatch(s[start:start+end], -1) {
			vars[m[1]] = strings.TrimSpace(m[2])
		}
		return vars
	}
	media := strings.Index(css, "@media (prefers-color-scheme: dark)")
	if media < 0 {
		t.Fatalf("no dark-mode media query in %.200q", css)
	}
	return block(css[:media]), block(css[media:])
}

// TestLoginPageSharesAppPalette: the login page defines every colour of the
// front-end's palette, light and dark, with the same values, so that signing
// in looks like the app (and keeps its checked contrast).
func TestLoginPageSharesAppPalette(t *testing.T) {
	app, err := os.ReadFile("../web/static/palette.css")
	if err != nil {
		t.Fatal(err)
	}
	s := devissuertest.Start(t, devissuer.Options{})
	page := get(t, authorizeURL(s, nil)).body
	appLight, appDark := cssVars(t, string(app))
	pageLight, pageDark := cssVars(t, page)
	for _, scheme := range []struct {
		name      string
		app, page map[string]string
	}{{"light", appLight, pageLight}, {"dark", appDark, pageDark}} {
		if len(scheme.app) < 8 {
			t.Fatalf("found only %d %s colours in web/static/palette.css: %v", len(scheme.app), scheme.name, scheme.app)
		}
		for name, want := range scheme.app {
			if got := scheme.page[name]; got != want {
				t.Errorf("%s %s: the login page has %q, the app %q", scheme.name, name, got, want)
			}
		}
	}
}

// TestLoginSubmittedAgain: the login page of a sign-in that succeeded,
// submitted again (Back restores it, request ID and all, from the browser's
// back/forward cache), sends the browser back to the application with an
// error and the request's state, and no code.
func TestLoginSubmittedAgain(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	page := get(t, authorizeURL(s, nil))
	form := url.Values{"request_id": {requestIDPattern.FindStringSubmatch(page.body)[1]}, "username": {"demo"}, "password": {"demo"}, "action": {"login"}}
	if first := postForm(t, s.URL+"/v1/authorize", form, nil); first.status != http.StatusSeeOther {
		t.Fatalf("first submission: %d %s", first.status, first.body)
	}
	for _, action := range []string{"login", "cancel"} {
		form.Set("action", action)
		again := postForm(t, s.URL+"/v1/authorize", form, nil)
		loc, _ := url.Parse(again.header.Get("Location"))
		q := loc.Query()
		if again.status != http.StatusSeeOther || !strings.HasPrefix(loc.String(), redirectURI+"?") || q.Get("error") != "invalid_request" || q.Get("state") != "st-123" || q.Has("code") {
			t.Errorf("%s submitted again: %d to %s, want a redirect to %s with error=invalid_request, the state and no code", action, again.status, loc, redirectURI)
		}
	}
}

// TestStaleLoginLinksToApp: a login form whose request is gone gets a page
// that links back to the (single) registered application.
func TestStaleLoginLinksToApp(t *testing.T) {
	s := devissuertest.Start(t, devissuer.Options{})
	resp := postForm(t, s.URL+"/v1/authorize", url.Values{"request_id": {"gone"}, "username": {"demo"}, "password": {"demo"}, "action": {"login"}}, nil)
	if resp.status != http.StatusBadRequest || resp.header.Get("Location") != "" {
		t.Errorf("unknown request: %d, want 400 without redirect", resp.status)
	}
	if !strings.Contains(resp.body, `<a href="http://localhost:8080/">Back to the application</a>`) {
		t.Errorf("the page does not link back to the application:\n%s", resp.body)
	}
}
