package gateway

import (
	"hash/maphash"
	"net/http"
	"sync/atomic"
)

// routeCache remembers which route ServeMux.Handler chose for a method,
// host and path asked about at the forward-auth endpoint, which a proxy
// asks on every request of its clients. ServeMux cleans the path, takes a
// lock, walks its tree twice for a path that a trailing-slash pattern
// matches (once more to look for a redirect) and allocates: in process, a
// tenth of the endpoint's work for a cached token. Its answer depends on
// the request's method, Host and path only (the query only shapes a
// redirect, which the endpoint answers 404 like any path without a route)
// and the table is fixed at New, so a remembered answer is the answer.
//
// It is a table of routeCacheSize slots, picked by a seeded hash of the
// key, each holding one key and its answer: a lookup takes no lock, and
// the memory is bounded. A key is remembered the second time it is asked
// about in a row of its slot, so that paths asked about once (an ID in
// them) cost a hash and a store, and do not push out the paths asked
// about again and again. Keys longer than routeCacheKeyMax bytes are not
// remembered.
type routeCache struct {
	slots [routeCacheSize]atomic.Pointer[routeEntry]
	// seen holds, per slot, the hash of the last key that missed there,
	// its low bit set so that it is never 0, the empty slot.
	seen [routeCacheSize]atomic.Uint64
	seed maphash.Seed
}

// routeKey is what ServeMux.Handler reads of a request: its method, its
// Host as sent (ServeMux strips the port but for CONNECT, so two keys may
// share an answer) and its path as sent, before unescaping and cleaning.
type routeKey struct{ method, host, path string }

// routed is ServeMux.Handler's answer: the route (nil when none) and the
// pattern.
type routed struct {
	rt      *route
	pattern string
}

// routeEntry is a slot's content; immutable.
type routeEntry struct {
	key routeKey
	routed
}

const (
	routeCacheSize   = 1024
	routeCacheKeyMax = 512
)

func newRouteCache() *routeCache { return &routeCache{seed: maphash.MakeSeed()} }

// routeOf returns r's route and pattern as g.mux.Handler(r) does, from the
// cache when it has them. rawPath is r's path as the proxy sent it.
func (g *Gateway) routeOf(r *http.Request, rawPath string) routed {
	k := routeKey{r.Method, r.Host, rawPath}
	if len(k.method)+len(k.host)+len(k.path) > routeCacheKeyMax {
		return g.muxRoute(r)
	}
	c := g.routeCache
	h := c.hash(k)
	if v, ok := c.get(k, h); ok {
		return v
	}
	v := g.muxRoute(r)
	c.offer(k, h, v)
	return v
}

// muxRoute is g.mux.Handler(r)'s answer.
func (g *Gateway) muxRoute(r *http.Request) routed {
	h, pattern := g.mux.Handler(r)
	v := routed{pattern: pattern}
	v.rt, _ = h.(*route) // else the 404 handler, or a redirect to a cleaned path
	return v
}

func (c *routeCache) hash(k routeKey) uint64 { return maphash.Comparable(c.seed, k) }

// get returns the answer remembered for k, whose hash is h.
func (c *routeCache) get(k routeKey, h uint64) (routed, bool) {
	if e := c.slots[h%routeCacheSize].Load(); e != nil && e.key == k {
		return e.routed, true
	}
	return routed{}, false
}

// offer remembers v for k, whose hash is h, if k is the last key that
// missed in its slot; else it notes k as that key. The entry holds copies
// of k's strings, which may share memory with a whole request.
func (c *routeCache) offer(k routeKey, h uint64, v routed) {
	i := h % routeCacheSize
	if mark := h | 1; c.seen[i].Load() != mark {
		c.seen[i].Store(mark)
		return
	}
	s := k.method + k.host + k.path
	m, n := len(k.method), len(k.method)+len(k.host)
	c.slots[i].Store(&routeEntry{key: routeKey{s[:m], s[m:n], s[n:]}, routed: v})
}
