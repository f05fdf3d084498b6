package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/resource-server/resource-server/gateway"
)

// The two benchmarks proxy the same small answer over loopback with the
// same pooled transport; their ratio is the gateway's cost: stripping claim
// headers, routing, bearer with a cached token, a scope check, one claim
// header, the header timeout. Compare req/s (1/ns-op):
//
//	go test -run '^$' -bench . -count 5 ./gateway

// small is the upstream's answer.
var small = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"message":"hello"}`)
})

func BenchmarkGateway(b *testing.B) {
	iss := newIssuer(b)
	g, err := gateway.New(gateway.Config{Verifier: iss.v, Logger: quiet, Routes: []gateway.Route{
		{Match: "GET /api/", Upstream: upstream(b, small), Scopes: []string{"openid"},
			Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub"}}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	benchProxy(b, g, "Bearer "+iss.mint(b, nil))
}

// BenchmarkPlainProxy sends the same requests, token included (a bare
// proxy passes it on, as the gateway does): the bytes on the wire are the
// same, so the difference is the gateway's work.
func BenchmarkPlainProxy(b *testing.B) {
	iss := newIssuer(b)
	u := upstream(b, small)
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.SetXForwarded() },
		Transport: gateway.NewTransport(),
	}
	benchProxy(b, rp, "Bearer "+iss.mint(b, nil))
}

// benchProxy serves h on loopback and sends it GET /api/x from parallel
// clients with a pooled transport of their own.
func benchProxy(b *testing.B, h http.Handler, auth string) {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: gateway.NewTransport()}
	b.Cleanup(client.CloseIdleConnections)
	get := func() error {
		req, _ := http.NewRequest("GET", srv.URL+"/api/x", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := get(); err != nil { // warm the token cache and the pools
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := get(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkOverhead is the gateway's own cost per request, in process, with
// an upstream that answers at once (no network), feature by feature.
func BenchmarkOverhead(b *testing.B) {
	iss := newIssuer(b)
	canned := roundTripper(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	auth := "Bearer " + iss.mint(b, nil)
	up, _ := url.Parse("http://127.0.0.1:1")
	for _, c := range []struct {
		name string
		rt   gateway.Route
	}{
		{"public", gateway.Route{Public: true}},
		{"bearer", gateway.Route{}},
		{"scopes", gateway.Route{Scopes: []string{"openid"}}},
		{"scopes+sub", gateway.Route{Scopes: []string{"openid"}, Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub"}}}},
		{"scopes+cid", gateway.Route{Scopes: []string{"openid"}, Headers: []gateway.ClaimHeader{{Name: "X-Auth-Client", Claim: "/cid"}}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.rt.Match, c.rt.Upstream = "GET /api/", up
			g, err := gateway.New(gateway.Config{Routes: []gateway.Route{c.rt}, Verifier: iss.v, Logger: quiet, Transport: canned})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", "/api/x", nil)
				req.Header.Set("Authorization", auth)
				g.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// BenchmarkForwardAuth answers nginx-style forward-auth checks in process
// (a cached token, one claim header) beside a handler that only says 200:
// the endpoint's own cost. "new-paths" asks about a path never asked
// about before on each check (an ID in it; 4,096 of them in turn, more
// than the endpoint remembers routes of), for the cost of routing afresh.
func BenchmarkForwardAuth(b *testing.B) {
	iss := newIssuer(b)
	g, err := gateway.New(gateway.Config{Verifier: iss.v, Logger: quiet, Routes: []gateway.Route{
		{Match: "GET /api/", Upstream: upstream(b, small), Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub"}}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Auth-Subject", "alice") })
	auth := "Bearer " + iss.mint(b, nil)
	paths := make([][]string, 4096)
	for i := range paths {
		paths[i] = []string{fmt.Sprintf("/api/orders/%d", i)}
	}
	for _, c := range []struct {
		name  string
		h     http.Handler
		paths [][]string
	}{{"noop", noop, paths[7:8]}, {"forward-auth", g, paths[7:8]}, {"forward-auth-new-paths", g, paths}} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", gateway.DefaultForwardAuthPath, nil)
			r.Header.Set("Authorization", auth)
			r.Header.Set("X-Original-Method", "GET")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Header["X-Original-Uri"] = c.paths[i%len(c.paths)]
				i++
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
