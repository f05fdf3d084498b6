package verifier

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the verified-token cache.
const (
	// DefaultCacheMaxEntries bounds the number of cached tokens.
	DefaultCacheMaxEntries = 100_000
	// DefaultCacheMaxBytes bounds the memory the cache accounts for (see
	// entrySize).
	DefaultCacheMaxBytes = 64 << 20
	// cacheEntryOverhead is what every entry holds whatever its claims: the
	// map slot and digest, the entry, the Token struct.
	cacheEntryOverhead = 384
	// cacheShards spreads the cache over locks, so that concurrent requests
	// do not queue on one.
	cacheShards = 64
	// frontSlots and frontMaxToken bound the front table (see tokenCache):
	// at most frontSlots tokens of at most frontMaxToken bytes, 2 MiB.
	frontSlots    = 512
	frontMaxToken = 4096
)

// tokenCache maps a whole token to the outcome of its verification. It is
// keyed by the token's SHA-256: two tokens that differ in one byte are two
// entries, and a full cache holds no token itself (but the front table's
// few), only what was read from it (a token is the largest part of an
// entry otherwise, and 100,000 of them would cost a few hundred MiB of
// heap). Only verified tokens are stored.
type tokenCache struct {
	shards     [cacheShards]cacheShard
	maxEntries int64
	maxBytes   int64
	// entries and bytes count the whole cache, so that its bounds hold
	// exactly however the tokens fall into shards. Only put and eviction
	// touch them, never a hit.
	entries atomic.Int64
	bytes   atomic.Int64
	hits    [hitCounters]hitCounter

	// front answers the tokens presented again and again (a client's
	// token on each of its requests) without hashing them: SHA-256 of a
	// 1 KB token is most of what a hit costs otherwise. A slot, picked by
	// a seeded non-cryptographic hash, holds one token's text, its entry
	// and the Token every hit on it shares; a hit compares the whole text
	// in constant time, so the hash decides nothing. A slot is filled on a
	// hit in the map (a token's second use, not its first: a flood of new
	// tokens does not churn it) and emptied when its entry leaves the map.
	front [frontSlots]atomic.Pointer[frontEntry]
	seed  maphash.Seed
}

// frontEntry is one slot's content; immutable.
type frontEntry struct {
	token string
	entry *cacheEntry
	tok   *Token
}

type digest = [sha256.Size]byte

type cacheShard struct {
	// last is the entry of the shard's latest hit or insert: a hit on it
	// takes no lock, so that requests repeating one token on every core do
	// not bounce the lock's cache line between them. It is stored under
	// mu (read-locked for a hit, locked for a change) and cleared when its
	// entry leaves the map, so it never names an entry the map has lost.
	last atomic.Pointer[cacheEntry]
	_    [56]byte // keeps last, read on every hit, off the lines written on every request
	mu   sync.RWMutex
	// entries, and the counters beside the lock that a change takes
	// anyway; hits are counted in tokenCache.hits.
	entries           map[digest]*cacheEntry
	misses, evictions atomic.Uint64
	_                 [16]byte // keeps neighbouring shards' locks off one cache line
}

// hitCounter is one of the cache's hit counters, alone on its cache line.
type hitCounter struct {
	n atomic.Uint64
	_ [56]byte
}

// hitCounters spreads the hit count over cache lines: a hit adds to the
// counter a cheap per-thread random number picks, so that two cores seldom
// write one line at the same moment, and stats adds them up. A line still
// moves between cores when the other one wrote it last (a per-core index
// would avoid that); removing the count altogether made no measurable
// difference on two cores.
const hitCounters = 8

// cacheEntry is an immutable record of a verification.
type cacheEntry struct {
	owner   *Verifier    // the issuer's verifier that verified it (a Set shares one cache)
	claims  *tokenClaims // what the verified token holds besides its text; shared by every answer
	key     *publicKey   // the key that verified it; the entry dies with it
	expires int64        // the token's exp in Unix nanoseconds, no leeway
	err     error        // the outcome of the call-independent checks after the signature (cid, assertions)
	size    int          // what entrySize accounted
	digest  digest       // its key, so that a hit on shard.last can be told from another token's
	// slot is 1 + the index of the front slot that names the entry, 0 for
	// none: set after the entry is stored.
	slot atomic.Int32
	// revoked is set by forget, before the entry leaves the map: a hit
	// that still reaches it (through the front table or shard.last, in a
	// race with forget) refuses it.
	revoked atomic.Bool
}

// entrySize estimates the memory an entry holds: the fixed part and the
// claims' own strings (interned ones are shared and counted as a header).
func entrySize(t *tokenClaims) int {
	return cacheEntryOverhead + len(t.id) + len(t.nonce) + len(t.jkt) + len(t.payload) + 16*(len(t.audience)+len(t.scopes))
}

// Digest returns the SHA-256 of token: the key under which the caches
// hold it, and the name Forget knows it by, so that a revocation can be
// shared (say, between replicas) without sharing the token.
func Digest(token string) [32]byte { return digestOf(token) }

// digestOf hashes the token without copying it.
func digestOf(token string) digest {
	return sha256.Sum256(stringBytes(token))
}

func newTokenCache(maxEntries, maxBytes int) *tokenCache {
	c := &tokenCache{maxEntries: int64(maxEntries), maxBytes: int64(maxBytes), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].entries = make(map[digest]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shardOf(d *digest) *cacheShard {
	return &c.shards[binary.LittleEndian.Uint64(d[:8])%cacheShards]
}

// get returns the entry of token when it has not expired at now.
func (c *tokenCache) get(token string, now int64) *cacheEntry {
	d := digestOf(token)
	s := c.shardOf(&d)
	s.mu.RLock()
	e := s.entries[d]
	s.mu.RUnlock()
	if e == nil || now >= e.expires {
		return nil
	}
	return e
}

// lookup returns the entry of token when its verification still stands at
// now (Unix nanoseconds): not expired, and its key still in its issuer's
// fresh key set; and, for a token of the front table, the Token to answer
// with. It counts a hit or a miss. The caller reads the clock before
// hashing: read after, it measurably slows the hit.
func (c *tokenCache) lookup(token string, now int64) (*cacheEntry, *Token) {
	i := maphash.String(c.seed, token) % frontSlots
	if f := c.front[i].Load(); f != nil && sameText(f.token, token) && f.entry.stands(now) {
		c.hits[rand.Uint32()%hitCounters].n.Add(1)
		return f.entry, f.tok
	}
	d := digestOf(token)
	s := c.shardOf(&d)
	e := s.last.Load()
	if e == nil || e.digest != d {
		s.mu.RLock()
		if e = s.entries[d]; e != nil && s.last.Load() != e {
			s.last.Store(e)
		}
		s.mu.RUnlock()
	}
	if e != nil && e.stands(now) {
		c.hits[rand.Uint32()%hitCounters].n.Add(1)
		return e, c.toFront(int(i), token, e)
	}
	s.misses.Add(1)
	return nil, nil
}

// stands reports whether e's verification still stands at now. An entry
// without a key (an introspection's answer) depends on no key set.
func (e *cacheEntry) stands(now int64) bool {
	return now < e.expires && !e.revoked.Load() && (e.key == nil || e.owner.keys.holds(e.key, now))
}

// toFront puts token and e in front slot i, and returns the Token hits on
// it will share.
func (c *tokenCache) toFront(i int, token string, e *cacheEntry) *Token {
	tok := &Token{raw: token, tokenClaims: e.claims}
	if len(token) > frontMaxToken {
		return tok
	}
	old := c.front[i].Swap(&frontEntry{token: token, entry: e, tok: tok})
	if old != nil && old.entry != e {
		old.entry.slot.CompareAndSwap(int32(i)+1, 0)
	}
	e.slot.Store(int32(i) + 1)
	return tok
}

// fromFront empties e's front slot, if it still names e.
func (c *tokenCache) fromFront(e *cacheEntry) {
	if i := e.slot.Load() - 1; i >= 0 {
		if f := c.front[i].Load(); f != nil && f.entry == e {
			c.front[i].CompareAndSwap(f, nil)
		}
	}
}

// sameText compares two tokens in constant time (for equal lengths), so
// that how long a comparison takes says nothing of how much of a cached
// token a presented one got right. Eight bytes at a time: the compiler
// turns le64 into one load.
func sameText(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v uint64
	i := 0
	for ; i+8 <= len(a); i += 8 {
		v |= le64(a[i:i+8]) ^ le64(b[i:i+8])
	}
	for ; i < len(a); i++ {
		v |= uint64(a[i] ^ b[i])
	}
	return v == 0
}

func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// answer is what the verification of token (the text presented) answers
// from e, for the call's audiences (an introspection's refusal first: see
// below): tok, lookup's shared Token of the same
// text, or else a Token of the text presented and the entry's claims,
// shared and immutable, so that a hit allocates at most one small struct
// (two words), not a copy of the claims.
func (e *cacheEntry) answer(token string, audiences []string, tok *Token) (*Token, error) {
	if e.key == nil && e.err != nil {
		// An introspection's refusal (inactive, say) comes first: its
		// claims are not the token's.
		return nil, e.err
	}
	if err := e.owner.checkAccessAudienceOf(e.claims, audiences); err != nil {
		return nil, err
	}
	if e.err != nil {
		return nil, e.err
	}
	if tok != nil {
		return tok, nil
	}
	return &Token{raw: token, tokenClaims: e.claims}, nil
}

// stats returns the cache's counters.
func (c *tokenCache) stats() CacheStats {
	st := CacheStats{Entries: int(c.entries.Load())}
	for i := range c.hits {
		st.Hits += c.hits[i].n.Load()
	}
	for i := range c.shards {
		s := &c.shards[i]
		st.Misses += s.misses.Load()
		st.Evictions += s.evictions.Load()
	}
	return st
}

// put stores the outcome of token's verification, making room first when
// the shard is full. The entry keeps a copy of the claims: never the block
// the verified Token was allocated in, which holds the token's text.
func (c *tokenCache) put(token string, e *cacheEntry) {
	kept := *e.claims
	e.claims = &kept
	e.size = entrySize(&kept)
	d := digestOf(token)
	e.digest = d
	s := c.shardOf(&d)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[d]; ok {
		s.entries[d] = e // a concurrent verification of the same token
		c.fromFront(old)
		c.bytes.Add(int64(e.size - old.size))
		s.last.Store(e)
		return
	}
	for c.entries.Load() >= c.maxEntries || c.bytes.Load()+int64(e.size) > c.maxBytes {
		if !c.evictOneLocked(s) {
			return // this shard is empty and the others are full: skip caching
		}
	}
	s.entries[d] = e
	c.entries.Add(1)
	c.bytes.Add(int64(e.size))
	s.last.Store(e)
}

// evictOneLocked drops one entry of shard s: the soonest to expire among a
// few picked at random (Go's map order), which approximates "least useful"
// without ordering the whole map.
func (c *tokenCache) evictOneLocked(s *cacheShard) bool {
	var victim *cacheEntry
	var key digest
	n := 0
	for d, e := range s.entries {
		if victim == nil || e.expires < victim.expires {
			victim, key = e, d
		}
		if n++; n == 8 {
			break
		}
	}
	if victim == nil {
		return false
	}
	c.remove(s, key, victim)
	s.evictions.Add(1)
	return true
}

// remove drops entry e, whose key is d, from shard s, whose lock the
// caller holds.
func (c *tokenCache) remove(s *cacheShard, d digest, e *cacheEntry) {
	if s.last.Load() == e {
		s.last.Store(nil)
	}
	c.fromFront(e)
	delete(s.entries, d)
	c.entries.Add(-1)
	c.bytes.Add(-int64(e.size))
}

// forget removes the entry of the token whose digest is d, if any, from
// the map, shard.last and the front table, and marks it revoked so that a
// hit racing with this one refuses it.
func (c *tokenCache) forget(d digest) {
	s := c.shardOf(&d)
	s.mu.Lock()
	if e := s.entries[d]; e != nil {
		e.revoked.Store(true)
		c.remove(s, d, e)
	}
	s.mu.Unlock()
}

// dropKeys removes the entries verified by keys that left the key set.
func (c *tokenCache) dropKeys(removed []*publicKey) {
	gone := make(map[*publicKey]bool, len(removed))
	for _, k := range removed {
		gone[k] = true
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for d, e := range s.entries {
			if gone[e.key] {
				c.remove(s, d, e)
			}
		}
		s.mu.Unlock()
	}
}

// denylistMaxEntries bounds the tokens a verifier (or a Set) remembers as
// revoked: 100,000 digests and their times, about 5 MiB at most.
const denylistMaxEntries = 100_000

// denylist holds the digests of revoked tokens (Forget, and tokens found
// inactive by introspection) until the time given for each, so that a
// token revoked is refused even when it would verify, without asking the
// issuer. It is consulted only when the caches have no answer, and only
// when it holds anything: the usual empty list costs an atomic load.
type denylist struct {
	n   atomic.Int64 // len(until), readable without the lock
	mu  sync.Mutex
	max int
	// until maps a digest to the end of its refusal, Unix nanoseconds.
	until map[digest]int64
}

func newDenylist(max int) *denylist {
	return &denylist{max: max, until: make(map[digest]int64)}
}

// empty reports whether the list holds no digest, without the lock. A nil
// list is empty and stays so.
func (l *denylist) empty() bool { return l == nil || l.n.Load() == 0 }

// add refuses d until until (Unix nanoseconds), unless that is not after
// now. When full, it drops the expired entries it meets, else the one to
// end soonest of a few: revocations meant to last (a token's whole
// lifetime) outlive the short ones (an inactive answer's), which a flood of
// junk tokens makes. A new entry that would end before all of those is
// not kept.
func (l *denylist) add(d digest, until, now int64) {
	if l == nil || until <= now {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.until[d]; ok {
		l.until[d] = max(old, until)
		return
	}
	if len(l.until) < l.max || l.makeRoomLocked(until, now) {
		l.until[d] = until
	}
	l.n.Store(int64(len(l.until)))
}

// makeRoomLocked drops expired entries among a few, else the one to end
// soonest if it ends before until; it reports whether there is room.
func (l *denylist) makeRoomLocked(until, now int64) bool {
	var victim digest
	soonest, seen := int64(0), 0
	for d, u := range l.until {
		if u <= now {
			delete(l.until, d)
			continue
		}
		if seen == 0 || u < soonest {
			victim, soonest = d, u
		}
		if seen++; seen == 16 {
			break
		}
	}
	if len(l.until) < l.max {
		return true
	}
	if seen == 0 || soonest >= until {
		return false
	}
	delete(l.until, victim)
	return true
}

// refused returns the end of d's refusal when d is refused at now.
func (l *denylist) refused(d digest, now int64) (int64, bool) {
	if l.empty() {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.until[d]
	if ok && until <= now {
		delete(l.until, d)
		l.n.Store(int64(len(l.until)))
		return 0, false
	}
	return until, ok
}

// revokedError is the refusal of a token held in the denylist.
func revokedError(until int64) error {
	return &ValidationError{Kind: ErrTokenRevoked,
		Detail: "revoked; refused without asking the issuer until " + stamp(time.Unix(0, until))}
}
