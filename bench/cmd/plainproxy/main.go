// Command plainproxy is the baseline of scripts/bench-gateway: a reverse
// proxy with no authentication, httputil.ReverseProxy with Rewrite (SetURL,
// then SetXForwarded) and a pooled transport (256 idle connections per
// upstream: the gateway's default transport, gateway.NewTransport), in a
// net/http server with the resource server's limits. The gateway's
// repeated-token requests/s are measured against it: what is left is the
// cost of checking the token and setting the claim header.
//
// With -buffer-pool it also lends ReverseProxy its 32 KiB copy buffers from
// a pool, as the gateway does: the like-for-like baseline, beside the plain
// proxy as most Go code writes it.
//
// It proxies every request to -upstream, listens on 127.0.0.1 (-port 0: a
// free port), prints "READY <port>", and stops on SIGTERM/SIGINT or when
// standard input closes.
package main

import (
	"flag"
	"fmt"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"

	"github.com/resource-server/resource-server/bench/internal/lifecycle"
	"github.com/resource-server/resource-server/gateway"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	upstream := flag.String("upstream", "", "URL every request is proxied to, e.g. http://127.0.0.1:9000")
	pooled := flag.Bool("buffer-pool", false, "lend ReverseProxy its copy buffers from a pool")
	flag.Parse()
	up, err := url.Parse(*upstream)
	if err != nil || up.Host == "" || (up.Scheme != "http" && up.Scheme != "https") {
		fmt.Fprintln(os.Stderr, "plainproxy: -upstream must be an http(s) URL with a host")
		os.Exit(2)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up)
			pr.SetXForwarded()
		},
		Transport: gateway.NewTransport(),
	}
	if *pooled {
		proxy.BufferPool = &bufferPool{}
	}
	lifecycle.Serve("plainproxy", *port, proxy)
}

// bufferPool lends 32 KiB buffers, ReverseProxy's own size.
type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return *p
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.pool.Put(&buf) }
