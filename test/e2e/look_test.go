package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// look is a screen size and colour scheme the pages must work in.
type look struct {
	name          string
	width, height int64
	mobile        bool
	scheme        string // the prefers-color-scheme to emulate: light or dark
}

// looks are the phone and desktop sizes the layout tests cover, each in
// light and dark mode.
var looks = []look{
	{"phone-light", 390, 844, true, "light"},
	{"phone-dark", 390, 844, true, "dark"},
	{"desktop-light", 1280, 800, false, "light"},
	{"desktop-dark", 1280, 800, false, "dark"},
}

// emulate sets the viewport and the preferred colour scheme of the tab; both
// hold across navigations until changed.
func (b *browser) emulate(l look) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if l.mobile {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	media := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: l.scheme}}}
	b.do("emulating "+l.name,
		chromedp.EmulateViewport(l.width, l.height, opts...),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, media)
			return err
		}),
	)
}

// waitFor polls a JavaScript expression until it is truthy, up to the step
// timeout. The poll does not survive a navigation: wait for an element of
// the new page first.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	b.do(what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
}

// visibleSignInActions counts the buttons and links on the page that offer
// to sign in, so a test can check there is exactly one.
const visibleSignInActions = `[...document.querySelectorAll('button, a, input[type=submit]')]
	.filter(e => e.getClientRects().length && /sign in/i.test(e.textContent || e.value || ''))
	.map(e => (e.id ? '#' + e.id : e.tagName.toLowerCase()) + ' ' + JSON.stringify(e.textContent.trim()))`

// contrastJS returns, for every visible element with text of its own (and
// every filled input), the WCAG 2 contrast ratio of its colour against the
// background it is drawn on (the backgrounds of it and its ancestors,
// composited, and the opacity of its ancestors applied to the text), and the
// elements below min.
const contrastJS = `(min) => {
  const parse = (s) => {
    let m = s.match(/^rgba?\(([^)]*)\)$/);
    let scale = 1;
    if (!m) { m = s.match(/^color\(srgb ([^)]*)\)$/); scale = 255; }
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0] * scale, p[1] * scale, p[2] * scale, p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const out = { checked: 0, failures: [] };
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || (el.matches('input:not([type=hidden])') && el.value);
    const st = getComputedStyle(el);
    if (!own || !el.getClientRects().length || st.visibility !== 'visible') continue;
    const text = (el.value || el.textContent).trim().slice(0, 40);
    const fg = parse(st.color);
    if (!fg) { out.failures.push(text + ': unreadable colour ' + st.color); continue; }
    fg[3] *= opacity(el);
    const bg = background(el);
    const r = ratio(over(fg, bg), bg);
    out.checked++;
    if (r < min) out.failures.push(JSON.stringify(text) + ' <' + el.tagName.toLowerCase() + '.' + el.className + '>: ' + r.toFixed(2) + ':1, ' + st.color + ' on rgb(' + bg.slice(0, 3).map(Math.round) + ')');
  }
  return out;
}`

// contrastReport is what contrastJS returns.
type contrastReport struct {
	Checked  int      `json:"checked"`
	Failures []string `json:"failures"`
}

// checkContrast fails the test for every text on the page whose contrast is
// below WCAG AA's 4.5:1 (all text here is normal-sized).
func (b *browser) checkContrast(page string) {
	b.t.Helper()
	r := get(b, "measuring contrast", chromedp.Evaluate[contrastReport](`(`+contrastJS+`)(4.5)`))
	if r.Checked == 0 {
		b.t.Errorf("%s: no text found to check the contrast of", page)
	}
	for _, f := range r.Failures {
		b.t.Errorf("%s: contrast below 4.5:1: %s", page, f)
	}
}

// checkNoHorizontalOverflow fails the test when the page is wider than the
// screen of l, i.e. scrolls sideways. It compares with the emulated width,
// not innerWidth: a mobile browser widens its layout viewport to fit a page
// that is too wide.
func (b *browser) checkNoHorizontalOverflow(page string, l look) {
	b.t.Helper()
	w := eval[[]float64](b, `[document.documentElement.scrollWidth, window.innerWidth]`)
	if w[0] > float64(l.width) || w[1] > float64(l.width) {
		wide := eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll('body *')]
			.filter((e) => e.getBoundingClientRect().right > %d)
			.map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right))
			.slice(0, 8)`, l.width))
		b.t.Errorf("%s: the page is %v px wide (layout viewport %v px) on a %d px screen (horizontal scrolling); past the edge: %v", page, w[0], w[1], l.width, wide)
	}
}

// paletteVars are the custom properties the app and the login page share.
var paletteVars = []string{"--bg", "--surface", "--text", "--muted", "--border", "--accent", "--accent-text", "--danger", "--danger-soft"}

// palette resolves paletteVars to computed colours on the current page, so
// pages that spell a colour differently still compare equal.
func (b *browser) palette() map[string]string {
	b.t.Helper()
	names := `["` + strings.Join(paletteVars, `","`) + `"]`
	return eval[map[string]string](b, fmt.Sprintf(`(() => {
  const probe = document.createElement('span');
  document.body.append(probe);
  const out = {};
  for (const name of %s) {
    probe.style.color = 'var(' + name + ', transparent)';
    out[name] = getComputedStyle(probe).color;
  }
  probe.remove();
  return out;
})()`, names))
}

// back goes one entry back in the tab's history, as the Back button does.
// Unlike chromedp.NavigateBack it does not wait for a load event, which a
// page restored from the back/forward cache does not fire: wait for an
// element of the page instead.
func back() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		h, err := cdp.Call(ctx, t, page.GetNavigationHistory, cdp.Empty{})
		if err != nil {
			return err
		}
		if h.CurrentIndex < 1 {
			return fmt.Errorf("no history entry before %d", h.CurrentIndex)
		}
		_, err = cdp.Call(ctx, t, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: h.Entries[h.CurrentIndex-1].ID})
		return err
	})
}

// rawEval evaluates a JavaScript expression that yields a string in the
// page's main world through the protocol directly: chromedp's Evaluate
// keeps to the execution context it last saw, which a page restored from
// the back/forward cache replaces without telling it.
func (b *browser) rawEval(expr string) string {
	b.t.Helper()
	v, err := b.tryRawEval(expr)
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func (b *browser) tryRawEval(expr string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	var out string
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		byValue := true
		res, err := cdp.Call(ctx, t, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ReturnByValue: &byValue})
		switch {
		case err != nil:
			return err
		case res.ExceptionDetails != nil:
			return fmt.Errorf("exception: %s", res.ExceptionDetails.Text)
		case res.Result == nil || len(res.Result.Value) == 0:
			return nil
		}
		if err := json.Unmarshal(res.Result.Value, &out); err != nil {
			out = string(res.Result.Value) // not a string: its JSON
		}
		return nil
	}))
	return out, err
}

// waitRaw polls expr with rawEval, every 50 ms, until it yields true or the
// step timeout passes; evaluation errors (the page is being replaced) are
// retried.
func (b *browser) waitRaw(what, expr string) {
	b.t.Helper()
	start := time.Now()
	deadline := start.Add(stepTimeout)
	var last string
	var lastErr error
	for time.Now().Before(deadline) {
		last, lastErr = b.tryRawEval(expr)
		if lastErr == nil && last == "true" {
			b.t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("%s: %s still %q (%v) after %s", what, expr, last, lastErr, stepTimeout)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
