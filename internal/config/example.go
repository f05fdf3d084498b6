package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// exampleText is the value ExampleYAML writes for s: the default, or for
// ISSUER, which has none, an example.
func (s *setting) exampleText() string {
	if s.env == "ISSUER" {
		return exampleIssuer
	}
	return s.format(Default())
}

// yamlScalar writes text, a value of s, as YAML: lists as flow sequences,
// strings double-quoted, numbers, booleans and durations plain.
func yamlScalar(s *setting, text string) string {
	switch s.kind {
	case kindInt, kindBool, kindLooseBool, kindDuration, kindMaxAge:
		return text
	case kindList:
		items := splitList(text)
		for i, it := range items {
			items[i] = strconv.Quote(it)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return strconv.Quote(text)
}

// ExampleYAML writes a commented YAML configuration file that sets every
// setting a file can set to its default (ISSUER to an example issuer), each
// under its help; `resource-server config check` accepts it as it is.
func ExampleYAML(w io.Writer) {
	var b strings.Builder
	wrap(&b, "# ", "resource-server configuration. Use it with: resource-server --config resource-server.yaml "+
		"(the file must end in .yaml or .yml). Environment variables and flags override what it sets; "+
		"a key left out, null or \"\" keeps its default. Check it with: resource-server config check --config resource-server.yaml")
	for _, s := range settings {
		if s.key() == "" {
			continue
		}
		b.WriteByte('\n')
		text := s.help
		if d := s.defaultText(); d != "" {
			text += ". Default: " + d
		}
		wrap(&b, "# ", text+". Environment "+s.env+", flag --"+s.flag+".")
		b.WriteString(s.key() + ": " + yamlScalar(s, s.exampleText()) + "\n")
	}
	exampleIssuers(&b)
	exampleRoutes(&b)
	io.WriteString(w, b.String())
}

// exampleIssuers writes the example file's commented issuers: block: what
// the list is, each key of an entry with its help and default, and the
// README's two-issuer example.
func exampleIssuers(b *strings.Builder) {
	b.WriteByte('\n')
	wrap(b, "# ", "issuers: several authorization servers, each with its own audiences, clients, keys and rules; "+
		"a token is checked by the entry whose issuer is its \"iss\". The list replaces issuer, client_id, audience and jwks_url above: "+
		"remove those when you uncomment it. The keys of an entry:")
	for _, s := range issuerSettings {
		wrap(b, "#   ", s.key+": "+s.help+". Default: "+s.defDoc+".")
	}
	b.WriteString(exampleIssuersYAML)
}

// exampleIssuersYAML is the README's example of the issuers: list,
// commented, and an issuer whose opaque tokens are introspected, its client
// secret read from the environment, that takes DPoP-bound tokens only.
const exampleIssuersYAML = `# issuers:
#   - issuer: https://dev-123456.okta.com/oauth2/default
#     audiences: [api://default]
#     client_ids: [0oa1b2c3d4]
#   - issuer: https://login.microsoftonline.com/{tenantid}/v2.0
#     audiences: [api://orders]
#     jwks_url: https://login.microsoftonline.com/common/discovery/v2.0/keys
#     tenants: [72f988bf-86f1-41af-91ab-2d7cd011db47]
#   - issuer: https://id.example.com/oauth2/default
#     audiences: [api://id]
#     introspection:
#       url: https://id.example.com/oauth2/default/v1/introspect
#       client_id: rs-client
#       client_secret_env: RS_CLIENT_SECRET
#     dpop: required
`

// MarkdownTable returns the README's table of settings, one row per
// setting: environment variable, flag, YAML key, key in
// .samples.config.json, default and help.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Environment | Flag | YAML key | `.samples.config.json` key | Default | Meaning |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	code := func(s string) string {
		if s == "" {
			return ""
		}
		return "`" + s + "`"
	}
	for _, s := range settings {
		def := code(s.def)
		if s.defDoc != "" {
			def = s.defDoc
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", code(s.env), code("--"+s.flag), code(s.key()), code(s.json), def, s.help)
	}
	return b.String()
}

// MarkdownIssuerTable returns the README's table of the keys of an
// issuers: entry, one row per key: key, default and help.
func MarkdownIssuerTable() string {
	var b strings.Builder
	b.WriteString("| Key | Default | Meaning |\n|---|---|---|\n")
	for _, s := range issuerSettings {
		def := s.defDoc
		if s.global != "" {
			def = "`" + s.global + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.key, def, s.help)
	}
	return b.String()
}

// Describe writes the effective configuration, one setting a line: its
// name, its value (secrets redacted: DEV_PASSWORD, DPOP_NONCE_SECRET,
// STORE's password, an introspection client secret) and where the value
// came from (flag, env, file and line, or default). `resource-server config
// check` prints it.
func (c Config) Describe(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range settings {
		v := s.display(c)
		if v == "" {
			v = `""`
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.name(), v, c.Source(s.name()).origin())
	}
	c.describeIssuers(tw)
	c.describeRoutes(tw)
	return tw.Flush()
}

// origin says where a value came from, for Describe: "flag --port", "env
// PORT", "file f.yaml:3", "file .samples.config.json (resourceServer.port)",
// "default".
func (s Source) origin() string {
	switch s.Kind {
	case SourceFlag:
		return "flag " + s.Name
	case SourceEnv:
		return "env " + s.Name
	case SourceFile:
		if s.Line > 0 {
			return "file " + s.File + ":" + strconv.Itoa(s.Line)
		}
		return "file " + s.File + " (" + s.Name + ")"
	case SourceDefault:
		return "default"
	}
	return "unknown"
}
