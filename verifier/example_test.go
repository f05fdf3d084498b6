package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/verifier"
)

// Verify an access token from an issuer, here the development issuer that
// tests use; with Okta the Issuer is "https://{yourOktaDomain}/oauth2/default".
func ExampleVerifier_VerifyAccessToken() {
	issuer, _ := devissuer.StartServer(devissuer.Options{Logger: quiet})
	defer issuer.Close()

	v, err := verifier.New(verifier.Config{
		Issuer:            issuer.URL,
		Audiences:         []string{"api://default"},
		InsecureAllowHTTP: true, // the development issuer speaks plain http on loopback
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	token, _ := issuer.Issuer.MintAccessToken(map[string]any{"sub": "alice", "scp": []string{"messages:read"}})
	tok, err := v.VerifyAccessToken(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Subject(), tok.HasScope("messages:read"))

	expired, _ := issuer.Issuer.MintAccessToken(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
	_, err = v.VerifyAccessToken(context.Background(), expired)
	fmt.Println(errors.Is(err, verifier.ErrExpired))
	// Output:
	// alice true
	// true
}

// New refuses a configuration that still holds the sample's placeholders,
// and says what to put there.
func ExampleNew() {
	_, err := verifier.New(verifier.Config{Issuer: "https://{yourOktaDomain}/oauth2/default"})
	var ce *verifier.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Field)
	}
	// Output: Issuer
}
