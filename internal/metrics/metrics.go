// Package metrics is the program's Prometheus instrumentation, served on the
// admin listener: the bearer middleware's decisions by issuer, route, result
// and reason; request durations by route; and, read at scrape time from a
// Source, each issuer's key fetches and key age and the verified-token
// cache's counts.
//
// Every label value comes from a closed set or from the configuration: the
// reason is one of Reasons, the issuer a configured issuer (a template
// keeps "{tenantid}") or "unknown", the route a ServeMux pattern. No token,
// subject or error text ever becomes a label, so that hostile traffic
// cannot grow the number of series.
//
// The hot path pays one map lookup by route, one by issuer and an atomic
// add per decision, and two clock reads and two atomic adds per request,
// on counters sharded over cache lines so that cores seldom contend;
// nothing is allocated. Everything a Source knows is read only when
// scraped.
package metrics

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/verifier"
)

// Source is what the metrics read from the verifier when scraped.
// *verifier.Verifier and *verifier.Set implement it.
type Source interface {
	// Status is the state of each configured issuer's keys.
	Status() []verifier.IssuerStatus
	// CacheStats counts the verified-token cache's work.
	CacheStats() verifier.CacheStats
}

// Path is where Handler serves the metrics.
const Path = "/metrics"

// unmatchedRoute labels a request that no ServeMux pattern matched (a CORS
// preflight answered before routing, a middleware used outside a ServeMux);
// otherRoute the patterns beyond maxRoutes, a bound that only a program
// registering patterns at run time could reach.
const (
	unmatchedRoute = "unmatched"
	otherRoute     = "other"
	maxRoutes      = 256
)

// Option configures New.
type Option func(*Metrics)

// WithClock sets the clock the key ages are measured with. Default
// time.Now.
func WithClock(now func() time.Time) Option { return func(m *Metrics) { m.now = now } }

// WithIssuers sets the configured issuers, the only values of the issuer
// label besides "unknown". Default: those src.Status() lists when New is
// called.
func WithIssuers(issuers ...string) Option {
	return func(m *Metrics) { m.configured = append([]string(nil), issuers...) }
}

// Metrics holds the program's metrics. Its methods are safe for concurrent
// use; a nil *Metrics is not usable: leave the hooks unset instead.
type Metrics struct {
	src        Source
	now        func() time.Time
	configured []string
	issuers    *issuerIndex
	reg        *prometheus.Registry
	handler    http.Handler

	routes atomic.Pointer[map[string]*routeStats] // copy on write
	mu     sync.Mutex                             // serializes adding routes
}

// routeStats is one route's label and counters, made on its first request
// so that a request looks up nothing else.
type routeStats struct {
	label  string
	shards [numShards]shard
}

// New returns the metrics of a program whose verifier is src (nil: no
// issuer, key or cache metrics), registered with the Go runtime and process
// collectors in a registry of their own.
func New(src Source, opts ...Option) *Metrics {
	m := &Metrics{src: src, now: time.Now, reg: prometheus.NewRegistry()}
	for _, o := range opts {
		o(m)
	}
	if m.configured == nil && src != nil {
		for _, s := range src.Status() {
			m.configured = append(m.configured, s.Issuer)
		}
	}
	m.issuers = newIssuerIndex(m.configured)
	empty := map[string]*routeStats{}
	m.routes.Store(&empty)
	m.reg.MustRegister(&collector{m: m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// Handler serves the metrics in the Prometheus exposition formats at GET
// /metrics (Path), and 404 elsewhere. It is meant for the admin listener,
// never the API's.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, m.handler)
	return mux
}

// Registry is the registry the metrics are in, for a program that adds its
// own or gathers them in a test.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe counts one decision of the bearer middleware; it is the
// bearer.Options.Observe of the program's middleware. The issuer label is
// the verified token's issuer; for a refused token, its unverified "iss"
// when that is a configured issuer, else "unknown".
func (m *Metrics) Observe(r *http.Request, d bearer.Decision) {
	reason := reasonOf(&d)
	issuer := 0
	switch {
	case d.Token != nil && len(m.issuers.labels) == 2:
		issuer = 1 // a verified token of the one configured issuer
	case d.Token != nil:
		issuer = m.issuers.of(d.Token.Issuer())
	case d.Raw != "" && len(m.issuers.labels) > 1:
		issuer = m.issuers.of(unverifiedIssuer(d.Raw))
	}
	m.route(r.Pattern).pick().decisions[issuer*numReasons+reason].Add(1)
}

// Instrument returns next timed: each request's duration is observed under
// the ServeMux pattern that matched it, which next's ServeMux sets on the
// request. A request whose handler panics is not timed.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		m.route(r.Pattern).pick().observe(time.Since(start))
	})
}

// route returns the stats of a pattern, making them on its first request.
func (m *Metrics) route(pattern string) *routeStats {
	if rs := (*m.routes.Load())[pattern]; rs != nil {
		return rs
	}
	return m.addRoute(pattern)
}

func (m *Metrics) addRoute(pattern string) *routeStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.routes.Load()
	if rs := old[pattern]; rs != nil {
		return rs
	}
	label := pattern
	switch {
	case pattern == "":
		label = unmatchedRoute
	case len(old) >= maxRoutes:
		if rs := old[otherRoute]; rs != nil {
			return rs
		}
		pattern, label = otherRoute, otherRoute
	}
	rs := &routeStats{label: label}
	n := len(m.issuers.labels) * numReasons
	for i := range rs.shards {
		// 8 more counters (a cache line) keep each shard's array off the next.
		rs.shards[i].decisions = make([]atomic.Uint64, n, n+8)
	}
	next := make(map[string]*routeStats, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[pattern] = rs
	m.routes.Store(&next)
	return rs
}
