// Module bench holds the benchmarks that compare the verifier with the Go
// libraries a user would pick instead, and the helpers of the load
// benchmark (scripts/bench-go, scripts/bench-load). It is a module of its
// own so that the peers' dependencies never reach the library's users.
module github.com/resource-server/resource-server/bench

go 1.26.8

replace github.com/resource-server/resource-server => ../

require (
	github.com/MicahParks/keyfunc/v3 v3.9.1
	github.com/coreos/go-oidc/v3 v3.21.0
	github.com/go-jose/go-jose/v4 v4.1.8
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/resource-server/resource-server v0.0.0
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/rs/cors v1.11.1 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
