package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// proofClaimNames are the members of a proof's payload (RFC 9449 §4.2), and
// the registered JWT claims a proof might carry: a case variant of any is
// refused, since another reader could take it for the registered one.
var proofClaimNames = registry("jti", "htm", "htu", "iat", "ath", "nonce", "iss", "sub", "aud", "exp", "nbf", "cnf")

// privateJWKMembers are the JWK members that hold private or symmetric key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4; "priv" of AKP keys). A proof's
// jwk must hold none (RFC 9449 §4.3 check 7): parseKey would quietly keep
// the public half, but a client that sends its private key has lost it,
// and accepting the proof would hide that.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// proofKey is the key of a proof's header, read and checked, and the
// algorithm it signs with.
type proofKey struct {
	alg    string
	entry  *proofKeyEntry
	raw    []byte // the header's "jwk" as written, the cache's key
	cached bool   // entry came from the cache
}

// proofClaims are the claims read from a proof's payload.
type proofClaims struct {
	jti, htm, htu, ath, nonce string
	hasNonce                  bool
	iat                       time.Time
}

// asProofError turns an error of the shared readers (splitCompact,
// parseObject, findHeaderMembers, parseKey) into an ErrInvalidProof saying
// where it was found, so that a refused proof is never reported as a
// malformed token.
func asProofError(where string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		out := *ve
		out.Kind = ErrInvalidProof
		out.Detail = strings.TrimSpace(where + " " + ve.Detail)
		return &out
	}
	return &ValidationError{Kind: ErrInvalidProof, Detail: where, Err: err}
}

// checkProofHeader applies the header checks of RFC 9449 §4.3 (4, 5, 7):
// "typ" is dpop+jwt, "alg" is on the allow-list, "jwk" is a public key of
// a type that alg fits. The signature is the caller's to check with it.
func (d *DPoPVerifier) checkProofHeader(raw []byte) (proofKey, error) {
	members, err := parseObject(raw, headerNames, 4)
	if err != nil {
		return proofKey{}, asProofError("the header:", err)
	}
	hm, err := findHeaderMembers(members)
	if err != nil {
		return proofKey{}, asProofError("", err)
	}
	typ, err := optionalString(hm.typ)
	if err != nil || !strings.EqualFold(strings.TrimPrefix(strings.ToLower(typ), "application/"), "dpop+jwt") {
		return proofKey{}, &ValidationError{Kind: ErrInvalidProof, Claim: "typ", Found: quoted(typ), Expected: `"dpop+jwt"`}
	}
	alg, err := optionalString(hm.alg)
	if err != nil || !slices.Contains(d.algs, alg) {
		detail := ""
		if strings.EqualFold(alg, "none") || strings.HasPrefix(strings.ToUpper(alg), "HS") {
			detail = "a proof is signed with the client's private key: unsigned and HMAC proofs are never accepted"
		}
		return proofKey{}, &ValidationError{Kind: ErrInvalidProof, Claim: "alg", Found: quoted(alg), Expected: allowList(d.algs), Detail: detail}
	}
	if hm.crit != nil || hm.b64 != nil {
		return proofKey{}, proofError("crit", "no critical header extensions (nor b64) are supported")
	}
	jwkRaw, ok := members.get("jwk")
	if !ok {
		return proofKey{}, &ValidationError{Kind: ErrInvalidProof, Claim: "jwk", Detail: "a proof carries the public key that signed it"}
	}
	key := proofKey{alg: alg, raw: jwkRaw, entry: d.keys.get(jwkRaw)}
	if key.cached = key.entry != nil; !key.cached {
		pub, err := readProofJWK(jwkRaw)
		if err != nil {
			return proofKey{}, err
		}
		key.entry = &proofKeyEntry{pub: pub}
	}
	if !key.entry.pub.fitsAlgorithm(alg) {
		return proofKey{}, &ValidationError{Kind: ErrInvalidProof, Claim: "alg", Found: brief(alg),
			Detail: "does not fit the proof's " + keyTypeName(key.entry.pub.key) + " key"}
	}
	return key, nil
}

// readProofJWK reads the header's "jwk" as strictly as a key of an
// issuer's key set (parseKey: key type, curve, RSA size, "use" and
// "key_ops"), and refuses one that holds private key material.
func readProofJWK(raw json.RawMessage) (*publicKey, error) {
	members, err := parseObject(raw, jwkNames, 8)
	if err != nil {
		return nil, &ValidationError{Kind: ErrInvalidProof, Claim: "jwk", Detail: "not an unambiguous JSON object", Err: err}
	}
	for _, name := range privateJWKMembers {
		if _, ok := members.get(name); ok {
			return nil, &ValidationError{Kind: ErrInvalidProof, Claim: "jwk",
				Detail: fmt.Sprintf("holds the private member %q: a proof carries a public key only", name)}
		}
	}
	pub, err := parseKey(raw)
	if err != nil {
		return nil, &ValidationError{Kind: ErrInvalidProof, Claim: "jwk", Detail: "not a usable public signing key", Err: err}
	}
	return pub, nil
}

// optionalString decodes a header member that must be a string when
// present; absent is "".
func optionalString(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", nil
	}
	return jsonString(raw)
}

// readProofClaims reads the payload (RFC 9449 §4.2): "jti", "htm", "htu"
// and "iat" are required, "ath" and "nonce" are strings when present.
func readProofClaims(raw []byte) (*proofClaims, error) {
	members, err := parseObject(raw, proofClaimNames, 8)
	if err != nil {
		return nil, asProofError("the payload:", err)
	}
	c := &proofClaims{}
	for _, m := range [...]struct {
		name     string
		dst      *string
		required bool
	}{{"jti", &c.jti, true}, {"htm", &c.htm, true}, {"htu", &c.htu, true}, {"ath", &c.ath, false}, {"nonce", &c.nonce, false}} {
		v, ok := members.get(m.name)
		if !ok {
			if m.required {
				return nil, &ValidationError{Kind: ErrInvalidProof, Claim: m.name, Detail: "required in a proof (RFC 9449 §4.2)"}
			}
			continue
		}
		if *m.dst, err = jsonString(v); err != nil || *m.dst == "" {
			return nil, &ValidationError{Kind: ErrInvalidProof, Claim: m.name, Detail: "must be a non-empty string"}
		}
	}
	_, c.hasNonce = members.get("nonce")
	if len(c.jti) > maxJTI {
		return nil, &ValidationError{Kind: ErrInvalidProof, Claim: "jti", Detail: fmt.Sprintf("longer than %d bytes", maxJTI)}
	}
	v, ok := members.get("iat")
	if !ok {
		return nil, &ValidationError{Kind: ErrInvalidProof, Claim: "iat", Detail: "required in a proof (RFC 9449 §4.2)"}
	}
	if c.iat, err = numericDate(v); err != nil {
		return nil, &ValidationError{Kind: ErrInvalidProof, Claim: "iat", Found: brief(string(v)), Detail: "not a NumericDate"}
	}
	return c, nil
}
