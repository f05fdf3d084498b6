package config

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/gateway"
)

// namedHandler is a comparable http.Handler, so that reflect.DeepEqual can
// tell which one a gateway.Route holds.
type namedHandler string

func (namedHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

// testHandlers are the built-in handlers GatewayRoutes is given.
var testHandlers = map[string]http.Handler{"welcome": namedHandler("welcome"), "messages": namedHandler("messages"), "secure": namedHandler("secure")}

// TestRoutesExample: the task's example file (testdata/routes-example.yaml),
// comments and all, loads and converts verbatim into the gateway's table.
func TestRoutesExample(t *testing.T) {
	t.Parallel()
	c, err := Load([]string{"--config=testdata/routes-example.yaml"}, envOf(map[string]string{"ISSUER": okIssuer}), ".")
	if err != nil {
		t.Fatal(err)
	}
	if c.ForwardAuthPath != "/_auth" || c.Source("FORWARD_AUTH_PATH").Line != 1 {
		t.Errorf("ForwardAuthPath = %q from %+v", c.ForwardAuthPath, c.Source("FORWARD_AUTH_PATH"))
	}
	got, err := c.GatewayRoutes(testHandlers)
	if err != nil {
		t.Fatal(err)
	}
	upstream := &url.URL{Scheme: "http", Host: "127.0.0.1:9000"}
	want := []gateway.Route{
		{Match: "GET /orders/{id}", Upstream: upstream, Scopes: []string{"orders:read"}, Timeout: 10 * time.Second,
			Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub", Separator: ","}, {Name: "X-Auth-Roles", Claim: "/realm_access/roles", Separator: " "}}},
		{Match: "/public/", Upstream: upstream, Public: true, Scopes: []string{}, PreserveHost: true, Timeout: gateway.DefaultTimeout},
		{Match: "GET /api/messages", Handler: namedHandler("messages"), AnyScopes: []string{"messages:read", "admin"},
			AssertClaims: map[string]any{"groups.includes": "admins"}, Timeout: gateway.DefaultTimeout},
	}
	// /public/ sets no scopes: nil, not the empty list.
	want[1].Scopes = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GatewayRoutes =\n%#v\nwant\n%#v", got, want)
	}
	sources := map[string]int{"match": 11, "auth": 13}
	for key, line := range sources {
		if src := c.Routes[1].Source(key); src.Kind != SourceFile || src.Line != line || src.Name != "routes[1]."+key {
			t.Errorf("Routes[1].Source(%s) = %+v, want line %d", key, src, line)
		}
	}
	if src := c.Routes[1].Source("timeout"); src.Kind != SourceDefault {
		t.Errorf("Routes[1].Source(timeout) = %+v, want the default", src)
	}
}

// routeCase is a case of TestRoutesRefused.
type routeCase struct {
	name  string
	file  string // after "routes:\n"
	env   map[string]string
	field string
	wants []string
}

// okRoute is a valid entry, to put a bad one beside.
const okRoute = "  - match: GET /orders/{id}\n    upstream: http://127.0.0.1:9000\n"

// routeCases are TestRoutesRefused's cases: each names the entry's key, the
// file and line, and the fix.
func routeCases() []routeCase {
	const f = "resource-server.yaml:"
	return []routeCase{
		{"no match", "  - upstream: http://x\n", nil, "routes[0].match", []string{"(from routes[0] in ", f + "2) is not set", "- match: GET /orders/{id}"}},
		{"not a pattern", "  - match: GET /orders/{id\n    upstream: http://x\n", nil, "routes[0].match",
			[]string{`routes[0].match "GET /orders/{id" (from routes[0].match in `, f + "2) is not a ServeMux pattern (at offset 12: bad wildcard segment (must end with '}'))", "write [METHOD ][HOST]/PATH"}},
		{"no path", "  - match: orders\n    upstream: http://x\n", nil, "routes[0].match", []string{"missing /", "write [METHOD ][HOST]/PATH"}},
		{"lower-case method", "  - match: get /x\n    upstream: http://x\n", nil, "routes[0].match", []string{`has the method "get", not in upper case`, "write GET /x"}},
		{"method without space", "  - match: GET/x\n    upstream: http://x\n", nil, "routes[0].match", []string{`has the host "GET"`, "write GET /x"}},
		{"twice the same match", okRoute + okRoute, nil, "routes[1].match", []string{f + "4) is listed twice, as routes[0].match (line 2) too", "merge"}},
		{"conflict", okRoute + "  - match: /orders/latest\n    upstream: http://x\n", nil, "routes[1].match",
			[]string{f + `4) conflicts with routes[0].match "GET /orders/{id}" (line 2): /orders/latest matches more methods than GET /orders/{id}, but has a more specific path pattern`, "make one of them more specific"}},
		{"same requests", okRoute + "  - match: GET /orders/{n}\n    upstream: http://x\n", nil, "routes[1].match", []string{"(line 2): GET /orders/{n} matches the same requests as GET /orders/{id}"}},
		{"forward-auth path", "  - match: POST /_auth\n    upstream: http://x\n", nil, "routes[0].match", []string{`takes the forward-auth endpoint's path, FORWARD_AUTH_PATH "/_auth" (default)`, "FORWARD_AUTH_PATH (or --forward-auth-path"}},
		{"the program's own route", "  - match: GET /healthz\n    upstream: http://x\n", nil, "routes[0].match",
			[]string{`conflicts with the program's own route "GET /healthz"`}},
		{"across the program's own routes", "  - match: HEAD /{name}\n    upstream: http://x\n", nil, "routes[0].match",
			[]string{`conflicts with the program's own route "GET /healthz"`}},
		{"forward-auth path, set", "  - match: GET /verify\n    upstream: http://x\n", map[string]string{"FORWARD_AUTH_PATH": "/verify"}, "routes[0].match",
			[]string{`takes the forward-auth endpoint's path, FORWARD_AUTH_PATH "/verify" (FORWARD_AUTH_PATH)`}},
		{"upstream and handler", okRoute + "    handler: messages\n", nil, "routes[0].handler", []string{f + "4) is set together with upstream (routes[0].upstream in ", "keep one"}},
		{"neither", "  - match: /x\n", nil, "routes[0].upstream", []string{f + "2) is not set, nor is handler", "handler: one of welcome, messages, secure"}},
		{"ftp upstream", "  - match: /x\n    upstream: ftp://h/\n", nil, "routes[0].upstream", []string{f + "3) is not an http(s) URL", "e.g. upstream: http://127.0.0.1:9000"}},
		{"upstream query", "  - match: /x\n    upstream: http://h/?a=1\n", nil, "routes[0].upstream", []string{"has a query"}},
		{"upstream fragment", "  - match: /x\n    upstream: http://h/#top\n", nil, "routes[0].upstream", []string{"has a fragment"}},
		{"upstream user", "  - match: /x\n    upstream: http://u:p@h/\n", nil, "routes[0].upstream", []string{"holds a user name or password"}},
		{"upstream without host", "  - match: /x\n    upstream: http:///api\n", nil, "routes[0].upstream", []string{"has no host"}},
		{"relative upstream", "  - match: /x\n    upstream: /api\n", nil, "routes[0].upstream", []string{"is not an absolute URL"}},
		{"handler typo", "  - match: /x\n    handler: mesages\n", nil, "routes[0].handler", []string{f + "3) is not a built-in handler: did you mean messages? Write handler: messages"}},
		{"handler with timeout", "  - match: /x\n    handler: welcome\n    timeout: 5s\n", nil, "routes[0].timeout", []string{"is set on a route served by a handler", "applies to an upstream only"}},
		{"auth typo", okRoute + "    auth: tokn\n", nil, "routes[0].auth", []string{f + "4) is neither token nor none: did you mean token?"}},
		{"public with scopes", okRoute + "    auth: none\n    scopes: [a]\n", nil, "routes[0].scopes", []string{f + "5) is set on a public route (auth: none)", "remove scopes"}},
		{"public with headers", okRoute + "    auth: none\n    headers: {X-Sub: /sub}\n", nil, "routes[0].headers", []string{"is set on a public route"}},
		{"bad scope", okRoute + "    any_scopes: [\"a\\\"b\"]\n", nil, "routes[0].any_scopes", []string{f + "4) is not a scope token", "without spaces, quotes or backslashes"}},
		{"claims list without includes", okRoute + "    assert_claims: {groups: [a]}\n", nil, "routes[0].assert_claims", []string{f + "4) asserts a list on line 4", "groups.includes"}},
		{"claim asserted null", okRoute + "    assert_claims: {cid: ~}\n", nil, "routes[0].assert_claims", []string{`routes[0].assert_claims "cid" (from routes[0].assert_claims in `, "is not a claim value"}},
		{"header name", okRoute + "    headers:\n      X Sub: /sub\n", nil, "routes[0].headers.X Sub", []string{f + "5) is not a header name"}},
		{"reserved header", okRoute + "    headers:\n      authorization: /sub\n", nil, "routes[0].headers.authorization", []string{"carries the client's credentials", "choose a header of your own"}},
		{"header twice", okRoute + "    headers:\n      X-Sub: /sub\n      x-sub: /sub\n", nil, "routes[0].headers.x-sub", []string{f + "6) is set twice in this route, as X-Sub (line 5) too"}},
		{"claim without slash", okRoute + "    headers: {X-Sub: sub}\n", nil, "routes[0].headers.X-Sub", []string{"does not start with /: did you mean /sub?"}},
		{"claim bad escape", okRoute + "    headers: {X-Sub: /a~2b}\n", nil, "routes[0].headers.X-Sub", []string{"holds a ~ that is not ~0 or ~1"}},
		{"no claim", okRoute + "    headers: {X-Sub: {separator: \";\"}}\n", nil, "routes[0].headers.X-Sub", []string{"has no claim"}},
		{"separator line break", okRoute + "    headers: {X-Sub: {claim: /sub, separator: \"\\n\"}}\n", nil, "routes[0].headers.X-Sub", []string{"holding a control character"}},
		{"header key typo", okRoute + "    headers: {X-Sub: {claim: /sub, seperator: \";\"}}\n", nil, "routes[0].headers.X-Sub", []string{`has the unknown key "seperator" on line 4: did you mean separator?`}},
		{"headers a list", okRoute + "    headers: [X-Sub]\n", nil, "routes[0].headers", []string{"is not a mapping of header names to claims"}},
		{"timeout zero", okRoute + "    timeout: 0s\n", nil, "routes[0].timeout", []string{f + "4) is not positive", "e.g. timeout: 10s"}},
		{"timeout not a duration", okRoute + "    timeout: soon\n", nil, "routes[0].timeout", []string{f + "4) is not a duration"}},
		{"pass_authorization not a boolean", okRoute + "    pass_authorization: maybe\n", nil, "routes[0].pass_authorization", []string{"is not a boolean"}},
		{"preserve_host not a boolean", okRoute + "    preserve_host: client\n", nil, "routes[0].preserve_host", []string{"is not a boolean", "e.g. preserve_host: false"}},
		{"handler with preserve_host", "  - match: /x\n    handler: welcome\n    preserve_host: true\n", nil, "routes[0].preserve_host", []string{"is set on a route served by a handler"}},
		{"unknown key", okRoute + "    upstrem: http://x\n", nil, "--config", []string{`has the unknown key "upstrem" on line 4, in routes[0]: did you mean upstream? Rename it to upstream`}},
		{"key twice", okRoute + "    match: /y\n", nil, "routes[0].match", []string{"is set twice, on lines 2 and 4"}},
		{"entry not a mapping", "  - GET /x\n", nil, "routes[0]", []string{f + "2) is not a mapping"}},
		{"forward_auth_path without slash", okRoute, map[string]string{"FORWARD_AUTH_PATH": "auth"}, "FORWARD_AUTH_PATH", []string{"does not start with /", "a plain path"}},
		{"forward_auth_path with query", okRoute, map[string]string{"FORWARD_AUTH_PATH": "/auth?x"}, "FORWARD_AUTH_PATH", []string{"has a query or fragment"}},
		{"REQUIRED_SCOPES beside routes", okRoute, map[string]string{"REQUIRED_SCOPES": "a"}, "REQUIRED_SCOPES", []string{"is set together with the routes: list (routes in ", "give each route its own scopes"}},
		{"SECURE_ROUTE off with the secure handler", "  - match: GET /secure\n    handler: secure\n", map[string]string{"SECURE_ROUTE": "false"}, "SECURE_ROUTE",
			[]string{"is set together with routes[0].handler secure (routes[0].handler in "}},
	}
}

// TestRoutesRefused: each refusal of the routes: list names the entry's
// key, the file and line, and the fix.
func TestRoutesRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range routeCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"ISSUER": okIssuer}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := Load([]string{"--config=resource-server.yaml"}, envOf(env), writeYAML(t, "routes:\n"+tt.file))
			wantRefusal(t, err, tt.field, tt.wants)
		})
	}
}

// wantRefusal fails t unless err has an *Error on field and its text holds
// each of wants.
func wantRefusal(t *testing.T, err error, field string, wants []string) {
	t.Helper()
	if !hasField(err, field) {
		t.Fatalf("error %v, want one on %s", err, field)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not contain %q", err, w)
		}
	}
}

// TestRoutesListShape: the routes: key itself, and a routes key in the
// Express sample's JSON file, which has no place for one.
func TestRoutesListShape(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{"ISSUER": okIssuer})
	_, err := Load([]string{"--config=resource-server.yaml"}, env, writeYAML(t, "routes: []\n"))
	if !hasField(err, "routes") || !strings.Contains(err.Error(), "is an empty list") {
		t.Errorf("empty list: %v", err)
	}
	_, err = Load([]string{"--config=resource-server.yaml"}, env, writeYAML(t, "routes: /x\n"))
	if !hasField(err, "routes") || !strings.Contains(err.Error(), "resource-server.yaml:1) is not a list") {
		t.Errorf("not a list: %v", err)
	}
	_, err = Load([]string{"--config=resource-server.yaml"}, env, writeYAML(t, "route:\n"+okRoute))
	if !strings.Contains(fmtErr(err), `unknown key "route" on line 1: did you mean routes?`) {
		t.Errorf("typo: %v", err)
	}
	dir := t.TempDir()
	writeConfig(t, dir, `{"resourceServer":{"oidc":{"issuer":"`+okIssuer+`"}},"routes":[{"match":"/x"}]}`)
	_, err = Load(nil, nil, dir)
	var e *Error
	if !errors.As(err, &e) || e.Field != "--config" || !strings.Contains(err.Error(), `has a "routes" key, which only a YAML configuration file can hold`) ||
		!strings.Contains(err.Error(), "--config=resource-server.yaml") {
		t.Errorf("routes in JSON: %v", err)
	}
}

// fmtErr is err's text, "" for nil.
func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestGatewayRoutesByHand: a Config built by hand (no sources) converts
// with the gateway's defaults, is checked, and needs every handler it names.
func TestGatewayRoutesByHand(t *testing.T) {
	t.Parallel()
	c := Default()
	if routes, err := c.GatewayRoutes(testHandlers); routes != nil || err != nil {
		t.Errorf("no routes: %v, %v", routes, err)
	}
	c.Routes = []RouteConfig{{Match: "/x", Handler: "secure", Headers: []HeaderConfig{{Name: "X-Sub", Claim: "/sub"}}}}
	routes, err := c.GatewayRoutes(testHandlers)
	if err != nil || len(routes) != 1 || routes[0].Public || !routes[0].StripAuthorization || routes[0].Handler != namedHandler("secure") {
		t.Errorf("GatewayRoutes = %+v, %v", routes, err)
	}
	if _, err := c.GatewayRoutes(map[string]http.Handler{"welcome": namedHandler("welcome")}); !hasField(err, "routes[0].handler") ||
		!strings.Contains(err.Error(), "names a handler this program did not provide: use one of welcome") {
		t.Errorf("missing handler: %v", err)
	}
	c.Routes[0].Headers[0].Claim = "sub"
	if _, err := c.GatewayRoutes(testHandlers); !hasField(err, "routes[0].headers.X-Sub") {
		t.Errorf("bad claim: %v", err)
	}
}

// TestDescribeRoutes: config check prints each route's keys, each with its
// line or "default".
func TestDescribeRoutes(t *testing.T) {
	t.Parallel()
	c, err := Load([]string{"--config=resource-server.yaml"}, envOf(map[string]string{"ISSUER": okIssuer}),
		writeYAML(t, "routes:\n"+okRoute+"    headers: {X-Roles: {claim: /roles, separator: \" \"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Describe(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FORWARD_AUTH_PATH", "routes[0].match", "GET /orders/{id}", "resource-server.yaml:2",
		`X-Roles=/roles (separator " ")`, "routes[0].timeout", "30s", "routes[0].auth"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, b.String())
		}
	}
}

// TestExampleRoutesBlock: the example file documents every key of a route,
// and its commented routes: and headers: blocks, uncommented, load.
func TestExampleRoutesBlock(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	ExampleYAML(&b)
	text := b.String()
	for _, s := range routeSettings {
		if !strings.Contains(text, "#   "+s.key+": ") {
			t.Errorf("the example does not document %s", s.key)
		}
	}
	i := strings.Index(text, "# routes:\n")
	if i < 0 {
		t.Fatalf("the example lacks a commented routes: block:\n%s", text)
	}
	file := text[:i] + uncommented(t, text, "# routes:\n") + uncommented(t, text, "# headers:\n")
	c, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Routes) != 3 || c.Routes[2].Handler != "messages" {
		t.Errorf("Routes = %+v", c.Routes)
	}
	if len(c.Headers) != 1 || c.Headers[0].Name != "X-Auth-Subject" {
		t.Errorf("Headers = %+v", c.Headers)
	}
}

// uncommented is the commented block of text that starts with start, its
// lines without their "# ".
func uncommented(t *testing.T, text, start string) string {
	t.Helper()
	i := strings.Index(text, start)
	if i < 0 {
		t.Fatalf("the example lacks a commented block %q:\n%s", start, text)
	}
	var b strings.Builder
	for line := range strings.SplitSeq(text[i:], "\n") {
		if !strings.HasPrefix(line, "# ") {
			break
		}
		b.WriteString(strings.TrimPrefix(line, "# ") + "\n")
	}
	return b.String()
}

// TestMarkdownRouteTable: the README's table of route keys has one row
// per key, and no cell is broken by a "|".
func TestMarkdownRouteTable(t *testing.T) {
	t.Parallel()
	table := MarkdownRouteTable()
	rows := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(rows) != 2+len(routeSettings) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), 2+len(routeSettings), table)
	}
	for i, s := range routeSettings {
		if !strings.HasPrefix(rows[2+i], "| `"+s.key+"` | ") || strings.Count(rows[2+i], "|") != 4 {
			t.Errorf("row %q", rows[2+i])
		}
	}
}
