package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// nonceSource makes and checks stateless server nonces (RFC 9449 §9):
// the nonce of a time bucket is base64url(HMAC-SHA256(key, label ||
// bucket)). Nothing is stored, so every instance sharing the key issues
// and accepts the same nonces, and a restart forgets none. A nonce is
// accepted during its bucket and the next, so that one issued just before
// a bucket ends is still good for a whole bucket.
type nonceSource struct {
	key      []byte
	lifetime time.Duration
	// last holds the nonces of the latest bucket seen: two HMACs per
	// bucket, not per request.
	last atomic.Pointer[nonceBucket]
}

type nonceBucket struct {
	n         int64  // the bucket: Unix time / lifetime
	cur, prev string // the nonces of buckets n and n-1
}

func newNonceSource(key []byte, lifetime time.Duration) *nonceSource {
	return &nonceSource{key: key, lifetime: lifetime}
}

// current returns the nonces of the bucket holding now.
func (s *nonceSource) current(now time.Time) *nonceBucket {
	n := now.UnixNano() / int64(s.lifetime)
	if b := s.last.Load(); b != nil && b.n == n {
		return b
	}
	b := &nonceBucket{n: n, cur: s.nonce(n), prev: s.nonce(n - 1)}
	s.last.Store(b)
	return b
}

// nonce is the nonce of bucket n. The label keeps these MACs apart from any
// other use of the key.
func (s *nonceSource) nonce(n int64) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte("resource-server DPoP nonce\x00"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	mac.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// check accepts the nonce of the current or the previous bucket; anything
// else (none, a stale or a made-up one) is ErrUseNonce with the nonce to
// use.
func (s *nonceSource) check(nonce string, present bool, now time.Time) error {
	b := s.current(now)
	if present && (subtle.ConstantTimeCompare([]byte(nonce), []byte(b.cur)) == 1 ||
		subtle.ConstantTimeCompare([]byte(nonce), []byte(b.prev)) == 1) {
		return nil
	}
	detail := "the resource server requires a nonce in DPoP proofs"
	if present {
		detail = "the proof's nonce is stale or not this server's"
	}
	return &ValidationError{Kind: ErrUseNonce, Claim: "nonce", Detail: detail, Err: &NonceChallenge{Nonce: b.cur}}
}
