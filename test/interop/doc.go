// Package interop runs the resource server against real, third-party
// authorization servers and beside the Express sample it replaces:
//
//   - panva's oidc-provider (npm), launched by oidc-provider.mjs with an
//     Okta-like layout (/oauth2/default, /v1/keys, /v1/token);
//   - Ory Hydra v2.3.0, built from the Go module proxy by the module in
//     hydra/ and cached in the user cache directory;
//   - express-oracle.js, a faithful re-creation of Okta's Express
//     resource-server sample, used as a differential oracle: the same
//     requests go to it and to our program, and every disagreement must be
//     on the documented list in differential_test.go (see DIFFERENCES.md).
//
// The tests build cmd/resource-server from this repository and talk to it
// over HTTP only. They install what they need (npm ci, the Hydra binary);
// without Node.js they skip, or fail when the CI environment variable is set.
//
// Run from the test module:
//
//	cd test && go test ./interop/... -v
//	cd test && go test ./interop/ -run Differential -update   # rewrite DIFFERENCES.md
//
// The package holds tests only; this file names it.
package interop
