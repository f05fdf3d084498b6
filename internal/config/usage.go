package config

import (
	"io"
	"strings"
)

// Usage writes the --help text: what the program does, the precedence of the
// configuration layers, and every setting with its flag, environment
// variable, file key and default. Load's help error carries the same text.
func Usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: resource-server [flags]\n       resource-server config check [--config FILE] [flags]\n       resource-server config example\n" +
		"       resource-server explain [--config FILE] [--jwks FILE] [flags] [METHOD PATH] [TOKEN|-]\n\n")
	wrap(&b, "", "An OAuth 2.0 resource server: the API of Okta's Express resource-server sample "+
		"(GET /, GET /api/messages, GET /secure) protected by access tokens from the issuer you name. "+
		"Run it with --dev to try the whole flow, with an embedded development issuer and the demo front-end, "+
		"without an Okta account.")
	b.WriteByte('\n')
	wrap(&b, "", "Each setting is taken from its flag, else its environment variable, else the configuration file "+
		"(--config: a .yaml or .yml file, see `resource-server config example`; else JSON, "+DefaultFile+" in the working directory "+
		"by default, in the Express sample's shape), else its default. Flags take one dash or two; a boolean flag's value is attached with \"=\" (--secure-route=false).")
	b.WriteString("\nCommands:\n")
	b.WriteString("  resource-server config check [--config FILE] [flags]\n")
	wrap(&b, "        ", "check the configuration and print every setting's value and where it came from; exit 1 if it cannot run")
	b.WriteString("  resource-server config example\n")
	wrap(&b, "        ", "print a commented YAML configuration file holding every setting, and a commented issuers: list")
	b.WriteString("  resource-server explain [--config FILE] [--jwks FILE] [flags] [METHOD PATH] [TOKEN|-]\n")
	wrap(&b, "        ", "verify a token (standard input when - or absent) as the server would on METHOD PATH (default GET /api/messages): "+
		"each check with its outcome, the decoded header and claims, and the status and WWW-Authenticate the server answers; "+
		"--jwks FILE verifies against a local key set; exit 0 accepted, 1 refused, 2 usage or configuration error")
	b.WriteByte('\n')
	wrap(&b, "", "Several issuers: a YAML file's issuers: list, one entry per issuer (keys "+issuerKeys()+"); "+
		"ALGORITHMS, KEYS_MAX_AGE, REQUIRE_AT_JWT and ALLOW_MISSING_AUDIENCE are each entry's defaults. See `resource-server config example`.")
	wrap(&b, "", "Routes: a YAML file's routes: list, one entry per route (keys "+strings.Join(routeKeys(), ", ")+"), "+
		"proxies requests to upstreams or built-in handlers instead of serving the built-in routes; "+
		"FORWARD_AUTH_PATH is its forward-auth endpoint. See `resource-server config example`.")
	b.WriteString("\nFlags:\n")
	for _, s := range settings {
		b.WriteString("  --" + s.flag + "=" + s.meta)
		var from []string
		if s.env != "" {
			from = append(from, "env "+s.env)
		}
		if s.key() != "" {
			from = append(from, "yaml "+s.key())
		}
		if s.json != "" {
			from = append(from, "json "+s.json)
		}
		if len(from) > 0 {
			b.WriteString("  (" + strings.Join(from, ", ") + ")")
		}
		b.WriteByte('\n')
		text := s.help
		if d := s.defaultText(); d != "" {
			text += " (default " + d + ")"
		}
		wrap(&b, "        ", text)
	}
	b.WriteString("  -h, --help\n")
	wrap(&b, "        ", "print this text")
	io.WriteString(w, b.String())
}

// issuerKeys lists the keys of an issuers: entry.
func issuerKeys() string {
	keys := make([]string, len(issuerSettings))
	for i, s := range issuerSettings {
		keys[i] = s.key
	}
	return strings.Join(keys, ", ")
}

// wrap writes text word-wrapped at 80 columns, each line indented.
func wrap(b *strings.Builder, indent, text string) {
	const width = 80
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}
