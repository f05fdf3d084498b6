package interop

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests of this file run the resource server with several real
// authorization servers configured in one YAML file (issuers:), as issue 11
// asks: each issuer's tokens accepted on its own audiences, a token of an
// issuer not listed refused without a request to that issuer, an issuer
// that is down refusing only its own tokens (503), and the admin listener's
// /readyz and /metrics telling each issuer apart.

// issuerEntry is one entry of the issuers: list.
type issuerEntry struct {
	issuer   string
	audience string
}

// manyIssuersServer is the resource server run with --config FILE holding
// an issuers: list, with its admin listener.
type manyIssuersServer struct {
	*resourceServer
	admin string // base URL of the admin listener
}

// startManyIssuersServer writes one YAML file (host, port, the https check
// off for these http issuers, the issuers: list) and runs the program with
// --config FILE and ADMIN_PORT in the environment, in an empty directory.
// It waits until the API answers /healthz and the admin listener /readyz
// (200: at least one issuer ready).
func startManyIssuersServer(t *testing.T, entries ...issuerEntry) *manyIssuersServer {
	t.Helper()
	bin := resourceServerBinary(t)
	port, adminPort := freePort(t), freePort(t)
	var b strings.Builder
	fmt.Fprintf(&b, "host: 127.0.0.1\nport: %d\ninsecure_disable_https_check: true\nlog_level: debug\nissuers:\n", port)
	for _, e := range entries {
		fmt.Fprintf(&b, "  - issuer: %s\n    audiences: [%s]\n", e.issuer, e.audience)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "resource-server.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("resource-server.yaml:\n%s", b.String())
	start := time.Now()
	p := startProc(t, "resource-server", dir, []string{"ADMIN_PORT=" + strconv.Itoa(adminPort)}, bin, "--config", file)
	rs := &manyIssuersServer{
		resourceServer: &resourceServer{proc: p, url: fmt.Sprintf("http://127.0.0.1:%d", port)},
		admin:          fmt.Sprintf("http://127.0.0.1:%d", adminPort),
	}
	p.waitHTTP(t, rs.url+"/healthz")
	p.waitHTTP(t, rs.admin+"/readyz")
	timings.add(t, "resource server (issuers: list) start until admin /readyz", time.Since(start))
	return rs
}

// readiness is the admin listener's /readyz body.
type readiness struct {
	Status  string `json:"status"`
	Rule    string `json:"rule"`
	Issuers []struct {
		Issuer         string `json:"issuer"`
		Ready          bool   `json:"ready"`
		Keys           int    `json:"keys"`
		KeysAgeSeconds *int64 `json:"keys_age_seconds"`
		LastError      string `json:"last_error"`
	} `json:"issuers"`
}

func (rs *manyIssuersServer) readyz(t *testing.T) (response, readiness) {
	t.Helper()
	r := get(t, rs.admin+"/readyz")
	var body readiness
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("admin /readyz is not JSON: %v: %s", err, r)
	}
	return r, body
}

// waitAllReady waits (bounded) until /readyz says every issuer is ready:
// the program fetches every issuer's keys at start, but answers 200 as
// soon as one is.
func (rs *manyIssuersServer) waitAllReady(t *testing.T) {
	t.Helper()
	d, _ := eventually(t, startTimeout, func() error {
		_, body := rs.readyz(t)
		for _, is := range body.Issuers {
			if !is.Ready {
				return fmt.Errorf("%w: %s not ready: %s", errNotYet, is.Issuer, is.LastError)
			}
		}
		return nil
	})
	timings.add(t, "every issuer ready in /readyz after", d)
}

// metricSeries is a scrape of /metrics: series (name{labels}, labels
// sorted as written) to value.
type metricSeries map[string]float64

var (
	metricLine  = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$`)
	metricLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrape reads the admin listener's /metrics (Prometheus text format).
func (rs *manyIssuersServer) scrape(t *testing.T) metricSeries {
	t.Helper()
	r := get(t, rs.admin+"/metrics")
	if r.status != http.StatusOK {
		t.Fatalf("admin /metrics: %s", r)
	}
	m := metricSeries{}
	for _, line := range strings.Split(string(r.body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g := metricLine.FindStringSubmatch(line)
		if g == nil {
			t.Fatalf("admin /metrics: unparsable line %q", line)
		}
		v, err := strconv.ParseFloat(g[4], 64)
		if err != nil {
			t.Fatalf("admin /metrics: bad value in %q", line)
		}
		m[seriesKey(g[1], labelsOf(g[3]))] = v
	}
	return m
}

func labelsOf(s string) map[string]string {
	l := map[string]string{}
	for _, g := range metricLabel.FindAllStringSubmatch(s, -1) {
		l[g[1]] = g[2]
	}
	return l
}

// seriesKey names a series by its name and labels in a fixed order.
func seriesKey(name string, labels map[string]string) string {
	var parts []string
	for _, k := range []string{"issuer", "route", "result", "reason", "outcome"} {
		if v, ok := labels[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// decisions is the key of resource_server_auth_decisions_total for GET
// /api/messages.
func decisions(issuer, result, reason string) string {
	return seriesKey("resource_server_auth_decisions_total", map[string]string{
		"issuer": issuer, "route": "GET /api/messages", "result": result, "reason": reason})
}

func issuerGauge(name, issuer string) string {
	return seriesKey(name, map[string]string{"issuer": issuer})
}

// countingProxy is a reverse proxy on 127.0.0.1 that counts every request
// it forwards: put in front of an issuer, it tells whether anyone asked
// that issuer anything.
type countingProxy struct {
	ln    net.Listener
	url   string
	mu    sync.Mutex
	paths []string
}

// listenCountingProxy listens at once (so that its URL can be the
// issuer's), and forwards once serve names the target.
func listenCountingProxy(t *testing.T) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &countingProxy{ln: ln, url: "http://" + ln.Addr().String()}
}

func (cp *countingProxy) serve(t *testing.T, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cp.mu.Lock()
			cp.paths = append(cp.paths, r.Method+" "+r.URL.RequestURI())
			cp.mu.Unlock()
			rp.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: requestTimeout,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(cp.ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		select {
		case <-done:
		case <-time.After(stopTimeout):
			t.Errorf("counting proxy did not stop within %s", stopTimeout)
		}
	})
}

func (cp *countingProxy) requests() []string {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]string(nil), cp.paths...)
}

// startProxiedOIDCProvider starts oidc-provider.mjs on a free port behind a
// counting proxy whose URL is its issuer (ISSUER_URL): the tokens' "iss",
// discovery and jwks_uri all name the proxy, so a resource server looking
// up this issuer's keys can only go through it. The test fetches tokens
// from the provider's own port, leaving the proxy untouched.
func startProxiedOIDCProvider(t *testing.T, node string, key *rsaKey) (*oidcProvider, *countingProxy) {
	t.Helper()
	start := time.Now()
	cp := listenCountingProxy(t)
	b, _ := json.Marshal(map[string]any{"keys": privateJWKs([]*rsaKey{key})})
	keysFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(keysFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	issuer := cp.url + "/oauth2/default"
	p := startProc(t, "oidc-provider (behind a counting proxy)", interopDir(t), []string{
		"PORT=0",
		"ISSUER_URL=" + issuer,
		"JWKS_FILE=" + keysFile,
		"CLIENT_ID=" + opClientID,
		"CLIENT_SECRET=" + opClientSecret,
	}, node, "oidc-provider.mjs")
	port := p.waitReady(t)
	direct := fmt.Sprintf("http://127.0.0.1:%d", port)
	cp.serve(t, direct)
	p.waitHTTP(t, direct+"/oauth2/default/.well-known/openid-configuration")
	timings.add(t, "oidc-provider behind a counting proxy, start", time.Since(start))
	return &oidcProvider{node: node, port: port, proc: p, issuer: issuer}, cp
}

// directToken gets a token from op's own port (not through its issuer URL).
func (op *oidcProvider) directToken(t *testing.T, resource string) string {
	t.Helper()
	form := url.Values{"scope": {"api:read"}, "resource": {resource}}
	return clientCredentials(t, fmt.Sprintf("http://127.0.0.1:%d/oauth2/default/v1/token", op.port), opClientID, opClientSecret, form)
}

func tokenIssuer(t *testing.T, token string) string {
	t.Helper()
	_, claims := jwtParts(t, token)
	iss, _ := claims["iss"].(string)
	return iss
}

// TestManyIssuers: two oidc-providers (separate keys) in one YAML issuers:
// list, each with its own audience.
//
//	(a) tokens of both, from their token endpoints, are accepted; each
//	    issuer's token for the other's audience is refused;
//	(b) a token of a third, running oidc-provider not in the list is
//	    refused (401 invalid_token) and that provider received no request:
//	    every request to its issuer URL passes a counting proxy;
//	(d) the admin /readyz lists both issuers, in order, ready with their keys;
//	(e) the admin /metrics counts the decisions of each issuer apart (and
//	    the third's under "unknown"), and shows each issuer's keys.
func TestManyIssuers(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	a := startOIDCProvider(t, node, 0, newRSAKey(t, "many-a-1"))
	b := startOIDCProvider(t, node, 0, newRSAKey(t, "many-b-1"))
	c, proxy := startProxiedOIDCProvider(t, node, newRSAKey(t, "many-c-1"))

	rs := startManyIssuersServer(t, issuerEntry{a.issuer, "api://default"}, issuerEntry{b.issuer, "api://orders"})
	rs.waitAllReady(t)
	before := rs.scrape(t)

	// (a) Each issuer's token for its own audience is accepted, twice (the
	// second from the verified-token cache: counted all the same).
	tokA, tokB := a.token(t, "api://default"), b.token(t, "api://orders")
	for i := 0; i < 2; i++ {
		mustAccept(t, rs.resourceServer, "first issuer's token", tokA)
		mustAccept(t, rs.resourceServer, "second issuer's token", tokB)
	}
	// Audiences are per issuer: each one's token for the other's audience
	// is refused.
	refusedInvalidToken(t, "first issuer's token for the second's audience",
		get(t, rs.url+"/api/messages", "Bearer "+a.token(t, "api://orders")))
	refusedInvalidToken(t, "second issuer's token for the first's audience",
		get(t, rs.url+"/api/messages", "Bearer "+b.token(t, "api://default")))

	// (b) A real token of the third provider, whose "iss" is its issuer URL
	// (the proxy's), for an audience both entries accept: refused, and the
	// third issuer was never asked anything, neither at start nor now.
	for _, aud := range []string{"api://default", "api://orders"} {
		tokC := c.directToken(t, aud)
		if got := tokenIssuer(t, tokC); got != c.issuer {
			t.Fatalf("third provider's token has iss %q, want %q", got, c.issuer)
		}
		refusedInvalidToken(t, "third issuer's token for "+aud, get(t, rs.url+"/api/messages", "Bearer "+tokC))
	}
	if reqs := proxy.requests(); len(reqs) != 0 {
		t.Errorf("the issuer not in the list received %d requests: %q", len(reqs), reqs)
	}

	// (d) /readyz on the admin listener: both issuers, in the file's order,
	// ready, each with its one key, confirmed by a fetch.
	r, ready := rs.readyz(t)
	t.Logf("admin /readyz: %s", r.body)
	if r.status != http.StatusOK || ready.Status != "ready" || len(ready.Issuers) != 2 {
		t.Fatalf("admin /readyz: %s", r)
	}
	for i, want := range []string{a.issuer, b.issuer} {
		is := ready.Issuers[i]
		if is.Issuer != want || !is.Ready || is.Keys != 1 || is.KeysAgeSeconds == nil || is.LastError != "" {
			t.Errorf("admin /readyz issuer %d: %+v, want %s ready with 1 key, fetched, no error", i, is, want)
		}
	}

	// (e) /metrics on the admin listener: each issuer's decisions moved by
	// what was sent, under its own label; the third's under "unknown".
	after := rs.scrape(t)
	for _, w := range []struct {
		series string
		delta  float64
	}{
		{decisions(a.issuer, "allowed", "ok"), 2},
		{decisions(b.issuer, "allowed", "ok"), 2},
		{decisions(a.issuer, "denied", "wrong_audience"), 1},
		{decisions(b.issuer, "denied", "wrong_audience"), 1},
		{decisions("unknown", "denied", "wrong_issuer"), 2},
	} {
		if got := after[w.series] - before[w.series]; got != w.delta {
			t.Errorf("metrics: %s moved by %v (from %v to %v), want %v", w.series, got, before[w.series], after[w.series], w.delta)
		}
	}
	for _, iss := range []string{a.issuer, b.issuer} {
		if got := after[issuerGauge("resource_server_issuer_ready", iss)]; got != 1 {
			t.Errorf("metrics: resource_server_issuer_ready{issuer=%q} = %v, want 1", iss, got)
		}
		if got := after[issuerGauge("resource_server_issuer_keys", iss)]; got != 1 {
			t.Errorf("metrics: resource_server_issuer_keys{issuer=%q} = %v, want 1", iss, got)
		}
		if got := after[seriesKey("resource_server_jwks_fetches_total", map[string]string{"issuer": iss, "outcome": "success"})]; got < 1 {
			t.Errorf("metrics: no successful key fetch counted for %s", iss)
		}
	}
	for series := range after {
		if strings.Contains(series, c.issuer) || strings.Contains(series, proxy.url) {
			t.Errorf("metrics: a series names the issuer not in the list: %s", series)
		}
	}

	// Control: the same third-issuer token is good, and the proxy sees a
	// resource server's fetches. A resource server that lists the third
	// issuer accepts it, after fetching its keys through the proxy.
	rsC := startManyIssuersServer(t, issuerEntry{c.issuer, "api://default"})
	rsC.waitAllReady(t)
	mustAccept(t, rsC.resourceServer, "third issuer's token, where it is listed", c.directToken(t, "api://default"))
	rsC.stop(t)
	reqs := proxy.requests()
	if !slices.Contains(reqs, "GET /oauth2/default/.well-known/openid-configuration") || !slices.Contains(reqs, "GET /oauth2/default/v1/keys") {
		t.Errorf("control: the counting proxy saw %q, want the discovery and key requests of a resource server listing its issuer", reqs)
	}
}

// TestManyIssuersOneDown (c): of the two issuers in the list, one is stopped
// before the resource server starts, so its keys were never fetched: its
// tokens (obtained while it ran) get 503 while the other's keep getting
// 200; /readyz stays 200 (one issuer ready) and shows which is down;
// /metrics counts the 503s as that issuer's.
func TestManyIssuersOneDown(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	up := startOIDCProvider(t, node, 0, newRSAKey(t, "up-1"))
	down := startOIDCProvider(t, node, 0, newRSAKey(t, "down-1"))
	tokUp, tokDown := up.token(t, "api://default"), down.token(t, "api://orders")
	down.proc.stop(t)
	if resp, err := httpClient.Get(down.issuer + "/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		t.Fatalf("the stopped issuer still answers: %s", resp.Status)
	}

	rs := startManyIssuersServer(t, issuerEntry{up.issuer, "api://default"}, issuerEntry{down.issuer, "api://orders"})
	before := rs.scrape(t)
	const rounds = 3
	for i := 0; i < rounds; i++ {
		mustAccept(t, rs.resourceServer, "the running issuer's token", tokUp)
		r := get(t, rs.url+"/api/messages", "Bearer "+tokDown)
		if r.status != http.StatusServiceUnavailable || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("the stopped issuer's token, round %d: %s, want 503 with a Bearer challenge", i+1, r)
		}
		if i == 0 {
			t.Logf("the stopped issuer's token: %s retry-after=%q", r, r.header.Get("Retry-After"))
		}
	}

	r, ready := rs.readyz(t)
	t.Logf("admin /readyz: %s", r.body)
	if r.status != http.StatusOK || ready.Status != "ready" || len(ready.Issuers) != 2 {
		t.Fatalf("admin /readyz with one issuer down: %s, want 200 ready with two issuers", r)
	}
	if is := ready.Issuers[0]; is.Issuer != up.issuer || !is.Ready || is.Keys != 1 || is.KeysAgeSeconds == nil {
		t.Errorf("admin /readyz, running issuer: %+v", is)
	}
	if is := ready.Issuers[1]; is.Issuer != down.issuer || is.Ready || is.Keys != 0 || is.KeysAgeSeconds != nil || is.LastError == "" {
		t.Errorf("admin /readyz, stopped issuer: %+v, want not ready, no keys, never fetched, its last error", is)
	}

	after := rs.scrape(t)
	for _, w := range []struct {
		series string
		delta  float64
	}{
		{decisions(up.issuer, "allowed", "ok"), rounds},
		{decisions(down.issuer, "unavailable", "keys_unavailable"), rounds},
	} {
		if got := after[w.series] - before[w.series]; got != w.delta {
			t.Errorf("metrics: %s moved by %v (from %v to %v), want %v", w.series, got, before[w.series], after[w.series], w.delta)
		}
	}
	if got := after[issuerGauge("resource_server_issuer_ready", up.issuer)]; got != 1 {
		t.Errorf("metrics: the running issuer's ready gauge is %v, want 1", got)
	}
	if got := after[issuerGauge("resource_server_issuer_ready", down.issuer)]; got != 0 {
		t.Errorf("metrics: the stopped issuer's ready gauge is %v, want 0", got)
	}
	if got := after[seriesKey("resource_server_jwks_fetches_total", map[string]string{"issuer": down.issuer, "outcome": "failure"})]; got < 1 {
		t.Errorf("metrics: no failed key fetch counted for the stopped issuer")
	}
}
