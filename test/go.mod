// Module test holds the suites that need more than Go: real third-party
// authorization servers, the Express sample as an oracle (Node), and a real
// browser. It is a module of its own so that their dependencies never reach
// the library's users.
module github.com/resource-server/resource-server/test

go 1.26.8

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	// A WebSocket client for test/gateway, to check the gateway against an
	// implementation that is not ours (the application side is a hand-written
	// Python one); no dependencies of its own.
	github.com/coder/websocket v1.8.15
	// DPoP proofs in test/interop, signed by a JOSE library that is not the
	// verifier's own code (the same version as the root module's).
	github.com/go-jose/go-jose/v4 v4.1.8
	github.com/resource-server/resource-server v0.0.0
)

require github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect

replace github.com/resource-server/resource-server => ../
