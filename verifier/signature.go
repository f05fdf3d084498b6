package verifier

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"math/big"
)

// hashOf maps a JWS algorithm to its hash (RFC 7518 §3).
func hashOf(alg string) crypto.Hash {
	switch alg[len(alg)-3:] {
	case "256":
		return crypto.SHA256
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	return 0
}

var errBadSignature = errors.New("signature does not verify")

// verifySignature checks a JWS signature with the standard library's
// crypto, the key's type already matched to alg (fitsAlgorithm). Going
// straight to crypto/rsa, crypto/ecdsa and crypto/ed25519 on the bytes the
// strict parser already decoded spares a second parse of the token; the
// cryptography itself is the standard library's.
func verifySignature(alg string, key crypto.PublicKey, signingInput string, sig []byte) error {
	if alg == "EdDSA" {
		pub, ok := key.(ed25519.PublicKey)
		if !ok || !ed25519.Verify(pub, stringBytes(signingInput), sig) {
			return errBadSignature
		}
		return nil
	}
	h := hashOf(alg)
	if h == 0 {
		return errBadSignature
	}
	digest := hashInput(h, signingInput)
	switch pub := key.(type) {
	case *rsa.PublicKey:
		var err error
		switch alg[:2] {
		case "RS":
			err = rsa.VerifyPKCS1v15(pub, h, digest, sig)
		case "PS":
			// RFC 7518 §3.5: the salt is as long as the hash.
			err = rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
		default:
			return errBadSignature
		}
		if err != nil {
			return errBadSignature
		}
		return nil
	case *ecdsa.PublicKey:
		// JWS ECDSA signatures are r||s, each exactly the curve's size
		// (RFC 7518 §3.4); DER and short forms are refused.
		size := (pub.Curve.Params().BitSize + 7) / 8
		if alg[:2] != "ES" || len(sig) != 2*size {
			return errBadSignature
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(pub, digest, r, s) { // refuses r or s of 0 or ≥ N
			return errBadSignature
		}
		return nil
	}
	return errBadSignature
}

// hashInput hashes the signing input in place: a hash.Hash would need a copy
// of the input (about 700 bytes for an Okta token) and allocations of its own.
func hashInput(h crypto.Hash, input string) []byte {
	b := stringBytes(input)
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(b)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(b)
		return d[:]
	default:
		d := sha512.Sum512(b)
		return d[:]
	}
}
