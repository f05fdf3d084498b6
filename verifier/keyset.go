package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// RSA keys outside these bounds are refused when the key set is read: short
// keys are forgeable, absurdly long ones make every verification a DoS.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// publicKey is one usable signing key from the issuer's JWKS.
type publicKey struct {
	kid string
	alg string // the JWK's "alg", empty when absent
	key crypto.PublicKey
}

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
			k.jwksURL = discovered
			old := k.current.Load()
			keepIdentity(old, snap)
			k.logChanges(old, snap)
			k.current.Store(snap)
			if removed := removedKeys(old, snap); len(removed) > 0 && k.onRemoved != nil {
				k.onRemoved(removed)
			}
		} else {
			if k.cfg.JWKSURL == "" {
				k.jwksURL = "" // rediscover next time: the JWKS may have moved
			}
			k.log.Warn("verifier: could not fetch the issuer's keys; keeping the last good ones",
				"issuer", k.cfg.Issuer, "keys_held", k.current.Load() != nil, "error", err)
		}
		k.mu.Unlock()
		call.snap, call.err = snap, err
		close(call.done)
	}()
	return call
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

// same reports whether two keys are the same key material under the same
// kid and alg.
func (p *publicKey) same(q *publicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := p.key.(equaler)
	return ok && p.kid == q.kid && p.alg == q.alg && e.Equal(q.key)
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

// discoveryPaths lists where the metadata may be, in order: OpenID Connect
// discovery, then RFC 8414 both as Okta serves it (appended to the issuer)
// and as the RFC places it (inserted before the issuer's path).
func discoveryURLs(issuer string) []string {
	trimmed := strings.TrimSuffix(issuer, "/")
	urls := []string{
		trimmed + "/.well-known/openid-configuration",
		trimmed + "/.well-known/oauth-authorization-server",
	}
	if u, err := url.Parse(issuer); err == nil && strings.Trim(u.Path, "/") != "" {
		urls = append(urls, u.Scheme+"://"+u.Host+"/.well-known/oauth-authorization-server"+strings.TrimSuffix(u.Path, "/"))
	}
	return urls
}

func (k *keySet) discover(ctx context.Context) (string, error) {
	var errs []error
	for _, docURL := range discoveryURLs(k.cfg.Issuer) {
		body, err := k.get(ctx, docURL)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		return parseDiscovery(body, docURL, k.cfg.Issuer, k.cfg.InsecureAllowHTTP)
	}
	return "", fmt.Errorf("discovery failed for issuer %s: %w", k.cfg.Issuer, errors.Join(errs...))
}

// parseDiscovery reads the jwks_uri of a metadata document, which must name
// our issuer exactly: a document for another issuer would hand us its keys.
func parseDiscovery(body []byte, docURL, issuer string, allowHTTP bool) (string, error) {
	var doc struct {
		Issuer  *string `json:"issuer"`
		JWKSURI *string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("discovery document at %s is not valid JSON: %w", docURL, err)
	}
	if doc.Issuer == nil || *doc.Issuer != issuer {
		found := "absent"
		if doc.Issuer != nil {
			found = brief(*doc.Issuer)
		}
		return "", fmt.Errorf("discovery document at %s names issuer %s, expected %q", docURL, found, issuer)
	}
	if doc.JWKSURI == nil || *doc.JWKSURI == "" {
		return "", fmt.Errorf("discovery document at %s has no jwks_uri: set the JWKS URL explicitly", docURL)
	}
	if err := checkURL("jwks_uri", *doc.JWKSURI, allowHTTP); err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	return *doc.JWKSURI, nil
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

// parseKeySet reads a JWKS, keeping the keys fit to verify signatures and
// logging those it skips: one odd key must not hide the others.
func parseKeySet(body []byte, log *slog.Logger) (*keySnapshot, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("not a JSON key set: %w", err)
	}
	snap := &keySnapshot{byKID: make(map[string][]*publicKey, len(set.Keys))}
	for i, raw := range set.Keys {
		key, err := parseKey(raw)
		if err != nil {
			log.Warn("verifier: skipping a key of the issuer's key set", "index", i, "reason", err)
			continue
		}
		snap.byKID[key.kid] = append(snap.byKID[key.kid], key)
		snap.count++
	}
	if snap.count == 0 {
		return nil, fmt.Errorf("no usable signing key among %d keys", len(set.Keys))
	}
	return snap, nil
}

func parseKey(raw json.RawMessage) (*publicKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return nil, fmt.Errorf("kid %q: use is %q, not sig", jwk.KeyID, jwk.Use)
	}
	if err := checkKeyOps(raw, jwk.KeyID); err != nil {
		return nil, err
	}
	if _, symmetric := jwk.Key.([]byte); symmetric {
		return nil, fmt.Errorf("kid %q: a symmetric (oct) key; only asymmetric signing keys are used", jwk.KeyID)
	}
	if !jwk.IsPublic() {
		// A private key has no business in a JWKS; use only its public half.
		jwk = jwk.Public()
	}
	key := &publicKey{kid: jwk.KeyID, alg: jwk.Algorithm, key: jwk.Key}
	switch pub := jwk.Key.(type) {
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("kid %q: RSA key of %d bits, outside %d..%d", jwk.KeyID, bits, minRSABits, maxRSABits)
		}
		if rocaFingerprint(pub.N) {
			return nil, fmt.Errorf("kid %q: RSA key with the ROCA fingerprint (CVE-2017-15361): it can be factored", jwk.KeyID)
		}
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, fmt.Errorf("kid %q: unsupported curve", jwk.KeyID)
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("kid %q: %T is not an asymmetric signing key", jwk.KeyID, jwk.Key)
	}
	// A key whose "alg" no supported algorithm matches ("HS256" on an RSA
	// key, "ES384" on a P-256 key) could never verify a token: drop it here,
	// with the reason, rather than keep a key that only wastes lookups.
	if key.alg != "" && !key.fitsAnyAlgorithm() {
		return nil, fmt.Errorf("kid %q: alg %q does not fit a %s key", jwk.KeyID, key.alg, keyTypeName(jwk.Key))
	}
	return key, nil
}

func (p *publicKey) fitsAnyAlgorithm() bool {
	for alg := range supportedAlgorithms {
		if p.fitsAlgorithm(alg) {
			return true
		}
	}
	return false
}

// fitsAlgorithm reports whether key may verify alg: the key type decides the
// algorithm family (an RSA key never feeds HMAC), and a JWK that names its
// algorithm must name this one.
func (p *publicKey) fitsAlgorithm(alg string) bool {
	if p.alg != "" && p.alg != alg {
		return false
	}
	switch pub := p.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return pub.Curve == elliptic.P256()
		case "ES384":
			return pub.Curve == elliptic.P384()
		case "ES512":
			return pub.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// keyTypeName names a public key the way a JWKS author knows it.
func keyTypeName(key any) string {
	switch pub := key.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC " + pub.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", key)
}

func keyCount(n int) string {
	if n == 1 {
		return "1 key"
	}
	return strconv.Itoa(n) + " keys"
}
