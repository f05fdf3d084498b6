package verifier

import "time"

// KeysFetchedAt returns when the keys v holds were fetched, zero when it
// holds none: tests wait on it for a background fetch to land.
func KeysFetchedAt(v *Verifier) time.Time {
	if snap := v.keys.current.Load(); snap != nil {
		return snap.fetched
	}
	return time.Time{}
}

// CacheHolds reports whether v keeps a verified-token cache and whether it
// holds the outcome of token now: the cache is meant to be invisible to
// callers, so only a test can tell a cached answer from a fresh one.
func CacheHolds(v *Verifier, token string) (enabled, held bool) {
	if v.cache == nil {
		return false, false
	}
	return true, v.cache.get(token, v.cfg.Now().UnixNano()) != nil
}
