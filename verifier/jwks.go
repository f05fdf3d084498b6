package verifier

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// RSA keys outside these bounds are refused when the key set is read: short
// keys are forgeable, absurdly long ones make every verification a DoS.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// publicKey is one usable signing key from the issuer's JWKS.
type publicKey struct {
	kid string
	alg string // the JWK's "alg", empty when absent
	key crypto.PublicKey
	// issuer is the issuer the key signs for, when the key set says
	// (Entra ID's "issuer" member, possibly a template); "" otherwise.
	issuer string
}

// same reports whether two keys are the same key material under the same
// kid and alg.
func (p *publicKey) same(q *publicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := p.key.(equaler)
	return ok && p.kid == q.kid && p.alg == q.alg && p.issuer == q.issuer && e.Equal(q.key)
}

// errMalformedKey marks a key that is not an unambiguous JSON object.
var errMalformedKey = errors.New("not an unambiguous JSON object")

// parseKeySet reads a JWKS, as strictly as a token (parseObject). A set
// that JSON readers would read differently (duplicate or case-variant
// members, at the top or in a key) is refused whole: which keys the issuer
// meant cannot be known, and the last good keys stay in use. Of a readable
// set, the keys fit to verify signatures are kept and the others skipped
// with a log line: one odd key must not hide the others.
func parseKeySet(body []byte, log *slog.Logger) (*keySnapshot, error) {
	set, err := parseObject(body, jwksNames, 1)
	if errors.Is(err, errInvalidJSON) || errors.Is(err, errInvalidUTF8) {
		return nil, fmt.Errorf("not a JSON key set: %w", err)
	}
	if err != nil {
		return nil, err
	}
	raw, ok := set.get("keys")
	if !ok {
		return nil, errors.New(`not a JSON key set: no "keys" member`)
	}
	keys, ok := arrayElements(raw)
	if !ok {
		return nil, fmt.Errorf(`not a JSON key set: "keys" is %s, not an array`, brief(string(raw)))
	}
	snap := &keySnapshot{byKID: make(map[string][]*publicKey, len(keys))}
	type skip struct {
		index int
		err   error
	}
	var skipped []skip
	for i, raw := range keys {
		key, err := parseKey(raw)
		if errors.Is(err, errMalformedKey) {
			return nil, fmt.Errorf("key %d of %d is %w", i+1, len(keys), err)
		}
		if err != nil {
			skipped = append(skipped, skip{i, err})
			continue
		}
		snap.byKID[key.kid] = append(snap.byKID[key.kid], key)
		snap.count++
	}
	if snap.count == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("no usable signing key among %d keys (the first: %v)", len(keys), skipped[0].err)
		}
		return nil, fmt.Errorf("no usable signing key among %d keys", len(keys))
	}
	// Logged only once the set is taken: a refused set is logged by the
	// fetch, once per outage, with its reason.
	for _, s := range skipped {
		log.Warn("verifier: skipping a key of the issuer's key set", "index", s.index, "reason", s.err)
	}
	return snap, nil
}

// parseKey reads one JWK: strictly first (parseObject), then with go-jose,
// which builds the key and checks its material.
func parseKey(raw json.RawMessage) (*publicKey, error) {
	members, err := parseObject(raw, jwkNames, 8)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errMalformedKey, err)
	}
	var issuer string
	if r, ok := members.get("issuer"); ok {
		// A key bound to an issuer that cannot be read must not be used
		// unbound.
		if issuer, err = jsonString(r); err != nil || issuer == "" {
			return nil, fmt.Errorf("its \"issuer\" is %s, not an issuer", brief(string(r)))
		}
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return nil, fmt.Errorf("kid %q: use is %q, not sig", jwk.KeyID, jwk.Use)
	}
	if err := checkKeyOps(raw, jwk.KeyID); err != nil {
		return nil, err
	}
	if _, symmetric := jwk.Key.([]byte); symmetric {
		return nil, fmt.Errorf("kid %q: a symmetric (oct) key; only asymmetric signing keys are used", jwk.KeyID)
	}
	if !jwk.IsPublic() {
		// A private key has no business in a JWKS; use only its public half.
		jwk = jwk.Public()
	}
	key := &publicKey{kid: jwk.KeyID, alg: jwk.Algorithm, key: jwk.Key, issuer: issuer}
	switch pub := jwk.Key.(type) {
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("kid %q: RSA key of %d bits, outside %d..%d", jwk.KeyID, bits, minRSABits, maxRSABits)
		}
		if rocaFingerprint(pub.N) {
			return nil, fmt.Errorf("kid %q: RSA key with the ROCA fingerprint (CVE-2017-15361): it can be factored", jwk.KeyID)
		}
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, fmt.Errorf("kid %q: unsupported curve", jwk.KeyID)
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("kid %q: %T is not an asymmetric signing key", jwk.KeyID, jwk.Key)
	}
	// A key whose "alg" no supported algorithm matches ("HS256" on an RSA
	// key, "ES384" on a P-256 key) could never verify a token: drop it here,
	// with the reason, rather than keep a key that only wastes lookups.
	if key.alg != "" && !key.fitsAnyAlgorithm() {
		return nil, fmt.Errorf("kid %q: alg %q does not fit a %s key", jwk.KeyID, key.alg, keyTypeName(jwk.Key))
	}
	return key, nil
}

func (p *publicKey) fitsAnyAlgorithm() bool {
	for alg := range supportedAlgorithms {
		if p.fitsAlgorithm(alg) {
			return true
		}
	}
	return false
}

// fitsAlgorithm reports whether key may verify alg: the key type decides the
// algorithm family (an RSA key never feeds HMAC), and a JWK that names its
// algorithm must name this one.
func (p *publicKey) fitsAlgorithm(alg string) bool {
	if p.alg != "" && p.alg != alg {
		return false
	}
	switch pub := p.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return pub.Curve == elliptic.P256()
		case "ES384":
			return pub.Curve == elliptic.P384()
		case "ES512":
			return pub.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// keyTypeName names a public key the way a JWKS author knows it.
func keyTypeName(key any) string {
	switch pub := key.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC " + pub.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", key)
}

func keyCount(n int) string {
	if n == 1 {
		return "1 key"
	}
	return strconv.Itoa(n) + " keys"
}
