package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// cacheGateway is a gateway of public in-process routes whose patterns
// exercise what ServeMux decides: methods, hosts, wildcards, trailing-slash
// subtrees and their redirects, {$}.
func cacheGateway(t testing.TB) *Gateway {
	t.Helper()
	var routes []Route
	for _, m := range []string{
		"/public/", "GET /api/me", "GET /api/orders/{id}", "POST /api/orders/", "api.example.com/v1/",
		"GET /files/{path...}", "/exact/{$}", "GET /tree/",
	} {
		routes = append(routes, Route{Match: m, Handler: http.NotFoundHandler(), Public: true})
	}
	g, err := New(Config{Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// asked is the request a proxy asks the forward-auth endpoint about.
func asked(t testing.TB, method, host, uri string) (*http.Request, string) {
	t.Helper()
	sub := httptest.NewRequest("GET", DefaultForwardAuthPath, nil)
	sub.Header.Set("X-Forwarded-Method", method)
	sub.Header.Set("X-Forwarded-Uri", uri)
	sub.Header.Set("X-Forwarded-Host", host)
	orig, rawPath, err := originalRequest(sub)
	if err != nil {
		t.Fatalf("%s %s %s: %v", method, host, uri, err)
	}
	return orig, rawPath
}

// TestRouteCacheAgreesWithServeMux: the forward-auth endpoint's routes
// are ServeMux's, whether asked about once (computed), twice (computed and
// remembered) or more (remembered), for clean and unclean paths, escapes,
// hosts with and without ports, methods a pattern names and others.
func TestRouteCacheAgreesWithServeMux(t *testing.T) {
	g := cacheGateway(t)
	methods := []string{"GET", "POST", "DELETE", "CONNECT"}
	hosts := []string{"gw.example", "api.example.com", "api.example.com:8443", "API.example.com"}
	uris := []string{
		"/api/me", "/api/me/", "/api/me?x=1", "/api/%6De", "/api/me%2F", "/api/orders/7", "/api/orders/7?a=b",
		"/api/orders/", "/api/orders", "/api/orders/a%2Fb", "/public", "/public/", "/public/x", "/v1", "/v1/x",
		"/files/a/b", "/files/", "/exact/", "/exact", "/exact/x", "/tree", "/tree?q=1", "/api/../public/x",
		"//api/me", "/./api/me", "/nowhere", DefaultForwardAuthPath, "/", "/%2e%2e/public/x",
	}
	for _, m := range methods {
		for _, h := range hosts {
			for _, u := range uris {
				orig, rawPath := asked(t, m, h, u)
				wantH, wantPattern := g.mux.Handler(orig)
				want := routed{pattern: wantPattern}
				want.rt, _ = wantH.(*route)
				for i := range 3 {
					if got := g.routeOf(orig, rawPath); got != want {
						t.Errorf("%s %s%s, asked about %d times: routeOf gives %s %q, ServeMux %s %q",
							m, h, u, i+1, got.rt.name(), got.pattern, want.rt.name(), want.pattern)
					}
				}
				if v, ok := remembered(g, routeKey{m, h, rawPath}); !ok || v != want {
					t.Errorf("%s %s%s, asked about 3 times: remembered %t", m, h, u, ok)
				}
			}
		}
	}
}

// TestRouteCacheRemembers: a path asked about once is not remembered, one
// asked about again is; a request too long to remember is routed, not
// remembered.
func TestRouteCacheRemembers(t *testing.T) {
	g := cacheGateway(t)
	const pattern = "GET /api/orders/{id}"
	ask := func(uri string) {
		t.Helper()
		orig, rawPath := asked(t, "GET", "gw.example", uri)
		if got := g.routeOf(orig, rawPath); got.pattern != pattern {
			t.Fatalf("%s: routed to %s %q", uri, got.rt.name(), got.pattern)
		}
	}
	for i := range 100 {
		ask(fmt.Sprintf("/api/orders/%d", i))
	}
	n := 0
	for i := range g.routeCache.slots {
		if g.routeCache.slots[i].Load() != nil {
			n++
		}
	}
	if n != 0 {
		t.Errorf("100 paths asked about once: %d remembered", n)
	}
	ask("/api/orders/x")
	ask("/api/orders/x")
	if v, ok := remembered(g, routeKey{"GET", "gw.example", "/api/orders/x"}); !ok || v.pattern != pattern {
		t.Errorf("a path asked about twice: remembered %t, %q", ok, v.pattern)
	}
	long := "/api/orders/" + strings.Repeat("7", routeCacheKeyMax)
	for range 3 {
		ask(long)
	}
	if _, ok := remembered(g, routeKey{"GET", "gw.example", long}); ok {
		t.Errorf("a path of %d bytes was remembered", len(long))
	}
}

// TestRouteCacheConcurrent: requests routed from several goroutines while
// the table fills and its slots change hands get ServeMux's answers (run
// with -race).
func TestRouteCacheConcurrent(t *testing.T) {
	g := cacheGateway(t)
	type ask struct {
		r       *http.Request
		rawPath string
		want    routed
	}
	asks := make([]ask, 3*routeCacheSize)
	for i := range asks {
		uri := fmt.Sprintf("/api/orders/%d", i)
		if i%3 == 0 {
			uri = fmt.Sprintf("/nowhere/%d", i)
		}
		orig, rawPath := asked(t, "GET", "gw.example", uri)
		asks[i] = ask{orig, rawPath, g.muxRoute(orig)}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 2 * len(asks) {
				a := asks[(i/2+w*97)%len(asks)] // each asked about twice in a row
				if got := g.routeOf(a.r, a.rawPath); got != a.want {
					t.Errorf("%s: routed to %s %q, want %s %q", a.r.URL, got.rt.name(), got.pattern, a.want.rt.name(), a.want.pattern)
					return
				}
			}
		})
	}
	wg.Wait()
}

// remembered is what g's route cache holds for k.
func remembered(g *Gateway, k routeKey) (routed, bool) {
	return g.routeCache.get(k, g.routeCache.hash(k))
}

// name names a route in a failure: its pattern, or "no route".
func (rt *route) name() string {
	if rt == nil {
		return "no route"
	}
	return fmt.Sprintf("routes[%d] %q", rt.index, rt.match)
}
