package metrics

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// unknownIssuer labels a decision whose token names no configured issuer
// (or none that could be read).
const unknownIssuer = "unknown"

// tenantPlaceholder is the placeholder of a template issuer, kept in its
// label.
const tenantPlaceholder = "{tenantid}"

// maxPayload bounds the base64url payload read for an unverified "iss":
// past it a refused token is labelled "unknown" unread.
const maxPayload = 16 << 10

// issuerIndex maps a token's "iss" to the index of its label: 0 for
// "unknown", i for the configured issuer labels[i]. It is immutable.
type issuerIndex struct {
	labels    []string
	exact     map[string]int
	templates []template
}

// template is a configured issuer holding "{tenantid}": it matches an
// "iss" of prefix, one non-empty path segment, suffix.
type template struct {
	prefix, suffix string
	index          int
}

func newIssuerIndex(configured []string) *issuerIndex {
	x := &issuerIndex{labels: []string{unknownIssuer}, exact: make(map[string]int)}
	for _, iss := range configured {
		if _, dup := x.exact[iss]; dup || iss == "" {
			continue
		}
		i := len(x.labels)
		x.labels = append(x.labels, iss)
		x.exact[iss] = i
		if prefix, suffix, ok := strings.Cut(iss, tenantPlaceholder); ok {
			x.templates = append(x.templates, template{prefix: prefix, suffix: suffix, index: i})
		}
	}
	return x
}

// of returns the label index of iss: a configured issuer's, that of the
// template it fits, or 0.
func (x *issuerIndex) of(iss string) int {
	if i, ok := x.exact[iss]; ok {
		return i
	}
	for _, t := range x.templates {
		if len(iss) <= len(t.prefix)+len(t.suffix) ||
			!strings.HasPrefix(iss, t.prefix) || !strings.HasSuffix(iss, t.suffix) {
			continue
		}
		if tenant := iss[len(t.prefix) : len(iss)-len(t.suffix)]; !strings.ContainsAny(tenant, "/?#") {
			return t.index
		}
	}
	return 0
}

// unverifiedIssuer returns the "iss" claim of a compact JWS without
// verifying anything, "" when it cannot be read. Its result is only ever
// compared with the configured issuers, never used as a label itself.
func unverifiedIssuer(raw string) string {
	_, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return ""
	}
	payload, _, ok := strings.Cut(rest, ".")
	if !ok || len(payload) > maxPayload {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	return claims.Iss
}
