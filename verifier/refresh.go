package verifier

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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

// fetchCall is one fetch under way, shared by every caller that waits on it.
type fetchCall struct {
	done chan struct{}
	snap *keySnapshot
	err  error
}

// refresh fetches the keys now, waiting for a fetch already under way.
func (k *keySet) refresh(ctx context.Context) error {
	_, err := k.fetch(ctx, fetchNow)
	return err
}

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

// refreshInBackground starts a fetch that nobody waits for, unless one is
// under way or the last attempt was under MinRefetchInterval ago.
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
		k.fetches.Add(1)
		if err != nil {
			k.fetchFailures.Add(1)
		}
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
	k.endOutageLocked()
	old := k.current.Load()
	keepIdentity(old, snap)
	k.logChanges(old, snap)
	k.current.Store(snap)
	if removed := removedKeys(old, snap); len(removed) > 0 && k.onRemoved != nil {
		k.onRemoved(removed)
	}
}
