package devissuer_test

import (
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/devissuer"
)

// A test starts an issuer, points the code under test at srv.URL, and mints
// the tokens it needs. Here the "code under test" is a few lines that verify
// the token against the JWKS the issuer serves.
func ExampleStartServer() {
	srv, err := devissuer.StartServer(devissuer.Options{
		Logger: slog.New(slog.DiscardHandler), // keep test output free of the dev-only warning
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	token, err := srv.Issuer.MintAccessToken(map[string]any{
		"scp":   []string{"messages:read"},
		"scope": "messages:read",
	})
	if err != nil {
		log.Fatal(err)
	}

	resp, err := http.Get(srv.URL + "/v1/keys")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var keys jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil {
		log.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		log.Fatal(err)
	}
	payload, err := jws.Verify(keys.Key(jws.Signatures[0].Header.KeyID)[0])
	if err != nil {
		log.Fatal(err)
	}
	var claims struct {
		Iss, Aud, Sub, Cid string
		Scp                []string
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Iss == srv.URL, claims.Aud, claims.Sub, claims.Cid, claims.Scp)
	fmt.Println("requests for keys:", srv.Issuer.Requests("/v1/keys"))
	// Output:
	// true api://default demo dev-client [messages:read]
	// requests for keys: 1
}

// Tests of a verifier need tokens that must be refused; Sign produces them
// with a valid signature so that only the property under test is wrong.
func ExampleIssuer_Sign() {
	iss, err := devissuer.New(devissuer.Options{
		Issuer: "http://127.0.0.1:8000/oauth2/default",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	claims := iss.AccessTokenClaims()
	noKid, _ := iss.Sign(map[string]any{"kid": nil}, claims)
	plainJWT, _ := iss.Sign(map[string]any{"typ": "JWT"}, claims)
	for _, tok := range []string{noKid, plainJWT} {
		jws, _ := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
		_, err := jws.Verify(iss.PublicKey(iss.CurrentKeyID()))
		h := jws.Signatures[0].Header
		fmt.Printf("has kid=%v typ=%v signature valid=%v\n", h.KeyID != "", h.ExtraHeaders["typ"], err == nil)
	}
	// Output:
	// has kid=false typ=at+jwt signature valid=true
	// has kid=true typ=JWT signature valid=true
}

// A script, or the README's curl line, gets a token with client_credentials.
func Example_clientCredentials() {
	srv, err := devissuer.StartServer(devissuer.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("dev-client", "dev-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, tok.TokenType, tok.ExpiresIn, tok.AccessToken != "")
	// Output: 200 Bearer 3600 true
}
