// Package devissuertest starts development issuers for tests, the way
// net/http/httptest starts servers: one line, the test fails if the issuer
// cannot start, nothing is logged unless asked, and the issuer is closed
// when the test ends.
//
//	srv := devissuertest.Start(t, devissuer.Options{})
//	v := devissuertest.Verifier(t, srv)
//	tok, err := srv.Issuer.MintAccessToken(nil)
//
// It is a package of its own so that programs importing devissuer (the
// resource-server program's dev mode) do not link the testing package.
package devissuertest

import (
	"log/slog"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/verifier"
)

// Start serves a new devissuer.Issuer on a free 127.0.0.1 port until the
// test ends (t.Cleanup closes it). A nil opts.Logger logs nothing: a test
// that wants the issuer's log lines passes a logger. Start fails the test
// when the issuer cannot start.
func Start(t testing.TB, opts devissuer.Options) *devissuer.Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := devissuer.StartServer(opts)
	if err != nil {
		t.Fatalf("devissuertest: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// VerifierConfig returns the configuration of a verifier that accepts srv's
// access tokens: its issuer URL (http on loopback, so InsecureAllowHTTP),
// its audience and its signing algorithm, and a logger that discards.
// Tests adjust the copy they get.
func VerifierConfig(srv *devissuer.Server) verifier.Config {
	opts := srv.Issuer.Options()
	return verifier.Config{
		Issuer:            srv.URL,
		Audiences:         []string{opts.Audience},
		Algorithms:        []string{opts.Algorithm},
		InsecureAllowHTTP: true,
		Logger:            slog.New(slog.DiscardHandler),
	}
}

// Verifier returns a verifier of srv's access tokens (VerifierConfig) with
// srv's keys already fetched, as the program fetches them before serving;
// it fails the test when either cannot be done.
func Verifier(t testing.TB, srv *devissuer.Server) *verifier.Verifier {
	t.Helper()
	v, err := verifier.New(VerifierConfig(srv))
	if err != nil {
		t.Fatalf("devissuertest: %v", err)
	}
	if err := v.Refresh(t.Context()); err != nil {
		t.Fatalf("devissuertest: fetching the keys of %s: %v", srv.URL, err)
	}
	return v
}

// Introspection returns the configuration of the introspection of srv's
// tokens (its endpoint is found by discovery), authenticated as its
// confidential client; set it as verifier.Config.Introspection.
func Introspection(srv *devissuer.Server) *verifier.Introspection {
	opts := srv.Issuer.Options()
	return &verifier.Introspection{ClientID: opts.ClientID, ClientSecret: opts.ClientSecret}
}
