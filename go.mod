module github.com/resource-server/resource-server

go 1.26.8

require (
	// JWK parsing and validation for the verifier, which checks signatures
	// itself with crypto/rsa, crypto/ecdsa and crypto/ed25519; the
	// development issuer serves its JWKS and checks the tokens presented to
	// its userinfo endpoint with it (it signs with the standard library).
	// The strictest Go JOSE library measured, with no dependencies of its own.
	github.com/go-jose/go-jose/v4 v4.1.8
	// CORS for the program, as the Express sample's cors() behaves; a
	// well-kept library rather than hand-written preflight logic.
	github.com/rs/cors v1.11.1
	// The program's YAML configuration file (--config resource-server.yaml):
	// the YAML organisation's maintained continuation of gopkg.in/yaml.v3,
	// whose yaml.Node gives every key its line, so that an unknown key is
	// named with its line and the nearest valid key. No dependencies.
	go.yaml.in/yaml/v3 v3.0.6
)
