package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/verifier"
)

// Verify an access token from an issuer, here the development issuer that
// tests use; with Okta the Issuer is "https://{yourOktaDomain}/oauth2/default".
func ExampleVerifier_VerifyAccessToken() {
	issuer, _ := devissuer.StartServer(devissuer.Options{Logger: slog.New(slog.DiscardHandler)})
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

// A stricter configuration than the default: RFC 9068 typing required, and
// the issuer's keys used for at most six hours after it last answered.
func ExampleConfig_strict() {
	issuer, _ := devissuer.StartServer(devissuer.Options{Logger: slog.New(slog.DiscardHandler)})
	defer issuer.Close()

	v, _ := verifier.New(verifier.Config{
		Issuer:                 issuer.URL,
		Audiences:              []string{"api://default"},
		RequireAccessTokenType: true,
		MaxKeyAge:              6 * time.Hour,
		InsecureAllowHTTP:      true, // the development issuer speaks plain http on loopback
	})
	typed, _ := issuer.Issuer.MintAccessToken(nil) // "typ": "at+jwt"
	_, err := v.VerifyAccessToken(context.Background(), typed)
	fmt.Println(err)

	untyped, _ := issuer.Issuer.Sign(map[string]any{"typ": "JWT"}, issuer.Issuer.AccessTokenClaims())
	_, err = v.VerifyAccessToken(context.Background(), untyped)
	fmt.Println(errors.Is(err, verifier.ErrUnsupportedHeader))
	// Output:
	// <nil>
	// true
}
