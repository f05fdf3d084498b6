package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/resource-server/resource-server/verifier"
)

// tenantPlaceholder marks a template issuer.
const tenantPlaceholder = "{tenantid}"

// checkShorthand refuses, beside an issuers: list, the one-issuer
// shorthand's settings (ISSUER, SPA_CLIENT_ID, AUDIENCE, JWKS_URL) when set,
// and --dev: the list replaces them, and which would win is no guess to make.
func checkShorthand(c Config, r *report) {
	list := "the issuers: list (" + c.issuersSource.String() + ")"
	if c.Dev {
		r.bad("DEV", "true", "is set together with "+list, "--dev runs its own issuer: remove the issuers: list from "+c.file()+" or drop --dev")
	}
	if len(c.Issuers) == 0 {
		r.errs = append(r.errs, &Error{Field: "issuers", Source: c.issuersSource, Problem: "is an empty list",
			Fix: "list at least one issuer, e.g. \"- issuer: " + exampleIssuer + "\", or remove the key and set ISSUER"})
	}
	for _, name := range []string{"ISSUER", "SPA_CLIENT_ID", "AUDIENCE", "JWKS_URL"} {
		if c.sources[name].Kind <= SourceDefault {
			continue
		}
		key := map[string]string{"ISSUER": "issuer", "SPA_CLIENT_ID": "client_ids", "AUDIENCE": "audiences", "JWKS_URL": "jwks_url"}[name]
		r.bad(name, settingByName(name).display(c), "is set together with "+list,
			"the list replaces the one-issuer settings: give each entry its own "+key+", and unset "+r.places(name))
	}
}

// validateIssuers checks each entry of the issuers: list: its own checks,
// then the verifier's rules (verifier.Config.Validate) on what
// VerifierConfigs builds from it, named by the entry's key.
func (c Config) validateIssuers(r *report, own map[string]bool) {
	vcs := c.VerifierConfigs("", nil)
	for i, ic := range c.Issuers {
		for _, s := range issuerSettings {
			if s.check != nil {
				s.check(c, ic, r)
			}
		}
		for _, err := range r.errs {
			if e, ok := err.(*Error); ok {
				own[e.Field] = true
			}
		}
		if err := vcs[i].Validate(); err != nil {
			for _, e := range unjoin(err) {
				if m := c.fromVerifierEntry(ic, e); !own[m.Field] {
					r.errs = append(r.errs, m)
				}
			}
		}
	}
}

// fromVerifierEntry maps the library's *verifier.ConfigError about the
// entry ic to an *Error on the entry's key, its text naming keys instead of
// fields.
func (c Config) fromVerifierEntry(ic IssuerConfig, err error) *Error {
	var ce *verifier.ConfigError
	if !errors.As(err, &ce) {
		return &Error{Field: ic.name("issuer"), Problem: "is refused by the verifier", Fix: err.Error(), Err: err}
	}
	words := func(text string) string {
		return verifierWords.ReplaceAllStringFunc(text, func(w string) string {
			if w == "NoMaxKeyAge" {
				return "none"
			}
			if s := issuerSettingByField(w); s != nil {
				return ic.name(s.key)
			}
			if s := settingByField(w); s != nil {
				return s.places(c.file())
			}
			return w
		})
	}
	name, key, where := ce.Field, "", ce.Field
	if s := issuerSettingByField(ce.Field); s != nil {
		name, key, where = ic.name(s.key), s.key, ic.name(s.key)
		if s.global != "" && ic.sources[key].Name != name {
			where += " (unset: it takes " + c.Places(s.global) + ")"
		}
	}
	problem := ce.Problem
	if problem == "" {
		problem = "is refused"
	}
	return &Error{Field: name, Value: ce.Value, Source: ic.sources[key], Problem: words(problem),
		Fix: "in " + where + ", " + words(ce.Fix), Err: err}
}

// bad reports a problem with the entry's key.
func (ic IssuerConfig) bad(r *report, key, value, problem, fix string) {
	r.errs = append(r.errs, &Error{Field: ic.name(key), Value: value, Source: ic.sources[key], Problem: problem, Fix: fix})
}

func checkEntryIssuer(c Config, ic IssuerConfig, r *report) {
	if ic.Issuer == "" {
		ic.bad(r, "issuer", "", "is not set", fmt.Sprintf("start the entry with \"- issuer: URL\", e.g. - issuer: %s", exampleIssuer))
		return
	}
	for _, other := range c.Issuers[:ic.Index] {
		if other.Issuer == ic.Issuer {
			ic.bad(r, "issuer", ic.Issuer, "is listed twice, as issuers["+strconv.Itoa(other.Index)+"] too",
				"keep one entry per issuer: the verifier picks an issuer's rules by the token's \"iss\"")
		}
	}
}

func checkEntryClientIDs(_ Config, ic IssuerConfig, r *report) {
	if len(ic.ClientIDs) > 1 {
		ic.bad(r, "client_ids", strings.Join(ic.ClientIDs, ","), fmt.Sprintf("lists %d clients", len(ic.ClientIDs)),
			"the verifier asserts one client per issuer (verifier.Config.ClientID): keep one, or drop client_ids and bind tokens to this API by audiences")
	}
}

func checkEntryLeeway(_ Config, ic IssuerConfig, r *report) {
	if ic.Leeway < 0 {
		ic.bad(r, "leeway", ic.Leeway.String(), "is negative", "write a duration such as 30s or 1m, or leave it out for the default (30s)")
	}
}

func checkEntryTenants(_ Config, ic IssuerConfig, r *report) {
	template := strings.Contains(ic.Issuer, tenantPlaceholder)
	switch {
	case !template && (len(ic.Tenants) > 0 || ic.AnyTenant):
		key := "tenants"
		if len(ic.Tenants) == 0 {
			key = "any_tenant"
		}
		ic.bad(r, key, "", "is set for an issuer without "+tenantPlaceholder,
			"tenants and any_tenant belong to a template issuer, e.g. https://login.microsoftonline.com/{tenantid}/v2.0: remove "+key+" or make "+ic.name("issuer")+" a template")
	case template && len(ic.Tenants) > 0 && ic.AnyTenant:
		ic.bad(r, "any_tenant", "true", "is set together with tenants", "list the tenants to accept, or set any_tenant and drop tenants, not both")
	case template && len(ic.Tenants) == 0 && !ic.AnyTenant:
		ic.bad(r, "tenants", "", "is empty for the template issuer "+strconv.Quote(ic.Issuer),
			"list the tenant ids whose tokens are accepted, e.g. tenants: [72f988bf-86f1-41af-91ab-2d7cd011db47], or set any_tenant: true to accept every tenant")
	case template && ic.JWKSURL == "":
		ic.bad(r, "jwks_url", "", "is not set for the template issuer "+strconv.Quote(ic.Issuer),
			"a template issuer has no one discovery document: set jwks_url, e.g. https://login.microsoftonline.com/common/discovery/v2.0/keys")
	}
}
