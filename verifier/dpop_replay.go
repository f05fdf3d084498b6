package verifier

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultReplayEntries is the capacity of NewMemoryReplayStore(0): at about
// 50 bytes an entry, some 50 MiB at most, enough for over 3,000 DPoP
// requests a second with the default MaxAge.
const DefaultReplayEntries = 1 << 20

// replaySweepInterval is how often a memory store drops expired entries
// without being full: rarely enough that the sweep's cost (a pass over the
// map under the lock) stays small, often enough that memory follows the
// load.
const replaySweepInterval = time.Minute

// errReplayFull is the memory store's answer when it holds maxEntries
// unexpired proofs: forgetting one would let it be replayed, so the proof
// is refused as unavailable (503) instead, and the log says why.
var errReplayFull = errors.New("the in-memory DPoP replay store is full")

// MemoryReplayStore is a ReplayStore in this process's memory, bounded. It
// prevents replays to this instance only: with several instances, use a
// shared store.
type MemoryReplayStore struct {
	mu        sync.Mutex
	seen      map[[16]byte]int64 // SHA-256 prefix of the key → until, Unix ns
	max       int
	nextSweep int64
	now       func() time.Time
}

// NewMemoryReplayStore returns a store holding at most maxEntries proofs
// (DefaultReplayEntries when maxEntries ≤ 0). When it is full of
// unexpired proofs, Remember fails, and the proof is refused as
// unavailable rather than a recorded proof forgotten.
func NewMemoryReplayStore(maxEntries int) *MemoryReplayStore {
	return newMemoryReplayStore(maxEntries, time.Now)
}

func newMemoryReplayStore(maxEntries int, now func() time.Time) *MemoryReplayStore {
	if maxEntries <= 0 {
		maxEntries = DefaultReplayEntries
	}
	return &MemoryReplayStore{seen: make(map[[16]byte]int64), max: maxEntries, now: now}
}

// Remember records key until the given time; it reports false when key is
// recorded and not yet expired. Keys are kept as 128-bit hashes, so that
// an entry's size does not depend on the key's.
func (s *MemoryReplayStore) Remember(_ context.Context, key string, until time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(key))
	var k [16]byte
	copy(k[:], sum[:16])
	now := s.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.seen[k]; ok && u > now {
		return false, nil
	}
	if now >= s.nextSweep || len(s.seen) >= s.max {
		s.sweep(now)
	}
	if len(s.seen) >= s.max {
		return false, fmt.Errorf("%w (%d proofs younger than their MaxAge)", errReplayFull, len(s.seen))
	}
	s.seen[k] = until.UnixNano()
	return true, nil
}

// sweep drops the expired entries; s.mu is held.
func (s *MemoryReplayStore) sweep(now int64) {
	for k, u := range s.seen {
		if u <= now {
			delete(s.seen, k)
		}
	}
	s.nextSweep = now + int64(replaySweepInterval)
}

// Len returns how many proofs are recorded, expired ones not yet swept
// included.
func (s *MemoryReplayStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}
