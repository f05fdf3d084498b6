package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tokenKind names the token a case sends; the tokens themselves depend on
// who checks them (the program: real signed tokens; the stub: fixed words).
type tokenKind int

const (
	noToken      tokenKind = iota
	validToken             // sub alice, orders:read, no realm_access claim
	rolesToken             // the same with realm_access.roles [reader writer]
	noScopeToken           // sub alice, without orders:read
	foreignToken           // signed by an issuer not trusted
	garbageToken           // not a JWT at all
)

func (k tokenKind) header(tk tokens) string {
	switch k {
	case validToken:
		return "Bearer " + tk.valid
	case rolesToken:
		return "Bearer " + tk.roles
	case noScopeToken:
		return "Bearer " + tk.noScope
	case foreignToken:
		return "Bearer " + tk.foreign
	case garbageToken:
		return "Bearer not-a-jwt"
	}
	return ""
}

// frontCase is one request through a front door (the gateway itself, or a
// proxy asking the forward-auth endpoint) and what must come of it.
type frontCase struct {
	name    string
	method  string
	target  string // path and query
	token   tokenKind
	spoof   http.Header // claim headers the client sends of its own (forged, forgedSubject)
	status  int         // what the client gets
	errCode string      // the error of the Bearer challenge of a 401/403 ("" none)
	subject string      // the X-Auth-Subject the application sees ("" none)
	roles   string      // the X-Auth-Roles the application sees ("" none)
}

// Claim headers a client sends of its own, hoping the application takes
// them for the gateway's: those of gateway.yaml, and of gateway-min.yaml
// (which sets no X-Auth-Roles, so that the gateway leaves a client's copy
// alone, and the proxies' snippets remove it).
var (
	forged        = http.Header{"X-Auth-Subject": {spoofed}, "X-Auth-Roles": {"admin"}}
	forgedSubject = http.Header{"X-Auth-Subject": {spoofed}}
)

// frontCases are the same for every front door: the gateway, nginx
// auth_request, Caddy forward_auth and Traefik ForwardAuth.
var frontCases = []frontCase{
	{name: "public route without a token", method: "GET", target: "/public/page?x=1", status: 200},
	{name: "public route: client's claim headers never reach the application", method: "GET", target: "/public/page", spoof: forged, status: 200},
	{name: "public route: a bad token is not looked at", method: "GET", target: "/public/page", token: garbageToken, spoof: forged, status: 200},
	{name: "protected route without a token", method: "GET", target: "/orders/7", status: 401},
	{name: "protected route, token of an issuer not trusted", method: "GET", target: "/orders/7", token: foreignToken, status: 401, errCode: "invalid_token"},
	{name: "protected route, not a JWT", method: "GET", target: "/orders/7", token: garbageToken, status: 401, errCode: "invalid_token"},
	{name: "protected route, valid token", method: "GET", target: "/orders/7?expand=items", token: validToken, status: 200, subject: subject},
	{name: "protected route: client's claim headers replaced, or removed when the claim is absent", method: "GET", target: "/orders/7", token: validToken, spoof: forged, status: 200, subject: subject},
	{name: "protected route, array claim joined", method: "GET", target: "/orders/7", token: rolesToken, spoof: forged, status: 200, subject: subject, roles: roles},
	{name: "protected route, scope missing", method: "GET", target: "/orders/7", token: noScopeToken, status: 403, errCode: "insufficient_scope"},
	{name: "no route matches", method: "GET", target: "/nowhere", token: validToken, status: 404},
	{name: "no route matches, without a token", method: "GET", target: "/nowhere", status: 404},
}

// downCases are the cases when the issuer's keys cannot be had.
var downCases = []frontCase{
	{name: "issuer down: public route still served", method: "GET", target: "/public/page", spoof: forged, status: 200},
	{name: "issuer down: protected route 503", method: "GET", target: "/orders/7", token: validToken, spoof: forged, status: 503},
}

// echo is what testdata/upstream.py answers.
type echo struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Headers map[string][]string `json:"headers"` // lower-case names
}

// runCases sends each case to base, with the tokens tk, as a subtest.
func runCases(t *testing.T, base string, tk tokens, cases []frontCase) {
	t.Helper()
	client := &http.Client{Timeout: requestTimeout}
	defer client.CloseIdleConnections() // so the program's shutdown need not wait for them
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, base+c.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			if h := c.token.header(tk); h != "" {
				req.Header.Set("Authorization", h)
			}
			for name, values := range c.spoof {
				req.Header[name] = values
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			challenge := res.Header.Get("WWW-Authenticate")
			if res.StatusCode != c.status {
				t.Fatalf("%s %s: %s (WWW-Authenticate %q) %.300s, want %d", c.method, c.target, res.Status, challenge, body, c.status)
			}
			switch c.status {
			case 401, 403:
				if !strings.HasPrefix(challenge, "Bearer ") && challenge != "Bearer" {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", challenge)
				}
				if got := errorCode(challenge); got != c.errCode {
					t.Errorf("WWW-Authenticate %q: error %q, want %q", challenge, got, c.errCode)
				}
			case 200:
				checkEcho(t, c, body)
			}
		})
	}
}

// checkEcho checks what the application saw of an admitted request.
func checkEcho(t *testing.T, c frontCase, body []byte) {
	t.Helper()
	var e echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not the application's echo: %v: %.300s", err, body)
	}
	want, _ := url.Parse(c.target)
	if e.Method != c.method || e.Path != want.Path || e.Query != want.RawQuery {
		t.Errorf("the application saw %s %s?%s, want %s %s?%s", e.Method, e.Path, e.Query, c.method, want.Path, want.RawQuery)
	}
	for _, h := range []struct{ name, want string }{{"x-auth-subject", c.subject}, {"x-auth-roles", c.roles}} {
		got := e.Headers[h.name]
		switch {
		case h.want == "" && len(got) > 0:
			t.Errorf("the application saw %s %q, want none", h.name, got)
		case h.want != "" && (len(got) != 1 || got[0] != h.want):
			t.Errorf("the application saw %s %q, want [%q]", h.name, got, h.want)
		}
	}
}

// TestThroughTheGateway: the program proxies to the application itself.
func TestThroughTheGateway(t *testing.T) {
	for _, down := range []bool{false, true} {
		t.Run(state(down), func(t *testing.T) {
			app := startUpstream(t)
			prog, tk := startProgram(t, gatewayYAML, app, down)
			runCases(t, prog.URL, tk, casesFor(down))
		})
	}
}

// frontDoor is a proxy that asks a forward-auth endpoint, started with its
// README snippet.
type frontDoor struct {
	name  string
	start func(t *testing.T, authAddr, appAddr string) string
}

// proxies are the front doors: nginx and Caddy always (Debian packages,
// installed by scripts/test); Traefik, which is no Debian package and takes
// about 11 minutes to build here, only when $TRAEFIK or $PATH has it —
// otherwise TestForwardAuthEndpoint sends /_auth the headers Traefik
// documents instead, and no Traefik row exists to be skipped.
func proxies() []frontDoor {
	doors := []frontDoor{{"nginx auth_request", startNginx}, {"Caddy forward_auth", startCaddy}}
	if traefikBinary() != "" {
		doors = append(doors, frontDoor{"Traefik ForwardAuth", startTraefik})
	}
	return doors
}

// authorities answer the proxies' forward-auth requests: the program's
// /_auth, and a stub that answers as it is planned to, so that the
// snippets are tested on their own as well.
var authorities = []struct {
	name  string
	start func(t *testing.T, app *upstream, down bool) (addr string, tk tokens)
}{
	{"resource-server", func(t *testing.T, app *upstream, down bool) (string, tokens) {
		prog, tk := startProgram(t, gatewayYAML, app, down)
		return prog.Addr, tk
	}},
	{"stub", func(t *testing.T, _ *upstream, down bool) (string, tokens) { return startStubAuth(t, down) }},
}

// TestThroughProxies: the same cases through nginx, Caddy and Traefik in
// front of the forward-auth endpoint give the same answers as the gateway.
func TestThroughProxies(t *testing.T) {
	for _, proxy := range proxies() {
		for _, auth := range authorities {
			for _, down := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/%s", proxy.name, auth.name, state(down)), func(t *testing.T) {
					app := startUpstream(t)
					authAddr, tk := auth.start(t, app, down)
					front := proxy.start(t, authAddr, app.Addr)
					runCases(t, front, tk, casesFor(down))
				})
			}
		}
	}
}

func state(down bool) string {
	if down {
		return "issuer down"
	}
	return "issuer up"
}

func casesFor(down bool) []frontCase {
	if down {
		return downCases
	}
	return frontCases
}

// TestForwardAuthEndpoint asks the program's /_auth directly, with exactly
// the headers each proxy sends: nginx (as the README's snippet sets them),
// Traefik ForwardAuth (X-Forwarded-Method, -Proto, -Host, -Uri, -For, as
// its documentation lists them) and Caddy forward_auth. The claim headers
// are in the answer, for the proxy to copy.
func TestForwardAuthEndpoint(t *testing.T) {
	app := startUpstream(t)
	prog, tk := startProgram(t, gatewayYAML, app, false)
	styles := []struct {
		name    string
		headers func(method, uri string) http.Header
	}{
		{"nginx", func(method, uri string) http.Header {
			return http.Header{"X-Original-Method": {method}, "X-Original-Uri": {uri}, "X-Forwarded-Host": {"app.example.com"}, "X-Forwarded-Proto": {"https"}}
		}},
		{"Traefik", func(method, uri string) http.Header {
			return http.Header{"X-Forwarded-Method": {method}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"app.example.com"},
				"X-Forwarded-Uri": {uri}, "X-Forwarded-For": {"192.0.2.1"}}
		}},
		{"Caddy", func(method, uri string) http.Header {
			return http.Header{"X-Forwarded-Method": {method}, "X-Forwarded-Uri": {uri}, "X-Forwarded-For": {"192.0.2.1"},
				"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"app.example.com"}}
		}},
	}
	cases := []struct {
		name           string
		method, uri    string
		token          tokenKind
		status         int
		errCode        string
		subject, roles string
		wantChallenge  bool
	}{
		{name: "public", method: "GET", uri: "/public/a?b=c", status: 200},
		{name: "valid token", method: "GET", uri: "/orders/7?expand=items", token: validToken, status: 200, subject: subject},
		{name: "array claim joined", method: "GET", uri: "/orders/7", token: rolesToken, status: 200, subject: subject, roles: roles},
		{name: "no token", method: "GET", uri: "/orders/7", status: 401, wantChallenge: true},
		{name: "foreign token", method: "GET", uri: "/orders/7", token: foreignToken, status: 401, errCode: "invalid_token", wantChallenge: true},
		{name: "scope missing", method: "GET", uri: "/orders/7", token: noScopeToken, status: 403, errCode: "insufficient_scope", wantChallenge: true},
		{name: "no route", method: "GET", uri: "/nowhere", token: validToken, status: 404},
	}
	client := &http.Client{Timeout: requestTimeout}
	defer client.CloseIdleConnections()
	for _, style := range styles {
		for _, c := range cases {
			t.Run(style.name+"/"+c.name, func(t *testing.T) {
				req, err := http.NewRequest("GET", prog.URL+"/_auth", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header = style.headers(c.method, c.uri)
				if h := c.token.header(tk); h != "" {
					req.Header.Set("Authorization", h)
				}
				req.Header.Set("X-Auth-Subject", spoofed) // must not come back
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
				res.Body.Close()
				challenge := res.Header.Get("WWW-Authenticate")
				if res.StatusCode != c.status {
					t.Fatalf("%s %s: %s (WWW-Authenticate %q) %.300s, want %d", c.method, c.uri, res.Status, challenge, body, c.status)
				}
				if c.wantChallenge && !strings.HasPrefix(challenge, "Bearer") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", challenge)
				}
				if got := errorCode(challenge); got != c.errCode {
					t.Errorf("WWW-Authenticate %q: error %q, want %q", challenge, got, c.errCode)
				}
				if got := res.Header.Values("X-Auth-Subject"); strings.Join(got, ",") != c.subject {
					t.Errorf("answer's X-Auth-Subject %q, want %q", got, c.subject)
				}
				if got := res.Header.Values("X-Auth-Roles"); strings.Join(got, ",") != c.roles {
					t.Errorf("answer's X-Auth-Roles %q, want %q", got, c.roles)
				}
			})
		}
	}
}
