package devissuertest_test

import (
	"context"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

func TestStartAndVerifierConfig(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			srv := devissuertest.Start(t, devissuer.Options{Algorithm: alg})
			v, err := verifier.New(devissuertest.VerifierConfig(srv))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := srv.Issuer.MintAccessToken(nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyAccessToken(context.Background(), tok); err != nil {
				t.Fatalf("a token of the issuer refused by the verifier of VerifierConfig: %v", err)
			}
		})
	}
}
