package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spaClientID is SPA_CLIENT_ID for both servers in the differential test, so
// that the cid rules are exercised.
const spaClientID = "spa-client"

// diffCase is one request sent to both the Express oracle and our server.
type diffCase struct {
	name    string
	method  string      // default GET
	path    string      // default /api/messages
	auth    []string    // Authorization header lines; nil: none
	header  http.Header // further request headers
	express int         // what the Express sample answers (checked: the oracle must stay faithful)
}

// deliberate lists the cases where we answer differently from the Express
// sample on purpose: our status, and why. A case not listed here must get
// the sample's status from us; a listed case must get exactly this one.
var deliberate = map[string]struct {
	ours   int
	reason string
}{
	"expired 10 s ago (inside the leeway)": {200, "we tolerate 30 s of clock skew between issuer and us (Config.Leeway); the Node verifier has none"},
	"no exp claim":                         {401, "a token without exp never expires; we require exp (RFC 9068 §2.2), the Node verifier accepts its absence"},
	"aud array containing api://default":   {200, "RFC 7519 allows aud to be an array and real issuers (Ory Hydra) always send one; the sample's assertClaims compares by strict equality"},
	"no cid, client_id = SPA_CLIENT_ID":    {200, "RFC 9068 names the client client_id (oidc-provider, Hydra); we accept it where Okta writes cid"},
	"lower-case bearer scheme":             {200, "the auth-scheme is case-insensitive (RFC 7235 §2.1, RFC 6750 §2.1); the sample's regex is case-sensitive"},
	"xxBearer prefix":                      {401, "the sample's unanchored /Bearer (.+)/ finds a token inside another scheme; we take only the Bearer scheme"},
	"two Authorization headers":            {400, "RFC 6750 §2: more than one credential is invalid_request; Node silently keeps the first"},
	"two spaces after Bearer":              {200, "RFC 6750 §2.1 (\"Bearer\" 1*SP b64token) allows one or more spaces; the sample passes \" <token>\" to the verifier"},
	"missing kid":                          {200, "kid is optional (RFC 7515 §4.1.4): we use the issuer's key when its set holds exactly one, and refuse when that is ambiguous; the Node verifier requires kid"},
	"token in the URL query":               {400, "a token in the URL leaks into logs (RFC 6750 §2.3, §5.3): we refuse it with invalid_request rather than ignore it"},
}

// diffCorpus builds the corpus against the forge's key.
func diffCorpus(t *testing.T, f *forge) []diffCase {
	now := time.Now().Unix()
	hdr := map[string]any{"kid": f.key.kid, "alg": "RS256"}
	claims := map[string]any{
		"ver": 1, "jti": "AT.interop-differential", "iss": f.issuer, "aud": "api://default",
		"iat": now - 60, "exp": now + 3600, "cid": spaClientID, "uid": "00uinterop",
		"scp": []string{"openid", "profile"}, "sub": "user@example.com",
	}
	sign := func(overrides map[string]any) string { return rs256(t, f.key.key, hdr, with(claims, overrides)) }
	valid := sign(nil)
	stranger := newRSAKey(t, "unknown-kid")
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }
	parts := strings.Split(valid, ".")

	return []diffCase{
		{name: "GET / (no token needed)", path: "/", express: 200},
		{name: "unknown path", path: "/no-such-route", auth: bearer(valid), express: 404},
		{name: "CORS preflight", method: http.MethodOptions, header: http.Header{
			"Origin": {"http://localhost:8080"}, "Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Headers": {"authorization"},
		}, express: 204},
		{name: "valid", auth: bearer(valid), express: 200},
		{name: "valid, /secure", path: "/secure", auth: bearer(valid), express: 200},
		{name: "no Authorization header", express: 401},
		{name: "expired 1 h ago", auth: bearer(sign(map[string]any{"iat": now - 7200, "exp": now - 3600})), express: 401},
		{name: "expired 10 s ago (inside the leeway)", auth: bearer(sign(map[string]any{"iat": now - 3600, "exp": now - 10})), express: 401},
		{name: "nbf 1 h ahead", auth: bearer(sign(map[string]any{"nbf": now + 3600})), express: 401},
		{name: "no exp claim", auth: bearer(sign(map[string]any{"exp": nil})), express: 200},
		{name: "wrong aud", auth: bearer(sign(map[string]any{"aud": "api://other"})), express: 401},
		{name: "aud array containing api://default", auth: bearer(sign(map[string]any{"aud": []string{"api://default", "api://other"}})), express: 401},
		{name: "wrong iss", auth: bearer(sign(map[string]any{"iss": "https://evil.example.com/oauth2/default"})), express: 401},
		{name: "wrong cid", auth: bearer(sign(map[string]any{"cid": "other-client"})), express: 401},
		{name: "no cid, client_id = SPA_CLIENT_ID", auth: bearer(sign(map[string]any{"cid": nil, "client_id": spaClientID})), express: 401},
		{name: "no cid, no client_id", auth: bearer(sign(map[string]any{"cid": nil})), express: 401},
		{name: "unknown kid", auth: bearer(rs256(t, stranger.key, map[string]any{"kid": stranger.kid, "alg": "RS256"}, claims)), express: 401},
		{name: "missing kid", auth: bearer(rs256(t, f.key.key, map[string]any{"alg": "RS256"}, claims)), express: 401},
		{name: "bad signature", auth: bearer(flipSignature(t, valid)), express: 401},
		{name: "alg none", auth: bearer(segment(t, map[string]any{"kid": f.key.kid, "alg": "none"}) + "." + parts[1] + "."), express: 401},
		{name: "HS256 keyed with the RSA public key", auth: bearer(hs256(t, f.publicPEM(t), map[string]any{"kid": f.key.kid, "alg": "HS256"}, claims)), express: 401},
		{name: "garbage token", auth: []string{"Bearer not-a-jwt"}, express: 401},
		{name: "Basic credentials", auth: []string{"Basic dXNlcjpwYXNz"}, express: 401},
		{name: "lower-case bearer scheme", auth: []string{"bearer " + valid}, express: 401},
		{name: "xxBearer prefix", auth: []string{"xxBearer " + valid}, express: 200},
		{name: "two Authorization headers", auth: []string{"Bearer " + valid, "Bearer " + valid}, express: 200},
		{name: "two spaces after Bearer", auth: []string{"Bearer  " + valid}, express: 401},
		{name: "token in the URL query", path: "/api/messages?access_token=" + valid, express: 401},
	}
}

// send makes c's request to base.
func send(t *testing.T, base string, c diffCase) response {
	t.Helper()
	method, path := c.method, c.path
	if method == "" {
		method = http.MethodGet
	}
	if path == "" {
		path = "/api/messages"
	}
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.auth != nil {
		req.Header["Authorization"] = c.auth
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, base+path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// diffRow is one line of the table.
type diffRow struct {
	c                 diffCase
	expressS, oursS   int
	expressB          string // the sample's body (its error message), shortened
	challenge, reason string
}

// TestExpressDifferential sends the same corpus to the Express sample
// (express-oracle.js with @okta/jwt-verifier) and to our server, both
// pointed at one issuer whose key the test holds, and compares the status
// codes. Run with -update to rewrite DIFFERENCES.md.
func TestExpressDifferential(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	f := startForge(t)

	oracleURL := startOracle(t, node, f.issuer, f.issuer+"/v1/keys", "SPA_CLIENT_ID="+spaClientID)

	rs := startResourceServer(t, f.issuer, "SPA_CLIENT_ID="+spaClientID)

	start := time.Now()
	var rows []diffRow
	for _, c := range diffCorpus(t, f) {
		e, o := send(t, oracleURL, c), send(t, rs.url, c)
		row := diffRow{c: c, expressS: e.status, oursS: o.status, challenge: challengeCell(o.header)}
		if e.status != 200 && e.status != 204 {
			body := strings.ReplaceAll(strings.TrimSpace(string(e.body)), f.issuer, "<issuer>")
			row.expressB = shorten(body, 100)
		}
		if d, ok := deliberate[c.name]; ok {
			row.reason = d.reason
		}
		rows = append(rows, row)
		t.Logf("%-40s express %d  ours %d %-28s express body %q", c.name, e.status, o.status, row.challenge, row.expressB)

		if e.status != c.express {
			t.Errorf("%s: the Express oracle answered %d, but the sample answers %d: the oracle is no longer faithful (%s)", c.name, e.status, c.express, e)
		}
		if d, ok := deliberate[c.name]; ok {
			if o.status != d.ours {
				t.Errorf("%s: listed as a deliberate difference with our status %d, got %s", c.name, d.ours, o)
			}
			if o.status == e.status {
				t.Errorf("%s: listed as a deliberate difference but both answer %d: remove it from the list", c.name, o.status)
			}
		} else if o.status != e.status {
			t.Errorf("%s: undocumented difference: Express %d, ours %s", c.name, e.status, o)
		}
		// Our refusals follow RFC 6750: every 401 carries a Bearer challenge.
		if o.status == http.StatusUnauthorized && !strings.HasPrefix(o.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: our 401 has no Bearer challenge: %s", c.name, o)
		}
		if c.name == "valid" {
			messagesOK(t, "express oracle", e)
			messagesOK(t, "resource server", o)
		}
	}
	timings.add(t, fmt.Sprintf("differential corpus (%d cases, both servers)", len(rows)), time.Since(start))
	for name := range deliberate {
		found := false
		for _, r := range rows {
			found = found || r.c.name == name
		}
		if !found {
			t.Errorf("deliberate difference %q names no case of the corpus", name)
		}
	}

	doc := differencesDoc(t, rows)
	path := filepath.Join(interopDir(t), "DIFFERENCES.md")
	if *update {
		if t.Failed() {
			t.Fatal("not rewriting DIFFERENCES.md: the test failed")
		}
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, doc) {
		t.Errorf("%s is missing or out of date: run `go test ./interop/ -run ExpressDifferential -update` in test/", path)
	}
}

func challengeCell(h http.Header) string {
	v := h.Get("WWW-Authenticate")
	switch {
	case v == "":
		return "—"
	case challengeError(h) != "":
		return "`" + challengeError(h) + "`"
	default:
		return "Bearer, no error"
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func describe(c diffCase) string {
	method, path := c.method, c.path
	if method == "" {
		method = "GET"
	}
	if path == "" {
		path = "/api/messages"
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i] + "?access_token=…"
	}
	s := method + " " + path
	switch len(c.auth) {
	case 0:
	case 1:
		scheme, _, _ := strings.Cut(c.auth[0], " ")
		s += ", `" + scheme + " …`"
	default:
		s += fmt.Sprintf(", %d Authorization headers", len(c.auth))
	}
	return s
}

// differencesDoc renders the table. It holds nothing that changes from run
// to run, so the file can be checked for staleness.
func differencesDoc(t *testing.T, rows []diffRow) []byte {
	var b bytes.Buffer
	lock := struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}{}
	if raw, err := os.ReadFile(filepath.Join(interopDir(t), "package-lock.json")); err == nil {
		_ = json.Unmarshal(raw, &lock)
	}
	ver := func(p string) string { return lock.Packages["node_modules/"+p].Version }

	fmt.Fprintf(&b, "# Our resource server beside the Express sample\n\n")
	fmt.Fprintf(&b, "Generated by `go test ./interop/ -run ExpressDifferential -update` (in `test/`); the test fails when this file is out of date.\n\n")
	fmt.Fprintf(&b, "The same requests go to the Express sample (`express-oracle.js`: express %s, cors %s, @okta/jwt-verifier %s, a faithful copy of Okta's `resource-server/server.js`) and to our `cmd/resource-server`, both configured with one issuer whose key the test holds (`ISSUER`, `SPA_CLIENT_ID=%s`, audience `api://default`). ", ver("express"), ver("cors"), ver("@okta/jwt-verifier"), spaClientID)
	fmt.Fprintf(&b, "Tokens are crafted by the test. The test fails on any difference in status that is not listed with a reason below, and on a listed difference that no longer occurs.\n\n")
	fmt.Fprintf(&b, "Beyond status codes: every 401 of ours carries an RFC 6750 `WWW-Authenticate: Bearer` challenge (its `error` is shown); the sample's 401s carry none and their body is Express's HTML page or the verifier's raw message.\n\n")
	same, diff := 0, 0
	fmt.Fprintf(&b, "| # | case | request | Express sample | ours | our challenge | same? | reason for the difference |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|\n")
	for i, r := range rows {
		mark := "same"
		if r.expressS != r.oursS {
			mark = "**different**"
			diff++
		} else {
			same++
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %d | %d | %s | %s | %s |\n", i+1, r.c.name, describe(r.c), r.expressS, r.oursS, r.challenge, mark, r.reason)
	}
	fmt.Fprintf(&b, "\n%d cases: %d answered alike, %d deliberately differently.\n", len(rows), same, diff)
	fmt.Fprintf(&b, "\nWhat the sample's verifier says, for reference (the body of its 401):\n\n")
	for _, r := range rows {
		if r.expressB != "" && !strings.HasPrefix(r.expressB, "<!DOCTYPE") {
			fmt.Fprintf(&b, "- %s: `%s`\n", r.c.name, strings.ReplaceAll(r.expressB, "`", "'"))
		}
	}
	return b.Bytes()
}
