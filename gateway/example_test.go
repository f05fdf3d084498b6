package gateway_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/gateway"
	"github.com/resource-server/resource-server/verifier"
)

func Example() {
	// A development issuer, a verifier of its tokens, and an upstream that
	// greets whoever the gateway says is calling.
	// (A test would call devissuertest.Start(t, …); an Example has no t.)
	iss, err := devissuer.StartServer(devissuer.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()
	v, _ := verifier.New(devissuertest.VerifierConfig(iss))
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.Header.Get("X-Auth-Subject"))
	}))
	defer app.Close()
	up, _ := url.Parse(app.URL)

	g, err := gateway.New(gateway.Config{
		Verifier: v,
		Bearer:   bearer.Options{Logger: slog.New(slog.DiscardHandler)},
		Routes: []gateway.Route{
			{Match: "GET /hello", Upstream: up, Scopes: []string{"openid"},
				Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub"}}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	gw := httptest.NewServer(g)
	defer gw.Close()

	tok, _ := iss.Issuer.MintAccessToken(nil)
	for _, auth := range []string{"", "Bearer " + tok} {
		req, _ := http.NewRequest("GET", gw.URL+"/hello", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("X-Auth-Subject", "forged") // never reaches the upstream
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body))
	}
	// Output:
	// 401 Bearer realm="api" {"error":"unauthorized","error_description":"this resource needs a bearer token"}
	// 200  hello demo
}
