package gateway_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/verifier"
)

func TestNewRefuses(t *testing.T) {
	iss := newIssuer(t)
	up, _ := url.Parse("http://127.0.0.1:1")
	mustURL := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	ok := gateway.Route{Match: "/ok/", Upstream: up}
	tests := []struct {
		name  string
		route gateway.Route
		want  []string // substrings of the error
	}{
		{"no destination", gateway.Route{Match: "/a"}, []string{"routes[1]", "Upstream", "Handler"}},
		{"two destinations", gateway.Route{Match: "/a", Upstream: up, Handler: http.NotFoundHandler()}, []string{"routes[1]", "Handler"}},
		{"upstream scheme", gateway.Route{Match: "/a", Upstream: mustURL("ftp://h/x")}, []string{"Upstream", "ftp://h/x", "http"}},
		{"upstream without host", gateway.Route{Match: "/a", Upstream: mustURL("http:///x")}, []string{"Upstream", "no host"}},
		{"upstream query", gateway.Route{Match: "/a", Upstream: mustURL("http://h/x?a=1")}, []string{"Upstream", "query"}},
		{"upstream fragment", gateway.Route{Match: "/a", Upstream: mustURL("http://h/x#f")}, []string{"Upstream", "fragment"}},
		{"bad scope", gateway.Route{Match: "/a", Upstream: up, Scopes: []string{"a b"}}, []string{"Scopes[0]", `"a b"`}},
		{"bad any scope", gateway.Route{Match: "/a", Upstream: up, AnyScopes: []string{"ok", ""}}, []string{"AnyScopes[1]"}},
		{"bad assertion", gateway.Route{Match: "/a", Upstream: up, AssertClaims: map[string]any{"groups": []string{"x"}}}, []string{"AssertClaims", "groups"}},
		{"hop-by-hop header", gateway.Route{Match: "/a", Upstream: up, Headers: []gateway.ClaimHeader{{Name: "Connection", Claim: "/sub"}}}, []string{"Headers[0].Name", "Connection"}},
		{"Authorization header", gateway.Route{Match: "/a", Upstream: up, Headers: []gateway.ClaimHeader{{Name: "authorization", Claim: "/sub"}}}, []string{"Headers[0].Name"}},
		{"invalid header name", gateway.Route{Match: "/a", Upstream: up, Headers: []gateway.ClaimHeader{{Name: "X Sub", Claim: "/sub"}}}, []string{"Headers[0].Name", "X Sub"}},
		{"duplicate header", gateway.Route{Match: "/a", Upstream: up, Headers: []gateway.ClaimHeader{{Name: "X-A", Claim: "/sub"}, {Name: "x-a", Claim: "/iss"}}}, []string{"Headers[1].Name", "twice"}},
		{"pointer without slash", gateway.Route{Match: "/a", Upstream: up, Headers: []gateway.ClaimHeader{{Name: "X-A", Claim: "sub"}}}, []string{"Headers[0].Claim", "JSON Pointer"}},
		{"pointer bad escape", gateway.Route{Match: "/a", Upstream: up, Headers: []gateway.ClaimHeader{{Name: "X-A", Claim: "/a~2"}}}, []string{"Headers[0].Claim", "~"}},
		{"public with scopes", gateway.Route{Match: "/a", Upstream: up, Public: true, Scopes: []string{"x"}}, []string{"Scopes", "Public"}},
		{"public with headers", gateway.Route{Match: "/a", Upstream: up, Public: true, Headers: []gateway.ClaimHeader{{Name: "X-A", Claim: "/sub"}}}, []string{"Headers", "Public"}},
		{"public with assertions", gateway.Route{Match: "/a", Upstream: up, Public: true, AssertClaims: map[string]any{"a": "b"}}, []string{"AssertClaims", "Public"}},
		{"negative timeout", gateway.Route{Match: "/a", Upstream: up, Timeout: -1}, []string{"Timeout"}},
		{"invalid pattern", gateway.Route{Match: "GET /a/{x", Upstream: up}, []string{"routes[1]", "Match", "GET /a/{x"}},
		{"conflict", gateway.Route{Match: "/ok/", Upstream: up}, []string{`routes[1] "/ok/" conflicts with routes[0] "/ok/"`}},
		{"conflict with the forward-auth path", gateway.Route{Match: "/_auth", Upstream: up}, []string{"ForwardAuthPath", "/_auth"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gateway.New(gateway.Config{Routes: []gateway.Route{ok, tt.route}, Verifier: iss.v})
			if err == nil {
				t.Fatal("New accepted the route")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestNewConflictNamesBoth: a conflict names both routes by index and
// pattern, and says why.
func TestNewConflictNamesBoth(t *testing.T) {
	up, _ := url.Parse("http://127.0.0.1:1")
	_, err := gateway.New(gateway.Config{Routes: []gateway.Route{
		{Match: "GET /{y}/b", Upstream: up, Public: true},
		{Match: "/other", Upstream: up, Public: true},
		{Match: "GET /a/{x}", Upstream: up, Public: true},
	}})
	var ce *gateway.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConflictError", err)
	}
	if ce.Index != 2 || ce.Other != 0 || ce.Match != "GET /a/{x}" || ce.OtherMatch != "GET /{y}/b" || ce.Detail == "" {
		t.Errorf("ConflictError %+v", ce)
	}
	want := `gateway: routes[2] "GET /a/{x}" conflicts with routes[0] "GET /{y}/b": `
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "/a/b") {
		t.Errorf("error %q, want it to start %q and give a request both match", err, want)
	}
}

// TestNewNeedsVerifier: protected routes need a verifier; public ones do not.
func TestNewNeedsVerifier(t *testing.T) {
	up, _ := url.Parse("http://127.0.0.1:1")
	_, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Match: "/", Upstream: up}}})
	var re *gateway.RouteError
	if !errors.As(err, &re) || re.Field != "Verifier" {
		t.Errorf("err = %v, want a RouteError on Verifier", err)
	}
	if _, err := gateway.New(gateway.Config{Routes: []gateway.Route{{Match: "/", Upstream: up, Public: true}}}); err != nil {
		t.Errorf("public routes without verifier: %v", err)
	}
}

// TestNewAllErrors: every mistake is named at once, each a *RouteError.
func TestNewAllErrors(t *testing.T) {
	v, _ := verifier.New(verifier.Config{Issuer: "https://issuer.example.com", Audiences: []string{"api"}})
	_, err := gateway.New(gateway.Config{Verifier: v, Routes: []gateway.Route{
		{Match: "/a", Scopes: []string{"a\"b"}},
		{Match: "/b", Public: true, Handler: http.NotFoundHandler(), Headers: []gateway.ClaimHeader{{Name: "X-A", Claim: "/sub"}}},
	}})
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var re *gateway.RouteError
		if errors.As(e, &re) {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d route errors, want 3: %v", n, err)
	}
}
