package bench

import "github.com/resource-server/resource-server/verifier"

// disableCache turns the verified-token cache off, so that every
// verification is a first verification.
func disableCache(c *verifier.Config) { c.DisableCache = true }
