package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// keySnapshot is an immutable view of the key set; verifications read it
// without locks and a fetch replaces it whole.
type keySnapshot struct {
	byKID   map[string][]*publicKey
	count   int
	fetched time.Time
	url     string
}

// keySet holds an issuer's keys: found by discovery (or the configured JWKS
// URL), shared by every verification, refreshed in the background when old,
// refetched once (single-flight, rate-limited) when a token names an unknown
// key, and kept when the issuer is unreachable.
type keySet struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger

	current atomic.Pointer[keySnapshot]

	// onRemoved, when set, learns of keys that left the set (the verified-
	// token cache drops what they verified).
	onRemoved func([]*publicKey)

	// staleWarned is the snapshot whose staleness was last logged, so that
	// an outage longer than MaxKeyAge is logged once, not per request.
	staleWarned atomic.Pointer[keySnapshot]

	mu          sync.Mutex
	inflight    *fetchCall
	lastAttempt time.Time // start of the last fetch, successful or not
	lastKidMiss time.Time // start of the last fetch caused by an unknown kid
	lastErr     error     // error of the last fetch, nil after a success
	jwksURL     string    // from the configuration or discovery
	outage      outage    // the failures since the last successful fetch
}

// outage is a run of failed fetches. It is logged when it starts, when the
// cause of the failures changes, and when it ends, not at each retry: an
// issuer down for an hour would otherwise write a line per retry.
type outage struct {
	since    time.Time // first failure; zero when the last fetch succeeded
	failures int
	cause    string // failureCause of the failure last logged
}

type fetchCall struct {
	done chan struct{}
	snap *keySnapshot
	err  error
}

func newKeySet(cfg Config) *keySet {
	client := *cfg.HTTPClient // a copy, so that our redirect rule does not change the caller's client
	client.CheckRedirect = sameHostRedirects
	return &keySet{cfg: cfg, client: &client, log: cfg.Logger, jwksURL: cfg.JWKSURL}
}

// sameHostRedirects follows at most three redirects, and only within the
// host first asked: keys must come from the issuer, not wherever it points.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refused redirect from %s to another host %s", via[0].URL.Host, req.URL.Host)
	}
	return nil
}

// usable reports whether keys are held and not older than MaxKeyAge.
func (k *keySet) usable() bool {
	return k.fresh(k.current.Load(), k.cfg.Now().UnixNano())
}

// fresh reports whether snap may still be used at now (Unix nanoseconds).
func (k *keySet) fresh(snap *keySnapshot, now int64) bool {
	return snap != nil && (k.cfg.MaxKeyAge <= 0 || now-snap.fetched.UnixNano() < int64(k.cfg.MaxKeyAge))
}

// holds reports whether key is still in the issuer's key set, and that set
// is fresh enough to use at now (Unix nanoseconds).
func (k *keySet) holds(key *publicKey, now int64) bool {
	snap := k.current.Load()
	if !k.fresh(snap, now) {
		return false
	}
	for _, p := range snap.byKID[key.kid] {
		if p == key {
			return true
		}
	}
	return false
}

// refresh fetches the keys now, waiting for a fetch already under way.
func (k *keySet) refresh(ctx context.Context) error {
	_, err := k.fetch(ctx, fetchNow)
	return err
}

// lookup returns the keys that may have signed a token with this kid and alg.
func (k *keySet) lookup(ctx context.Context, kid string) ([]*publicKey, error) {
	snap := k.current.Load()
	now := k.cfg.Now()
	switch {
	case snap == nil:
		var err error
		if snap, err = k.fetch(ctx, fetchNoKeys); err != nil {
			return nil, &ValidationError{Kind: ErrKeysUnavailable, Err: err}
		}
	case !k.fresh(snap, now.UnixNano()):
		// Too stale to trust: fetch in the foreground, and refuse rather
		// than verify with keys the issuer may have withdrawn since.
		k.warnStale(snap, now)
		fresh, err := k.fetch(ctx, fetchNoKeys)
		if err != nil && k.fresh(k.current.Load(), now.UnixNano()) {
			// Not fetched here (rate limit), but a fetch that landed since
			// snap was read brought fresh keys.
			fresh, err = k.current.Load(), nil
		}
		if err != nil {
			return nil, &ValidationError{Kind: ErrKeysUnavailable, Err: err,
				Detail: fmt.Sprintf("the keys were last fetched %s ago, longer than MaxKeyAge (%s), and the issuer does not answer",
					now.Sub(snap.fetched).Round(time.Second), k.cfg.MaxKeyAge)}
		}
		snap = fresh
	case now.Sub(snap.fetched) > k.cfg.RefreshInterval:
		k.refreshInBackground()
	}
	if keys := snap.find(kid); len(keys) > 0 {
		return keys, nil
	}
	if kid == "" {
		// No refetch can tell which of several keys was meant; spending the
		// refetch budget on it would only delay a real rotation.
		return nil, &ValidationError{Kind: ErrUnknownKey, Claim: "kid",
			Detail: "the token names no key and the issuer's key set holds " + keyCount(snap.count)}
	}
	// An unknown kid is how rotation shows itself: refetch once, unless a
	// fetch happened too recently (a flood of forged kids must not become a
	// flood of requests to the issuer).
	fresh, err := k.fetch(ctx, fetchUnknownKID)
	if err != nil {
		// Not refetched (rate limit, failure): a fetch that landed since
		// snap was read may still have brought the key.
		fresh = k.current.Load()
	}
	if keys := fresh.find(kid); len(keys) > 0 {
		return keys, nil
	}
	snap = fresh
	detail := "the issuer's key set holds " + keyCount(snap.count)
	if errors.Is(err, errTooSoon) {
		detail += "; not refetched, the last fetch was under " + k.cfg.MinRefetchInterval.String() + " ago"
	} else if err != nil {
		detail += "; refetch failed: " + err.Error()
	}
	return nil, &ValidationError{Kind: ErrUnknownKey, Claim: "kid", Found: brief(kid), Detail: detail}
}

func (k *keySet) warnStale(snap *keySnapshot, now time.Time) {
	if k.staleWarned.Swap(snap) != snap {
		k.log.Error("verifier: the issuer's keys are older than MaxKeyAge; refusing tokens until the issuer answers",
			"issuer", k.cfg.Issuer, "fetched_ago", now.Sub(snap.fetched).Round(time.Second).String(),
			"max_key_age", k.cfg.MaxKeyAge.String(), "last_error", k.lastError())
	}
}

func (k *keySet) lastError() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lastErr == nil {
		return ""
	}
	return k.lastErr.Error()
}

func (s *keySnapshot) find(kid string) []*publicKey {
	if kid == "" {
		// Without a kid the key is unambiguous only when the set holds one.
		if s.count == 1 {
			for _, keys := range s.byKID {
				return keys
			}
		}
		return nil
	}
	return s.byKID[kid]
}

var errTooSoon = errors.New("refetch rate-limited")

// fetchReason decides how a fetch is rate-limited.
type fetchReason int

const (
	// fetchNow: asked for explicitly (start-up, Refresh); never limited.
	fetchNow fetchReason = iota
	// fetchNoKeys: no keys are held; at most one attempt per
	// MinRefetchInterval, so an unreachable issuer is not hammered.
	fetchNoKeys
	// fetchUnknownKID: a token names a key we do not hold. Limited to one per
	// MinRefetchInterval counted among such fetches only, so that the first
	// token signed by a rotated key is accepted even right after start-up,
	// while a flood of forged kids costs the issuer one request per interval.
	fetchUnknownKID
)

// fetch fetches the key set, single-flight: concurrent callers share one
// request. The fetch itself is detached from the caller's context (a
// cancelled request must not cancel it for the others) and bounded by
// FetchTimeout.
func (k *keySet) fetch(ctx context.Context, reason fetchReason) (*keySnapshot, error) {
	k.mu.Lock()
	call := k.inflight
	if call == nil {
		now := k.cfg.Now()
		last := time.Time{}
		switch reason {
		case fetchNoKeys:
			last = k.lastAttempt
		case fetchUnknownKID:
			last = k.lastKidMiss
		}
		if !last.IsZero() && now.Sub(last) < k.cfg.MinRefetchInterval {
			err := k.lastErr
			k.mu.Unlock()
			if err != nil {
				return nil, fmt.Errorf("%w; last error: %v", errTooSoon, err)
			}
			return nil, errTooSoon
		}
		if reason == fetchUnknownKID {
			k.lastKidMiss = now
		}
		call = k.startFetchLocked()
	}
	k.mu.Unlock()
	select {
	case <-call.done:
		return call.snap, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (k *keySet) refreshInBackground() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.inflight == nil && k.cfg.Now().Sub(k.lastAttempt) >= k.cfg.MinRefetchInterval {
		k.startFetchLocked()
	}
}

func (k *keySet) startFetchLocked() *fetchCall {
	call := &fetchCall{done: make(chan struct{})}
	k.inflight = call
	k.lastAttempt = k.cfg.Now()
	jwksURL := k.jwksURL
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), k.cfg.FetchTimeout)
		defer cancel()
		snap, discovered, err := k.download(ctx, jwksURL)
		k.mu.Lock()
		k.inflight = nil
		k.lastErr = err
		if err == nil {
			k.storeLocked(snap, discovered)
		} else {
			if k.cfg.JWKSURL == "" {
				k.jwksURL = "" // rediscover next time: the JWKS may have moved
			}
			k.logFailureLocked(err)
		}
		k.mu.Unlock()
		call.snap, call.err = snap, err
		close(call.done)
	}()
	return call
}

// storeLocked makes snap the key set, fetched from jwksURL.
func (k *keySet) storeLocked(snap *keySnapshot, jwksURL string) {
	k.jwksURL = jwksURL
	if o := k.outage; !o.since.IsZero() {
		k.log.Info("verifier: the issuer's keys are fetched again",
			"issuer", k.cfg.Issuer, "outage_for", k.cfg.Now().Sub(o.since).Round(time.Second).String(), "failed_fetches", o.failures)
		k.outage = outage{}
	}
	old := k.current.Load()
	keepIdentity(old, snap)
	k.logChanges(old, snap)
	k.current.Store(snap)
	if removed := removedKeys(old, snap); len(removed) > 0 && k.onRemoved != nil {
		k.onRemoved(removed)
	}
}

// logFailureLocked logs a failed fetch if it starts an outage or changes
// its cause, saying what the failure means for tokens: whether keys are
// still held, and how long they remain usable.
func (k *keySet) logFailureLocked(err error) {
	now := k.cfg.Now()
	o := &k.outage
	o.failures++
	cause := failureCause(err)
	if !o.since.IsZero() && cause == o.cause {
		return
	}
	attrs := []any{"issuer", k.cfg.Issuer}
	if o.since.IsZero() {
		o.since = now
	} else {
		attrs = append(attrs, "outage_for", now.Sub(o.since).Round(time.Second).String(), "failed_fetches", o.failures)
	}
	o.cause = cause
	snap := k.current.Load()
	msg := "verifier: could not fetch the issuer's keys; keeping the last good ones"
	switch {
	case snap == nil:
		msg = "verifier: could not fetch the issuer's keys; no keys are held: tokens are refused with ErrKeysUnavailable (HTTP 503) until the issuer answers"
	case !k.fresh(snap, now.UnixNano()):
		msg = "verifier: could not fetch the issuer's keys; the keys held are past MaxKeyAge: tokens are refused with ErrKeysUnavailable (HTTP 503) until the issuer answers"
	case k.cfg.MaxKeyAge > 0:
		attrs = append(attrs, "usable_for", (k.cfg.MaxKeyAge - now.Sub(snap.fetched)).Round(time.Second).String())
	}
	attrs = append(attrs, "keys_held", snap != nil, "error", err)
	k.log.Warn(msg, attrs...)
}

// failureCause is what tells the failures of an outage apart: the innermost
// error. For an issuer that does not answer, that is the network's error,
// the same whether the JWKS or a discovery document was asked for, so that
// one unreachable issuer is one log line; an answer refused is told apart
// by the document it came from.
func failureCause(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}

// keepIdentity makes snap reuse old's *publicKey for every key that did not
// change, so that what a key verified (cached tokens) outlives a refresh.
func keepIdentity(old, snap *keySnapshot) {
	if old == nil {
		return
	}
	for kid, keys := range snap.byKID {
		for i, k := range keys {
			if j := slices.IndexFunc(old.byKID[kid], k.same); j >= 0 {
				keys[i] = old.byKID[kid][j]
			}
		}
	}
}

// removedKeys lists the keys of old that snap no longer holds. A key that
// is published again with the same kid but other material counts as removed.
func removedKeys(old, snap *keySnapshot) []*publicKey {
	if old == nil {
		return nil
	}
	var removed []*publicKey
	for kid, keys := range old.byKID {
		for _, k := range keys {
			if !slices.ContainsFunc(snap.byKID[kid], k.same) {
				removed = append(removed, k)
			}
		}
	}
	return removed
}

func (k *keySet) logChanges(old, snap *keySnapshot) {
	var added, removed []string
	for kid := range snap.byKID {
		if old == nil || old.byKID[kid] == nil {
			added = append(added, kid)
		}
	}
	if old != nil {
		for kid := range old.byKID {
			if snap.byKID[kid] == nil {
				removed = append(removed, kid)
			}
		}
	}
	if len(added) > 0 || len(removed) > 0 {
		slices.Sort(added)
		slices.Sort(removed)
		k.log.Info("verifier: issuer keys changed", "issuer", k.cfg.Issuer, "jwks_uri", snap.url,
			"added", added, "removed", removed, "keys", snap.count)
	}
}

// download finds the JWKS URL (by discovery when not known) and reads the keys.
func (k *keySet) download(ctx context.Context, jwksURL string) (*keySnapshot, string, error) {
	if jwksURL == "" {
		var err error
		if jwksURL, err = k.discover(ctx); err != nil {
			return nil, "", err
		}
	}
	body, err := k.get(ctx, jwksURL)
	if err != nil {
		return nil, "", err
	}
	snap, err := parseKeySet(body, k.log)
	if err != nil {
		return nil, "", fmt.Errorf("JWKS at %s: %w", jwksURL, err)
	}
	snap.fetched = k.cfg.Now()
	snap.url = jwksURL
	return snap, jwksURL, nil
}

// get fetches a small JSON document: 200 only, at most MaxKeySetBytes.
func (k *keySet) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		return nil, fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxKeySetBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > MaxKeySetBytes {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", u, MaxKeySetBytes)
	}
	return body, nil
}
