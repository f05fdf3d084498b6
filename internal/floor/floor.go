// Package floor is what no verifier can skip for a first-seen token, the
// baseline of the benchmarks: split, strict base64url of the three segments,
// header and claims into small structs, issuer and expiry compared, the
// standard library's signature check. It refuses nothing else, so it is not
// a verifier: never use it to accept tokens.
package floor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"time"
)

type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

type jwsClaims struct {
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Aud string   `json:"aud"`
	Exp int64    `json:"exp"`
	Iat int64    `json:"iat"`
	Cid string   `json:"cid"`
	Scp []string `json:"scp"`
}

// ErrRefused is Verify's answer to a token it does not accept, beyond
// decoding errors.
var ErrRefused = errors.New("floor: refused")

// Verify does the floor's work on tok: split, strict base64url of the three
// segments, header and claims into small structs, alg, issuer and expiry
// compared, and the standard library's check of the signature with pub
// (RS256, PS256, ES256 or EdDSA). Nil when all pass.
func Verify(tok, alg string, pub crypto.PublicKey, issuer string) error {
	first := strings.IndexByte(tok, '.')
	last := strings.LastIndexByte(tok, '.')
	if first < 0 || first == last {
		return ErrRefused
	}
	enc := base64.RawURLEncoding.Strict()
	header, err := enc.DecodeString(tok[:first])
	if err != nil {
		return err
	}
	payload, err := enc.DecodeString(tok[first+1 : last])
	if err != nil {
		return err
	}
	sig, err := enc.DecodeString(tok[last+1:])
	if err != nil {
		return err
	}
	var h jwsHeader
	if err := json.Unmarshal(header, &h); err != nil {
		return err
	}
	var c jwsClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return err
	}
	if h.Alg != alg || c.Iss != issuer || time.Now().Unix() >= c.Exp {
		return ErrRefused
	}
	input := tok[:last]
	if alg == "EdDSA" {
		if !ed25519.Verify(pub.(ed25519.PublicKey), []byte(input), sig) {
			return ErrRefused
		}
		return nil
	}
	digest := sha256.Sum256([]byte(input))
	switch alg {
	case "RS256":
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, digest[:], sig)
	case "PS256":
		return rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES256":
		if len(sig) != 64 {
			return ErrRefused
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub.(*ecdsa.PublicKey), digest[:], r, s) {
			return ErrRefused
		}
		return nil
	}
	return ErrRefused
}
