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
