package e2e

import (
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestPagesLook takes screenshots of the Messages, Claims, home and login
// pages on a phone (390×844) and a desktop (1280×800), in light and dark
// mode, into test/artifacts/look-*.png, and checks what can be measured:
// no sideways scrolling, every text at 4.5:1 contrast or better, a date
// column that leaves the messages room on a phone, claims that wrap instead
// of being clipped, cards sized by their own content, a login card with
// margins, and a login page in the app's palette. The user name is long and
// unbreakable so that wrapping is put to the test.
func TestPagesLook(t *testing.T) {
	user := "adalovelace" + strings.Repeat("0123456789", 7)
	const password = "pw"
	a := startApp(t, "--dev-user", user, "--dev-password", password)
	b := newBrowser(t)
	b.do("opening the front-end",
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.Click(chromedp.CSS("#login")),
	)
	b.signIn(user, password)
	for _, l := range looks {
		b.emulate(l)
		appPalette := b.checkMessagesLook(a, l)
		b.checkClaimsLook(a, l, user)
		b.checkHomeLook(a, l)
		b.checkLoginLook(a, l, appPalette)
	}
}

// checkMessagesLook opens Messages, takes its screenshot and checks its
// layout; it returns the app's palette in this look.
func (b *browser) checkMessagesLook(a *app, l look) map[string]string {
	b.t.Helper()
	page := l.name + " Messages"
	b.do("opening Messages in "+l.name, chromedp.Navigate(a.FrontURL+"/messages"))
	b.messageTexts()
	b.screenshot("look-" + l.name + "-messages")
	b.checkNoHorizontalOverflow(page, l)
	b.checkContrast(page)
	share := eval[float64](b, `document.querySelector('#messages td.date').getBoundingClientRect().width / document.querySelector('#messages table').getBoundingClientRect().width`)
	if share >= 0.35 {
		b.t.Errorf("%s: the date column takes %.0f%% of the table's width, want less than 35%%", page, share*100)
	}
	return b.palette()
}

// clippedJS lists the claims whose text runs past their box or card, or
// hides in a box that scrolls.
const clippedJS = `[...document.querySelectorAll('#claims dd, #claims code, #claims pre')].filter((e) => {
  const card = e.closest('.card').getBoundingClientRect();
  const right = Math.max(...[...e.getClientRects()].map((r) => r.right));
  const scrolls = e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
  return right > card.right + 0.5 || (e.tagName !== 'CODE' && scrolls);
}).map((e) => e.tagName.toLowerCase() + ' ' + JSON.stringify(e.textContent.slice(0, 40)))`

// stretchJS measures, for the Header card, the empty space between its
// content and its bottom padding: a card stretched to its neighbour's height
// has a lot.
const stretchJS = `(() => {
  const pre = document.querySelector('[data-testid="token-header"]');
  const card = pre.closest('.card');
  const st = getComputedStyle(card);
  return card.getBoundingClientRect().bottom - pre.getBoundingClientRect().bottom - parseFloat(st.paddingBottom) - parseFloat(st.borderBottomWidth);
})()`

func (b *browser) checkClaimsLook(a *app, l look, user string) {
	b.t.Helper()
	page := l.name + " Claims"
	b.do("opening Claims in "+l.name,
		chromedp.Navigate(a.FrontURL+"/claims"),
		chromedp.WaitVisible(chromedp.CSS(`#claims [data-testid="token-claims"]`)),
	)
	b.screenshot("look-" + l.name + "-claims")
	b.checkNoHorizontalOverflow(page, l)
	b.checkContrast(page)
	if !strings.Contains(b.text("#claims"), user) {
		b.t.Errorf("%s: the claims do not show the user %s", page, user)
	}
	for _, c := range eval[[]string](b, clippedJS) {
		b.t.Errorf("%s: %s runs past its box (clipped or scrolled sideways)", page, c)
	}
	if gap := eval[float64](b, stretchJS); gap > 1 {
		b.t.Errorf("%s: the Header card has %.0f px of empty space below its content (stretched to its neighbour)", page, gap)
	}
}

func (b *browser) checkHomeLook(a *app, l look) {
	b.t.Helper()
	page := l.name + " home"
	b.do("opening the home page in "+l.name,
		chromedp.Navigate(a.FrontURL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="welcome"]`)),
	)
	b.screenshot("look-" + l.name + "-home")
	b.checkNoHorizontalOverflow(page, l)
	b.checkContrast(page)
}

// loginPageURL is an authorization request of the front-end's client, as
// the front-end makes it, to show the login page without the front-end.
func loginPageURL(a *app) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {"dev-spa"},
		"redirect_uri":          {a.FrontURL + "/login/callback"},
		"scope":                 {"openid profile email"},
		"state":                 {"look"},
		"code_challenge":        {strings.Repeat("A", 43)},
		"code_challenge_method": {"S256"},
	}
	return a.Issuer + "/v1/authorize?" + q.Encode()
}

// checkLoginLook opens the login page, then shows it with an error (a wrong
// password), taking a screenshot of each.
func (b *browser) checkLoginLook(a *app, l look, appPalette map[string]string) {
	b.t.Helper()
	page := l.name + " login page"
	b.do("opening the login page in "+l.name, chromedp.Navigate(loginPageURL(a)), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.screenshot("look-" + l.name + "-login")
	b.checkNoHorizontalOverflow(page, l)
	b.checkContrast(page)
	m := eval[[]float64](b, `(() => { const r = document.querySelector('main').getBoundingClientRect(); return [r.left, window.innerWidth - r.right]; })()`)
	if m[0] < 12 || m[1] < 12 {
		b.t.Errorf("%s: the login card's margins are %.0f px (left) and %.0f px (right), want at least 12", page, m[0], m[1])
	}
	if got := b.palette(); !maps.Equal(got, appPalette) {
		b.t.Errorf("%s: palette %v, want the app's %v", page, got, appPalette)
	}
	b.do("signing in with a wrong password in "+l.name,
		chromedp.SendKeys(chromedp.CSS("#username"), "nobody"),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`[role="alert"]`)),
	)
	b.screenshot("look-" + l.name + "-login-error")
	b.checkNoHorizontalOverflow(page+" with an error", l)
	b.checkContrast(page + " with an error")
}
