// Command resource-server is an OAuth 2.0 resource server: a drop-in for
// Okta's Express resource-server sample (same routes, JSON and configuration
// names) that verifies access tokens correctly and answers RFC 6750
// challenges. With --dev it also runs an embedded development authorization
// server and the demo "Messages" front-end, so the whole flow runs with no
// account. Run it with --help for the configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.Getwd()
	if err == nil {
		err = runIO(ctx, os.Args[1:], os.Getenv, dir, os.Stdin, os.Stdout, os.Stderr)
	}
	code := 1
	if ee := (*exitError)(nil); errors.As(err, &ee) {
		code = ee.code
	}
	if err != nil && err.Error() != "" {
		fmt.Fprintln(os.Stderr, "resource-server:", err)
	}
	if err != nil {
		os.Exit(code)
	}
}
