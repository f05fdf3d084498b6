package verifier

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The kinds of a refused DPoP proof (RFC 9449), beside the token's own
// (ErrExpired and the rest, which VerifyProof never returns).
var (
	// ErrInvalidProof: the proof fails one of RFC 9449 §4.3's checks; the
	// ValidationError's Claim (or Detail) names which. The answer is 401
	// with error="invalid_dpop_proof".
	ErrInvalidProof = errors.New("invalid DPoP proof")
	// ErrProofReplayed: the proof is valid but its "jti" was already used
	// with the same key (RFC 9449 §11.1). Answered as ErrInvalidProof.
	ErrProofReplayed = errors.New("DPoP proof replayed")
	// ErrUseNonce: nonces are configured and the proof carries none, or a
	// stale one (RFC 9449 §9). The ValidationError's Err is a
	// *NonceChallenge holding the nonce to send; the answer is 401 with
	// error="use_dpop_nonce" and a DPoP-Nonce header.
	ErrUseNonce = errors.New("DPoP nonce required")
	// ErrStoreUnavailable: the replay store could not record the proof's
	// "jti". Like ErrKeysUnavailable, it says nothing about the request:
	// the answer is 503, never an admission, since a proof whose use
	// cannot be recorded could be replayed.
	ErrStoreUnavailable = errors.New("DPoP replay store unavailable")
)

// NonceChallenge is the Err of a ValidationError of Kind ErrUseNonce: the
// nonce the client must put in its next proof. Its text leaves the nonce
// out, since the nonce belongs in the DPoP-Nonce header, not in logs.
type NonceChallenge struct {
	Nonce string // the current nonce, for the DPoP-Nonce response header
}

// Error says what the client must do.
func (c *NonceChallenge) Error() string {
	return "retry with the nonce of the DPoP-Nonce response header"
}

// ReplayStore records the proofs already used, so that each is accepted
// once (RFC 9449 §11.1). Package store implements it across instances; nil
// in DPoPConfig means an in-memory store (NewMemoryReplayStore), enough
// only when one instance serves the tokens.
type ReplayStore interface {
	// Remember records key until the given time and reports whether it was
	// not recorded yet. An error means nothing is known: the proof is
	// refused as unavailable.
	Remember(ctx context.Context, key string, until time.Time) (first bool, err error)
}

// Defaults of DPoPConfig.
const (
	DefaultProofMaxAge   = 5 * time.Minute
	DefaultProofLeeway   = 5 * time.Second
	DefaultNonceLifetime = 5 * time.Minute
	// MaxProofBytes bounds a DPoP header value: a proof holds a public key
	// and a handful of short claims (an RSA-4096 key makes it about 1.5
	// KiB), so more is refused before anything is parsed.
	MaxProofBytes = 8 << 10
	// maxJTI bounds "jti": RFC 9449 §4.2 asks for at least 96 bits of
	// randomness, a few dozen characters.
	maxJTI = 256
)

// DPoPConfig configures a DPoPVerifier. The zero value is usable: ES256
// proofs, five minutes back, an in-memory replay store, no nonces.
type DPoPConfig struct {
	// Algorithms are the proof algorithms accepted, a subset of
	// SupportedAlgorithms() (asymmetric only: HMAC and "none" are never
	// accepted, RFC 9449 §4.3 check 5). Default ["ES256"], the algorithm
	// FAPI 2.0 and HAIP clients use; they are advertised in the challenge's
	// algs attribute, so a client with another key learns what to use.
	Algorithms []string
	// MaxAge is how old a proof's "iat" may be. Default DefaultProofMaxAge.
	// It is also how long each "jti" is remembered (with Leeway).
	MaxAge time.Duration
	// Leeway is how far in the future "iat" may be (client clock skew).
	// Default DefaultProofLeeway.
	Leeway time.Duration
	// Replay records used proofs. Nil: NewMemoryReplayStore(0), which
	// prevents replay on this instance only; with several instances, pass
	// a shared store (package store), or a proof refused by one instance
	// can be replayed to another.
	Replay ReplayStore
	// NonceKey, when set, makes proofs carry a server nonce (RFC 9449 §9):
	// nonces are stateless, base64url(HMAC-SHA256(NonceKey, time bucket)),
	// so every instance holding the key issues and accepts the same ones.
	// At least 32 bytes. Nil: no nonces.
	NonceKey []byte
	// NonceLifetime is the length of a nonce's time bucket; a nonce is
	// accepted in its bucket and the next. Default DefaultNonceLifetime.
	NonceLifetime time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// DPoPVerifier checks DPoP proofs (RFC 9449) presented with access tokens.
// It is safe for concurrent use.
type DPoPVerifier struct {
	cfg    DPoPConfig
	algs   []string
	nonces *nonceSource // nil without NonceKey
	keys   proofKeyCache
}

// NewDPoPVerifier checks cfg, fills its defaults and returns a verifier.
// The error is a *ConfigError.
func NewDPoPVerifier(cfg DPoPConfig) (*DPoPVerifier, error) {
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []string{"ES256"}
	}
	for _, a := range cfg.Algorithms {
		if !supportedAlgorithms[a] {
			return nil, &ConfigError{Field: "Algorithms", Value: a, Problem: "is not a supported asymmetric JWS algorithm",
				Fix: "use asymmetric JWS algorithms only: " + strings.Join(algorithmNames, ", ") + " (HMAC and none are never accepted)"}
		}
	}
	if cfg.MaxAge < 0 || cfg.Leeway < 0 || cfg.NonceLifetime < 0 {
		return nil, &ConfigError{Field: "MaxAge", Problem: "MaxAge, Leeway or NonceLifetime is negative", Fix: "leave them zero for the defaults, or give positive durations"}
	}
	if cfg.NonceKey != nil && len(cfg.NonceKey) < 32 {
		return nil, &ConfigError{Field: "NonceKey", Problem: fmt.Sprintf("is %d bytes", len(cfg.NonceKey)),
			Fix: "use at least 32 random bytes, the same on every instance (or nil for no nonces)"}
	}
	cfg.MaxAge = cmpOr(cfg.MaxAge, DefaultProofMaxAge)
	cfg.Leeway = cmpOr(cfg.Leeway, DefaultProofLeeway)
	cfg.NonceLifetime = cmpOr(cfg.NonceLifetime, DefaultNonceLifetime)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Replay == nil {
		cfg.Replay = newMemoryReplayStore(0, cfg.Now)
	}
	d := &DPoPVerifier{cfg: cfg, algs: slices.Clone(cfg.Algorithms)}
	if cfg.NonceKey != nil {
		d.nonces = newNonceSource(slices.Clone(cfg.NonceKey), cfg.NonceLifetime)
	}
	return d, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Algorithms returns the accepted proof algorithms, for the challenge's
// algs attribute (RFC 9449 §7.1).
func (d *DPoPVerifier) Algorithms() []string { return slices.Clone(d.algs) }

// Nonce returns the nonce proofs must carry now, for the DPoP-Nonce header;
// "" when nonces are not configured.
func (d *DPoPVerifier) Nonce() string {
	if d.nonces == nil {
		return ""
	}
	return d.nonces.current(d.cfg.Now()).cur
}

// ProofRequest is what a proof must match: the request it came with and
// the access token it accompanies.
type ProofRequest struct {
	// Method is the request's method ("GET"), compared exactly with "htm".
	Method string
	// URL is the request's absolute URL without query and fragment, as the
	// resource's public base URL makes it (not as the client's Host header
	// says, behind a proxy): compared with "htu" after normalization.
	URL string
	// AccessToken is the access token presented with the proof ("ath").
	AccessToken string
	// KeyThumbprint is the verified token's cnf.jkt (Token.KeyThumbprint).
	KeyThumbprint string
}

// VerifyProof checks a DPoP proof (the DPoP header's one value) presented
// with a verified access token, in RFC 9449 §4.3's order: shape and size;
// header ("typ" dpop+jwt, "alg" on the allow-list, "jwk" a public key fit
// for it); signature; "htm"; "htu" (normalized, see normalizeHTU); "iat"
// within MaxAge back and Leeway ahead; the nonce, when configured; "ath",
// the hash of p.AccessToken; the key's thumbprint against
// p.KeyThumbprint. Only a proof that passed all of them has its "jti"
// recorded, so that refused proofs cannot fill the store, under
// hex(SHA-256(jkt, 0, jti)) until iat+MaxAge+Leeway: a "jti" seen before
// with the same key is refused as a replay.
//
// The error is a *ValidationError whose Kind is ErrInvalidProof,
// ErrProofReplayed, ErrUseNonce or ErrStoreUnavailable; it names the check
// that failed, never the token or the proof.
func (d *DPoPVerifier) VerifyProof(ctx context.Context, proof string, p ProofRequest) error {
	if p.AccessToken == "" || p.KeyThumbprint == "" {
		return proofError("", "no access token bound to a key (cnf.jkt) accompanies the proof")
	}
	jws, err := splitCompact(proof, MaxProofBytes)
	if err != nil {
		return asProofError("", err)
	}
	key, err := d.checkProofHeader(jws.header)
	if err != nil {
		return err
	}
	if verifySignature(key.alg, key.entry.pub.key, jws.signingInput, jws.signature) != nil {
		return proofError("", "the signature does not verify with the proof's jwk")
	}
	c, err := readProofClaims(jws.payload)
	if err != nil {
		return err
	}
	if err := d.checkProofClaims(c, p); err != nil {
		return err
	}
	if err := checkBinding(key.entry, p.KeyThumbprint); err != nil {
		return err
	}
	if !key.cached {
		d.keys.put(key.raw, key.entry)
	}
	return d.remember(ctx, p.KeyThumbprint, c)
}

func proofError(claim, detail string) error {
	return &ValidationError{Kind: ErrInvalidProof, Claim: claim, Detail: detail}
}

// checkProofClaims applies the checks of the proof's claims that depend on
// the request, in RFC 9449 §4.3's order.
func (d *DPoPVerifier) checkProofClaims(c *proofClaims, p ProofRequest) error {
	if c.htm != p.Method {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "htm", Found: brief(c.htm), Expected: brief(p.Method)}
	}
	if err := checkHTU(c.htu, p.URL); err != nil {
		return err
	}
	now := d.cfg.Now()
	if c.iat.Before(now.Add(-d.cfg.MaxAge)) || c.iat.After(now.Add(d.cfg.Leeway)) {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "iat", Found: stamp(c.iat),
			Detail: fmt.Sprintf("now is %s; a proof is accepted from %s before to %s after its iat", stamp(now), d.cfg.MaxAge, d.cfg.Leeway)}
	}
	if d.nonces != nil {
		if err := d.nonces.check(c.nonce, c.hasNonce, now); err != nil {
			return err
		}
	}
	if c.ath == "" {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "ath", Detail: "a proof presented with an access token must carry its hash"}
	}
	sum := sha256.Sum256(stringBytes(p.AccessToken))
	var want [43]byte
	base64.RawURLEncoding.Encode(want[:], sum[:])
	if subtle.ConstantTimeCompare(stringBytes(c.ath), want[:]) != 1 {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "ath", Detail: "not the base64url SHA-256 hash of the access token presented"}
	}
	return nil
}

// checkBinding compares the RFC 7638 thumbprint of the proof's key with the
// token's cnf.jkt (RFC 9449 §6.1): the proof must be signed by the key the
// token was issued to.
func checkBinding(key *proofKeyEntry, jkt string) error {
	if key.jkt == "" {
		tp, err := thumbprint(key.pub.key)
		if err != nil {
			return &ValidationError{Kind: ErrInvalidProof, Claim: "jwk", Detail: "its thumbprint cannot be computed", Err: err}
		}
		key.jkt = tp
	}
	if subtle.ConstantTimeCompare(stringBytes(key.jkt), stringBytes(jkt)) != 1 {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "jwk", Found: brief(key.jkt), Expected: brief(jkt),
			Detail: "the token is bound to another key (cnf.jkt)"}
	}
	return nil
}

// remember records the proof's "jti", keyed with the key's thumbprint so
// that two clients choosing the same "jti" do not collide, and hashed so
// that the store holds fixed-size keys whatever the client sent.
func (d *DPoPVerifier) remember(ctx context.Context, jkt string, c *proofClaims) error {
	h := sha256.New()
	h.Write(stringBytes(jkt))
	h.Write([]byte{0})
	h.Write(stringBytes(c.jti))
	key := hex.EncodeToString(h.Sum(nil))
	// Past iat+MaxAge the proof is refused as too old anyway; Leeway covers
	// instances whose clocks differ a little.
	until := c.iat.Add(d.cfg.MaxAge + d.cfg.Leeway)
	first, err := d.cfg.Replay.Remember(ctx, key, until)
	if err != nil {
		return &ValidationError{Kind: ErrStoreUnavailable, Detail: "the proof's jti could not be recorded", Err: err}
	}
	if !first {
		return &ValidationError{Kind: ErrProofReplayed, Claim: "jti", Detail: "this proof was already used; make a new proof for every request"}
	}
	return nil
}
