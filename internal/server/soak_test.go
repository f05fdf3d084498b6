package server_test

// The soak: the real server on loopback, driven by concurrent clients with
// a mix of valid, expired, forged and garbage tokens, while the issuer
// flaps (up, 500, slow, reset, down, HTML, invalid JSON) and rotates and
// retires keys. Every response is counted; the test fails on any valid
// token refused, any invalid token accepted, any 5xx, a panic, a leaked
// goroutine, or a heap that keeps growing.
//
// "Valid token" is defined precisely (docs/SECURITY.md, "The soak"): a
// token minted, unexpired, for our audience, with a key that is published
// by the issuer AND already held by the verifier (the verifier logged it as
// added and not as removed), sent while that key is not being retired (the
// retiring side waits for those requests before it retires the key). Tokens
// of keys published but not yet held are a separate, informational
// category: the verifier's documented behaviour is a rate-limited refetch
// on an unknown kid, so they are accepted when that refetch can run and
// succeed, and refused (401, unknown signing key) otherwise.
//
// It runs when RESOURCE_SERVER_LONG_TESTS=1 or CI is set (scripts/test sets
// the former), and is skipped otherwise. SOAK_DURATION (a Go duration) sets
// the length; default 20s, 5s with -short. SOAK_REPORT names a file to
// write the final line to.

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/verifier"
)

// keyWatch learns which keys the verifier holds from its "issuer keys
// changed" log records, and counts warnings.
type keyWatch struct {
	mu       sync.Mutex
	held     map[string]bool
	removed  map[string]bool
	changes  int
	warnings atomic.Int64
}

func (w *keyWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *keyWatch) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *keyWatch) WithGroup(string) slog.Handler            { return w }
func (w *keyWatch) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.warnings.Add(1)
	}
	if r.Message != "verifier: issuer keys changed" {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.changes++
	r.Attrs(func(a slog.Attr) bool {
		kids, _ := a.Value.Any().([]string)
		for _, kid := range kids {
			switch a.Key {
			case "added":
				w.held[kid] = true
				delete(w.removed, kid)
			case "removed":
				delete(w.held, kid)
				w.removed[kid] = true
			}
		}
		return true
	})
	return nil
}

func (w *keyWatch) holds(kid string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.held[kid]
}

func (w *keyWatch) dropped(kid string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.removed[kid]
}

// soakKeys is the issuer-side bookkeeping: which keys may sign valid tokens.
type soakKeys struct {
	// retiring is held for reading from minting a valid token until its
	// answer; the rotator takes it for writing to withdraw a key, so no
	// valid token of a key is in flight when the key is retired.
	retiring sync.RWMutex

	mu        sync.Mutex
	published []string            // in publication order, retired ones removed
	mintable  map[string]bool     // published, not being retired
	retired   []string            // retired, in order
	pool      map[string][]string // valid tokens per key, re-sent to hit the verified-token cache
}

type soakTally struct {
	mu        sync.Mutex
	byKind    map[string]map[int]int
	wrong     []string
	requests  int
	status5xx int

	validSent, validAccepted       int
	invalidSent, invalidRefused    int
	windowSent, windowAccepted     int
	windowRefused, transportErrors int
}

func (s *soakTally) add(kind string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byKind[kind] == nil {
		s.byKind[kind] = map[int]int{}
	}
	s.byKind[kind][status]++
}

func (s *soakTally) wrongly(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.wrong) < 20 {
		s.wrong = append(s.wrong, fmt.Sprintf(format, args...))
	}
}

func soakDuration(t *testing.T) time.Duration {
	if s := os.Getenv("SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("SOAK_DURATION=%q: want a Go duration such as 30s or 10m", s)
		}
		return d
	}
	if testing.Short() {
		return 5 * time.Second
	}
	return 20 * time.Second
}

func TestSoak(t *testing.T) {
	longTest(t, "the soak (20 s)")
	duration := soakDuration(t)
	goroutinesBefore := runtime.NumGoroutine()
	t.Cleanup(func() { settleGoroutines(t, goroutinesBefore, 15*time.Second) })

	clock := &skipClock{}
	f := startFaultyIssuer(t, clock.Now)
	watch := &keyWatch{held: map[string]bool{}, removed: map[string]bool{}}
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	const (
		fetchTimeout = 250 * time.Millisecond
		minRefetch   = 200 * time.Millisecond
	)
	v, err := verifier.New(verifier.Config{
		Issuer: f.url, Audiences: []string{"api://default"}, InsecureAllowHTTP: true,
		Logger:             slog.New(watch),
		HTTPClient:         &http.Client{Transport: tr, Timeout: fetchTimeout},
		FetchTimeout:       fetchTimeout,
		MinRefetchInterval: minRefetch,
		RefreshInterval:    time.Second, // background refreshes pick up rotations and retirements
		CacheMaxEntries:    4096,        // the bound that keeps the heap flat; see the heap check
		Now:                clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := f.iss.CurrentKeyID()
	if !watch.holds(first) {
		t.Fatal(`the soak learns which keys the verifier holds from its "verifier: issuer keys changed" log record (attrs added, removed); none was seen`)
	}
	api := httptest.NewServer(server.New(server.Deps{Verifier: v, Logger: quiet, SecureRoute: true}))
	defer api.Close()

	keys := &soakKeys{published: []string{first}, mintable: map[string]bool{first: true}, pool: map[string][]string{}}
	atk := newRSAKey(t, "attacker", 2048)
	tally := &soakTally{byKind: map[string]map[int]int{}}
	ctx, stop := context.WithTimeout(context.Background(), duration)
	defer stop()
	var wg sync.WaitGroup

	// The issuer flaps: each phase lasts 300–1200 ms; about half are up.
	phases := []faultMode{faultNone, fault500, faultNone, faultSlow, faultNone, faultReset, faultNone, faultDown, faultNone, faultHTML, faultNone, faultBadJSON, faultNone, faultRedirect}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer f.set(t, faultNone, faultNone)
		for i := 0; ctx.Err() == nil; i++ {
			m := phases[i%len(phases)]
			if i%3 == 1 && m != faultDown {
				f.set(t, m, faultNone) // JWKS only
			} else {
				f.set(t, m, m)
			}
			sleepCtx(ctx, time.Duration(300+rand.IntN(900))*time.Millisecond)
		}
	}()

	// The issuer rotates every ~1.5 s and keeps three keys published.
	var rotations, retirements atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for sleepCtx(ctx, 1500*time.Millisecond) {
			kid, err := f.iss.RotateKey()
			if err != nil {
				t.Error(err)
				return
			}
			rotations.Add(1)
			keys.mu.Lock()
			keys.published = append(keys.published, kid)
			keys.mintable[kid] = true
			var victim string
			if len(keys.published) > 3 {
				victim = keys.published[0]
			}
			keys.mu.Unlock()
			if victim == "" {
				continue
			}
			keys.retiring.Lock() // no valid token of victim is in flight past this point
			keys.mu.Lock()
			delete(keys.mintable, victim)
			delete(keys.pool, victim)
			keys.published = keys.published[1:]
			keys.retired = append(keys.retired, victim)
			keys.mu.Unlock()
			keys.retiring.Unlock()
			if err := f.iss.RetireKey(victim); err != nil {
				t.Error(err)
				return
			}
			retirements.Add(1)
		}
	}()

	// Heap after GC, sampled every second.
	var heapMu sync.Mutex
	var heap []uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for sleepCtx(ctx, time.Second) {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapMu.Lock()
			heap = append(heap, ms.HeapAlloc)
			heapMu.Unlock()
		}
	}()

	client := newClient(t, 10*time.Second)
	const clients = 6
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				soakRequest(t, rng, f, keys, watch, atk, client, api.URL, tally)
			}
		}()
	}
	wg.Wait()

	// A valid token still passes once the issuer has settled (it is up
	// since the flapping stopped). A fetch begun during the last fault may
	// still be under way, and the first request past the minimum refetch
	// interval may share it and fail; the second fetches again and must
	// pass.
	keys.mu.Lock()
	last := keys.published[len(keys.published)-1]
	keys.mu.Unlock()
	tok, _ := f.iss.SignWith(last, nil, f.iss.AccessTokenClaims())
	var res apiResult
	for range 2 {
		clock.skip(minRefetch)
		if res = call(client, "GET", api.URL+"/api/messages", authz(tok)); res.status == 200 {
			break
		}
	}
	if res.status != 200 {
		t.Errorf("after the soak, a token of the current key: %d %q", res.status, res.challenge)
	}

	tally.mu.Lock()
	defer tally.mu.Unlock()
	wrong := (tally.validSent - tally.validAccepted) + (tally.invalidSent - tally.invalidRefused)
	kinds := make([]string, 0, len(tally.byKind))
	for k := range tally.byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		t.Logf("  %-28s %v", k, tally.byKind[k])
	}
	for _, w := range tally.wrong {
		t.Log("  wrong: " + w)
	}
	heapMu.Lock()
	samples := slices.Clone(heap)
	heapMu.Unlock()
	mib := func(b uint64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
	var heapLine []string
	for _, h := range samples {
		heapLine = append(heapLine, mib(h))
	}
	t.Logf("  heap after GC (MiB), every second: %s", strings.Join(heapLine, " "))
	line := fmt.Sprintf("soak: %v, %d clients: requests=%d valid_accepted=%d/%d invalid_refused=%d/%d wrongly_decided=%d 5xx=%d rotation_window=%d (accepted %d, refused %d) transport_errors=%d rotations=%d retirements=%d jwks_fetch_attempts=%d verifier_warnings=%d",
		duration, clients, tally.requests, tally.validAccepted, tally.validSent, tally.invalidRefused, tally.invalidSent, wrong, tally.status5xx,
		tally.windowSent, tally.windowAccepted, tally.windowRefused, tally.transportErrors, rotations.Load(), retirements.Load(), f.jwksAttempts.Load(), watch.warnings.Load())
	t.Log(line)
	if p := os.Getenv("SOAK_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(line+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}

	if wrong != 0 || tally.status5xx != 0 || tally.transportErrors != 0 {
		t.Errorf("wrongly decided %d, 5xx %d, transport errors %d", wrong, tally.status5xx, tally.transportErrors)
	}
	if tally.validSent == 0 || tally.invalidSent == 0 || rotations.Load() == 0 {
		t.Errorf("the soak exercised too little: %d valid, %d invalid, %d rotations", tally.validSent, tally.invalidSent, rotations.Load())
	}
	// No fetch storm: unknown kids refetch at most once per MinRefetchInterval,
	// background refreshes as often; discovery retries add at most as many.
	if limit := int64(3*duration/minRefetch) + 10; f.jwksAttempts.Load() > limit {
		t.Errorf("%d JWKS fetch attempts in %v; the rate limit allows about %d", f.jwksAttempts.Load(), duration, limit)
	}
	checkHeap(t, samples)
}

// checkHeap fails when the heap after GC keeps growing: the least of the
// last three samples against the greatest of those after the first quarter
// (warm-up: the verified-token cache fills to its bound).
func checkHeap(t *testing.T, samples []uint64) {
	t.Helper()
	if len(samples) < 8 {
		return
	}
	early := slices.Max(samples[len(samples)/4 : len(samples)/2])
	late := slices.Min(samples[len(samples)-3:])
	const slack = 24 << 20
	if late > early*3/2+slack {
		t.Errorf("heap after GC grew from %d to %d bytes", early, late)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// soakRequest sends one request of a random kind and checks its answer.
func soakRequest(t *testing.T, rng *rand.Rand, f *faultyIssuer, keys *soakKeys, watch *keyWatch, atk *rawKey, client *http.Client, api string, tally *soakTally) {
	path := "/api/messages"
	if rng.IntN(5) == 0 {
		path = "/secure"
	}
	claims := func(over map[string]any) map[string]any {
		c := f.iss.AccessTokenClaims()
		for k, v := range over {
			c[k] = v
		}
		return c
	}
	sign := func(kid string, header, c map[string]any) string {
		tok, err := f.iss.SignWith(kid, header, c)
		if err != nil {
			t.Error(err)
		}
		return tok
	}
	keys.mu.Lock()
	var mintable, unheld []string
	for _, kid := range keys.published {
		switch {
		case keys.mintable[kid] && watch.holds(kid):
			mintable = append(mintable, kid)
		case keys.mintable[kid]:
			unheld = append(unheld, kid)
		}
	}
	var dropped string
	for _, kid := range keys.retired {
		if watch.dropped(kid) {
			dropped = kid
		}
	}
	keys.mu.Unlock()

	roll := rng.IntN(100)
	switch {
	case roll < 40: // valid
		keys.retiring.RLock()
		defer keys.retiring.RUnlock()
		keys.mu.Lock()
		var candidates []string
		for _, k := range mintable {
			if keys.mintable[k] { // not withdrawn since the list was made
				candidates = append(candidates, k)
			}
		}
		var kid string
		if len(candidates) > 0 {
			kid = candidates[rng.IntN(len(candidates))]
		}
		var tok string
		if kid != "" && rng.IntN(3) > 0 && len(keys.pool[kid]) > 0 {
			tok = keys.pool[kid][rng.IntN(len(keys.pool[kid]))]
		}
		keys.mu.Unlock()
		if kid == "" {
			return
		}
		if tok == "" {
			tok = sign(kid, nil, claims(nil))
			keys.mu.Lock()
			if keys.mintable[kid] && len(keys.pool[kid]) < 32 {
				keys.pool[kid] = append(keys.pool[kid], tok)
			}
			keys.mu.Unlock()
		}
		res := call(client, "GET", api+path, authz(tok))
		tally.count(res, "valid", func(res apiResult) bool { return res.status == 200 })
		if res.status != 200 {
			tally.wrongly("valid token of held key %s refused: %d %q", kid, res.status, res.challenge)
		}
	case roll < 50 && len(unheld) > 0: // a key published but not yet held
		tok := sign(unheld[rng.IntN(len(unheld))], nil, claims(nil))
		res := call(client, "GET", api+path, authz(tok))
		tally.mu.Lock()
		tally.requests++
		tally.windowSent++
		switch {
		case res.status == 200:
			tally.windowAccepted++
		case res.status == 401 && strings.Contains(res.description(), "unknown signing key"):
			tally.windowRefused++
		case res.status >= 500:
			tally.status5xx++
		case res.err != nil:
			tally.transportErrors++
		default:
			tally.wrong = append(tally.wrong, fmt.Sprintf("rotation-window token: %d %q", res.status, res.challenge))
		}
		tally.mu.Unlock()
		tally.add("rotation window", res.status)
	default: // invalid, in many ways
		kid := ""
		if len(mintable) > 0 {
			kid = mintable[rng.IntN(len(mintable))]
		}
		now := time.Now()
		var kind, tok string
		switch n := rng.IntN(10); {
		case n == 0 && kid != "":
			kind, tok = "expired", sign(kid, nil, claims(map[string]any{"iat": now.Add(-3 * time.Hour).Unix(), "exp": now.Add(-2 * time.Hour).Unix()}))
		case n == 1 && kid != "":
			kind, tok = "wrong audience", sign(kid, nil, claims(map[string]any{"aud": "api://other"}))
		case n == 2 && kid != "":
			kind, tok = "forged: attacker key, our kid", atk.sign(t, map[string]any{"alg": "RS256", "kid": kid}, claims(nil))
		case n == 3:
			kind, tok = "forged: random kid", atk.sign(t, map[string]any{"alg": "RS256", "kid": fmt.Sprintf("k%x", rng.Uint64())}, claims(nil))
		case n == 4 && kid != "":
			kind, tok = "forged: alg none", sign(kid, map[string]any{"alg": "none"}, claims(nil))+"c2ln"
		case n == 5 && kid != "":
			kind, tok = "forged: HS256 key confusion", sign(kid, map[string]any{"alg": "HS256"}, claims(nil))
		case n == 6 && kid != "":
			p := strings.Split(sign(kid, nil, claims(nil)), ".")
			kind, tok = "forged: payload swapped", p[0]+"."+segment(t, claims(map[string]any{"sub": "admin"}))+"."+p[2]
		case n == 7 && dropped != "":
			kind, tok = "forged: dropped key", sign(dropped, nil, claims(nil))
		case n == 8:
			kind, tok = "garbage: random bytes", garbage(rng)
		default:
			kind, tok = "garbage: three segments", b64.EncodeToString(randBytes(rng, 20))+"."+b64.EncodeToString(randBytes(rng, 40))+"."+b64.EncodeToString(randBytes(rng, 64))
		}
		res := call(client, "GET", api+path, http.Header{"Authorization": {"Bearer " + tok}})
		tally.count(res, kind, func(res apiResult) bool { return res.status == 401 || res.status == 400 })
		if res.status == 200 {
			tally.wrongly("%s accepted", kind)
		}
	}
}

// count files one answer: ok says whether it is the right one.
func (s *soakTally) count(res apiResult, kind string, ok func(apiResult) bool) {
	s.add(kind, res.status)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	valid := kind == "valid"
	if valid {
		s.validSent++
	} else {
		s.invalidSent++
	}
	switch {
	case res.err != nil:
		s.transportErrors++
	case res.status >= 500:
		s.status5xx++
	case ok(res) && valid:
		s.validAccepted++
	case ok(res):
		s.invalidRefused++
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// garbage is a random Authorization value: printable ASCII, or bytes an
// HTTP client may send.
func garbage(rng *rand.Rand) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=!$%&'()*,;:@[]{}<>|^`#?"
	b := make([]byte, 1+rng.IntN(300))
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}
