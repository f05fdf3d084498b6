package store

import (
	"context"
	"sync"
	"time"
)

// minSweep is the smallest size at which a Memory map is swept.
const minSweep = 1024

// Memory is a [Store] for one instance: maps with expiry in the process.
//
// Its memory is bounded by what is in force: a map is swept of its expired
// entries whenever it has doubled in size since the last sweep (and holds
// at least 1024 entries), so it holds at most twice the entries in force at
// the last sweep, or 1024, and the cost of sweeping is constant per insert
// on average.
//
// Revoke calls the subscribers synchronously, on the revoking goroutine,
// before it returns; a subscriber's f is never called concurrently with
// itself, so f must not call Revoke.
type Memory struct {
	now func() time.Time

	mu      sync.Mutex
	keys    expiring[string]
	revoked expiring[[32]byte]
	subs    map[*subscriber]struct{}
	closed  bool
}

// NewMemory returns an empty Memory whose clock is now (time.Now if nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, subs: make(map[*subscriber]struct{})}
}

// Remember implements [Store.Remember].
func (m *Memory) Remember(ctx context.Context, key string, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, ErrClosed
	}
	now := m.now()
	if !until.After(now) {
		return true, nil
	}
	if m.keys.live(key, now) {
		return false, nil
	}
	m.keys.put(key, until, now)
	return true, nil
}

// Revoke implements [Store.Revoke]: every subscriber's f has been called
// when it returns.
func (m *Memory) Revoke(ctx context.Context, digest [32]byte, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if !until.After(m.now()) {
		m.mu.Unlock()
		return nil
	}
	m.revoked.put(digest, until, m.now())
	subs := make([]*subscriber, 0, len(m.subs))
	for s := range m.subs {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		s.deliver(digest, until)
	}
	return nil
}

// Subscribe implements [Store.Subscribe]. The revocations in force are
// delivered before it returns; later ones are delivered by Revoke.
func (m *Memory) Subscribe(ctx context.Context, f func(digest [32]byte, until time.Time)) {
	s := &subscriber{ctx: ctx, f: f}
	s.mu.Lock()
	defer s.mu.Unlock()
	m.mu.Lock()
	if m.closed || ctx.Err() != nil {
		m.mu.Unlock()
		return
	}
	m.subs[s] = struct{}{}
	now := m.now()
	type revocation struct {
		digest [32]byte
		until  time.Time
	}
	var inForce []revocation
	for d, until := range m.revoked.m {
		if now.Before(until) {
			inForce = append(inForce, revocation{d, until})
		}
	}
	m.mu.Unlock()
	context.AfterFunc(ctx, func() {
		m.mu.Lock()
		delete(m.subs, s)
		m.mu.Unlock()
	})
	for _, r := range inForce {
		f(r.digest, r.until)
	}
}

// Ping implements [Store.Ping]: a Memory answers until it is closed.
func (m *Memory) Ping(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return ctx.Err()
}

// Close ends every subscription; the methods then return [ErrClosed].
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	clear(m.subs)
	return nil
}

// subscriber is one Subscribe call: mu keeps its f from running twice at
// once, and ctx ends it.
type subscriber struct {
	mu  sync.Mutex
	ctx context.Context
	f   func(digest [32]byte, until time.Time)
}

func (s *subscriber) deliver(digest [32]byte, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() == nil {
		s.f(digest, until)
	}
}

// expiring is a map from keys to the time they expire, swept of expired
// entries when it has doubled since the last sweep.
type expiring[K comparable] struct {
	m       map[K]time.Time
	sweepAt int
}

// live reports whether k is recorded and not expired at now.
func (e *expiring[K]) live(k K, now time.Time) bool {
	until, ok := e.m[k]
	return ok && now.Before(until)
}

// put records k until until, sweeping if the map has grown enough.
func (e *expiring[K]) put(k K, until, now time.Time) {
	if e.m == nil {
		e.m = make(map[K]time.Time)
	}
	e.m[k] = until
	if len(e.m) < max(e.sweepAt, minSweep) {
		return
	}
	for k, until := range e.m {
		if !now.Before(until) {
			delete(e.m, k)
		}
	}
	e.sweepAt = 2 * len(e.m)
}
