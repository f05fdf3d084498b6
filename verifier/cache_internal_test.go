package verifier

import (
	"fmt"
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
