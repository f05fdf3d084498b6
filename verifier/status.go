package verifier

import (
	"errors"
	"time"
)

// IssuerStatus is the state of one configured issuer's keys, as /readyz
// and the metrics report it. It holds no token data.
type IssuerStatus struct {
	// Issuer is the issuer as configured; a template issuer keeps its
	// "{tenantid}" placeholder, so that the set of issuers (and of metric
	// labels) is bounded by the configuration.
	Issuer string
	// Ready reports whether the issuer's tokens can be verified now: its
	// keys are held and younger than MaxKeyAge.
	Ready bool
	// KeyCount is the number of usable keys held; 0 before the first
	// successful fetch, and while the keys held are past MaxKeyAge.
	KeyCount int
	// KeysFetched is when the keys held were last confirmed by a successful
	// fetch; zero before the first.
	KeysFetched time.Time
	// LastError is the error of the last fetch when it failed, "" when it
	// succeeded or none was made.
	LastError string
	// Fetches and FetchFailures count the key-set fetches since the
	// verifier was made, and those that failed.
	Fetches, FetchFailures uint64
	// Tenants is, for a template issuer, how many tenants are held now
	// (bounded); 0 otherwise.
	Tenants int
}

// CacheStats counts the verified-token cache's work since the verifier was
// made.
type CacheStats struct {
	// Hits are verifications answered from the cache, Misses those that
	// were not, Evictions the entries dropped to make room (not those that
	// expired).
	Hits, Misses, Evictions uint64
	// Entries is the number of tokens held now.
	Entries int
}

// Check is one step of a verification, reported in order to the function
// given to WithTrace: what was checked, whether it passed, and what was
// expected and found. It never holds the token or its signature.
type Check struct {
	// Name is the check's short name: "size and shape", "header",
	// "claims", "issuer", "key", "signature", "exp", "nbf", "iat", "aud",
	// "token_use", "client", "assert " and a claim assertion's name (see
	// WithTrace).
	Name string
	// Passed reports the outcome; a failed check is the last one reported.
	Passed bool
	// Detail says what was expected and what was found.
	Detail string
}

// Issuers returns the one configured issuer, so that a program treats a
// Verifier and a Set alike.
func (v *Verifier) Issuers() []string { return []string{v.cfg.Issuer} }

// Status returns the state of the issuer's keys: one element, so that a
// program treats a Verifier and a Set alike.
func (v *Verifier) Status() []IssuerStatus { return []IssuerStatus{v.status()} }

// CacheStats returns the counters of the verified-token cache; zero with
// Config.DisableCache.
func (v *Verifier) CacheStats() CacheStats {
	if v.cache == nil {
		return CacheStats{}
	}
	return v.cache.stats()
}

// status returns the state of v's issuer.
func (v *Verifier) status() IssuerStatus {
	k := v.keys
	st := IssuerStatus{Issuer: v.cfg.Issuer, Ready: k.usable(), Fetches: k.fetches.Load(), FetchFailures: k.fetchFailures.Load()}
	if snap := k.current.Load(); snap != nil {
		st.KeysFetched = snap.fetched
		if st.Ready {
			st.KeyCount = snap.count
		}
	}
	k.mu.Lock()
	if k.lastErr != nil && !errors.Is(k.lastErr, errTooSoon) {
		st.LastError = k.lastErr.Error()
	}
	k.mu.Unlock()
	if v.tmpl != nil {
		st.Tenants = v.tmpl.tenants()
	}
	return st
}
