package verifier

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Verifier verifies tokens of one issuer. It is safe for concurrent use and
// meant to be built once and shared: it holds the issuer's key set.
type Verifier struct {
	cfg  Config
	keys *keySet
}

// New checks cfg and returns a Verifier. It does not contact the issuer:
// keys are fetched on first use, or by Refresh.
func New(cfg Config) (*Verifier, error) {
	cfg, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.InsecureAllowHTTP {
		cfg.Logger.Warn("verifier: InsecureAllowHTTP is set: keys may be fetched over plain http; never use this in production", "issuer", cfg.Issuer)
	}
	return &Verifier{cfg: cfg, keys: newKeySet(cfg)}, nil
}

// Issuer returns the configured issuer.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// VerifyAccessToken verifies an access token and returns it. The token's
// "aud" must hold one of audiences, or, when none are given, one of
// Config.Audiences. The error, when not nil, is a *ValidationError.
//
// The checks, in order: size and shape (before any parsing); the header
// (algorithm on the allow-list, no "crit", no "b64", no nested JWT, "typ" fit
// for an access token); "iss" exact (before any key is looked up, so tokens
// of other issuers cost no fetch); the key named by "kid", of the type the
// algorithm needs; the signature; "exp" (required), "nbf", "iat" with the
// leeway; "aud"; "cid"/"client_id" when Config.ClientID is set; then
// Config.AssertClaims.
func (v *Verifier) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*Token, error) {
	if len(audiences) == 0 {
		audiences = v.cfg.Audiences
	}
	t, members, err := v.verifySignedToken(ctx, token, accessToken)
	if err != nil {
		return nil, err
	}
	if err := checkAudience(t, audiences); err != nil {
		return nil, err
	}
	if v.cfg.ClientID != "" && t.clientID != v.cfg.ClientID {
		claim := "cid"
		if _, ok := members["cid"]; !ok {
			if _, ok := members["client_id"]; ok {
				claim = "client_id"
			}
		}
		return nil, &ValidationError{Kind: ErrWrongClientID, Claim: claim, Found: quoted(t.clientID), Expected: brief(v.cfg.ClientID)}
	}
	if err := checkAssertions(members, v.cfg.AssertClaims); err != nil {
		return nil, err
	}
	return t, nil
}

// VerifyIDToken verifies an OpenID Connect ID token issued to clientID
// (Config.ClientID when empty): its "aud" must hold the client id, it needs
// "sub" and "iat", and when nonce is not empty its "nonce" must equal it.
// Config.AssertClaims apply too.
func (v *Verifier) VerifyIDToken(ctx context.Context, token, clientID, nonce string) (*Token, error) {
	if clientID == "" {
		clientID = v.cfg.ClientID
	}
	if clientID == "" {
		return nil, &ValidationError{Kind: ErrWrongAudience, Claim: "aud", Detail: "no client id given: an ID token's audience is the client it was issued to"}
	}
	t, members, err := v.verifySignedToken(ctx, token, idToken)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"sub", "iat"} {
		if _, ok := members[name]; !ok {
			return nil, &ValidationError{Kind: ErrMissingClaim, Claim: name, Detail: "required in ID tokens"}
		}
	}
	if err := checkAudience(t, []string{clientID}); err != nil {
		return nil, err
	}
	if nonce != "" && t.nonce != nonce {
		return nil, &ValidationError{Kind: ErrWrongNonce, Claim: "nonce", Found: quoted(t.nonce), Expected: brief(nonce)}
	}
	if err := checkAssertions(members, v.cfg.AssertClaims); err != nil {
		return nil, err
	}
	return t, nil
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return brief(s)
}

type tokenKind int

const (
	accessToken tokenKind = iota
	idToken
)

// verifySignedToken runs the checks shared by both kinds of token: shape,
// header, issuer, key, signature and times.
func (v *Verifier) verifySignedToken(ctx context.Context, token string, kind tokenKind) (*Token, map[string]json.RawMessage, error) {
	jws, err := splitCompact(token, v.cfg.MaxTokenBytes)
	if err != nil {
		return nil, nil, err
	}
	header, err := v.checkHeader(jws.header, kind)
	if err != nil {
		return nil, nil, err
	}
	members, err := parseObject(jws.payload, claimNames)
	if err != nil {
		return nil, nil, malformed("the payload: " + err.Error())
	}
	t := &Token{header: header, rawHeader: jws.header, rawClaims: jws.payload, claims: members}
	if err := readClaims(t, members); err != nil {
		return nil, nil, err
	}
	if _, ok := members["iss"]; !ok {
		return nil, nil, &ValidationError{Kind: ErrMissingClaim, Claim: "iss", Expected: brief(v.cfg.Issuer)}
	}
	if t.issuer != v.cfg.Issuer {
		return nil, nil, &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(t.issuer), Expected: brief(v.cfg.Issuer)}
	}
	if err := v.checkSignature(ctx, token, header); err != nil {
		return nil, nil, err
	}
	if err := checkTimes(t, members, v.cfg.Now(), v.cfg.Leeway); err != nil {
		return nil, nil, err
	}
	return t, members, nil
}

// checkHeader applies the header rules. Keys come only from the issuer's key
// set, so "jwk", "jku", "x5u" and "x5c" are read by nobody.
func (v *Verifier) checkHeader(raw []byte, kind tokenKind) (Header, error) {
	members, err := parseObject(raw, headerNames)
	if err != nil {
		return Header{}, malformed("the header: " + err.Error())
	}
	var h Header
	for name, dst := range map[string]*string{"alg": &h.Algorithm, "kid": &h.KeyID, "typ": &h.Type} {
		if r, ok := members[name]; ok && json.Unmarshal(r, dst) != nil {
			return Header{}, malformed(fmt.Sprintf("the header member %q is not a string", name))
		}
	}
	if _, ok := members["alg"]; !ok {
		return Header{}, &ValidationError{Kind: ErrAlgorithmNotAllowed, Claim: "alg", Expected: allowList(v.cfg.Algorithms)}
	}
	if !v.algorithmAllowed(h.Algorithm) {
		detail := ""
		if strings.EqualFold(h.Algorithm, "none") {
			detail = "unsigned tokens are never accepted"
		}
		return Header{}, &ValidationError{Kind: ErrAlgorithmNotAllowed, Claim: "alg", Found: brief(h.Algorithm), Expected: allowList(v.cfg.Algorithms), Detail: detail}
	}
	if r, ok := members["crit"]; ok {
		return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "crit", Found: brief(string(r)), Detail: "no critical header extensions are supported"}
	}
	if _, ok := members["b64"]; ok {
		return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "b64", Detail: "unencoded payloads (RFC 7797) are not supported"}
	}
	if r, ok := members["cty"]; ok {
		var cty string
		if json.Unmarshal(r, &cty) != nil || strings.EqualFold(cty, "JWT") {
			return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "cty", Found: brief(string(r)), Detail: "nested tokens are not accepted"}
		}
	}
	if !typeFits(h.Type, kind) {
		want := `"at+jwt" or "JWT"`
		if kind == idToken {
			want = `"JWT"`
		}
		return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "typ", Found: brief(h.Type), Expected: want}
	}
	if len(h.KeyID) > 1024 {
		return Header{}, malformed("the header member \"kid\" is longer than 1024 bytes")
	}
	return h, nil
}

// typeFits applies explicit typing (RFC 8725 §3.11): an access token may say
// "at+jwt" (RFC 9068) or the generic "JWT"; an ID token must not claim to be
// an access token. Okta's tokens carry no "typ" at all.
func typeFits(typ string, kind tokenKind) bool {
	t := strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "application/"))
	switch t {
	case "", "jwt":
		return true
	case "at+jwt":
		return kind == accessToken
	}
	return false
}

func (v *Verifier) algorithmAllowed(alg string) bool {
	for _, a := range v.cfg.Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

func allowList(algs []string) string { return "one of " + strings.Join(algs, ", ") }

// checkSignature finds the key and verifies the signature with go-jose,
// telling it the one algorithm the header names (already allow-listed).
func (v *Verifier) checkSignature(ctx context.Context, token string, h Header) error {
	keys, err := v.keys.lookup(ctx, h.KeyID)
	if err != nil {
		return err
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(h.Algorithm)})
	if err != nil {
		return &ValidationError{Kind: ErrMalformed, Err: err}
	}
	fitting := 0
	for _, k := range keys {
		if !k.fitsAlgorithm(h.Algorithm) {
			continue
		}
		fitting++
		if _, err := jws.Verify(k.key); err == nil {
			return nil
		}
	}
	if fitting == 0 {
		return &ValidationError{Kind: ErrAlgorithmNotAllowed, Claim: "alg", Found: brief(h.Algorithm),
			Detail: fmt.Sprintf("the key %s is not a key for this algorithm", brief(h.KeyID))}
	}
	return &ValidationError{Kind: ErrInvalidSignature, Detail: "the signature does not verify with the issuer's key " + brief(h.KeyID)}
}

// Refresh fetches the issuer's keys now (discovery, then JWKS). The program
// calls it at start-up so that readiness can tell whether keys are held.
func (v *Verifier) Refresh(ctx context.Context) error {
	return v.keys.refresh(ctx)
}

// Ready reports whether the verifier holds the issuer's keys.
func (v *Verifier) Ready() bool { return v.keys.loaded() }
