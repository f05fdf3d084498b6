package devissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

type signingKey struct {
	kid       string
	alg       string // the algorithm the key is published for
	priv      crypto.Signer
	published bool
	// supersededAt is when RotateKey replaced the key as the current one;
	// zero for the current key and for keys added with AddKey.
	supersededAt time.Time
	// rotatedOut marks a key the rotation policy took out of the JWKS (as
	// opposed to RetireKey), which the issuer forgets beyond maxRotatedOut.
	rotatedOut bool
}

// The rotation policy: a key replaced by RotateKey stays in the JWKS for
// the token lifetime plus rotationLeeway, so that every token it signed
// verifies until it expires (verifiers allow some clock skew past exp; this
// module's allows 30 s), and then leaves it. At most maxPreviousKeys replaced
// keys are published at once, so rotating in a loop cannot grow the JWKS
// without bound: the oldest leave early. Keys taken out this way still sign
// through SignWith, as retired keys do, until more than maxRotatedOut of them
// accumulate and the oldest are forgotten.
const (
	rotationLeeway  = time.Minute
	maxPreviousKeys = 3
	maxRotatedOut   = 8
)

// makeCurrent makes kid the signing key, marks the key it replaces as
// superseded now, and applies the rotation policy.
func (i *Issuer) makeCurrent(kid string) {
	now := i.opts.Now()
	i.mu.Lock()
	defer i.mu.Unlock()
	if old, ok := i.keys[i.current]; ok && i.current != kid {
		old.supersededAt = now
	}
	i.current = kid
	i.retireSupersededLocked(now)
}

// retireSupersededLocked unpublishes the superseded keys whose grace period
// has passed or that exceed maxPreviousKeys, newest kept first, and forgets
// the oldest of the keys it unpublished beyond maxRotatedOut. i.mu is held.
func (i *Issuer) retireSupersededLocked(now time.Time) {
	grace := i.opts.TokenLifetime + rotationLeeway
	kept, out := 0, 0
	var forget []string
	for n := len(i.keyOrder) - 1; n >= 0; n-- { // newest first
		k := i.keys[i.keyOrder[n]]
		switch {
		case k.published && !k.supersededAt.IsZero():
			if kept < maxPreviousKeys && now.Sub(k.supersededAt) < grace {
				kept++
				continue
			}
			k.published, k.rotatedOut = false, true
			fallthrough
		case k.rotatedOut:
			if out++; out > maxRotatedOut {
				forget = append(forget, k.kid)
			}
		}
	}
	for _, kid := range forget {
		delete(i.keys, kid)
		i.keyOrder = slices.DeleteFunc(i.keyOrder, func(s string) bool { return s == kid })
	}
}

func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case "RS256", "PS256":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	default:
		return nil, fmt.Errorf("devissuer: unsupported key algorithm %q; want RS256, PS256, ES256 or EdDSA", alg)
	}
}

// randomID returns n random bytes as unpadded base64url: unguessable and
// safe in URLs, headers and HTML without escaping.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sign signs claims with the current key. header members are merged over
// the default {"alg", "kid", "typ": "at+jwt"}; a nil value deletes a member,
// so tests can drop kid or typ, or add a bogus kid, crit or jku.
//
// The signature is always valid for the header that results: when header
// sets alg to another algorithm the key can produce (RS384 for an RSA key,
// say) the token is signed with it; "none" in any casing yields an empty
// signature; HS256/HS384/HS512 yield an HMAC keyed with the PEM of the
// public key, the classic key-confusion forgery verifiers must refuse. A
// time.Time claim is encoded as a NumericDate.
func (i *Issuer) Sign(header, claims map[string]any) (string, error) {
	return i.SignWith(i.CurrentKeyID(), header, claims)
}

// SignWith is Sign with a named key, current, published or retired.
func (i *Issuer) SignWith(kid string, header, claims map[string]any) (string, error) {
	i.mu.Lock()
	k, ok := i.keys[kid]
	i.mu.Unlock()
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownKey, kid)
	}
	h := map[string]any{"alg": k.alg, "kid": k.kid, "typ": "at+jwt"}
	for name, v := range header {
		if v == nil {
			delete(h, name)
			continue
		}
		h[name] = v
	}
	return signCompact(k, h, claims)
}

// signCompact builds the compact serialization itself rather than through
// jose.Signer because go-jose rightly refuses to emit the malformed headers
// (no kid, unknown crit, foreign alg) that tests need; the signature
// primitives are still the standard library's.
func signCompact(k *signingKey, header, claims map[string]any) (string, error) {
	hj, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("devissuer: encoding JOSE header: %w", err)
	}
	c := make(map[string]any, len(claims))
	for name, v := range claims {
		if t, ok := v.(time.Time); ok {
			v = t.Unix()
		}
		c[name] = v
	}
	cj, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("devissuer: encoding claims: %w", err)
	}
	input := base64.RawURLEncoding.EncodeToString(hj) + "." + base64.RawURLEncoding.EncodeToString(cj)
	alg, _ := header["alg"].(string)
	if alg == "" {
		alg = k.alg
	}
	sig, err := rawSign(k, alg, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func rawSign(k *signingKey, alg string, input []byte) ([]byte, error) {
	if strings.EqualFold(alg, "none") {
		return nil, nil
	}
	hashes := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}
	var hash crypto.Hash
	if len(alg) == 5 {
		hash = hashes[alg[2:]]
	}
	digest := func() []byte { h := hash.New(); h.Write(input); return h.Sum(nil) }
	switch priv := k.priv.(type) {
	case *rsa.PrivateKey:
		switch {
		case hash != 0 && strings.HasPrefix(alg, "RS"):
			return rsa.SignPKCS1v15(rand.Reader, priv, hash, digest())
		case hash != 0 && strings.HasPrefix(alg, "PS"):
			return rsa.SignPSS(rand.Reader, priv, hash, digest(), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
	case *ecdsa.PrivateKey:
		if alg == "ES256" {
			r, s, err := ecdsa.Sign(rand.Reader, priv, digest())
			if err != nil {
				return nil, err
			}
			// JWS wants fixed-width r||s (RFC 7518 §3.4), not ASN.1 DER.
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig, nil
		}
	case ed25519.PrivateKey:
		if alg == "EdDSA" || alg == "Ed25519" {
			return ed25519.Sign(priv, input), nil
		}
	}
	if hash != 0 && strings.HasPrefix(alg, "HS") {
		der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
		if err != nil {
			return nil, err
		}
		mac := hmac.New(hash.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		mac.Write(input)
		return mac.Sum(nil), nil
	}
	return nil, fmt.Errorf("devissuer: key %q (%s) cannot produce a signature for alg %q", k.kid, k.alg, alg)
}

// jwks returns the published public keys, as served at P/v1/keys, after
// applying the rotation policy, so replaced keys leave on time even when no
// rotation follows.
func (i *Issuer) jwks() jose.JSONWebKeySet {
	now := i.opts.Now()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.retireSupersededLocked(now)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, kid := range i.keyOrder {
		k := i.keys[kid]
		if !k.published {
			continue
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: k.alg, Use: "sig"})
	}
	return set
}
