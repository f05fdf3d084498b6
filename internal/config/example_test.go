package config_test

import (
	"errors"
	"flag"
	"fmt"

	"github.com/resource-server/resource-server/internal/config"
)

// Load layers flags over the environment over .samples.config.json over the
// defaults, and remembers where each value came from.
func ExampleLoad() {
	env := map[string]string{"SPA_CLIENT_ID": "0oa-from-env"}
	getenv := func(name string) string { return env[name] }

	// testdata holds a .samples.config.json in the Express sample's shape.
	cfg, err := config.Load([]string{"--port=9000"}, getenv, "testdata")
	if errors.Is(err, flag.ErrHelp) {
		fmt.Print(err) // the usage text
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("issuer:", cfg.Issuer, "from", cfg.Source("ISSUER").Name)
	fmt.Println("client id:", cfg.ClientID, "from", cfg.Source("SPA_CLIENT_ID"))
	fmt.Println("listen on:", cfg.Addr(), "from", cfg.Source("PORT"))
	fmt.Println("audience:", cfg.Audience)
	// Output:
	// issuer: https://dev-123456.okta.com/oauth2/default from resourceServer.oidc.issuer
	// client id: 0oa-from-env from SPA_CLIENT_ID
	// listen on: :9000 from --port
	// audience: api://default
}

// A sample configuration that still holds its placeholders is refused with
// a message that says what to put there.
func ExampleError() {
	getenv := func(name string) string {
		if name == "ISSUER" {
			return "https://{yourOktaDomain}/oauth2/default"
		}
		return ""
	}
	_, err := config.Load(nil, getenv, "testdata/no-such-dir")
	var e *config.Error
	if errors.As(err, &e) {
		fmt.Println(e.Field)
		fmt.Println(err)
	}
	// Output:
	// ISSUER
	// config: ISSUER "https://{yourOktaDomain}/oauth2/default" still holds the sample's placeholder: in ISSUER (or --issuer, or resourceServer.oidc.issuer in .samples.config.json), replace the placeholder with your Okta domain, e.g. https://dev-123456.okta.com/oauth2/default (the Okta Admin Console shows it under Security > API > Authorization Servers)
}
