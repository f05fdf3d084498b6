package verifier

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCacheExpiresAtExpWithoutLeeway(t *testing.T) {
	c := newTokenCache(100, 1<<20)
	exp := time.Unix(1_000_000, 0)
	c.put("tok", &cacheEntry{claims: &tokenClaims{expiry: exp}, expires: exp.UnixNano()})
	if c.get("tok", exp.Add(-time.Nanosecond).UnixNano()) == nil {
		t.Error("entry missing just before exp")
	}
	if c.get("tok", exp.UnixNano()) != nil {
		t.Error("entry served at exp: the leeway must never extend a cached entry")
	}
	if c.get("other", 0) != nil {
		t.Error("a token never stored was found")
	}
}

func TestCacheIsBounded(t *testing.T) {
	for _, tt := range []struct {
		name              string
		entries, maxBytes int
		tokenLen          int
	}{
		{"by entries", 128, 1 << 30, 100},
		{"by bytes", 1 << 20, 64 * cacheEntryOverhead * 2, 600},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTokenCache(tt.entries, tt.maxBytes)
			exp := time.Now().Add(time.Hour)
			for i := 0; i < 5000; i++ {
				tok := fmt.Sprintf("%0*d", tt.tokenLen, i)
				c.put(tok, &cacheEntry{claims: &tokenClaims{expiry: exp}, expires: exp.UnixNano()})
			}
			n, bytes := 0, int(c.bytes.Load())
			for i := range c.shards {
				n += len(c.shards[i].entries)
			}
			if int64(n) != c.entries.Load() {
				t.Errorf("counted %d entries, holds %d", c.entries.Load(), n)
			}
			if n > tt.entries || bytes > tt.maxBytes || n < tt.entries*9/10 && bytes < tt.maxBytes*9/10 {
				t.Errorf("cache holds %d entries, %d bytes; bounds %d entries, %d bytes", n, bytes, tt.entries, tt.maxBytes)
			}
		})
	}
}

func TestCacheDropsEntriesOfRemovedKeys(t *testing.T) {
	c := newTokenCache(100, 1<<20)
	k1, k2 := &publicKey{kid: "1"}, &publicKey{kid: "2"}
	exp := time.Now().Add(time.Hour).UnixNano()
	c.put("a", &cacheEntry{claims: &tokenClaims{}, key: k1, expires: exp})
	if e := c.get("a", 0); e == nil {
		t.Error("the entry is missing") // it holds claims only: tokenClaims has no field for the token's text
	}
	c.put("b", &cacheEntry{claims: &tokenClaims{}, key: k2, expires: exp})
	c.dropKeys([]*publicKey{k1})
	if c.get("a", 0) != nil || c.get("b", 0) == nil {
		t.Error("dropKeys removed the wrong entries")
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	c := newTokenCache(64, 1<<20)
	exp := time.Now().Add(time.Hour).UnixNano()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				tok := fmt.Sprintf("t%d-%d", w, i%300)
				if e := c.get(tok, 0); e == nil {
					c.put(tok, &cacheEntry{claims: &tokenClaims{}, expires: exp})
				}
			}
		}()
	}
	wg.Wait()
}

// frontOwner is a Verifier whose key set holds key, fresh, for the front
// table's tests: lookup checks the key of every hit.
func frontOwner(key *publicKey) *Verifier {
	ks := &keySet{}
	ks.current.Store(&keySnapshot{byKID: map[string][]*publicKey{key.kid: {key}}, count: 1, fetched: time.Now()})
	return &Verifier{keys: ks}
}

func TestCacheFrontTable(t *testing.T) {
	key := &publicKey{kid: "k"}
	owner := frontOwner(key)
	exp := time.Now().Add(time.Hour).UnixNano()
	now := time.Now().UnixNano()
	tok := strings.Repeat("abcdefgh", 100) + ".x.y"
	put := func(c *tokenCache, token string) *cacheEntry {
		e := &cacheEntry{owner: owner, claims: &tokenClaims{}, key: key, expires: exp}
		c.put(token, e)
		return e
	}
	t.Run("second use fills it, third use shares its Token", func(t *testing.T) {
		c := newTokenCache(100, 1<<20)
		put(c, tok)
		e2, tok2 := c.lookup(tok, now)
		e3, tok3 := c.lookup(strings.Clone(tok), now)
		if e2 == nil || e3 != e2 || tok2 == nil || tok3 != tok2 {
			t.Fatalf("lookups = (%p, %p), (%p, %p); want one entry and one shared Token", e2, tok2, e3, tok3)
		}
	})
	t.Run("one byte off is not a hit", func(t *testing.T) {
		c := newTokenCache(100, 1<<20)
		put(c, tok)
		c.lookup(tok, now)
		for _, i := range []int{0, 7, 8, 400, len(tok) - 1} {
			other := tok[:i] + "Z" + tok[i+1:]
			if e, _ := c.lookup(other, now); e != nil {
				t.Errorf("a token differing at byte %d was answered from the cache", i)
			}
		}
		if e, _ := c.lookup(tok[:len(tok)-1], now); e != nil {
			t.Error("a prefix of a cached token was answered from the cache")
		}
	})
	t.Run("an entry leaving the map leaves the front", func(t *testing.T) {
		c := newTokenCache(100, 1<<20)
		put(c, tok)
		c.lookup(tok, now)
		c.dropKeys([]*publicKey{key})
		if e, _ := c.lookup(tok, now); e != nil {
			t.Error("a token whose key left the set was answered from the front table")
		}
	})
	t.Run("expiry is checked on a front hit", func(t *testing.T) {
		c := newTokenCache(100, 1<<20)
		put(c, tok)
		c.lookup(tok, now)
		if e, _ := c.lookup(tok, exp); e != nil {
			t.Error("an expired token was answered from the front table")
		}
	})
}

func TestSameText(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"", "", true},
		{"a", "a", true},
		{"a", "b", false},
		{"abcdefgh", "abcdefgh", true},
		{"abcdefgh", "abcdefgX", false},
		{"abcdefghi", "abcdefghj", false},
		{"abcdefghi", "abcdefgh", false},
		{strings.Repeat("x", 1000), strings.Repeat("x", 1000), true},
	} {
		if got := sameText(tt.a, tt.b); got != tt.want {
			t.Errorf("sameText(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
