package verifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
//
// Where the rest is: fetching the documents in fetch.go, discovery.go and
// jwks.go; when fetches run (single-flight, rate limits, background
// refresh) in refresh.go; what a new key set changes in rotation.go; the
// logging of failed fetches in outage.go.
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

	// fetches and fetchFailures count the fetches finished, and those that
	// failed (IssuerStatus).
	fetches, fetchFailures atomic.Uint64

	mu          sync.Mutex
	inflight    *fetchCall
	lastAttempt time.Time // start of the last fetch, successful or not
	lastKidMiss time.Time // start of the last fetch caused by an unknown kid
	lastErr     error     // error of the last fetch, nil after a success
	jwksURL     string    // from the configuration or discovery
	outage      outage    // the failures since the last successful fetch
}

func newKeySet(cfg Config) *keySet {
	client := *cfg.HTTPClient // a copy, so that our redirect rule does not change the caller's client
	client.CheckRedirect = sameHostRedirects
	return &keySet{cfg: cfg, client: &client, log: cfg.Logger, jwksURL: cfg.JWKSURL}
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

// lookup returns the keys that may have signed a token naming kid (empty
// when the token names none; which of them fits the token's algorithm is
// the caller's to check). Keys are fetched first when none are held or
// those held are past MaxKeyAge, refreshed in the background when older
// than RefreshInterval, and refetched once when kid is unknown.
func (k *keySet) lookup(ctx context.Context, kid string) ([]*publicKey, error) {
	snap := k.current.Load()
	now := k.cfg.Now()
	switch {
	case snap == nil:
		var err error
		if snap, err = k.fetch(ctx, fetchNoKeys); err != nil {
			// Not fetched here (rate limit), but another caller's fetch
			// may have landed since the keys were found missing: the
			// first requests of a verifier without keys arrive together.
			if snap = k.current.Load(); snap == nil {
				return nil, &ValidationError{Kind: ErrKeysUnavailable, Err: err}
			}
		}
	case !k.fresh(snap, now.UnixNano()):
		var err error
		if snap, err = k.refetchStale(ctx, snap, now); err != nil {
			return nil, err
		}
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
	return k.refetchForKID(ctx, kid)
}

// refetchStale fetches the keys in the foreground when those held (snap)
// are too stale to trust at now: it refuses rather than verify with keys
// the issuer may have withdrawn since.
func (k *keySet) refetchStale(ctx context.Context, snap *keySnapshot, now time.Time) (*keySnapshot, error) {
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
	return fresh, nil
}

// refetchForKID looks kid up again after a refetch. An unknown kid is how
// rotation shows itself: refetch once, unless a fetch happened too recently
// (a flood of forged kids must not become a flood of requests to the
// issuer).
func (k *keySet) refetchForKID(ctx context.Context, kid string) ([]*publicKey, error) {
	fresh, err := k.fetch(ctx, fetchUnknownKID)
	if err != nil {
		// Not refetched (rate limit, failure): a fetch that landed since
		// the caller's snapshot was read may still have brought the key.
		fresh = k.current.Load()
	}
	if keys := fresh.find(kid); len(keys) > 0 {
		return keys, nil
	}
	detail := "the issuer's key set holds " + keyCount(fresh.count)
	if errors.Is(err, errTooSoon) {
		detail += "; not refetched, the last fetch was under " + k.cfg.MinRefetchInterval.String() + " ago"
	} else if err != nil {
		detail += "; refetch failed: " + err.Error()
	}
	return nil, &ValidationError{Kind: ErrUnknownKey, Claim: "kid", Found: brief(kid), Detail: detail}
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
