package verifier_test

// Tests of what the verifier reads from the issuer: discovery documents and
// key sets read as strictly as tokens, key URLs as issuers publish them,
// and what an outage or a misconfigured issuer writes to the log.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/verifier"
)

// docServer serves documents written by the test, path by path; a path
// without a document answers 404. While down, it drops every connection
// unanswered, as an unreachable issuer does.
type docServer struct {
	base   string // scheme://host
	issuer string // base + "/as"

	mu   sync.Mutex
	docs map[string]string
	down bool
	hits map[string]int // requests per path and query
}

func startDocServer(t *testing.T) *docServer {
	t.Helper()
	d := &docServer{docs: map[string]string{}, hits: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.hits[r.URL.RequestURI()]++
		body, ok := d.docs[r.URL.Path]
		down := d.down
		d.mu.Unlock()
		switch {
		case down:
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		case !ok:
			http.NotFound(w, r)
		default:
			io.WriteString(w, body)
		}
	}))
	t.Cleanup(ts.Close)
	d.base, d.issuer = ts.URL, ts.URL+"/as"
	return d
}

func (d *docServer) set(path, body string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.docs[path] = body
}

func (d *docServer) setDown(down bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down = down
}

func (d *docServer) requests(uri string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits[uri]
}

// discovery serves an OpenID Connect discovery document whose members are
// written as given (so that duplicates and case variants can be).
func (d *docServer) discovery(members string) {
	d.set("/as/.well-known/openid-configuration", "{"+members+"}")
}

// testKey is an ES256 signing key of the tests' own making.
type testKey struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newTestKey(t *testing.T, kid string) testKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{kid: kid, priv: priv}
}

// jwk is the key's public JWK, members in go-jose's order.
func (k testKey) jwk(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "ES256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign returns an access token of issuer for api://default, signed by k,
// with extra header members.
func (k testKey) sign(t *testing.T, issuer string, header map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt")
	for name, v := range header {
		opts = opts.WithHeader(jose.HeaderKey(name), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": issuer, "aud": "api://default", "sub": "alice",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	obj, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// docVerifier is a verifier of d's ES256 tokens, logging to logs.
func docVerifier(t *testing.T, d *docServer, logs io.Writer, edit func(*verifier.Config)) *verifier.Verifier {
	t.Helper()
	cfg := verifier.Config{Issuer: d.issuer, Audiences: []string{"api://default"}, Algorithms: []string{"ES256"},
		InsecureAllowHTTP: true, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if edit != nil {
		edit(&cfg)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// countLines counts the log lines that contain s.
func countLines(logs, s string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// Every document read from the network goes through the token's strict
// reader: a duplicate or case-variant member (ASCII or Unicode folding) in a
// discovery document, at the top of a JWKS or in one of its keys is refused,
// where encoding/json would have let the last one win and pointed the
// verifier at keys the issuer never published.
func TestDocumentsReadStrictly(t *testing.T) {
	good, evil := newTestKey(t, "good"), newTestKey(t, "evil")
	tests := []struct {
		name      string
		discovery func(d *docServer) string // the members of the discovery document
		jwks      func() string
		message   string
	}{
		{"discovery: jwks_uri and JWKS_URI", func(d *docServer) string {
			return `"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys","JWKS_URI":"` + d.base + `/evil-keys"`
		}, nil, `member "JWKS_URI" is a case variant of "jwks_uri"`},
		{"discovery: jwks_uri and a long-s variant", func(d *docServer) string {
			return `"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys","jwkſ_uri":"` + d.base + `/evil-keys"`
		}, nil, `is a case variant of "jwks_uri"`},
		{"discovery: jwks_uri and a Kelvin-sign variant", func(d *docServer) string {
			return `"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys","jw\u212As_uri":"` + d.base + `/evil-keys"`
		}, nil, `is a case variant of "jwks_uri"`},
		{"discovery: duplicate jwks_uri", func(d *docServer) string {
			return `"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys","jwks_uri":"` + d.base + `/evil-keys"`
		}, nil, `duplicate member "jwks_uri"`},
		{"discovery: duplicate jwks_uri past 32 members", func(d *docServer) string {
			var filler strings.Builder
			for i := range 40 {
				fmt.Fprintf(&filler, `"x%d":%d,`, i, i)
			}
			return `"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys",` + filler.String() + `"jwks_uri":"` + d.base + `/evil-keys"`
		}, nil, `duplicate member "jwks_uri"`},
		{"discovery: another issuer, then ISSUER ours", func(d *docServer) string {
			return `"issuer":"https://evil.example.com","ISSUER":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys"`
		}, nil, `member "ISSUER" is a case variant of "issuer"`},
		{"JWKS: keys and Keys", nil, func() string {
			return `{"keys":[` + good.jwk(t) + `],"Keys":[` + evil.jwk(t) + `]}`
		}, `member "Keys" is a case variant of "keys"`},
		{"key: use sig, then USE enc", nil, func() string {
			return `{"keys":[` + strings.TrimSuffix(good.jwk(t), "}") + `,"USE":"enc"}]}`
		}, `key 1 of 1 is not an unambiguous JSON object: member "USE" is a case variant of "use"`},
		{"key: key_ops encrypt, then KEY_OPS verify", nil, func() string {
			return `{"keys":[` + strings.TrimSuffix(good.jwk(t), "}") + `,"key_ops":["encrypt"],"KEY_OPS":["verify"]}]}`
		}, `member "KEY_OPS" is a case variant of "key_ops"`},
		{"key: duplicate kid", nil, func() string {
			return `{"keys":[` + strings.TrimSuffix(good.jwk(t), "}") + `,"kid":"evil"}]}`
		}, `duplicate member "kid"`},
		{"key: x5t#s256 for x5t#S256", nil, func() string {
			return `{"keys":[` + strings.TrimSuffix(good.jwk(t), "}") + `,"x5t#s256":"AAAA"}]}`
		}, `member "x5t#s256" is a case variant of "x5t#S256"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startDocServer(t)
			d.discovery(`"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys"`)
			if tt.discovery != nil {
				d.discovery(tt.discovery(d))
			}
			d.set("/keys", `{"keys":[`+good.jwk(t)+`]}`)
			if tt.jwks != nil {
				d.set("/keys", tt.jwks())
			}
			d.set("/evil-keys", `{"keys":[`+evil.jwk(t)+`]}`)
			checkRefused(t, d, evil, tt.message)
		})
	}
}

// checkRefused checks that the documents d serves are refused with message,
// and that no key, evil's least of all, is used.
func checkRefused(t *testing.T, d *docServer, evil testKey, message string) {
	t.Helper()
	v := docVerifier(t, d, io.Discard, nil)
	err := v.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), message) {
		t.Fatalf("Refresh: got %v, want an error saying %q", err, message)
	}
	if v.Ready() {
		t.Error("keys held after a refused document")
	}
	if _, err := v.VerifyAccessToken(context.Background(), evil.sign(t, d.issuer, nil)); err == nil {
		t.Error("a token of a key the issuer never published verifies")
	}
}

// A refetch that brings a refused key set changes nothing: the last good
// keys still verify, the keys it names do not, and the refusal is logged
// once however often it is refetched; the recovery is logged too.
func TestRefusedKeySetKeepsLastGoodKeys(t *testing.T) {
	good, evil := newTestKey(t, "good"), newTestKey(t, "evil")
	d := startDocServer(t)
	d.discovery(`"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys"`)
	d.set("/keys", `{"keys":[`+good.jwk(t)+`]}`)
	var logs logtest.Buffer
	v := docVerifier(t, d, &logs, nil)
	ctx := context.Background()
	tok := good.sign(t, d.issuer, nil)
	if _, err := v.VerifyAccessToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	d.set("/keys", `{"keys":[`+good.jwk(t)+`],"Keys":[`+evil.jwk(t)+`]}`)
	for i := range 3 {
		if err := v.Refresh(ctx); err == nil || !strings.Contains(err.Error(), "case variant") {
			t.Fatalf("refetch %d of a key set with keys and Keys: %v", i, err)
		}
	}
	if _, err := v.VerifyAccessToken(ctx, tok); err != nil || !v.Ready() {
		t.Fatalf("the last good key, after refused refetches: %v (ready %v)", err, v.Ready())
	}
	if _, err := v.VerifyAccessToken(ctx, evil.sign(t, d.issuer, nil)); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("a token of the refused set's key: got %v, want ErrUnknownKey", err)
	}
	if n := countLines(logs.String(), "could not fetch the issuer's keys"); n != 1 || !strings.Contains(logs.String(), "keeping the last good ones") {
		t.Errorf("the refused key set is logged %d times (want once, keeping the last good ones):\n%s", n, logs.String())
	}
	d.set("/keys", `{"keys":[`+good.jwk(t)+`]}`)
	if err := v.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countLines(logs.String(), "the issuer's keys are fetched again"); n != 1 {
		t.Errorf("recovery logged %d times, want once:\n%s", n, logs.String())
	}
}

// Header parameters are checked against their registered spelling:
// "x5t#S256" (RFC 7515 §4.1.8) is not a case variant of itself, while its
// other spellings are refused.
func TestHeaderParametersAsRegistered(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	const thumb = "NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg"
	for _, tt := range []struct {
		header map[string]any
		want   error
	}{
		{map[string]any{"x5t#S256": thumb}, nil},
		{map[string]any{"x5t#S256": thumb, "x5t": thumb}, nil},
		{map[string]any{"x5t#s256": thumb}, verifier.ErrMalformed},
		{map[string]any{"X5T#S256": thumb}, verifier.ErrMalformed},
	} {
		_, err := v.VerifyAccessToken(context.Background(), sign(t, srv, tt.header, claimsWith(srv, nil)))
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("header %v: got %v, want %v", tt.header, err, tt.want)
		}
		if tt.want != nil && err != nil && !strings.Contains(err.Error(), `case variant of "x5t#S256"`) {
			t.Errorf("header %v: %v does not name the registered spelling", tt.header, err)
		}
	}
}

// A header parameter that only encrypted tokens carry marks a JWE (RFC 7516
// §9), even in three segments: refused as malformed, naming the parameter,
// before its signature is even looked at.
func TestEncryptedTokenHeaderRefused(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	for _, name := range []string{"enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c"} {
		tok := sign(t, srv, map[string]any{name: "A256GCM"}, claimsWith(srv, nil))
		_, err := v.VerifyAccessToken(context.Background(), tok)
		if !errors.Is(err, verifier.ErrMalformed) || !strings.Contains(err.Error(), `"`+name+`", a parameter of encrypted tokens`) {
			t.Errorf("header with %q: got %v, want ErrMalformed naming it", name, err)
		}
	}
}

// A JWKS URL with a query is used as published (Azure AD B2C names its
// policy in ?p=), whether configured or discovered; a fragment is refused.
func TestKeyURLWithQuery(t *testing.T) {
	key := newTestKey(t, "k")
	const query = "p=b2c_1_signin"
	t.Run("configured", func(t *testing.T) {
		d := startDocServer(t)
		d.set("/tenant/discovery/v2.0/keys", `{"keys":[`+key.jwk(t)+`]}`)
		v := docVerifier(t, d, io.Discard, func(c *verifier.Config) { c.JWKSURL = d.base + "/tenant/discovery/v2.0/keys?" + query })
		if _, err := v.VerifyAccessToken(context.Background(), key.sign(t, d.issuer, nil)); err != nil {
			t.Fatal(err)
		}
		if n := d.requests("/tenant/discovery/v2.0/keys?" + query); n != 1 {
			t.Errorf("the JWKS was fetched %d times with its query, want 1", n)
		}
	})
	t.Run("discovered", func(t *testing.T) {
		d := startDocServer(t)
		d.discovery(`"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/tenant/discovery/v2.0/keys?` + query + `"`)
		d.set("/tenant/discovery/v2.0/keys", `{"keys":[`+key.jwk(t)+`]}`)
		v := docVerifier(t, d, io.Discard, nil)
		if _, err := v.VerifyAccessToken(context.Background(), key.sign(t, d.issuer, nil)); err != nil {
			t.Fatal(err)
		}
		if n := d.requests("/tenant/discovery/v2.0/keys?" + query); n != 1 {
			t.Errorf("the JWKS was fetched %d times with its query, want 1", n)
		}
	})
	t.Run("discovered with a fragment", func(t *testing.T) {
		d := startDocServer(t)
		d.discovery(`"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys#main"`)
		d.set("/keys", `{"keys":[`+key.jwk(t)+`]}`)
		v := docVerifier(t, d, io.Discard, nil)
		if err := v.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "remove the fragment") {
			t.Fatalf("jwks_uri with a fragment: %v", err)
		}
	})
}

// An issuer configured with or without the trailing slash its discovery
// document has: the error says that this is the only difference, and what
// to set.
func TestDiscoveryIssuerTrailingSlash(t *testing.T) {
	for _, tt := range []struct {
		name                  string
		configured, published func(base string) string
	}{
		{"published with the slash", func(b string) string { return b + "/as" }, func(b string) string { return b + "/as/" }},
		{"published without it", func(b string) string { return b + "/as/" }, func(b string) string { return b + "/as" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := startDocServer(t)
			configured, published := tt.configured(d.base), tt.published(d.base)
			d.discovery(`"issuer":"` + published + `","jwks_uri":"` + d.base + `/keys"`)
			v := docVerifier(t, d, io.Discard, func(c *verifier.Config) { c.Issuer = configured })
			err := v.Refresh(context.Background())
			var ce *verifier.ConfigError
			if !errors.As(err, &ce) || ce.Field != "Issuer" {
				t.Fatalf("got %v, want a *ConfigError on Issuer", err)
			}
			if ce.Value != configured || !strings.HasPrefix(ce.Problem, `differs only by a trailing slash from "`+published+`"`) ||
				ce.Fix != `write the issuer exactly as it publishes itself: "`+published+`"` {
				t.Errorf("error %#v does not name %q, the slash and what to set", ce, published)
			}
		})
	}
}

// An issuer that stops answering is logged once when the outage starts,
// saying whether keys are still held, and once when it ends; the error
// names the first failure, not all of them.
func TestOutageLoggedOnce(t *testing.T) {
	key := newTestKey(t, "k")
	ctx := context.Background()
	t.Run("keys held", func(t *testing.T) {
		d := startDocServer(t)
		d.discovery(`"issuer":"` + d.issuer + `","jwks_uri":"` + d.base + `/keys"`)
		d.set("/keys", `{"keys":[`+key.jwk(t)+`]}`)
		var logs logtest.Buffer
		v := docVerifier(t, d, &logs, nil)
		if err := v.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		d.setDown(true)
		for range 5 {
			if err := v.Refresh(ctx); err == nil {
				t.Fatal("Refresh succeeded while the issuer is down")
			}
		}
		if n := countLines(logs.String(), "could not fetch the issuer's keys; keeping the last good ones"); n != 1 {
			t.Errorf("5 failed fetches logged %d times, want once:\n%s", n, logs.String())
		}
		d.setDown(false)
		if err := v.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if n := countLines(logs.String(), "the issuer's keys are fetched again"); n != 1 || !strings.Contains(logs.String(), "failed_fetches=5") {
			t.Errorf("recovery logged %d times (want once, with failed_fetches=5):\n%s", n, logs.String())
		}
	})
	t.Run("no keys held", func(t *testing.T) {
		d := startDocServer(t)
		d.setDown(true)
		var logs logtest.Buffer
		v := docVerifier(t, d, &logs, nil)
		var err error
		for range 3 {
			if err = v.Refresh(ctx); err == nil {
				t.Fatal("Refresh succeeded while the issuer is down")
			}
		}
		l := logs.String()
		if countLines(l, "could not fetch the issuer's keys") != 1 || !strings.Contains(l, "no keys are held") || strings.Contains(l, "keeping the last good ones") {
			t.Errorf("want one line saying no keys are held:\n%s", l)
		}
		// The first of the three discovery URLs, and the count of the others.
		if !strings.Contains(err.Error(), `/as/.well-known/openid-configuration": EOF`) || !strings.Contains(err.Error(), "the other 2 metadata URLs failed too") ||
			strings.Contains(err.Error(), "oauth-authorization-server") || len(err.Error()) > 300 {
			t.Errorf("error of %d bytes: %v", len(err.Error()), err)
		}
	})
}

// New refuses a configuration without an audience, unless it says that
// any is acceptable; then any "aud" is, but a call's audiences still apply,
// and a token without "aud" still needs AllowMissingAudience.
func TestAnyAudience(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, func(c *verifier.Config) { c.Audiences, c.AnyAudience = nil, true })
	ctx := context.Background()
	if _, err := v.VerifyAccessToken(ctx, mint(t, srv, map[string]any{"aud": "api://other"})); err != nil {
		t.Errorf("AnyAudience, aud of another API: %v", err)
	}
	if _, err := v.VerifyAccessToken(ctx, mint(t, srv, map[string]any{"aud": "api://other"}), "api://orders"); !errors.Is(err, verifier.ErrWrongAudience) {
		t.Errorf("AnyAudience, the call's audience: got %v, want ErrWrongAudience", err)
	}
	if _, err := v.VerifyAccessToken(ctx, mint(t, srv, map[string]any{"aud": nil})); !errors.Is(err, verifier.ErrMissingClaim) {
		t.Errorf("AnyAudience, no aud: got %v, want ErrMissingClaim", err)
	}
	_, err := verifier.New(verifier.Config{Issuer: srv.URL, InsecureAllowHTTP: true, Logger: slog.New(slog.DiscardHandler)})
	var ce *verifier.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Audiences" || !strings.Contains(err.Error(), "AnyAudience") {
		t.Errorf("no audience: got %v, want a ConfigError on Audiences naming AnyAudience", err)
	}
}
