package config

import "github.com/resource-server/resource-server/verifier"

// setTenants carries a template issuer's tenants to the verifier.
func setTenants(vc *verifier.Config, ic IssuerConfig) {
	vc.Tenants, vc.AnyTenant = ic.Tenants, ic.AnyTenant
}
