package web_test

import (
	"fmt"
	"io"
	"net/http/httptest"

	"github.com/resource-server/resource-server/web"
)

// The front-end on its own origin, configured for the development issuer and
// a resource server on http://localhost:8000.
func ExampleHandler() {
	front := httptest.NewServer(web.Handler(web.Config{
		Issuer:     "http://localhost:8000/oauth2/default",
		ClientID:   "dev-spa",
		APIBaseURL: "http://localhost:8000",
	}))
	defer front.Close()

	res, err := front.Client().Get(front.URL + "/config.json")
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	fmt.Print(string(b))
	// Output:
	// {
	//   "issuer": "http://localhost:8000/oauth2/default",
	//   "clientId": "dev-spa",
	//   "apiBaseUrl": "http://localhost:8000",
	//   "scopes": [
	//     "openid",
	//     "profile",
	//     "email"
	//   ],
	//   "redirectPath": "/login/callback"
	// }
}
