package verifier

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// Header is the JOSE header of a verified token.
type Header struct {
	Algorithm string // "alg"
	KeyID     string // "kid"
	Type      string // "typ", empty when absent
}

// Token is a verified token. It is immutable and may be shared between
// goroutines (the verifier hands the same *Token to every request that
// presents the same token while it is cached).
//
// The registered claims have typed accessors; every other claim is reachable
// through Claim or Claims.
type Token struct {
	header    Header
	rawHeader json.RawMessage            // the decoded JOSE header, as sent
	rawClaims json.RawMessage            // the decoded payload, as sent
	claims    map[string]json.RawMessage // top-level claims by exact name

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
}

// Header returns the token's JOSE header.
func (t *Token) Header() Header { return t.header }

// Issuer returns the "iss" claim.
func (t *Token) Issuer() string { return t.issuer }

// Subject returns the "sub" claim, empty when absent.
func (t *Token) Subject() string { return t.subject }

// Audience returns the "aud" claim as a list (a string "aud" becomes a list
// of one). The slice is a copy.
func (t *Token) Audience() []string { return slices.Clone(t.audience) }

// Expiry returns the "exp" claim.
func (t *Token) Expiry() time.Time { return t.expiry }

// NotBefore returns the "nbf" claim, the zero time when absent.
func (t *Token) NotBefore() time.Time { return t.notBefore }

// IssuedAt returns the "iat" claim, the zero time when absent.
func (t *Token) IssuedAt() time.Time { return t.issuedAt }

// ID returns the "jti" claim, empty when absent. It identifies the token in
// logs without revealing it.
func (t *Token) ID() string { return t.id }

// ClientID returns the client the token was issued to: Okta's "cid" claim,
// else RFC 9068's "client_id", else empty.
func (t *Token) ClientID() string { return t.clientID }

// Scopes returns the granted scopes, read from Okta's "scp" array or from
// RFC 9068's space-separated "scope" string. The slice is a copy.
func (t *Token) Scopes() []string { return slices.Clone(t.scopes) }

// HasScope reports whether scope was granted.
func (t *Token) HasScope(scope string) bool { return slices.Contains(t.scopes, scope) }

// Nonce returns an ID token's "nonce" claim, empty when absent.
func (t *Token) Nonce() string { return t.nonce }

// Claim decodes the named top-level claim into dst, as json.Unmarshal would.
// It reports false when the claim is absent.
func (t *Token) Claim(name string, dst any) (bool, error) {
	raw, ok := t.claims[name]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, dst)
}

// Claims returns every claim of the token, decoded into a new map that the
// caller may modify.
func (t *Token) Claims() map[string]any {
	out := make(map[string]any, len(t.claims))
	for name, raw := range t.claims {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // keep large integers exact
		if dec.Decode(&v) == nil {
			out[name] = v
		}
	}
	return out
}

// MarshalJSON encodes the token as the Express sample's /secure route shows
// it: {"header":{…},"claims":{…}}, both as the issuer sent them.
func (t *Token) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(t.rawHeader) + len(t.rawClaims) + 24)
	b.WriteString(`{"header":`)
	b.Write(t.rawHeader)
	b.WriteString(`,"claims":`)
	b.Write(t.rawClaims)
	b.WriteString(`}`)
	return b.Bytes(), nil
}
