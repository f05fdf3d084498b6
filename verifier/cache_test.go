package verifier_test

import (
	"context"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// TestVerifierAnswersFromTheCache: with the cache on, a verified token is
// kept, so that presenting it again is answered from memory; DisableCache
// turns the cache off.
func TestVerifierAnswersFromTheCache(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	tok := mint(t, srv, nil)
	for _, disable := range []bool{false, true} {
		cfg := devissuertest.VerifierConfig(srv)
		cfg.DisableCache = disable
		v, err := verifier.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.VerifyAccessToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		enabled, held := verifier.CacheHolds(v, tok)
		if enabled == disable || held == disable {
			t.Errorf("DisableCache %v: cache enabled %v, holding the verified token %v", disable, enabled, held)
		}
	}
}
