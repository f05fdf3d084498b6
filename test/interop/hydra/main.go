// Command hydra is Ory Hydra v2.3.0, built from the Go module proxy for the
// interop suite (test/interop). `go install github.com/ory/hydra/v2@v2.3.0`
// is refused because Hydra's go.mod carries replace directives; this module
// repeats the ones that matter so that `go build -tags
// sqlite,sqlite_omit_load_extension` works. It is not part of the product.
package main

import "github.com/ory/hydra/v2/cmd"

func main() { cmd.Execute() }
