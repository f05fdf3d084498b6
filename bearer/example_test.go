package bearer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/verifier"
)

// expiredVerifier stands in for a *verifier.Verifier in these examples: it
// refuses every token as expired.
type expiredVerifier struct{}

func (expiredVerifier) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error) {
	return nil, &verifier.ValidationError{Kind: verifier.ErrExpired, Claim: "exp",
		Found: "2024-05-01T10:00:00Z", Expected: "a time after 2024-05-01T10:30:00Z"}
}

// Protecting the routes of an http.ServeMux: the middleware wraps the whole
// mux, so every route behind it needs a valid token.
func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/messages", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := bearer.FromContext(r.Context())
		fmt.Fprintf(w, "hello, %s", tok.Subject())
	})
	handler := bearer.Middleware(expiredVerifier{}, bearer.Options{})(mux)

	for _, auth := range []string{"", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "Bearer\tafter-a-tab"} {
		r := httptest.NewRequest("GET", "/api/messages", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
		fmt.Println(w.Body)
	}
	// Output:
	// 401 Bearer realm="api"
	// {"error":"unauthorized","error_description":"this resource needs a bearer token"}
	// 401 Bearer realm="api", error="invalid_token", error_description="token expired: claim exp is 2024-05-01T10:00:00Z, expected a time after 2024-05-01T10:30:00Z"
	// {"error":"invalid_token","error_description":"token expired: claim exp is 2024-05-01T10:00:00Z, expected a time after 2024-05-01T10:30:00Z"}
	// 400 Bearer realm="api", error="invalid_request", error_description="the Bearer scheme must be followed by one or more spaces and the token; found a tab"
	// {"error":"invalid_request","error_description":"the Bearer scheme must be followed by one or more spaces and the token; found a tab"}
}

// End to end with the real verifier and the embedded development issuer,
// which serves discovery and keys on loopback and mints tokens.
func Example_devissuer() {
	quiet := slog.New(slog.DiscardHandler)
	issuer, err := devissuer.StartServer(devissuer.Options{Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	defer issuer.Close()
	v, err := verifier.New(verifier.Config{
		Issuer:            issuer.URL,
		Audiences:         []string{"api://default"},
		InsecureAllowHTTP: true, // the development issuer speaks plain http
		Logger:            quiet,
	})
	if err != nil {
		log.Fatal(err)
	}

	handler := bearer.Middleware(v, bearer.Options{})(
		bearer.RequireScopes("openid")(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok, _ := bearer.FromContext(r.Context())
				fmt.Fprintf(w, "hello, %s; scopes %v", tok.Subject(), tok.Scopes())
			})))

	token, err := issuer.Issuer.MintAccessToken(nil)
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/messages", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body)
	// Output:
	// 200 hello, demo; scopes [openid profile email]
}

// A program built on a real verifier: public routes on one mux, protected
// ones on another behind the middleware, one route needing a scope. chi,
// gin and echo take the same func(http.Handler) http.Handler (see the
// package documentation).
func Example_program() {
	v, err := verifier.New(verifier.Config{
		Issuer:    "https://dev-123456.okta.com/oauth2/default",
		Audiences: []string{"api://default"},
	})
	if err != nil {
		log.Fatal(err)
	}

	api := http.NewServeMux()
	api.HandleFunc("GET /api/messages", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := bearer.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"subject": tok.Subject()})
	})
	api.Handle("DELETE /api/messages", bearer.RequireScopes("messages:write")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))

	root := http.NewServeMux()
	root.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "public") })
	root.Handle("/api/", bearer.Middleware(v, bearer.Options{
		Realm:            "messages",
		Logger:           slog.New(slog.NewTextHandler(os.Stderr, nil)),
		ResourceMetadata: "https://api.example.com/.well-known/oauth-protected-resource",
	})(api))

	_ = http.ListenAndServe(":8000", root) // use an http.Server with timeouts in production
}

// RequireScopes answers 403 insufficient_scope, naming every scope the route
// needs, when the verified token lacks one of them.
func ExampleRequireScopes() {
	handler := bearer.Middleware(anyTokenVerifier{}, bearer.Options{})(
		bearer.RequireScopes("messages:read", "messages:write")(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))

	r := httptest.NewRequest("GET", "/api/messages", nil)
	r.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope(s) messages:read messages:write", scope="messages:read messages:write"
}

// anyTokenVerifier accepts every token and grants no scope.
type anyTokenVerifier struct{}

func (anyTokenVerifier) VerifyAccessToken(context.Context, string, ...string) (*verifier.Token, error) {
	return &verifier.Token{}, nil
}

// TokenFromRequest is the extraction step alone; its errors are *bearer.Error
// values carrying the status and RFC 6750 code.
func ExampleTokenFromRequest() {
	for _, auth := range []string{"bearer abc.def", "Basic dXNlcjpwYXNz", "Bearer abc def"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", auth)
		tok, err := bearer.TokenFromRequest(r)
		if e, ok := err.(*bearer.Error); ok {
			fmt.Printf("%d %q: %s\n", e.Status, e.Code, e.Description)
			continue
		}
		fmt.Println("token:", tok)
	}
	// Output:
	// token: abc.def
	// 401 "": this resource needs a bearer token; the Authorization header uses another scheme
	// 400 "invalid_request": the bearer token holds a character outside the RFC 6750 token syntax [A-Za-z0-9-._~+/]+=*
}
