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

// Accept the tokens of two authorization servers, each with its own rules:
// the token's "iss" selects which apply. A third issuer's tokens are refused
// without a request to anyone.
func ExampleNewSet() {
	quiet := slog.New(slog.DiscardHandler)
	workforce, _ := devissuer.StartServer(devissuer.Options{Logger: quiet})
	defer workforce.Close()
	partners, _ := devissuer.StartServer(devissuer.Options{Audience: "api://partners", Logger: quiet})
	defer partners.Close()
	stranger, _ := devissuer.StartServer(devissuer.Options{Logger: quiet})
	defer stranger.Close()

	set, err := verifier.NewSet(
		verifier.Config{Issuer: workforce.URL, Audiences: []string{"api://default"}, InsecureAllowHTTP: true, Logger: quiet},
		verifier.Config{Issuer: partners.URL, Audiences: []string{"api://partners"}, InsecureAllowHTTP: true, Logger: quiet},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for _, srv := range []*devissuer.Server{workforce, partners, stranger} {
		token, _ := srv.Issuer.MintAccessToken(map[string]any{"sub": "alice"})
		tok, err := set.VerifyAccessToken(ctx, token)
		switch {
		case errors.Is(err, verifier.ErrWrongIssuer):
			fmt.Println("refused: wrong issuer")
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println(tok.Subject(), tok.Audience())
		}
	}
	fmt.Println(len(set.Status()), set.Ready(), stranger.Issuer.Requests(""))
	// Output:
	// alice [api://default]
	// alice [api://partners]
	// refused: wrong issuer
	// 2 true 0
}
