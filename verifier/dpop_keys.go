package verifier

import (
	"crypto"
	"encoding/base64"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// maxProofKeys bounds the cache of proof keys: a client signs every proof
// with the same key, so the active clients' keys fit, and a cache that
// fills is simply emptied.
const maxProofKeys = 4096

// proofKeyCache keeps the keys of proofs that passed, by the exact text of
// their "jwk": a client's next proof carries the same text, and its key
// then costs a map lookup instead of go-jose's parse and the RFC 7638
// thumbprint (together about a sixth of a proof's cost; the signature check
// is the rest). Only keys of accepted proofs, bound to a verified token,
// are added, so that made-up keys cannot crowd them out.
type proofKeyCache struct {
	mu   sync.RWMutex
	keys map[string]*proofKeyEntry
}

// proofKeyEntry is a proof key read and its thumbprint.
type proofKeyEntry struct {
	pub *publicKey
	jkt string // base64url SHA-256 RFC 7638 thumbprint
}

func (c *proofKeyCache) get(raw []byte) *proofKeyEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.keys[string(raw)] // no copy of raw for the lookup
}

func (c *proofKeyCache) put(raw []byte, e *proofKeyEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || len(c.keys) >= maxProofKeys {
		c.keys = make(map[string]*proofKeyEntry)
	}
	c.keys[string(raw)] = e
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of pub, base64url.
func thumbprint(pub crypto.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
