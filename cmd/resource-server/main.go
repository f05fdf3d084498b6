// Command resource-server is an OAuth 2.0 resource server: a drop-in for
// Okta's Express resource-server sample (same routes, JSON and configuration
// names) that verifies access tokens correctly and answers RFC 6750
// challenges. With --dev it also runs an embedded development authorization
// server and the demo "Messages" front-end, so the whole flow runs with no
// account. Run it with --help for the configuration.
package main

import (
	"context"
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
		err = run(ctx, os.Args[1:], os.Getenv, dir, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resource-server:", err)
		os.Exit(1)
	}
}
