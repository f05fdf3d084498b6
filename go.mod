module github.com/resource-server/resource-server

go 1.26.8

require (
	// JWK parsing and validation for the verifier, which checks signatures
	// itself with crypto/rsa, crypto/ecdsa and crypto/ed25519; the
	// development issuer writes its JWKS with it (it signs with the
	// standard library).
	// The strictest Go JOSE library measured, with no dependencies of its own.
	github.com/go-jose/go-jose/v4 v4.1.8
	// Prometheus metrics on the admin listener (internal/metrics): the
	// reference Go client, whose registry, exposition (text and
	// OpenMetrics, content negotiation, gzip) and Go/process collectors are
	// what promtool and every scraper expect; writing the format by hand
	// would mean re-testing all of it. v1.25.0, the newest release the
	// module proxy serves here; it stays out of the hot path (counters are
	// our atomics, exported at scrape time).
	github.com/prometheus/client_golang v1.25.0
	// The metrics test reads the exposition back with the client's own
	// data model; the same version client_golang requires.
	github.com/prometheus/client_model v0.6.3
	// The shared state of several instances (package store, `store:
	// redis://…`): DPoP jti records and revocations in Redis or Valkey, with
	// pub/sub for revocations. The official client, which speaks to both;
	// v9.23.0, the newest release the module proxy serves here.
	github.com/redis/go-redis/v9 v9.23.0
	// CORS for the program, as the Express sample's cors() behaves; a
	// well-kept library rather than hand-written preflight logic.
	github.com/rs/cors v1.11.1
	// The program's YAML configuration file (--config resource-server.yaml):
	// the YAML organisation's maintained continuation of gopkg.in/yaml.v3,
	// whose yaml.Node gives every key its line, so that an unknown key is
	// named with its line and the nearest valid key. No dependencies.
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
