package verifier

import (
	"sync"
)

// Defaults of the verified-token cache.
const (
	// DefaultCacheMaxEntries bounds the number of cached tokens.
	DefaultCacheMaxEntries = 100_000
	// DefaultCacheMaxBytes bounds the memory the cache accounts for: each
	// entry counts its token's length plus cacheEntryOverhead.
	DefaultCacheMaxBytes = 128 << 20
	// cacheEntryOverhead estimates what an entry holds beyond the token
	// itself: the Token, its claims' strings and slices, the map slot.
	cacheEntryOverhead = 512
	// cacheShards spreads the cache over locks, so that concurrent requests
	// do not queue on one.
	cacheShards = 64
)

// tokenCache maps a whole token (the exact string presented: two tokens
// that differ in one byte are two entries) to the outcome of its
// verification. Only verified tokens are stored.
type tokenCache struct {
	shards          [cacheShards]cacheShard
	maxShardEntries int
	maxShardBytes   int
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[string]*cacheEntry
	bytes   int
	_       [40]byte // keeps neighbouring shards' locks off one cache line
}

// cacheEntry is an immutable record of a verification.
type cacheEntry struct {
	token   *Token
	key     *publicKey // the key that verified it; the entry dies with it
	expires int64      // the token's exp in Unix nanoseconds, no leeway
	err     error      // the outcome of the call-independent checks after the signature (cid, assertions)
}

func newTokenCache(maxEntries, maxBytes int) *tokenCache {
	c := &tokenCache{
		maxShardEntries: max(1, maxEntries/cacheShards),
		maxShardBytes:   max(1, maxBytes/cacheShards),
	}
	for i := range c.shards {
		c.shards[i].entries = make(map[string]*cacheEntry)
	}
	return c
}

// shardOf picks a shard from the token's last bytes: the end of a signature,
// as good as random for tokens that verified, and cheap to read.
func (c *tokenCache) shardOf(token string) *cacheShard {
	var h uint32 = 2166136261
	for i := max(0, len(token)-8); i < len(token); i++ {
		h = (h ^ uint32(token[i])) * 16777619
	}
	return &c.shards[h%cacheShards]
}

// get returns the entry of token when it has not expired at now.
func (c *tokenCache) get(token string, now int64) *cacheEntry {
	s := c.shardOf(token)
	s.mu.RLock()
	e := s.entries[token]
	s.mu.RUnlock()
	if e == nil || now >= e.expires {
		return nil
	}
	return e
}

// put stores an entry, making room first when the shard is full.
func (c *tokenCache) put(token string, e *cacheEntry) {
	size := len(token) + cacheEntryOverhead
	s := c.shardOf(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[token]; ok {
		s.entries[token] = e // a concurrent verification of the same token
		return
	}
	if len(s.entries) >= c.maxShardEntries || s.bytes+size > c.maxShardBytes {
		s.evictLocked(c.maxShardEntries, c.maxShardBytes-size)
	}
	s.entries[token] = e
	s.bytes += size
}

// evictLocked drops entries until the shard holds fewer than maxEntries and
// at most maxBytes: the soonest to expire go first among a small random
// sample, which approximates "least useful" without ordering the whole map.
func (s *cacheShard) evictLocked(maxEntries, maxBytes int) {
	for len(s.entries) >= maxEntries || s.bytes > maxBytes {
		var victim string
		var soonest int64
		n := 0
		for tok, e := range s.entries {
			if n == 0 || e.expires < soonest {
				victim, soonest = tok, e.expires
			}
			if n++; n == 8 {
				break
			}
		}
		if n == 0 {
			return
		}
		delete(s.entries, victim)
		s.bytes -= len(victim) + cacheEntryOverhead
	}
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
		for tok, e := range s.entries {
			if gone[e.key] {
				delete(s.entries, tok)
				s.bytes -= len(tok) + cacheEntryOverhead
			}
		}
		s.mu.Unlock()
	}
}
