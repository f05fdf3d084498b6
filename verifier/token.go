package verifier

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Header is the JOSE header of a verified token.
type Header struct {
	Algorithm string // "alg"
	KeyID     string // "kid"
	Type      string // "typ", empty when absent
}

// Token is a verified token. It is immutable and may be shared between
// goroutines.
//
// A token judged by the issuer's introspection endpoint (RFC 7662) rather
// than by its signature has the introspection response's members as its
// claims (Claims, Claim, and the accessors: "scope", "client_id", "sub",
// "exp", "cnf"…), the zero Header, and Issuer the configured issuer.
//
// The registered claims have typed accessors; every other claim is reachable
// through Claim or Claims.
//
// Only a Verifier makes a Token that holds anything. The zero Token is an
// empty one: its methods return zero values (Claims an empty map, Claim
// false, MarshalJSON {"header":{},"claims":{}}) and never panic.
type Token struct {
	// raw is the token as presented. The header and claims JSON are decoded
	// from it on demand: a cached Token then costs little more than the token
	// itself.
	raw string
	// *tokenClaims is what was read from the token, immutable once verified:
	// the verified-token cache keeps it (without raw) and every Token it
	// answers with shares it, so that a cache hit allocates only raw and
	// this pointer. Nil in the zero Token (see claims).
	*tokenClaims
}

// tokenClaims is the part of a Token that does not depend on who presented
// it.
type tokenClaims struct {
	header Header

	issuer    string
	subject   string
	audience  []string
	expiry    time.Time
	notBefore time.Time
	issuedAt  time.Time
	id        string
	clientID  string
	scopes    []string
	nonce     string
	jkt       string // cnf.jkt: the DPoP key the token is bound to
	// payload is, for a token judged by introspection, the response
	// object (RFC 7662 §2.2, or RFC 9701's "token_introspection"): its
	// claims, since the token itself holds none. Nil for a JWT, whose
	// claims are decoded from its text.
	payload []byte
}

// noClaims are the zero Token's.
var noClaims tokenClaims

// claims returns t's claims, empty ones for the zero Token.
func (t *Token) claims() *tokenClaims {
	if t.tokenClaims == nil {
		return &noClaims
	}
	return t.tokenClaims
}

// Header returns the token's JOSE header.
func (t *Token) Header() Header { return t.claims().header }

// Issuer returns the "iss" claim.
func (t *Token) Issuer() string { return t.claims().issuer }

// Subject returns the "sub" claim, empty when absent.
func (t *Token) Subject() string { return t.claims().subject }

// Audience returns the "aud" claim as a list (a string "aud" becomes a list
// of one). The slice is a copy.
func (t *Token) Audience() []string { return slices.Clone(t.claims().audience) }

// Expiry returns the "exp" claim.
func (t *Token) Expiry() time.Time { return t.claims().expiry }

// NotBefore returns the "nbf" claim, the zero time when absent.
func (t *Token) NotBefore() time.Time { return t.claims().notBefore }

// IssuedAt returns the "iat" claim, the zero time when absent.
func (t *Token) IssuedAt() time.Time { return t.claims().issuedAt }

// ID returns the "jti" claim, empty when absent. It identifies the token in
// logs without revealing it.
func (t *Token) ID() string { return t.claims().id }

// ClientID returns the client the token was issued to: Okta's "cid" claim,
// else RFC 9068's "client_id", else OpenID Connect's "azp" (Auth0, Keycloak,
// Entra ID v2, ZITADEL), else empty.
func (t *Token) ClientID() string { return t.claims().clientID }

// Scopes returns the granted scopes, read from "scp" (Okta's array, or Entra
// ID's space-separated string) or else from "scope" (RFC 9068's
// space-separated string, or the array of IdentityServer and Spring
// Authorization Server). A string is split on spaces (U+0020) only, as RFC
// 6749 §3.3 defines it; a token whose scope claim holds any character a
// scope-token cannot (a tab, a no-break space, a quote…) is refused with
// ErrInvalidClaim, so every scope returned is a valid scope-token. The
// slice is a copy.
func (t *Token) Scopes() []string { return slices.Clone(t.claims().scopes) }

// HasScope reports whether scope was granted, comparing exactly (scopes are
// case-sensitive).
func (t *Token) HasScope(scope string) bool { return slices.Contains(t.claims().scopes, scope) }

// Nonce returns an ID token's "nonce" claim, empty when absent.
func (t *Token) Nonce() string { return t.claims().nonce }

// KeyThumbprint returns the "jkt" member of the "cnf" (confirmation) claim:
// the base64url SHA-256 JWK thumbprint (RFC 7638) of the key a DPoP-bound
// token is bound to (RFC 9449 §6.1); empty for a token bound to no key.
func (t *Token) KeyThumbprint() string { return t.claims().jkt }

// segment returns the decoded header (0) or payload (1) of the token, "{}"
// for the zero Token. A verified token was checked, so decoding cannot fail.
// A token judged by introspection has no header ("{}") and its
// introspection response as payload.
func (t *Token) segment(i int) []byte {
	if p := t.claims().payload; p != nil {
		if i == 1 {
			return p
		}
		return []byte("{}")
	}
	parts := strings.SplitN(t.raw, ".", 3)
	if len(parts) < 3 {
		return []byte("{}")
	}
	b, _ := decodeSegment(parts[i])
	return b
}

// Claim decodes the named top-level claim into dst, as json.Unmarshal would.
// It reports false when the claim is absent.
func (t *Token) Claim(name string, dst any) (bool, error) {
	members, err := parseObject(t.segment(1), nil, 16)
	if err != nil {
		return false, err
	}
	raw, ok := members.get(name)
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, dst)
}

// Claims returns every claim of the token, decoded into a new map that the
// caller may modify. Numbers are json.Number, so large integers stay exact.
func (t *Token) Claims() map[string]any {
	out := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(t.segment(1)))
	dec.UseNumber()
	dec.Decode(&out)
	return out
}

// MarshalJSON encodes the token as the Express sample's /secure route shows
// it: {"header":{…},"claims":{…}}, both as the issuer sent them.
func (t *Token) MarshalJSON() ([]byte, error) {
	header, claims := t.segment(0), t.segment(1)
	var b bytes.Buffer
	b.Grow(len(header) + len(claims) + 24)
	b.WriteString(`{"header":`)
	b.Write(header)
	b.WriteString(`,"claims":`)
	b.Write(claims)
	b.WriteString(`}`)
	return b.Bytes(), nil
}
