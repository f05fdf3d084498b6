package main

// Secure defaults: no token or secret in the logs even at debug level,
// and /secure switched off by SECURE_ROUTE=false. The HTTP server's
// timeouts and header limit are internal/server's TestHTTPServerLimits.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/internal/poll"
)

func send(t *testing.T, method, u string, header http.Header) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// secrets lists what must never reach the log: each token whole, its
// signature, and the given secrets.
func assertNotLogged(t *testing.T, log string, tokens, secrets []string) {
	t.Helper()
	for _, tok := range tokens {
		if strings.Contains(log, tok) {
			t.Errorf("the log holds a token: %.40s…", tok)
		}
		if parts := strings.Split(tok, "."); len(parts) == 3 && len(parts[2]) > 16 && strings.Contains(log, parts[2]) {
			t.Errorf("the log holds a token's signature: %.40s…", parts[2])
		}
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log holds the secret %q", s)
		}
	}
}

// waitAccessLogged waits until the program's JSON log holds an access line
// ("request") for each request sent, given as "METHOD /path", and returns
// the log. The line is written when the handler returns, which may be after
// the client has read the answer.
func waitAccessLogged(t *testing.T, logs *logtest.Buffer, sent ...string) string {
	t.Helper()
	var out string
	var missing []string
	if !poll.Until(5*time.Second, func() bool { out = logs.String(); missing = notLogged(out, sent); return len(missing) == 0 }) {
		t.Fatalf("not in the access log within 5s: %q\n%s", missing, out)
	}
	return out
}

// notLogged returns the requests of sent that have no access line in log.
func notLogged(log string, sent []string) []string {
	lines := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		var rec struct{ Msg, Method, Path string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" {
			lines[rec.Method+" "+rec.Path]++
		}
	}
	var missing []string
	for _, s := range sent {
		if lines[s] > 0 {
			lines[s]--
		} else {
			missing = append(missing, s)
		}
	}
	return missing
}

func TestNoTokenInLogs(t *testing.T) {
	iss, api, logs := runAgainstIssuer(t, map[string]string{"LOG_LEVEL": "debug", "LOG_FORMAT": "json"})

	mint := func(over map[string]any) string {
		tok, err := iss.Issuer.MintAccessToken(over)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	sign := func(header map[string]any) string {
		tok, err := iss.Issuer.Sign(header, iss.Issuer.AccessTokenClaims())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := mint(nil)
	noJTI := mint(map[string]any{"jti": nil})
	expired := mint(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	otherAud := mint(map[string]any{"aud": "api://other"})
	noScope := mint(map[string]any{"scp": nil, "scope": nil})
	unknownKID := sign(map[string]any{"kid": "no-such-key"})
	kidIsToken := sign(map[string]any{"kid": valid}) // a token smuggled into the kid
	none := sign(map[string]any{"alg": "none"})
	forged := valid[:strings.LastIndexByte(valid, '.')+1] + strings.Repeat("A", 342)
	if _, err := iss.Issuer.RotateKey(); err != nil {
		t.Fatal(err)
	}
	rotated := mint(nil)
	tokens := []string{valid, noJTI, expired, otherAud, noScope, unknownKID, kidIsToken, none, forged, rotated}

	cases := []struct {
		path   string
		header http.Header
		want   int
	}{
		{"/api/messages", http.Header{"Authorization": {"Bearer " + valid}}, 200},
		{"/secure", http.Header{"Authorization": {"Bearer " + valid}}, 200},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + noJTI}}, 200},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + rotated}}, 200},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + expired}}, 401},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + otherAud}}, 401},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + unknownKID}}, 401},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + kidIsToken}}, 401},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + none}}, 401},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + forged}}, 401},
		{"/api/messages", http.Header{"Authorization": {"bearer\t" + valid}}, 400},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + valid + "!"}}, 400},
		{"/api/messages", http.Header{"Authorization": {"Bearer " + valid, "Bearer " + expired}}, 400},
		{"/api/messages?access_token=" + valid, nil, 400},
		{"/nope/" + noScope, nil, 404},
		{"/api/messages", http.Header{"Authorization": {"Basic " + noScope}}, 401},
	}
	var sent []string
	for _, c := range cases {
		if got := send(t, "GET", api+c.path, c.header); got != c.want {
			t.Errorf("GET %.60s: %d, want %d", c.path, got, c.want)
		}
		path, _, _ := strings.Cut(c.path, "?")
		sent = append(sent, "GET "+path)
	}
	out := waitAccessLogged(t, logs, sent...)
	// The request path is the client's own; a token put in a path segment
	// is a client's mistake that the access log shows like any path.
	out = strings.ReplaceAll(out, "/nope/"+noScope, "/nope/…")
	assertNotLogged(t, out, tokens, nil)

	// Debug logging was on, and refusals name the token by its jti or a
	// hash, which is how a refusal is traced without the token.
	var sawDebug, sawID, sawHash bool
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %s", line)
		}
		sawDebug = sawDebug || rec["level"] == "DEBUG"
		sawID = sawID || rec["token_id"] != nil
		sawHash = sawHash || rec["token_sha256"] != nil
	}
	if !sawDebug || !sawHash {
		t.Errorf("want debug lines and refusals with token_sha256 (debug %v, jti %v, hash %v):\n%s", sawDebug, sawID, sawHash, out)
	}
}

func TestNoSecretInDevModeLogs(t *testing.T) {
	t.Chdir(t.TempDir())
	port, webPort := freePort(t), freePort(t)
	api := "http://localhost:" + strconv.Itoa(port)
	const password = "s3cret-pa55word-for-the-log-test"
	_, logs := startRun(t, []string{"--dev", "--port", strconv.Itoa(port), "--frontend-port", strconv.Itoa(webPort)},
		map[string]string{"LOG_LEVEL": "debug", "LOG_FORMAT": "json", "DEV_PASSWORD": password}, api+"/readyz")
	issuer := api + devissuer.DefaultIssuerPath

	// A token by the client-credentials grant, then used and misused.
	tok := clientCredentialsToken(t, issuer+"/v1/token", devissuer.DefaultClientID, devissuer.DefaultClientSecret)
	if tok == "" {
		t.Fatal("no access token")
	}
	if got := send(t, "GET", api+"/api/messages", http.Header{"Authorization": {"Bearer " + tok}}); got != 200 {
		t.Errorf("dev token: %d", got)
	}
	send(t, "GET", api+"/api/messages", http.Header{"Authorization": {"Bearer " + tok + "x"}})
	// A wrong client secret, and a sign-in form carrying the password.
	const wrongSecret = "wrong-client-secret-for-the-log-test"
	if resp, err := http.PostForm(issuer+"/v1/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {devissuer.DefaultClientID}, "client_secret": {wrongSecret}}); err == nil {
		resp.Body.Close()
	}
	if resp, err := http.PostForm(issuer+"/v1/authorize", url.Values{"request_id": {"bogus"},
		"username": {devissuer.DefaultUsername}, "password": {password}}); err == nil {
		resp.Body.Close()
	}
	out := waitAccessLogged(t, logs, "POST "+devissuer.DefaultIssuerPath+"/v1/token", "GET /api/messages", "GET /api/messages",
		"POST "+devissuer.DefaultIssuerPath+"/v1/token", "POST "+devissuer.DefaultIssuerPath+"/v1/authorize")
	assertNotLogged(t, out, []string{tok}, []string{password, devissuer.DefaultClientSecret, wrongSecret})
}

func TestSecureRouteSwitchedOff(t *testing.T) {
	iss, api, _ := runAgainstIssuer(t, map[string]string{"SECURE_ROUTE": "false"})
	tok, _ := iss.Issuer.MintAccessToken(nil)
	h := http.Header{"Authorization": {"Bearer " + tok}}
	if got := send(t, "GET", api+"/secure", h); got != 404 {
		t.Errorf("/secure with SECURE_ROUTE=false: %d", got)
	}
	if got := send(t, "GET", api+"/api/messages", h); got != 200 {
		t.Errorf("/api/messages: %d", got)
	}
}
