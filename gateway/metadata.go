package gateway

import (
	"net/http"
	"slices"
	"strings"
)

// WellKnownMetadataPath is where RFC 9728 §3.1 puts the protected-resource
// metadata of a resource without a path; a resource with a path has it
// appended (see MetadataPath).
const WellKnownMetadataPath = "/.well-known/oauth-protected-resource"

// MetadataPath returns the path of the RFC 9728 metadata of the resource
// whose identifier has the path resourcePath: WellKnownMetadataPath followed
// by resourcePath without its trailing "/" ("" or "/" → the well-known path
// itself; "/api/" → "/.well-known/oauth-protected-resource/api").
func MetadataPath(resourcePath string) string {
	return WellKnownMetadataPath + strings.TrimSuffix(resourcePath, "/")
}

// MetadataURL returns a bearer.Options.ResourceMetadataFunc for a gateway
// that serves one protected resource per path prefix: the challenge of a
// request under the longest of prefixes that holds its path names
// baseURL + MetadataPath(prefix). A request under none gets "" (bearer then
// uses Options.ResourceMetadata). baseURL is the resource server's own
// origin, e.g. "https://api.example.com", never taken from the request's
// Host, which is the client's to choose.
func MetadataURL(baseURL string, prefixes ...string) func(*http.Request) string {
	prefixes = slices.Clone(prefixes)
	// Longest first, so the first that holds a path is the most specific.
	slices.SortFunc(prefixes, func(a, b string) int { return len(b) - len(a) })
	urls := make([]string, len(prefixes))
	for i, p := range prefixes {
		urls[i] = strings.TrimSuffix(baseURL, "/") + MetadataPath(p)
	}
	return func(r *http.Request) string {
		for i, p := range prefixes {
			if underPrefix(r.URL.Path, p) {
				return urls[i]
			}
		}
		return ""
	}
}

// ScopesSupported returns the scopes_supported of the RFC 9728 metadata of
// the resource at prefix: every scope of Scopes and AnyScopes of the
// non-public routes whose pattern's path lies under prefix ("" or "/": all
// routes), sorted, each once. A route's path is its Match without method
// and host; a path under the prefix is the prefix itself or continues it
// after a "/".
func (g *Gateway) ScopesSupported(prefix string) []string {
	var out []string
	for _, rt := range g.routes {
		if underPrefix(patternPath(rt.match), prefix) {
			out = append(out, rt.scopes...)
			out = append(out, rt.anyScopes...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// patternPath returns the path of a ServeMux pattern: "GET host/a/{x}" →
// "/a/{x}".
func patternPath(pattern string) string {
	if _, rest, ok := strings.Cut(pattern, " "); ok {
		pattern = strings.TrimLeft(rest, " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return pattern
}

// underPrefix reports whether path is prefix or lies below it.
func underPrefix(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return true
	}
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && (rest == "" || rest[0] == '/')
}
