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
	b.WriteString("Usage: resource-server [flags]\n\n")
	wrap(&b, "", "An OAuth 2.0 resource server: the API of Okta's Express resource-server sample "+
		"(GET /, GET /api/messages, GET /secure) protected by access tokens from the issuer you name. "+
		"Run it with --dev to try the whole flow, with an embedded development issuer and the demo front-end, "+
		"without an Okta account.")
	b.WriteByte('\n')
	wrap(&b, "", "Each setting is taken from its flag, else its environment variable, else the JSON file "+
		"("+DefaultFile+" in the working directory, or the file --config names, in the Express sample's shape), "+
		"else its default. Flags take one dash or two; a boolean flag's value is attached with \"=\" (--secure-route=false).")
	b.WriteString("\nFlags:\n")
	for _, s := range settings {
		b.WriteString("  --" + s.flag + "=" + s.meta)
		var from []string
		if s.env != "" {
			from = append(from, "env "+s.env)
		}
		if s.file != "" {
			from = append(from, "file "+s.file)
		}
		if len(from) > 0 {
			b.WriteString("  (" + strings.Join(from, ", ") + ")")
		}
		b.WriteByte('\n')
		text := s.usage
		if s.def != "" {
			text += " (default " + s.def + ")"
		}
		wrap(&b, "        ", text)
	}
	b.WriteString("  -h, --help\n")
	wrap(&b, "        ", "print this text")
	io.WriteString(w, b.String())
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
