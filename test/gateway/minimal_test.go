package gateway

import "testing"

// minimalCases are the cases of testdata/gateway-min.yaml, the README's
// smallest configuration: a public subtree, GET /orders/{id} with
// orders:read, the subtree /api/, and X-Auth-Subject from the top-level
// headers: on both protected routes. It names no X-Auth-Roles, which the
// proxies' snippets copy all the same: the application must see none.
var minimalCases = []frontCase{
	{name: "public route without a token", method: "GET", target: "/public/x", status: 200},
	{name: "public route: a client's X-Auth-Subject never reaches the application", method: "GET", target: "/public/x", spoof: forgedSubject, status: 200},
	{name: "public route: a bad token is not looked at", method: "GET", target: "/public/x", token: garbageToken, spoof: forgedSubject, status: 200},
	{name: "protected route without a token", method: "GET", target: "/orders/7", status: 401},
	{name: "protected route, scope missing", method: "GET", target: "/orders/7", token: noScopeToken, status: 403, errCode: "insufficient_scope"},
	{name: "protected route, token of an issuer not trusted", method: "GET", target: "/orders/7", token: foreignToken, status: 401, errCode: "invalid_token"},
	{name: "protected route, valid token", method: "GET", target: "/orders/7", token: validToken, status: 200, subject: subject},
	{name: "protected route: a client's X-Auth-Subject replaced", method: "GET", target: "/orders/7", token: validToken, spoof: forgedSubject, status: 200, subject: subject},
	{name: "protected route: no X-Auth-Roles, whatever the token holds", method: "GET", target: "/orders/7", token: rolesToken, status: 200, subject: subject},
	{name: "subtree route, valid token", method: "GET", target: "/api/anything", token: validToken, status: 200, subject: subject},
	{name: "subtree route: a client's X-Auth-Subject replaced", method: "GET", target: "/api/anything?q=1", token: validToken, spoof: forgedSubject, status: 200, subject: subject},
	{name: "subtree route without a token", method: "GET", target: "/api/anything", status: 401},
	{name: "no route matches", method: "GET", target: "/other", token: validToken, status: 404},
	{name: "no route matches, without a token", method: "GET", target: "/other", status: 404},
}

// itself is the program as its own front door: the gateway, at the
// address of its forward-auth endpoint.
var itself = frontDoor{"the gateway itself", func(_ *testing.T, progAddr, _ string) string { return "http://" + progAddr }}

// TestMinimalConfig: the README's smallest configuration, as it is but for
// the issuer's and the application's URLs, gives minimalCases' answers
// through the gateway and through each proxy's README snippet in front of
// its forward-auth endpoint, with real tokens of a development issuer.
func TestMinimalConfig(t *testing.T) {
	for _, door := range append([]frontDoor{itself}, proxies()...) {
		t.Run(door.name, func(t *testing.T) {
			app := startUpstream(t)
			prog, tk := startProgram(t, minimalYAML, app, false)
			runCases(t, door.start(t, prog.Addr, app.Addr), tk, minimalCases)
		})
	}
}
