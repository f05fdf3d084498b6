package server_test

// Issuer faults: the issuer's discovery document or JWKS is down, slow past
// the fetch timeout, answers 500, HTML, a 10 MiB body, invalid JSON, a
// redirect to another host, a document for another issuer; a key is
// dropped while tokens it signed are in flight. Expected: tokens of keys
// held keep being accepted, no request waits past the fetch timeout, the
// log says what went wrong, /readyz tells the truth, and no goroutine is
// left behind.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/internal/poll"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

type faultMode string

const (
	faultNone        faultMode = "up"
	faultDown        faultMode = "down"         // nothing listens: connection refused
	faultReset       faultMode = "reset"        // the connection drops mid-request
	faultSlow        faultMode = "slow"         // answers long after the fetch timeout
	fault500         faultMode = "500"          // HTTP 500
	faultHTML        faultMode = "HTML"         // an HTML error page with status 200
	faultHuge        faultMode = "10 MiB"       // a 10 MiB body
	faultBadJSON     faultMode = "invalid JSON" // truncated JSON
	faultRedirect    faultMode = "redirect"     // 302 to another host
	faultOtherIssuer faultMode = "other issuer" // discovery names another issuer
)

// faultyIssuer serves a devissuer.Issuer on a fixed loopback address, with
// faults injected on its discovery and JWKS endpoints. It can stop
// listening (faultDown) and listen again on the same address.
type faultyIssuer struct {
	iss   *devissuer.Issuer
	url   string // issuer URL
	addr  string
	other *attackerServer // the host redirects point to

	mu            sync.Mutex
	srv           *http.Server
	done          chan struct{}
	jwksMode      faultMode
	discoveryMode faultMode
	handler       http.Handler

	jwksAttempts atomic.Int64 // JWKS requests received, whatever the mode
}

// startFaultyIssuer starts the injector; its issuer's clock (iat, exp) is
// now.
func startFaultyIssuer(t *testing.T, now func() time.Time) *faultyIssuer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyIssuer{addr: ln.Addr().String(), jwksMode: faultNone, discoveryMode: faultNone}
	f.url = "http://" + f.addr + devissuer.DefaultIssuerPath
	if f.iss, err = devissuer.New(devissuer.Options{Issuer: f.url, Logger: quiet, Now: now}); err != nil {
		t.Fatal(err)
	}
	f.handler = f.iss.Handler()
	f.other = startAttacker(t, []byte(`{"keys":[]}`))
	f.serve(ln)
	t.Cleanup(f.stop)
	return f
}

func (f *faultyIssuer) serve(ln net.Listener) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serveHTTP), ReadHeaderTimeout: 5 * time.Second}
	f.done = make(chan struct{})
	srv, done := f.srv, f.done
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
}

func (f *faultyIssuer) stop() {
	f.mu.Lock()
	srv, done := f.srv, f.done
	f.srv = nil
	f.mu.Unlock()
	if srv != nil {
		srv.Close()
		<-done
	}
}

// set puts the JWKS and discovery endpoints in the given modes. faultDown on
// either stops the listener (both are then down); leaving it listens again
// on the same address.
func (f *faultyIssuer) set(t *testing.T, jwks, discovery faultMode) {
	t.Helper()
	down := jwks == faultDown || discovery == faultDown
	f.mu.Lock()
	f.jwksMode, f.discoveryMode = jwks, discovery
	listening := f.srv != nil
	f.mu.Unlock()
	switch {
	case down && listening:
		f.stop()
	case !down && !listening:
		var ln net.Listener
		var err error
		// The port was ours a moment ago: it is free again once the
		// closed listener is gone.
		if !poll.Until(5*time.Second, func() bool { ln, err = net.Listen("tcp", f.addr); return err == nil }) {
			t.Fatalf("listening again on %s: %v", f.addr, err)
		}
		f.serve(ln)
	}
}

func (f *faultyIssuer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	mode := faultNone
	switch {
	case strings.HasSuffix(r.URL.Path, "/v1/keys"):
		mode = f.jwksMode
		f.jwksAttempts.Add(1)
	case strings.Contains(r.URL.Path, "/.well-known/"):
		mode = f.discoveryMode
	}
	f.mu.Unlock()
	switch mode {
	case faultReset:
		panic(http.ErrAbortHandler)
	case faultSlow:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case fault500:
		http.Error(w, "internal error", http.StatusInternalServerError)
	case faultHTML:
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><title>Maintenance</title><h1>We'll be back soon</h1>")
	case faultHuge:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"keys":[`)
		pad := []byte(strings.Repeat(" ", 64<<10))
		for range (10 << 20) / len(pad) {
			if _, err := w.Write(pad); err != nil {
				return
			}
		}
		io.WriteString(w, `]}`)
	case faultBadJSON:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"keys":[{"kty":"RSA","n":"`)
	case faultRedirect:
		http.Redirect(w, r, f.other.URL+r.URL.Path, http.StatusFound)
	case faultOtherIssuer:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, f.other.URL, f.other.URL+"/keys")
	default:
		f.handler.ServeHTTP(w, r)
	}
}

// skipClock is the clock of the verifier and the issuer in the fault tests
// and the soak: real time plus an offset that the test moves forward, so
// that a minimum refetch interval is passed at once rather than slept
// through. Time still runs: fetch timeouts and the time a request takes are
// real.
type skipClock struct{ offset atomic.Int64 }

func (c *skipClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// skip moves the clock forward by d.
func (c *skipClock) skip(d time.Duration) { c.offset.Add(int64(d)) }

// faultBed is the API in front of a verifier of a faulty issuer.
type faultBed struct {
	f      *faultyIssuer
	v      *verifier.Verifier
	api    string
	client *http.Client
	logs   *logtest.Buffer
	cfg    verifier.Config
	clock  *skipClock
}

const (
	faultFetchTimeout = 300 * time.Millisecond
	faultMinRefetch   = 100 * time.Millisecond
	// hangMargin is what a request may take beyond the fetch timeout: the
	// server's own work, under the race detector on a busy machine.
	hangMargin = 1500 * time.Millisecond
)

func startFaultBed(t *testing.T, edit func(*verifier.Config)) *faultBed {
	t.Helper()
	clock := &skipClock{}
	f := startFaultyIssuer(t, clock.Now)
	logs := &logtest.Buffer{}
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	cfg := verifier.Config{
		Issuer: f.url, Audiences: []string{"api://default"}, InsecureAllowHTTP: true,
		Logger:             slog.New(slog.NewTextHandler(logs, nil)),
		HTTPClient:         &http.Client{Transport: tr, Timeout: faultFetchTimeout},
		FetchTimeout:       faultFetchTimeout,
		MinRefetchInterval: faultMinRefetch,
		RefreshInterval:    time.Hour,
		Now:                clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(server.New(server.Deps{Verifier: v, Logger: quiet}))
	t.Cleanup(api.Close)
	return &faultBed{f: f, v: v, api: api.URL, client: newClient(t, 30*time.Second), logs: logs, cfg: cfg, clock: clock}
}

func (b *faultBed) get(tok string) apiResult {
	return call(b.client, "GET", b.api+"/api/messages", authz(tok))
}

func (b *faultBed) ready() int { return call(b.client, "GET", b.api+"/readyz", nil).status }

func (b *faultBed) mint(t *testing.T) string {
	t.Helper()
	tok, err := b.f.iss.MintAccessToken(nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// passMinRefetch moves the verifier's clock past the minimum refetch
// interval: the next fetch a request causes is not rate-limited.
func (b *faultBed) passMinRefetch() { b.clock.skip(faultMinRefetch) }

// checkNoLeak records the goroutines now and checks, after every cleanup
// registered later has run, that no more are left.
func checkNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() { settleGoroutines(t, before, 10*time.Second) })
}

// faultCase is a fault and the log line it must cause.
type faultCase struct {
	jwks, discovery faultMode
	log             string // a part of the verifier's warning
}

var faultCases = []faultCase{
	{faultDown, faultDown, "connection refused"},
	{faultReset, faultNone, "EOF"},
	{faultNone, faultReset, "EOF"},
	{faultSlow, faultNone, "deadline exceeded"},
	{faultNone, faultSlow, "deadline exceeded"},
	{fault500, faultNone, "status 500"},
	{faultNone, fault500, "status 500"},
	{faultHTML, faultNone, "not a JSON key set"},
	{faultNone, faultHTML, "not valid JSON"},
	{faultHuge, faultNone, "body larger than"},
	{faultNone, faultHuge, "body larger than"},
	{faultBadJSON, faultNone, "not a JSON key set"},
	{faultNone, faultBadJSON, "not valid JSON"},
	{faultRedirect, faultNone, "refused redirect"},
	{faultNone, faultRedirect, "refused redirect"},
	{faultNone, faultOtherIssuer, "names issuer"},
}

func (c faultCase) String() string {
	switch {
	case c.jwks == c.discovery:
		return "issuer " + string(c.jwks)
	case c.jwks != faultNone:
		return "JWKS " + string(c.jwks)
	}
	return "discovery " + string(c.discovery)
}

// TestFaultsBeforeKeys: with the issuer faulty from the start, requests are
// answered 503 (the keys are unavailable, which says nothing about the
// token) within the fetch timeout, /readyz says not ready, and the first
// request after the issuer recovers is served.
func TestFaultsBeforeKeys(t *testing.T) {
	checkNoLeak(t)
	for _, c := range faultCases {
		t.Run(c.String(), func(t *testing.T) {
			b := startFaultBed(t, nil)
			b.f.set(t, c.jwks, c.discovery)
			tok := b.mint(t)
			res := b.get(tok)
			if res.err != nil || res.status != http.StatusServiceUnavailable || !strings.Contains(res.body, "temporarily_unavailable") {
				t.Errorf("valid token, no keys yet: %d %v %s", res.status, res.err, res.body)
			}
			if res.elapsed > faultFetchTimeout+hangMargin {
				t.Errorf("the request waited %v; the fetch timeout is %v", res.elapsed, faultFetchTimeout)
			}
			if got := b.ready(); got != http.StatusServiceUnavailable {
				t.Errorf("/readyz %d while no key is held", got)
			}
			if logs := b.logs.String(); !containsAll(logs, "could not fetch the issuer's keys", c.log) {
				t.Errorf("the log does not say %q:\n%s", c.log, logs)
			}
			if hits := b.f.other.hits.Load(); hits != 0 {
				t.Errorf("the other host was contacted %d times", hits)
			}
			b.f.set(t, faultNone, faultNone)
			b.passMinRefetch()
			if res := b.get(tok); res.status != http.StatusOK {
				t.Errorf("after the issuer recovered: %d %s", res.status, res.challenge)
			}
			if got := b.ready(); got != http.StatusOK {
				t.Errorf("/readyz %d with keys", got)
			}
		})
	}
}

// TestFaultsWithKeysHeld: once keys are held, a faulty issuer changes
// nothing for tokens of those keys; a token of a key published during the
// fault is refused (401, unknown key) within the fetch timeout, and
// accepted once the issuer recovers.
func TestFaultsWithKeysHeld(t *testing.T) {
	checkNoLeak(t)
	b := startFaultBed(t, func(c *verifier.Config) {
		c.RefreshInterval = 50 * time.Millisecond // background refreshes run, and fail, during each fault
	})
	held := b.mint(t)
	if res := b.get(held); res.status != http.StatusOK {
		t.Fatalf("valid token: %d %s", res.status, res.challenge)
	}
	t.Run("discovery down, JWKS up: rotation still works", func(t *testing.T) {
		b.f.set(t, faultNone, fault500)
		defer b.f.set(t, faultNone, faultNone)
		if _, err := b.f.iss.RotateKey(); err != nil {
			t.Fatal(err)
		}
		b.passMinRefetch()
		held = b.mint(t)
		if res := b.get(held); res.status != http.StatusOK {
			t.Errorf("the known jwks_uri is used without discovery: %d %q", res.status, res.challenge)
		}
	})
	for _, c := range faultCases {
		t.Run(c.String(), func(t *testing.T) {
			if _, err := b.f.iss.RotateKey(); err != nil {
				t.Fatal(err)
			}
			fresh := b.mint(t) // signed by the key published during the fault
			if c.jwks == faultNone {
				// Discovery is read at start-up and again only after a JWKS
				// fetch failed (the JWKS may have moved): make one fail first.
				b.f.set(t, fault500, faultNone)
				b.passMinRefetch()
				if res := b.get(fresh); res.status != http.StatusUnauthorized {
					t.Fatalf("new key while the JWKS answers 500: %d", res.status)
				}
			}
			b.f.set(t, c.jwks, c.discovery)
			logLen := len(b.logs.String())
			for i := range 5 {
				res := b.get(held)
				if res.status != http.StatusOK {
					t.Errorf("token of a held key, request %d: %d %s", i, res.status, res.challenge)
				}
				if res.elapsed > faultFetchTimeout+hangMargin {
					t.Errorf("token of a held key waited %v", res.elapsed)
				}
				// Half the interval between requests: background
				// refreshes (RefreshInterval 50 ms) start, and fail, in
				// between.
				b.clock.skip(faultMinRefetch / 2)
			}
			b.passMinRefetch()
			res := b.get(fresh)
			if res.status != http.StatusUnauthorized || !strings.Contains(res.description(), "unknown signing key") {
				t.Errorf("token of a key published during the fault: %d %q", res.status, res.challenge)
			}
			if res.elapsed > faultFetchTimeout+hangMargin {
				t.Errorf("the unknown-kid refetch held the request %v; the fetch timeout is %v", res.elapsed, faultFetchTimeout)
			}
			if got := b.ready(); got != http.StatusOK {
				t.Errorf("/readyz %d while keys are held", got)
			}
			if logs := b.logs.String()[logLen:]; !containsAll(logs, "keeping the last good ones", "keys_held=true", c.log) {
				t.Errorf("the log does not say %q:\n%s", c.log, logs)
			}
			// No fetch is under way: the last request above, the fresh
			// token's, waited for the fetch it caused or for the
			// background refresh under way, which it shared.
			b.f.set(t, faultNone, faultNone)
			b.passMinRefetch()
			if res := b.get(fresh); res.status != http.StatusOK {
				t.Errorf("after recovery, the new key's token: %d %q", res.status, res.challenge)
			}
			held = fresh
		})
	}
	if hits := b.f.other.hits.Load(); hits != 0 {
		t.Errorf("the other host was contacted %d times", hits)
	}
}

// TestKeyDroppedWhileTokensInFlight: clients keep sending tokens of key A
// while the issuer rotates to B and retires A. Until the verifier next
// fetches the JWKS, A's tokens are accepted (bounded staleness); once a
// fetch without A is in (here caused by B's first token), every request
// sent afterwards with A's tokens is refused, and nothing answers 5xx.
func TestKeyDroppedWhileTokensInFlight(t *testing.T) {
	checkNoLeak(t)
	b := startFaultBed(t, nil)
	kidA := b.f.iss.CurrentKeyID()
	tokA := b.mint(t)
	if res := b.get(tokA); res.status != http.StatusOK {
		t.Fatalf("A: %d", res.status)
	}
	var switched atomic.Int64 // UnixNano when B's token was first accepted
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	stopClients := func() { cancel(); wg.Wait() }
	defer stopClients()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				sent := time.Now().UnixNano()
				res := b.get(tokA)
				after := switched.Load() != 0 && sent > switched.Load()
				mu.Lock()
				switch {
				case res.err != nil || res.status >= 500:
					counts["error or 5xx"]++
					t.Errorf("A's token in flight: %d %v", res.status, res.err)
				case res.status == http.StatusOK && after:
					counts["accepted after the switch"]++
					t.Errorf("A's token sent after A left the key set was accepted")
				case res.status == http.StatusOK:
					counts["accepted before the switch"]++
				case strings.Contains(res.description(), "unknown signing key"):
					counts["refused: unknown key"]++
				default:
					counts["other"]++
					t.Errorf("A's token: %d %q", res.status, res.challenge)
				}
				mu.Unlock()
			}
		}()
	}
	seen := func(kind string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[kind]
	}
	// waitSeen waits until n more of A's answers are of kind than now.
	waitSeen := func(kind string, n int, what string) {
		t.Helper()
		want := seen(kind) + n
		if !poll.Until(10*time.Second, func() bool { return seen(kind) >= want }) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("%s: %d %q within 10s, want %d: %v", what, counts[kind], kind, want, counts)
		}
	}
	waitSeen("accepted before the switch", 8, "A's tokens before the rotation")
	if _, err := b.f.iss.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if err := b.f.iss.RetireKey(kidA); err != nil {
		t.Fatal(err)
	}
	tokB := b.mint(t)
	// A is still held until the next fetch (RefreshInterval is an hour; A's
	// tokens cause none): its tokens still pass.
	waitSeen("accepted before the switch", 8, "A's tokens after A was retired, before any fetch")
	// Each attempt past the minimum refetch interval: B's token causes the
	// fetch that brings B and drops A.
	if !poll.Until(5*time.Second, func() bool {
		b.passMinRefetch()
		if res := b.get(tokB); res.status == http.StatusOK {
			switched.Store(time.Now().UnixNano())
			return true
		}
		return false
	}) {
		t.Fatal("B's token never accepted")
	}
	// Each client has at most one request in flight at the switch: of 8
	// refusals counted from now, at least 4 are of requests sent after it.
	waitSeen("refused: unknown key", 8, "A's tokens after the switch")
	stopClients()
	t.Logf("A's tokens in flight: %v", counts)
	if counts["accepted before the switch"] == 0 || counts["refused: unknown key"] == 0 {
		t.Errorf("want A's tokens accepted before the switch and refused after: %v", counts)
	}
	if res := b.get(tokA); res.status != http.StatusUnauthorized {
		t.Errorf("A's token after the switch: %d", res.status)
	}
}

// TestSlowIssuerDoesNotHoldRequests: many concurrent requests whose tokens
// name keys we do not hold, while the issuer hangs: each is answered within
// the fetch timeout (they share one fetch), and cancelling clients leave no
// goroutine behind.
func TestSlowIssuerDoesNotHoldRequests(t *testing.T) {
	checkNoLeak(t)
	b := startFaultBed(t, nil)
	if res := b.get(b.mint(t)); res.status != http.StatusOK {
		t.Fatalf("valid: %d", res.status)
	}
	b.f.set(t, faultSlow, faultSlow)
	if _, err := b.f.iss.RotateKey(); err != nil {
		t.Fatal(err)
	}
	b.passMinRefetch()
	fresh := b.mint(t)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%4 == 0 { // a client that gives up early
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "GET", b.api+"/api/messages", nil)
				req.Header.Set("Authorization", "Bearer "+fresh)
				if resp, err := b.client.Do(req); err == nil {
					resp.Body.Close()
				} else if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("cancelled client: %v", err)
				}
				return
			}
			res := b.get(fresh)
			if res.status != http.StatusUnauthorized || res.elapsed > faultFetchTimeout+hangMargin {
				t.Errorf("unknown kid while the issuer hangs: %d after %v", res.status, res.elapsed)
			}
		}()
	}
	wg.Wait()
	if res := b.get(b.f.iss.CurrentKeyID()); res.status == http.StatusOK {
		t.Error("a kid as a token accepted")
	}
	b.f.set(t, faultNone, faultNone)
}
