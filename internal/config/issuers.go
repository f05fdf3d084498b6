package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resource-server/resource-server/verifier"
)

// IssuerConfig is one entry of the YAML file's issuers: list: an
// authorization server whose tokens the program accepts, with its own
// audiences, clients, keys and rules. A key an entry leaves out takes the
// global setting it names in its declaration (ALGORITHMS, KEYS_MAX_AGE,
// REQUIRE_AT_JWT, ALLOW_MISSING_AUDIENCE), whatever layer set that one: an
// entry's own key always wins, since it is the more specific.
type IssuerConfig struct {
	Issuer    string   // issuer; may hold {tenantid} (a template issuer)
	Audiences []string // audiences
	// ClientIDs is client_ids. The verifier asserts one client per issuer
	// (verifier.Config.ClientID), so Validate accepts at most one.
	ClientIDs    []string
	JWKSURL      string         // jwks_url
	Algorithms   []string       // algorithms; default ALGORITHMS
	Leeway       time.Duration  // leeway; 0 the verifier's default (30s)
	AssertClaims map[string]any // assert_claims: "claim": value, "claim.includes": value or list
	// Tenants and AnyTenant are tenants and any_tenant: the tenants a
	// template issuer accepts, or any.
	Tenants                []string
	AnyTenant              bool
	MaxKeyAge              time.Duration // keys_max_age; default KEYS_MAX_AGE
	RequireAccessTokenType bool          // require_at_jwt; default REQUIRE_AT_JWT
	AllowMissingAudience   bool          // allow_missing_audience; default ALLOW_MISSING_AUDIENCE
	// Introspection is introspection: how to ask the issuer about a token
	// by RFC 7662 introspection; nil for never. At most one entry has it.
	Introspection *IntrospectionConfig
	// DPoP is dpop: DPoPOff, DPoPAllowed or DPoPRequired. Load sets
	// DPoPAllowed when the entry leaves it out; "" counts as DPoPAllowed,
	// for an IssuerConfig built by hand.
	DPoP string

	// Index is the entry's position in the list, from 0.
	Index int
	// sources maps a key ("audiences") to where its value came from: the
	// entry's line, or the global setting's source for an inherited value.
	sources map[string]Source
}

// Source says where the entry's value of key (its YAML key, "audiences")
// came from: its line in the file, or, for a value it inherits, the global
// setting's own source; the zero Source for a key neither sets.
func (ic IssuerConfig) Source(key string) Source { return ic.sources[key] }

// name is the entry's key as messages name it: "issuers[1].audiences".
func (ic IssuerConfig) name(key string) string {
	return "issuers[" + strconv.Itoa(ic.Index) + "]." + key
}

// issuerSetting declares one key of an issuers: entry, once, in the style
// of setting: its YAML key, type, the global setting it defaults to, help
// and checks. decodeIssuers, Validate, Describe, ExampleYAML and the
// README's table of issuer keys are driven by issuerSettings.
type issuerSetting struct {
	key    string
	kind   kind   // kindString, kindList, kindBool, kindDuration, kindMaxAge or kindClaims
	global string // the global setting's name whose value is the default; "" for none
	defDoc string // the default as told to people
	help   string
	field  string // the verifier.Config field it sets, for the library's errors
	ptr    func(*IssuerConfig) any
	check  func(c Config, ic IssuerConfig, r *report)
}

// kindClaims is a mapping of claim assertions (assert_claims).
const kindClaims kind = 100

// issuerSettings is the table of an issuers: entry's keys.
var issuerSettings = []*issuerSetting{
	{key: "issuer", kind: kindString, field: "Issuer", defDoc: "none: required",
		help: "issuer URL, as its tokens carry it in \"iss\"; a template holding {tenantid} (Entra ID: https://login.microsoftonline.com/{tenantid}/v2.0) accepts the tenants of tenants or any_tenant, and needs jwks_url",
		ptr:  func(ic *IssuerConfig) any { return &ic.Issuer }, check: checkEntryIssuer},
	{key: "audiences", kind: kindList, field: "Audiences", defDoc: "none: required unless allow_missing_audience",
		help: "accepted \"aud\" values: a token's \"aud\" must hold one of them",
		ptr:  func(ic *IssuerConfig) any { return &ic.Audiences }},
	{key: "client_ids", kind: kindList, field: "ClientID", defDoc: "none: no client check",
		help: "the client access tokens must be issued to (\"cid\", else \"client_id\", else \"azp\"); one client per issuer",
		ptr:  func(ic *IssuerConfig) any { return &ic.ClientIDs }, check: checkEntryClientIDs},
	{key: "jwks_url", kind: kindString, field: "JWKSURL", defDoc: "the URL discovery names",
		help: "fetch the keys from this URL instead of discovery's; required for a template issuer",
		ptr:  func(ic *IssuerConfig) any { return &ic.JWKSURL }},
	{key: "algorithms", kind: kindList, field: "Algorithms", global: "ALGORITHMS", defDoc: "ALGORITHMS",
		help: "JWS algorithms accepted, any of " + strings.Join(verifier.SupportedAlgorithms(), ", "),
		ptr:  func(ic *IssuerConfig) any { return &ic.Algorithms }},
	{key: "leeway", kind: kindDuration, field: "Leeway", defDoc: "30s",
		help: "clock skew tolerated on \"exp\", \"nbf\" and \"iat\"; 0 means the default",
		ptr:  func(ic *IssuerConfig) any { return &ic.Leeway }, check: checkEntryLeeway},
	{key: "assert_claims", kind: kindClaims, field: "AssertClaims", defDoc: "none",
		help: "further claims required, as the Express sample's assertClaims: claim: value for equality, claim.includes: value or [values] for an array (or space-separated string) claim holding each",
		ptr:  func(ic *IssuerConfig) any { return &ic.AssertClaims }},
	{key: "tenants", kind: kindList, field: "Tenants", defDoc: "none",
		help: "for a template issuer, the tenant ids whose tokens are accepted",
		ptr:  func(ic *IssuerConfig) any { return &ic.Tenants }, check: checkEntryTenants},
	{key: "any_tenant", kind: kindBool, field: "AnyTenant", defDoc: "false",
		help: "for a template issuer, accept every tenant (multi-tenant applications; a tenant is then no boundary)",
		ptr:  func(ic *IssuerConfig) any { return &ic.AnyTenant }},
	{key: "keys_max_age", kind: kindMaxAge, field: "MaxKeyAge", global: "KEYS_MAX_AGE", defDoc: "KEYS_MAX_AGE",
		help: "how long the last keys are used while the issuer does not answer; none for no bound",
		ptr:  func(ic *IssuerConfig) any { return &ic.MaxKeyAge }},
	{key: "require_at_jwt", kind: kindBool, field: "RequireAccessTokenType", global: "REQUIRE_AT_JWT", defDoc: "REQUIRE_AT_JWT",
		help: "refuse access tokens whose header lacks \"typ\": \"at+jwt\"",
		ptr:  func(ic *IssuerConfig) any { return &ic.RequireAccessTokenType }},
	{key: "allow_missing_audience", kind: kindBool, field: "AllowMissingAudience", global: "ALLOW_MISSING_AUDIENCE", defDoc: "ALLOW_MISSING_AUDIENCE",
		help: "accept access tokens without \"aud\" when their client is client_ids' (required with it)",
		ptr:  func(ic *IssuerConfig) any { return &ic.AllowMissingAudience }},
	{key: "introspection", kind: kindIntrospection, defDoc: "none: tokens are verified locally, opaque ones refused",
		help: introspectionHelp(),
		ptr:  func(ic *IssuerConfig) any { return &ic.Introspection }, check: checkEntryIntrospection},
	{key: "dpop", kind: kindString, defDoc: DPoPAllowed,
		help: "DPoP (RFC 9449): off refuses the DPoP scheme; allowed takes an unbound token as Bearer; required takes DPoP-bound tokens only; in every mode but off a DPoP-bound token (\"cnf\": {\"jkt\"}) must come with the DPoP scheme and a valid proof",
		ptr:  func(ic *IssuerConfig) any { return &ic.DPoP }, check: checkEntryDPoP},
}

// issuerSettingByKey finds an entry's key; nil for none.
func issuerSettingByKey(key string) *issuerSetting {
	for _, s := range issuerSettings {
		if s.key == key {
			return s
		}
	}
	return nil
}

// issuerSettingByField finds the entry's key that sets a verifier.Config
// field; nil for none.
func issuerSettingByField(field string) *issuerSetting {
	for _, s := range issuerSettings {
		if s.field == field {
			return s
		}
	}
	return nil
}

// inherit gives ic the global settings' values for the keys it does not
// set, with their sources.
func (ic *IssuerConfig) inherit(c *Config) {
	for _, s := range issuerSettings {
		if s.global == "" || ic.sources[s.key].Kind != SourceUnknown {
			continue
		}
		g := settingByName(s.global)
		switch p := s.ptr(ic).(type) {
		case *[]string:
			*p = slices.Clone(*g.ptr(c).(*[]string))
		case *time.Duration:
			*p = *g.ptr(c).(*time.Duration)
		case *bool:
			*p = *g.ptr(c).(*bool)
		}
		ic.sources[s.key] = c.sources[s.global]
	}
}

// verifierConfig is the entry as a verifier.Config; see VerifierConfigs.
func (ic IssuerConfig) verifierConfig(c Config) verifier.Config {
	vc := verifier.Config{
		Issuer:                 ic.Issuer,
		Audiences:              ic.Audiences,
		JWKSURL:                ic.JWKSURL,
		Algorithms:             ic.Algorithms,
		Leeway:                 ic.Leeway,
		AssertClaims:           ic.AssertClaims,
		MaxKeyAge:              ic.MaxKeyAge,
		RequireAccessTokenType: ic.RequireAccessTokenType,
		AllowMissingAudience:   ic.AllowMissingAudience,
		InsecureAllowHTTP:      c.InsecureAllowHTTP,
	}
	if len(ic.ClientIDs) > 0 {
		vc.ClientID = ic.ClientIDs[0] // Validate refuses more than one
	}
	if in := ic.Introspection; in != nil {
		// ClientSecret holds the secret itself by now: Load read the
		// variable client_secret_env names.
		vc.Introspection = &verifier.Introspection{URL: in.URL, ClientID: in.ClientID, ClientSecret: in.ClientSecret,
			CacheTTL: in.CacheTTL, InactiveTTL: in.InactiveTTL}
	}
	setTenants(&vc, ic)
	return vc
}

// display is the entry's value of s as text for people.
func (s *issuerSetting) display(ic IssuerConfig) string {
	p := s.ptr(&ic)
	if text, ok := formatValue(p, s.kind); ok {
		return text
	}
	if in, ok := p.(**IntrospectionConfig); ok {
		if *in == nil {
			return ""
		}
		return (*in).String()
	}
	if m, ok := p.(*map[string]any); ok {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(*m)) {
			parts = append(parts, fmt.Sprintf("%s=%v", k, (*m)[k]))
		}
		return strings.Join(parts, " ")
	}
	panic("config: issuer key " + s.key + " has an unknown field type")
}
