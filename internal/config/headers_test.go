package config

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/gateway"
)

// readMinimal is testdata/gateway-min.yaml, the README's smallest gateway
// configuration: top-level headers: over a public and two protected routes.
func readMinimal(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/gateway-min.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sub is the claim header most cases set.
var sub = gateway.ClaimHeader{Name: "X-Auth-Subject", Claim: "/sub", Separator: ","}

// TestTopHeaders: the top-level headers: reach every route that takes a
// token, a route's header of the same name (in any case) replacing one,
// its other headers added after them; a public route gets none.
func TestTopHeaders(t *testing.T) {
	t.Parallel()
	const top = "issuer: " + okIssuer + "\nheaders:\n  X-Auth-Subject: /sub\nroutes:\n  - match: GET /a\n"
	tests := []struct {
		name string
		file string                  // "" for testdata/gateway-min.yaml
		want [][]gateway.ClaimHeader // each route's, in order
	}{
		{"the README's example", "", [][]gateway.ClaimHeader{nil, {sub}, {sub}}},
		{"the route's own, in another case, replaces it", top + "    upstream: http://x\n    headers:\n      x-auth-subject: /uid\n",
			[][]gateway.ClaimHeader{{{Name: "x-auth-subject", Claim: "/uid", Separator: ","}}}},
		{"the route's others are added", top + "    upstream: http://x\n    headers:\n      X-Auth-Roles: {claim: /roles, separator: \" \"}\n",
			[][]gateway.ClaimHeader{{sub, {Name: "X-Auth-Roles", Claim: "/roles", Separator: " "}}}},
		{"replaced and added together", "issuer: " + okIssuer + "\nheaders: {X-A: /a, X-B: /b}\nroutes:\n  - match: /x\n    upstream: http://x\n    headers: {X-C: /c, X-B: /bb}\n",
			[][]gateway.ClaimHeader{{{Name: "X-A", Claim: "/a", Separator: ","}, {Name: "X-C", Claim: "/c", Separator: ","}, {Name: "X-B", Claim: "/bb", Separator: ","}}}},
		{"a separator at the top level", "issuer: " + okIssuer + "\nheaders:\n  X-Roles: {claim: /roles, separator: \" \"}\nroutes:\n" + okRoute,
			[][]gateway.ClaimHeader{{{Name: "X-Roles", Claim: "/roles", Separator: " "}}}},
		{"a route served by a handler", top + "    handler: messages\n", [][]gateway.ClaimHeader{{sub}}},
		{"null sets none", "issuer: " + okIssuer + "\nheaders:\nroutes:\n" + okRoute, [][]gateway.ClaimHeader{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tt.file
			if file == "" {
				file = readMinimal(t)
			}
			c, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t, file))
			if err != nil {
				t.Fatal(err)
			}
			routes, err := c.GatewayRoutes(testHandlers)
			if err != nil {
				t.Fatal(err)
			}
			got := make([][]gateway.ClaimHeader, len(routes))
			for i, r := range routes {
				got[i] = r.Headers
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("the routes' headers are\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestTopHeadersRefused: the top-level headers: are checked as a route's
// are, each refusal naming headers.Name, the file and line, and the fix;
// and refused where no route would send them.
func TestTopHeadersRefused(t *testing.T) {
	t.Parallel()
	const f, routes = "resource-server.yaml:", "routes:\n" + okRoute
	tests := []struct {
		name  string
		file  string // after "issuer: …\n"; headers: stands on line 2
		field string
		wants []string
	}{
		{"refused name", "headers:\n  Authorization: /sub\n" + routes, "headers.Authorization",
			[]string{`headers.Authorization "Authorization" (from headers.Authorization in `, f + "3) carries the client's credentials", "choose a header of your own"}},
		{"not a header name", "headers:\n  X Sub: /sub\n" + routes, "headers.X Sub", []string{f + "3) is not a header name"}},
		{"claim without slash", "headers:\n  X-Sub: sub\n" + routes, "headers.X-Sub", []string{f + "3) is not a JSON Pointer", "did you mean /sub?"}},
		{"claim bad escape", "headers: {X-Sub: /a~2b}\n" + routes, "headers.X-Sub", []string{f + "2) is not a JSON Pointer: it holds a ~ that is not ~0 or ~1"}},
		{"twice in another case", "headers:\n  X-Sub: /sub\n  x-sub: /sub\n" + routes, "headers.x-sub",
			[]string{f + "4) is set twice in headers:, as X-Sub (line 3) too", "keep one of them"}},
		{"without routes", "headers:\n  X-Sub: /sub\n", "headers",
			[]string{f + "2) is set without a routes: list: headers: applies to the routes of routes:; add routes: or remove headers:"}},
		{"every route public", "headers:\n  X-Sub: /sub\nroutes:\n  - match: /p/\n    upstream: http://x\n    auth: none\n", "headers",
			[]string{f + "2) applies to no route: every route of routes: is public", "drop auth: none"}},
		{"unknown key inside", "headers:\n  X-Sub: {claim: /sub, seperator: \";\"}\n" + routes, "headers.X-Sub",
			[]string{f + `3) has the unknown key "seperator" on line 3: did you mean separator?`}},
		{"a list", "headers: [X-Sub]\n" + routes, "headers", []string{f + "2) is not a mapping of header names to claims"}},
		{"a list for a header", "headers:\n  X-Sub: [/sub]\n" + routes, "headers.X-Sub", []string{"is a list on line 3"}},
		{"set twice", "headers: {X-A: /a}\n" + routes + "headers: {X-B: /b}\n", "--config", []string{"sets headers twice, on lines 2 and 6"}},
		{"misspelt", "header:\n  X-Sub: /sub\n" + routes, "--config", []string{`has the unknown key "header" on line 2: did you mean headers?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t, "issuer: "+okIssuer+"\n"+tt.file))
			wantRefusal(t, err, tt.field, tt.wants)
		})
	}
}

// TestTopHeadersByHand: a Config built by hand has its Headers checked by
// GatewayRoutes, named as a file's would be.
func TestTopHeadersByHand(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Routes = []RouteConfig{{Match: "/x", Handler: "secure"}}
	c.Headers = []HeaderConfig{{Name: "X-Sub", Claim: "sub", Separator: ","}}
	if _, err := c.GatewayRoutes(testHandlers); !hasField(err, "headers.X-Sub") {
		t.Errorf("bad claim: %v", err)
	}
	c.Headers[0].Claim = "/sub"
	routes, err := c.GatewayRoutes(testHandlers)
	if err != nil || len(routes) != 1 || !reflect.DeepEqual(routes[0].Headers, []gateway.ClaimHeader{{Name: "X-Sub", Claim: "/sub", Separator: ","}}) {
		t.Errorf("GatewayRoutes = %+v, %v", routes, err)
	}
}

// minimalGateway serves the gateway built from testdata/gateway-min.yaml
// in front of an application that answers the X-Auth-Subject it sees,
// with a verifier of a development issuer's tokens, its keys fetched, and
// returns the gateway and a token holding sub alice and orders:read.
func minimalGateway(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Join(r.Header.Values("X-Auth-Subject"), "|"))
	}))
	t.Cleanup(app.Close)
	iss := devissuertest.Start(t, devissuer.Options{})
	v := devissuertest.Verifier(t, iss)
	c, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t, strings.ReplaceAll(readMinimal(t), "http://127.0.0.1:9000", app.URL)))
	if err != nil {
		t.Fatal(err)
	}
	routes, err := c.GatewayRoutes(testHandlers)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{Routes: routes, Verifier: v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	t.Cleanup(gw.Close)
	tok, err := iss.Issuer.MintAccessToken(map[string]any{"sub": "alice", "scp": []string{"orders:read"}, "scope": "orders:read"})
	if err != nil {
		t.Fatal(err)
	}
	return gw, tok
}

// TestTopHeadersStripped: through the gateway built from
// testdata/gateway-min.yaml, the application sees X-Auth-Subject from the
// token on each protected route, and never a client's own, on the public
// route too: every header a route sets is removed from every request.
func TestTopHeadersStripped(t *testing.T) {
	t.Parallel()
	gw, tok := minimalGateway(t)
	tests := []struct {
		name, target, token string
		status              int
		subject             string // what the application sees
	}{
		{"public route", "/public/x", "", http.StatusOK, ""},
		{"public route, with a token", "/public/x", tok, http.StatusOK, ""},
		{"protected route", "/orders/7", tok, http.StatusOK, "alice"},
		{"protected route without a token", "/orders/7", "", http.StatusUnauthorized, ""},
		{"subtree route", "/api/anything", tok, http.StatusOK, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodGet, gw.URL+tt.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Auth-Subject", "mallory")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			res, err := gw.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status {
				t.Fatalf("GET %s: %s %q, want %d", tt.target, res.Status, body, tt.status)
			}
			if tt.status == http.StatusOK && string(body) != tt.subject {
				t.Errorf("GET %s: the application saw X-Auth-Subject %q, want %q", tt.target, body, tt.subject)
			}
		})
	}
}

// TestDescribeTopHeaders: config check prints the top-level headers: with
// its line, and each route's headers with the top-level ones it sends,
// said to come from there.
func TestDescribeTopHeaders(t *testing.T) {
	t.Parallel()
	file := strings.Replace(readMinimal(t), "routes:\n", "routes:\n"+
		"  - match: GET /a\n    upstream: http://x\n    headers: {x-auth-subject: /uid}\n"+
		"  - match: GET /b\n    upstream: http://x\n    headers: {X-Roles: /roles}\n", 1)
	c, err := Load([]string{"--config=resource-server.yaml"}, nil, writeYAML(t, file))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Describe(&b); err != nil {
		t.Fatal(err)
	}
	// headers: stands on line 19; GET /a's headers on 7, GET /b's on 10.
	const top = `as headers, file \S*resource-server\.yaml:19$`
	wants := map[string]string{ // the line's value and origin, spaces squeezed
		"headers":           `^X-Auth-Subject=/sub \(separator ","\) file \S*resource-server\.yaml:19$`,
		"routes[0].headers": `^x-auth-subject=/uid \(separator ","\) file \S*resource-server\.yaml:7$`,
		"routes[1].headers": `^X-Auth-Subject=/sub \(separator ","\) X-Roles=/roles \(separator ","\) file \S*resource-server\.yaml:10; ` + top,
		"routes[2].headers": `^"" default$`,
		"routes[3].headers": `^X-Auth-Subject=/sub \(separator ","\) ` + top,
	}
	for line := range strings.SplitSeq(b.String(), "\n") {
		name, rest, _ := strings.Cut(strings.Join(strings.Fields(line), " "), " ")
		want, ok := wants[name]
		if !ok {
			continue
		}
		delete(wants, name)
		if !regexp.MustCompile(want).MatchString(rest) {
			t.Errorf("Describe's line %q, want it to match %s", line, want)
		}
	}
	for name := range wants {
		t.Errorf("Describe lacks %s:\n%s", name, b.String())
	}
}
