package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// defaultChromePath is where Debian's chromium package installs the browser.
const defaultChromePath = "/usr/bin/chromium"

// browserTimeout bounds everything one test does in the browser.
const browserTimeout = 2 * time.Minute

// chromePath returns the browser to drive, skipping the test when there is
// none, or failing it in CI, where the browser tests must run.
func chromePath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROME_PATH")
	if path == "" {
		path = defaultChromePath
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("no browser at %s (%v); install Debian's Chromium with `apt-get install -y chromium`, or set CHROME_PATH to a Chromium or Chrome executable", path, err)
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set, so the browser tests must run: " + msg)
		}
		t.Skip(msg)
	}
	return path
}

// browser is one headless Chromium with a fresh profile, and what the test
// saw it do.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu        sync.Mutex
	responses []*network.Response // every HTTP response the page received
	requests  []string            // every URL the browser requested, redirects included
}

// newBrowser starts Chromium headless with the flags this machine needs (no
// sandbox as root, no background networking, which the closed network would
// refuse), a temporary profile and the extra options. It is closed when the
// test ends.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromePath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	b := &browser{t: t, ctx: bctx}
	start := time.Now()
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", chromePath(t), err)
	}
	err := chromedp.Listen(bctx, b.record)
	if err != nil {
		t.Fatalf("listening to the browser: %v", err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enabling the network domain: %v", err)
	}
	t.Logf("browser started in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot(t.Name() + "-failure")
		}
	})
	return b
}

// record logs the page's console output and exceptions and keeps the
// requests and responses the browser saw.
func (b *browser) record(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				args = append(args, string(a.Value))
			} else {
				args = append(args, a.Description)
			}
		}
		b.t.Logf("browser console.%s: %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.t.Logf("browser exception: %s", msg)
	case *network.EventRequestWillBeSent:
		b.mu.Lock()
		b.requests = append(b.requests, ev.Request.URL)
		b.mu.Unlock()
	case *network.EventResponseReceived:
		b.mu.Lock()
		b.responses = append(b.responses, ev.Response)
		b.mu.Unlock()
	}
}

// stepTimeout bounds one step (a navigation, a wait for an element).
const stepTimeout = 30 * time.Second

// do runs actions, failing the test with what was being done.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	start := time.Now()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (page: %s)", what, err, b.locationOrError())
	}
	b.t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
}

// get runs one action that returns a value.
func get[T any](b *browser, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("%s: %v (page: %s)", what, err, b.locationOrError())
	}
	return v
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	return get(b, "evaluating "+expr, chromedp.Evaluate[T](expr))
}

func (b *browser) locationOrError() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown: " + err.Error()
	}
	return loc
}

func (b *browser) location() string {
	b.t.Helper()
	return get(b, "reading the location", chromedp.Location())
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, "reading the text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// mark returns how many responses and requests were seen so far, so a test
// can look only at those that come after.
func (b *browser) mark() (responses, requests int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.responses), len(b.requests)
}

// responsesSince returns the responses seen after mark whose URL matches re.
func (b *browser) responsesSince(mark int, re *regexp.Regexp) []*network.Response {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*network.Response
	for _, r := range b.responses[mark:] {
		if re.MatchString(r.URL) {
			out = append(out, r)
		}
	}
	return out
}

// requestedSince reports whether a URL matching re was requested after mark.
func (b *browser) requestedSince(mark int, re *regexp.Regexp) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.requests[mark:] {
		if re.MatchString(u) {
			return true
		}
	}
	return false
}

// header returns a response header, whatever the case of its name.
func header(r *network.Response, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// artifactsDir is test/artifacts (gitignored); the tests run in test/e2e.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating %s: %v", dir, err)
	}
	return dir
}

// screenshot writes a full-page PNG to test/artifacts/name.png and returns
// its path. Failures to take it are logged, not fatal, so that a failure
// screenshot never hides the failure it documents.
func (b *browser) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	name = strings.NewReplacer("/", "_", " ", "_").Replace(name)
	path := filepath.Join(artifactsDir(b.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// signIn fills the development authorization server's login page, which the
// browser must be showing or about to show, submits it with the Enter key in
// the password field, as most people do, and waits until the front-end has
// finished the sign-in (the Sign out button appears).
func (b *browser) signIn(user, password string) {
	b.t.Helper()
	b.do("waiting for the dev issuer's login page", chromedp.WaitVisible(chromedp.CSS("#username")))
	b.do("filling the login form and pressing Enter",
		chromedp.Clear(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password+kb.Enter),
	)
	b.do("waiting for the front-end to finish signing in", chromedp.WaitVisible(chromedp.CSS("#logout")))
}

// messageTexts waits for the Messages table and returns the texts of its rows.
func (b *browser) messageTexts() []string {
	b.t.Helper()
	b.do("waiting for the messages", chromedp.WaitVisible(chromedp.CSS(`#messages [data-testid="message-text"]`)))
	return eval[[]string](b, `[...document.querySelectorAll('#messages [data-testid="message-text"]')].map(e => e.textContent)`)
}
