module github.com/resource-server/resource-server

go 1.26.8

require (
	// JWS and JWK handling (key parsing and validation, signature checks):
	// the strictest Go JOSE library measured, with no dependencies of its own.
	github.com/go-jose/go-jose/v4 v4.1.8
	// CORS for the program, as the Express sample's cors() behaves; a
	// well-kept library rather than hand-written preflight logic.
	github.com/rs/cors v1.11.1
)
