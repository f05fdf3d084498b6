package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/poll"
)

// The harness of opaque_test.go and dpop_test.go (issue 13): oidc-provider
// started by opaque-provider.mjs, whose tokens are opaque (introspected) or
// DPoP-bound JWTs, and the program run with an issuers: entry holding
// introspection: and dpop:, a store: (memory or a Redis from
// store/storetest) and an admin listener (POST /revoke).

const (
	// opaqueResource is the resource indicator opaque-provider.mjs answers
	// with an opaque token (also its default: a request without resource
	// gets one); the token's introspection says aud api://default.
	opaqueResource = "urn:test:opaque"
	// The resource server's client at the introspection endpoint.
	rsIntrospectionClient = "rs-client"
	rsIntrospectionSecret = "rs-secret"
)

// opaqueProvider is oidc-provider run by opaque-provider.mjs.
type opaqueProvider struct {
	proc   *proc
	port   int
	issuer string // http://127.0.0.1:<port>, no path
}

func startOpaqueProvider(t *testing.T, node string) *opaqueProvider {
	t.Helper()
	start := time.Now()
	p := startProc(t, "oidc-provider (opaque-provider.mjs)", interopDir(t), []string{
		"PORT=0",
		"CLIENT_ID=" + opClientID,
		"CLIENT_SECRET=" + opClientSecret,
		"RS_CLIENT_ID=" + rsIntrospectionClient,
		"RS_CLIENT_SECRET=" + rsIntrospectionSecret,
	}, node, "opaque-provider.mjs")
	port := p.waitReady(t)
	op := &opaqueProvider{proc: p, port: port, issuer: fmt.Sprintf("http://127.0.0.1:%d", port)}
	p.waitHTTP(t, op.issuer+"/.well-known/openid-configuration")
	timings.add(t, "oidc-provider (opaque-provider.mjs) start until discovery", time.Since(start))
	return op
}

func (op *opaqueProvider) tokenURL() string         { return op.issuer + "/token" }
func (op *opaqueProvider) introspectionURL() string { return op.issuer + "/token/introspection" }
func (op *opaqueProvider) revocationURL() string    { return op.issuer + "/token/revocation" }

// opaqueToken gets an opaque access token: client_credentials without a
// resource indicator (the provider's default resource makes it opaque).
func (op *opaqueProvider) opaqueToken(t *testing.T) string {
	t.Helper()
	tok := clientCredentials(t, op.tokenURL(), opClientID, opClientSecret, url.Values{"scope": {"api:read"}})
	if strings.Count(tok, ".") == 2 {
		t.Fatalf("oidc-provider gave a JWT where an opaque token was expected: %s", tok)
	}
	return tok
}

// postForm POSTs form to u with client_secret_basic, without failing t on
// a transport error (usable from any goroutine).
func postForm(u, clientID, secret string, form url.Values, header http.Header) (response, error) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return response{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if clientID != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("POST %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return response{}, fmt.Errorf("POST %s: reading body: %w", u, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// introspect asks the provider about token as the resource server's client
// would (RFC 7662), and returns the answer's members.
func (op *opaqueProvider) introspect(t *testing.T, token string) map[string]any {
	t.Helper()
	r, err := postForm(op.introspectionURL(), rsIntrospectionClient, rsIntrospectionSecret,
		url.Values{"token": {token}, "token_type_hint": {"access_token"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if r.status != http.StatusOK || json.Unmarshal(r.body, &m) != nil {
		t.Fatalf("introspection at the provider: %s", r)
	}
	return m
}

// revoke revokes token at the provider (RFC 7009) as the client it was
// issued to.
func (op *opaqueProvider) revoke(t *testing.T, token string) {
	t.Helper()
	r, err := postForm(op.revocationURL(), opClientID, opClientSecret,
		url.Values{"token": {token}, "token_type_hint": {"access_token"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("revocation at the provider: %s", r)
	}
}

// providerCounts are the POSTs the provider has received, by endpoint.
type providerCounts struct {
	Token         int `json:"token"`
	Introspection int `json:"introspection"`
	Revocation    int `json:"revocation"`
}

func (op *opaqueProvider) counts(t *testing.T) providerCounts {
	t.Helper()
	r := get(t, op.issuer+"/_test/counts")
	var c providerCounts
	if r.status != http.StatusOK || json.Unmarshal(r.body, &c) != nil {
		t.Fatalf("provider counts: %s", r)
	}
	return c
}

// storeConfig is what startStoreServer writes in the YAML file.
type storeConfig struct {
	issuer string
	// introspection: when introspect is true; introspectionURL "" leaves
	// url: out (found by discovery).
	introspect            bool
	introspectionURL      string
	cacheTTL, inactiveTTL string // "" leaves the key out
	dpop                  string // off | allowed | required; "" leaves dpop: out
	store                 string // "" leaves store: out (memory)
	publicURL             string // "" leaves public_url: out
	extraEnv              []string
}

func (c storeConfig) yaml(port int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host: 127.0.0.1\nport: %d\ninsecure_disable_https_check: true\nlog_level: debug\n", port)
	if c.publicURL != "" {
		fmt.Fprintf(&b, "public_url: %s\n", c.publicURL)
	}
	if c.store != "" {
		fmt.Fprintf(&b, "store: %s\n", c.store)
	}
	fmt.Fprintf(&b, "issuers:\n  - issuer: %s\n    audiences: [api://default]\n", c.issuer)
	if c.introspect {
		b.WriteString("    introspection:\n")
		if c.introspectionURL != "" {
			fmt.Fprintf(&b, "      url: %s\n", c.introspectionURL)
		}
		fmt.Fprintf(&b, "      client_id: %s\n      client_secret: %s\n", rsIntrospectionClient, rsIntrospectionSecret)
		if c.cacheTTL != "" {
			fmt.Fprintf(&b, "      cache_ttl: %s\n", c.cacheTTL)
		}
		if c.inactiveTTL != "" {
			fmt.Fprintf(&b, "      inactive_ttl: %s\n", c.inactiveTTL)
		}
	}
	if c.dpop != "" {
		fmt.Fprintf(&b, "    dpop: %s\n", c.dpop)
	}
	return b.String()
}

// storeServer is the program run with --config FILE and an admin listener.
type storeServer struct {
	*resourceServer
	admin string // base URL of the admin listener
	name  string
}

// startStoreServer writes cfg as resource-server.yaml, has the program
// check it (`resource-server config check --config FILE`, so that a key
// the program does not know fails here, with its message), then runs it
// with ADMIN_PORT and waits for /healthz and the admin /readyz.
func startStoreServer(t *testing.T, name string, cfg storeConfig) *storeServer {
	t.Helper()
	bin := resourceServerBinary(t)
	port, adminPort := freePort(t), freePort(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "resource-server.yaml")
	text := cfg.yaml(port)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: resource-server.yaml:\n%s", name, text)
	check := startProc(t, name+" config check", dir, cfg.extraEnv, bin, "config", "check", "--config", file)
	<-check.done
	if check.err != nil {
		t.Fatalf("%s: resource-server config check --config %s refused the file: %v\n%s", name, file, check.err, check.out.String())
	}
	start := time.Now()
	env := append([]string{"ADMIN_PORT=" + strconv.Itoa(adminPort)}, cfg.extraEnv...)
	p := startProc(t, name, dir, env, bin, "--config", file)
	s := &storeServer{
		resourceServer: &resourceServer{proc: p, url: fmt.Sprintf("http://127.0.0.1:%d", port)},
		admin:          fmt.Sprintf("http://127.0.0.1:%d", adminPort),
		name:           name,
	}
	p.waitHTTP(t, s.url+"/healthz")
	p.waitHTTP(t, s.admin+"/readyz")
	timings.add(t, name+" start until admin /readyz", time.Since(start))
	return s
}

// revoke is POST /revoke on the admin listener with the form body
// token=…, as a client revokes at an authorization server (RFC 7009).
func (s *storeServer) revoke(t *testing.T, token string) response {
	t.Helper()
	r, err := postForm(s.admin+"/revoke", "", "", url.Values{"token": {token}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// bearerGet is GET /api/messages with "Authorization: Bearer token",
// without failing t on a transport error (usable from any goroutine).
func bearerGet(client *http.Client, u, token string) (response, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// untilRefused polls (poll.Until: a fresh request each time) until the
// server answers GET /api/messages with token by a 401 invalid_token, within
// bound; it returns how long that took. Any answer other than 200 and that
// 401 fails the test.
func untilRefused(t *testing.T, s *storeServer, token string, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var last response
	if !poll.Until(bound, func() bool {
		last = get(t, s.url+"/api/messages", "Bearer "+token)
		return last.status != http.StatusOK
	}) {
		t.Fatalf("%s: revoked opaque token still accepted after %s (last: %s)", s.name, bound, last)
	}
	took := time.Since(start)
	refusedInvalidToken(t, s.name+": revoked opaque token", last)
	return took
}
