package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/jsonerror"
)

// NewTransport returns the transport New uses when Config.Transport is nil:
// one pool of connections shared by every route, keeping up to 256 idle
// connections per upstream (Go's default keeps 2, which under load means a
// new connection for most requests: measured here, half the throughput).
//
// It ignores HTTP_PROXY and HTTPS_PROXY: the upstreams are named by the
// configuration, and a proxy picked up from the environment would silently
// reroute requests that carry tokens and claim headers. It speaks HTTP/1.1
// to upstreams (as nginx does), on which WebSocket upgrades work.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// newProxy returns the reverse proxy of an upstream route.
func (g *Gateway) newProxy(rt *route, r Route, transport *transports) *httputil.ReverseProxy {
	up := *r.Upstream
	preserveHost, stripAuth := r.PreserveHost, r.StripAuthorization
	timeout := r.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&up)
			pr.SetXForwarded()
			if preserveHost {
				pr.Out.Host = pr.In.Host
			}
			if stripAuth {
				pr.Out.Header.Del("Authorization")
			}
			if len(rt.headers) > 0 {
				if tok, ok := bearer.FromContext(pr.In.Context()); ok {
					rt.setHeaders(pr.Out.Header, tok)
				}
			}
		},
		Transport:    transport.forTimeout(timeout),
		ErrorHandler: g.proxyError(rt, up.Redacted()),
		ErrorLog:     slog.NewLogLogger(g.logger.Handler(), slog.LevelWarn),
		BufferPool:   copyBuffers,
	}
}

// copyBuffers lends every proxy its body copy buffers. Without a pool,
// httputil.ReverseProxy allocates 32 KiB for each body it copies: under
// load, most of the garbage the collector has to clear.
var copyBuffers = &bufferPool{}

type bufferPool struct{ pool sync.Pool }

// copyBufferSize is ReverseProxy's own buffer size.
const copyBufferSize = 32 << 10

func (b *bufferPool) Get() []byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return *p
	}
	return make([]byte, copyBufferSize)
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) == copyBufferSize {
		buf = buf[:copyBufferSize]
		b.pool.Put(&buf)
	}
}

// transports hands each route a RoundTripper bounded by its Timeout. An
// *http.Transport (the default, NewTransport) is cloned once per distinct
// Timeout with ResponseHeaderTimeout set: no per-request cost, and routes
// with the same Timeout (usually all of them) share one pool. Any other
// RoundTripper is wrapped in headerTimeout, which costs a context and a
// timer per request.
type transports struct {
	base   http.RoundTripper
	clones map[time.Duration]http.RoundTripper
}

func newTransports(base http.RoundTripper) *transports {
	return &transports{base: base, clones: map[time.Duration]http.RoundTripper{}}
}

func (ts *transports) forTimeout(d time.Duration) http.RoundTripper {
	if rt, ok := ts.clones[d]; ok {
		return rt
	}
	var rt http.RoundTripper = headerTimeout{base: ts.base, timeout: d}
	if t, ok := ts.base.(*http.Transport); ok {
		// ResponseHeaderTimeout counts from the end of the request body,
		// so a long upload is not cut either; the body of the answer is
		// not bounded.
		c := t.Clone()
		c.ResponseHeaderTimeout = d
		rt = c
	}
	ts.clones[d] = rt
	return rt
}

// headerTimeout bounds the wait for response headers of each request, and
// nothing after them: a streamed body, an event stream or an upgraded
// connection lasts as long as both ends want.
type headerTimeout struct {
	base    http.RoundTripper
	timeout time.Duration
}

// errHeaderTimeout is the error of a request whose upstream did not answer
// in time; it wraps context.DeadlineExceeded.
type errHeaderTimeout struct{ timeout time.Duration }

func (e errHeaderTimeout) Error() string {
	return fmt.Sprintf("gateway: no response headers from the upstream within %v", e.timeout)
}

func (e errHeaderTimeout) Unwrap() error { return context.DeadlineExceeded }

func (t headerTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	// The context is cancelled by the timer, or else when the request's
	// own context ends (the server cancels it once the handler returns):
	// never when the headers arrive, which would cut the body.
	ctx, cancel := context.WithCancel(req.Context())
	timer := time.AfterFunc(t.timeout, cancel)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if timer.Stop() {
		return resp, err
	}
	if err == nil {
		resp.Body.Close() // headers came, but too late
	}
	return nil, errHeaderTimeout{t.timeout}
}

// proxyError answers a request the upstream did not answer: 504 when it
// took too long, 502 otherwise. The error is logged (it names the upstream
// URL, never a header: the token is not in it).
func (g *Gateway) proxyError(rt *route, upstream string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		status, code, desc := http.StatusBadGateway, "bad_gateway", "the upstream could not be reached or gave no valid answer"
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			status, code, desc = http.StatusGatewayTimeout, "gateway_timeout", "the upstream did not answer in time"
		}
		level := slog.LevelWarn
		if r.Context().Err() != nil {
			level = slog.LevelDebug // the client left: nothing is wrong upstream
		}
		g.logger.LogAttrs(r.Context(), level, "gateway: upstream error",
			slog.Int("route", rt.index), slog.String("match", rt.match), slog.String("upstream", upstream),
			slog.Int("status", status), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("error", err.Error()))
		jsonerror.Write(w, r, status, code, desc)
	}
}
