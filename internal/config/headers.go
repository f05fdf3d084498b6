package config

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// headersKey is the YAML key of the claim headers of every route (see
// Config.Headers). Like routes:, only a YAML file holds it: a mapping has
// no place in one environment variable or flag.
const headersKey = "headers"

// headerList is the top-level headers: key of a YAML file: its entries
// and where the key stands.
type headerList struct {
	entries []HeaderConfig
	src     Source
}

// decodeHeaders reads the value v of the top-level headers: key k with the
// reader of a route's headers:, so that both take the same syntax and
// their messages the same words, each header named headers.Name. A null or
// empty value sets nothing, as for any key.
func decodeHeaders(k, v *yaml.Node, path string) (*headerList, error) {
	src := Source{Kind: SourceFile, Name: headersKey, File: path, Line: k.Line}
	if v = resolveAlias(v); isNullNode(v) {
		return nil, nil
	}
	headers, err := yamlHeaders(headersKey, v, path)
	if err != nil {
		if err.Field == "" { // about the mapping itself, not one header
			err.Field, err.Source = headersKey, src
		}
		return nil, err
	}
	return &headerList{entries: headers, src: src}, nil
}

// validateHeaders checks the top-level headers: as a route's headers: are
// checked, and refuses them where no route would send them: without
// routes:, or when every route is public. The gateway removes from
// requests only the headers some route sets, so there a client's own
// X-Auth-Subject would reach the upstream, which trusts it.
func (c Config) validateHeaders(r *report) {
	if len(c.Headers) == 0 {
		return
	}
	checkHeaders(c.Headers, headersKey, "headers:", r)
	bad := func(problem, fix string) {
		r.errs = append(r.errs, &Error{Field: headersKey, Source: c.headersSource, Problem: problem, Fix: fix})
	}
	switch {
	case len(c.Routes) == 0:
		bad("is set without a routes: list", "headers: applies to the routes of routes:; add routes: or remove headers:")
	case !slices.ContainsFunc(c.Routes, func(rc RouteConfig) bool { return rc.Auth != authNone }):
		bad("applies to no route: every route of routes: is public (auth: none), without a token to take claims from",
			"remove headers:, or drop auth: none from a route whose requests must carry a token")
	}
}

// headersWith is the claim headers the route sends, given top, the
// top-level headers:: top's, but those the route names itself (in any
// case), then the route's own, each in the file's order. A public route
// has no token to take claims from: top does not apply to it, though the
// gateway still removes its headers from the route's requests, since
// another route sets them.
func (rc RouteConfig) headersWith(top []HeaderConfig) []HeaderConfig {
	if rc.Auth == authNone {
		return rc.Headers
	}
	var headers []HeaderConfig
	for _, h := range top {
		if !slices.ContainsFunc(rc.Headers, func(own HeaderConfig) bool { return strings.EqualFold(own.Name, h.Name) }) {
			headers = append(headers, h)
		}
	}
	return append(headers, rc.Headers...)
}

// displayHeaders is headers as text for people, for Describe.
func displayHeaders(headers []HeaderConfig) string {
	parts := make([]string, len(headers))
	for i, h := range headers {
		parts[i] = h.Name + "=" + h.Claim + " (separator " + strconv.Quote(h.Separator) + ")"
	}
	return strings.Join(parts, " ")
}

// describeHeaders is the route's headers: line of Describe: the headers it
// sends, the top-level ones included, and where they came from; own is
// the origin of its own headers:.
func (rc RouteConfig) describeHeaders(c Config, own string) (value, origin string) {
	all := rc.headersWith(c.Headers)
	if len(all) == len(rc.Headers) { // none from the top level
		return displayHeaders(rc.Headers), own
	}
	origin = "as headers, " + c.headersSource.origin()
	if len(rc.Headers) > 0 {
		origin = own + "; " + origin
	}
	return displayHeaders(all), origin
}

// exampleHeaders writes the example file's commented top-level headers:.
func exampleHeaders(b *strings.Builder) {
	b.WriteByte('\n')
	wrap(b, "# ", "headers: claim headers for every route of routes: that takes a token, written as a route's headers: "+
		"(Header-Name: /json/pointer, or Header-Name: {claim: /pointer, separator: \" \"}). A route's own headers: adds to them, "+
		"and a header it names replaces the one of the same name here. It needs routes:.")
	b.WriteString("# headers:\n#   X-Auth-Subject: /sub\n")
}
