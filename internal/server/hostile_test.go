package server_test

// Helpers shared by the attack, fault and soak tests: an attacker's server
// that counts every hit, a signer for keys the test holds itself, and
// challenge parsing.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/poll"
)

var b64 = base64.RawURLEncoding

// attackerServer is a server the attacker controls. Tokens point verifiers
// at it (jku, x5u, URLs in kid); a verifier must never contact it.
type attackerServer struct {
	*httptest.Server
	hits atomic.Int64
}

func startAttacker(t *testing.T, jwks []byte) *attackerServer {
	t.Helper()
	a := &attackerServer{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	t.Cleanup(a.Close)
	return a
}

// rawKey is a key pair the test holds: an attacker's, or a hand-written
// issuer's.
type rawKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

func newRSAKey(t testing.TB, kid string, bits int) *rawKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return &rawKey{kid: kid, alg: "RS256", priv: priv}
}

// jwk returns the public JWK, with extra members merged in.
func (k *rawKey) jwk(extra map[string]any) map[string]any {
	m := map[string]any{"kid": k.kid, "use": "sig", "alg": k.alg}
	switch pub := k.priv.Public().(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64.EncodeToString(pub.N.Bytes())
		m["e"] = b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		b, _ := pub.Bytes() // 04 || x || y
		size := (len(b) - 1) / 2
		m["kty"], m["crv"] = "EC", pub.Curve.Params().Name
		m["x"], m["y"] = b64.EncodeToString(b[1:1+size]), b64.EncodeToString(b[1+size:])
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64.EncodeToString(pub)
	}
	for name, v := range extra {
		m[name] = v
	}
	return m
}

// sign makes a compact JWS of header and claims (JSON texts or values)
// with RS256 or ES256 (fixed-width r||s).
func (k *rawKey) sign(t testing.TB, header, claims any) string {
	t.Helper()
	input := segment(t, header) + "." + segment(t, claims)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch priv := k.priv.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:])
	case *ecdsa.PrivateKey:
		var r, s *big.Int
		if r, s, err = ecdsa.Sign(rand.Reader, priv, digest[:]); err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	default:
		err = fmt.Errorf("cannot sign with %T", priv)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

// segment encodes a JSON text (string or []byte, as given) or a value.
func segment(t testing.TB, v any) string {
	switch x := v.(type) {
	case string:
		return b64.EncodeToString([]byte(x))
	case []byte:
		return b64.EncodeToString(x)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64.EncodeToString(j)
}

// newClient returns a client with its own transport, closed when the test
// ends, so that idle connections do not outlive it (goroutine counts).
func newClient(t testing.TB, timeout time.Duration) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// apiResult is one answer of the API.
type apiResult struct {
	status    int
	challenge string // WWW-Authenticate
	body      string
	err       error // transport error
	elapsed   time.Duration
}

// code is the challenge's error attribute ("" when absent).
func (r apiResult) code() string { return challengeParam(r.challenge, "error") }

// description is the challenge's error_description.
func (r apiResult) description() string { return challengeParam(r.challenge, "error_description") }

var paramRE = regexp.MustCompile(`([a-z_]+)="([^"]*)"`)

func challengeParam(challenge, name string) string {
	for _, m := range paramRE.FindAllStringSubmatch(challenge, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	return ""
}

func call(c *http.Client, method, url string, header http.Header) apiResult {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return apiResult{err: err}
	}
	for k, vs := range header {
		req.Header[k] = append(req.Header[k], vs...)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return apiResult{err: err, elapsed: time.Since(start)}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return apiResult{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), body: string(body), elapsed: time.Since(start)}
}

func authz(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// settleGoroutines waits until the number of goroutines is back to at most
// before, and fails with a dump of the stacks if it is not within wait.
func settleGoroutines(t *testing.T, before int, wait time.Duration) {
	t.Helper()
	var n int
	if !poll.Until(wait, func() bool { n = runtime.NumGoroutine(); return n <= before }) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutine leak: %d goroutines, %d before the test\n%s", n, before, buf)
	}
}

// longTestsVar names the environment variable that runs the long tests
// (the soak). scripts/test sets it, so CI runs them; they also run whenever
// CI is set. Without either, a plain `go test ./...` skips them, saying so.
const longTestsVar = "RESOURCE_SERVER_LONG_TESTS"

// longTest skips t unless RESOURCE_SERVER_LONG_TESTS=1 or CI is set.
func longTest(t *testing.T, what string) {
	t.Helper()
	if os.Getenv(longTestsVar) != "1" && os.Getenv("CI") == "" {
		t.Skipf("%s: set %s=1 to run it (scripts/test and CI do)", what, longTestsVar)
	}
}

// containsAll reports whether s holds every part.
func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
