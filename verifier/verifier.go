package verifier

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Verifier verifies tokens of one issuer. It is safe for concurrent use and
// meant to be built once and shared: it holds the issuer's key set and the
// cache of verified tokens.
type Verifier struct {
	cfg   Config
	keys  *keySet
	cache *tokenCache // nil when Config.DisableCache
	// tmpl is the template of an Issuer holding "{tenantid}"; nil otherwise.
	tmpl *template
	// assertions are the names of Config.AssertClaims, sorted: they are
	// checked in this order, so that the one a token fails is always the
	// same.
	assertions []string
	// deny holds the tokens revoked (Forget); a Set's verifiers share one.
	deny *denylist
	// intro introspects tokens; nil without Config.Introspection.
	intro *introspector
}

// New checks cfg and returns a Verifier. It does not contact the issuer:
// keys are fetched on first use, or by Refresh. An Issuer holding
// "{tenantid}" is a template: see NewSet.
func New(cfg Config) (*Verifier, error) {
	v, err := newVerifier(cfg)
	if err != nil {
		return nil, err
	}
	if !v.cfg.DisableCache {
		v.useCache(newTokenCache(v.cfg.CacheMaxEntries, v.cfg.CacheMaxBytes))
	}
	return v, nil
}

// newVerifier is New without a cache: a Set gives its verifiers one cache.
func newVerifier(cfg Config) (*Verifier, error) {
	cfg, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.InsecureAllowHTTP {
		cfg.Logger.Warn("verifier: InsecureAllowHTTP is set: keys may be fetched over plain http; never use this in production", "issuer", cfg.Issuer)
	}
	v := &Verifier{cfg: cfg, keys: newKeySet(cfg), tmpl: newTemplate(cfg), deny: newDenylist(denylistMaxEntries)}
	if cfg.Introspection != nil {
		v.intro = newIntrospector(v)
	}
	for name := range cfg.AssertClaims {
		v.assertions = append(v.assertions, name)
	}
	slices.Sort(v.assertions)
	return v, nil
}

// useCache makes c the verifier's cache of verified tokens.
func (v *Verifier) useCache(c *tokenCache) {
	v.cache = c
	v.keys.onRemoved = c.dropKeys
}

// Issuer returns the configured issuer.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// VerifyAccessToken verifies an access token and returns it. The token's
// "aud" must hold one of audiences, or, when none are given, one of
// Config.Audiences (any, with Config.AnyAudience). The error, when not nil,
// is a *ValidationError.
//
// The checks, in order: size and shape (before any parsing); the header
// (algorithm on the allow-list, no "crit", no "b64", no nested JWT, "typ" fit
// for an access token); the claims' types; "iss" exact, or of an allowed
// tenant for a template issuer (before any key is looked up, so tokens of
// other issuers cost no fetch); the key named by "kid", of the type the
// algorithm needs, and published for this issuer when the key set says for
// which (Entra's "issuer" member); the signature; "exp" (required), "nbf",
// "iat" with the leeway; "aud"; "token_use" when present; "cid"/"client_id"
// when Config.ClientID is set; then Config.AssertClaims, by name.
//
// A token that passed the checks that do not depend on the call is kept in
// a bounded cache, keyed by its SHA-256, until its "exp" (never longer: the
// leeway does not extend it) or until its key leaves the issuer's key set;
// presenting it again costs a hash and a map lookup instead of a signature
// check, with the same answer.
//
// A token revoked by Forget is refused with ErrTokenRevoked until the time
// given there, even though it verifies.
//
// A token that is not a JWS, one that does not hold exactly two dots (an
// opaque, or reference, token), is refused as malformed; with
// Config.Introspection it is introspected instead (see Introspection and
// IntrospectAccessToken).
//
// With a context from WithTrace, each check is reported as it is made; such
// a verification neither reads nor fills the cache, so that every check is
// made and shown.
func (v *Verifier) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*Token, error) {
	if tr := traceOf(ctx); tr != nil {
		return v.traceAccessToken(ctx, token, audiences, tr)
	}
	jws := jwsShaped(token)
	if !jws && v.intro != nil {
		return v.intro.verify(ctx, token, audiences, nil)
	}
	// Hashing for the cache lookup comes after the cheapest refusals, so
	// that an oversized or shapeless token costs nothing to refuse.
	if v.cache != nil && len(token) <= v.cfg.MaxTokenBytes && jws {
		if e, tok := v.cache.lookup(token, v.cfg.Now().UnixNano()); e != nil {
			return e.answer(token, audiences, tok)
		}
	}
	split, err := splitCompact(token, v.cfg.MaxTokenBytes)
	if err != nil {
		return nil, err
	}
	return v.verifyAccess(ctx, token, split, nil, audiences, nil)
}

// traceAccessToken is VerifyAccessToken with a trace: without the cache,
// reporting each check to tr.
func (v *Verifier) traceAccessToken(ctx context.Context, token string, audiences []string, tr tracer) (*Token, error) {
	if v.intro != nil && !jwsShaped(token) {
		return v.intro.trace(ctx, token, audiences, tr)
	}
	jws, err := splitCompact(token, v.cfg.MaxTokenBytes)
	tr.report(checkShape, err, func() string { return fmt.Sprintf("%d bytes, at most %d; 3 segments", len(token), v.cfg.MaxTokenBytes) })
	if err != nil {
		return nil, err
	}
	return v.verifyAccess(ctx, token, jws, nil, audiences, tr)
}

// verifyAccess verifies an access token once split (jws), and its payload
// parsed when members is not nil (a Set reads "iss" first).
//
// A token of the denylist (Forget) is refused before any costly work, and
// again after its answer is cached, so that a Forget that runs during the
// verification is not undone by it.
func (v *Verifier) verifyAccess(ctx context.Context, token string, jws *compactJWS, members jsonObject, audiences []string, tr tracer) (*Token, error) {
	if err := v.checkRevoked(token, tr); err != nil {
		return nil, err
	}
	t, members, key, err := v.verifySplit(ctx, token, jws, members, accessToken, tr)
	if err != nil {
		return nil, err
	}
	if tr != nil {
		return v.traceRest(tr, t, members, audiences)
	}
	fixedErr := v.checkClientAndAssertions(t, members)
	if v.cache != nil {
		v.cache.put(token, &cacheEntry{owner: v, claims: t.tokenClaims, key: key, expires: t.expiry.UnixNano(), err: fixedErr})
		if !v.deny.empty() {
			d := digestOf(token)
			if until, ok := v.deny.refused(d, v.cfg.Now().UnixNano()); ok {
				v.cache.forget(d)
				return nil, revokedError(until)
			}
		}
	}
	return v.finishAccessToken(t, audiences, fixedErr)
}

// checkRevoked refuses a token of the denylist; the usual empty list
// costs no hash.
func (v *Verifier) checkRevoked(token string, tr tracer) error {
	if v.deny.empty() {
		return nil
	}
	until, ok := v.deny.refused(digestOf(token), v.cfg.Now().UnixNano())
	if !ok {
		return nil
	}
	err := revokedError(until)
	if tr != nil {
		tr.report(checkRevokedName, err, nil)
	}
	return err
}

// finishAccessToken applies the checks that depend on the call (the
// audience), then reports the outcome of those that do not.
func (v *Verifier) finishAccessToken(t *Token, audiences []string, fixedErr error) (*Token, error) {
	if err := v.checkAccessAudience(t, audiences); err != nil {
		return nil, err
	}
	if fixedErr != nil {
		return nil, fixedErr
	}
	return t, nil
}

// checkAccessAudience applies the audiences of the call, else
// Config.Audiences or AnyAudience.
func (v *Verifier) checkAccessAudience(t *Token, audiences []string) error {
	return v.checkAccessAudienceOf(t.tokenClaims, audiences)
}

// checkAccessAudienceOf is checkAccessAudience of a token's claims.
func (v *Verifier) checkAccessAudienceOf(t *tokenClaims, audiences []string) error {
	if len(audiences) == 0 {
		audiences = v.cfg.Audiences
	}
	if len(audiences) == 0 && v.cfg.AnyAudience {
		// Any audience, but not none: a token without "aud" still needs
		// AllowMissingAudience.
		if t.audience == nil && !v.cfg.AllowMissingAudience {
			return &ValidationError{Kind: ErrMissingClaim, Claim: "aud", Detail: "AnyAudience accepts any audience, not a token without one"}
		}
		return nil
	}
	return checkAudience(t, audiences, v.cfg.AllowMissingAudience)
}

// checkClientAndAssertions applies "token_use", Config.ClientID and
// Config.AssertClaims, whose outcome for a given token never changes.
func (v *Verifier) checkClientAndAssertions(t *Token, members jsonObject) error {
	if err := checkTokenUse(members); err != nil {
		return err
	}
	if err := v.checkClient(t, members); err != nil {
		return err
	}
	return checkAssertions(members, v.assertions, v.cfg.AssertClaims)
}

// checkTokenUse refuses a token whose "token_use" (AWS Cognito) says it is
// not an access token: Cognito's ID tokens carry the app client as "aud",
// so without this an ID token could pass for an access token wherever
// AUDIENCE is that client id.
func checkTokenUse(members jsonObject) error {
	raw, ok := members.get("token_use")
	if !ok {
		return nil
	}
	use, err := jsonString(raw)
	if err != nil {
		return &ValidationError{Kind: ErrInvalidClaim, Claim: "token_use", Found: brief(string(raw)), Expected: `"access"`, Detail: "not a string"}
	}
	if use != "access" {
		return &ValidationError{Kind: ErrInvalidClaim, Claim: "token_use", Found: brief(use), Expected: `"access"`,
			Detail: "the issuer marks this token as something other than an access token"}
	}
	return nil
}

// checkClient applies Config.ClientID.
func (v *Verifier) checkClient(t *Token, members jsonObject) error {
	if v.cfg.ClientID == "" || t.clientID == v.cfg.ClientID {
		return nil
	}
	claim := "cid" // named when none is present: Okta's
	for _, name := range [...]string{"cid", "client_id", "azp"} {
		if _, ok := members.get(name); ok {
			claim = name
			break
		}
	}
	return &ValidationError{Kind: ErrWrongClientID, Claim: claim, Found: quoted(t.clientID), Expected: brief(v.cfg.ClientID)}
}

// VerifyIDToken verifies an OpenID Connect ID token issued to clientID
// (Config.ClientID when empty): its "aud" must hold the client id, it needs
// "sub" and "iat", and when nonce is not empty its "nonce" must equal it.
// Config.AssertClaims apply too. It reads no cache; a context from
// WithTrace sees the checks shared with access tokens (up to "iat").
func (v *Verifier) VerifyIDToken(ctx context.Context, token, clientID, nonce string) (*Token, error) {
	if clientID == "" {
		clientID = v.cfg.ClientID
	}
	if clientID == "" {
		return nil, &ValidationError{Kind: ErrWrongAudience, Claim: "aud", Detail: "no client id given: an ID token's audience is the client it was issued to"}
	}
	tr := traceOf(ctx)
	jws, err := splitCompact(token, v.cfg.MaxTokenBytes)
	if tr != nil {
		tr.report(checkShape, err, nil)
	}
	if err != nil {
		return nil, err
	}
	t, members, _, err := v.verifySplit(ctx, token, jws, nil, idToken, tr)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"sub", "iat"} {
		if _, ok := members.get(name); !ok {
			return nil, &ValidationError{Kind: ErrMissingClaim, Claim: name, Detail: "required in ID tokens"}
		}
	}
	if err := checkAudience(t.tokenClaims, []string{clientID}, false); err != nil {
		return nil, err
	}
	if nonce != "" && t.nonce != nonce {
		return nil, &ValidationError{Kind: ErrWrongNonce, Claim: "nonce", Found: quoted(t.nonce), Expected: brief(nonce)}
	}
	if err := checkAssertions(members, v.assertions, v.cfg.AssertClaims); err != nil {
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
	// introspectionResponse is an RFC 9701 JWT introspection response.
	introspectionResponse
)

// verifySplit runs the checks shared by both kinds of token once the token
// is split: header, claims, issuer, key, signature and times. members is
// the parsed payload when the caller has it (a Set), nil otherwise. It
// returns the token, its claims and the key that verified it.
func (v *Verifier) verifySplit(ctx context.Context, token string, jws *compactJWS, members jsonObject, kind tokenKind, tr tracer) (*Token, jsonObject, *publicKey, error) {
	t, members, err := v.readToken(token, jws, members, kind, tr)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := v.checkSignature(ctx, jws, t, members, tr)
	if err != nil {
		return nil, nil, nil, err
	}
	t.header.KeyID = key.kid
	if tr != nil {
		err = traceTimes(tr, t, members, v.cfg.Now(), v.cfg.Leeway)
	} else {
		err = checkTimes(t, members, v.cfg.Now(), v.cfg.Leeway)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return t, members, key, nil
}

// readToken checks the header, reads the claims and checks the issuer:
// everything before a key is looked up.
func (v *Verifier) readToken(token string, jws *compactJWS, members jsonObject, kind tokenKind, tr tracer) (*Token, jsonObject, error) {
	header, err := v.checkHeader(jws.header, kind)
	if tr != nil {
		tr.report(checkHeaderName, err, func() string {
			return fmt.Sprintf("alg %s (allowed: %s), kid %s, typ %s", header.Algorithm, strings.Join(v.cfg.Algorithms, ", "), quoteOrDash(quoted(header.KeyID)), quoteOrDash(quoted(header.Type)))
		})
	}
	if err != nil {
		return nil, nil, err
	}
	if members == nil {
		if members, err = parseObject(jws.payload, claimNames, 16); err != nil {
			err = malformed("the payload: " + err.Error())
		}
	}
	// One allocation for the Token and its claims; the verified-token cache
	// keeps a copy of the claims, never this block, which holds the text.
	both := &struct {
		t Token
		c tokenClaims
	}{}
	both.c.header = header
	both.t = Token{raw: token, tokenClaims: &both.c}
	t := &both.t
	if err == nil {
		err = readClaims(t, members)
	}
	if tr != nil {
		tr.report(checkClaims, err, func() string { return fmt.Sprintf("%d claims, of the expected types", len(members)) })
	}
	if err != nil {
		return nil, nil, err
	}
	iss, err := v.checkIssuer(t, members)
	if tr != nil {
		tr.report(checkIssuerName, err, func() string {
			if v.tmpl != nil {
				tenant, _ := v.tmpl.tenantOf(iss)
				return fmt.Sprintf("%s: tenant %s of the template %s", brief(iss), brief(tenant), brief(v.cfg.Issuer))
			}
			return brief(iss) + ", as configured"
		})
	}
	if err != nil {
		return nil, nil, err
	}
	t.issuer = iss // shared, not one copy per cached token
	return t, members, nil
}

// checkIssuer checks "iss" and returns the issuer to keep in the token: the
// configured one, or for a template the tenant's, shared by its tokens.
func (v *Verifier) checkIssuer(t *Token, members jsonObject) (string, error) {
	if _, ok := members.get("iss"); !ok {
		return "", &ValidationError{Kind: ErrMissingClaim, Claim: "iss", Expected: brief(v.cfg.Issuer)}
	}
	if v.tmpl != nil {
		return v.tmpl.check(t.issuer, members)
	}
	if t.issuer != v.cfg.Issuer {
		return "", &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(t.issuer), Expected: brief(v.cfg.Issuer)}
	}
	return v.cfg.Issuer, nil
}

// checkHeader applies the header rules. Keys come only from the issuer's key
// set, so "jwk", "jku", "x5u" and "x5c" are read by nobody.
func (v *Verifier) checkHeader(raw []byte, kind tokenKind) (Header, error) {
	members, err := parseObject(raw, headerNames, 4)
	if err != nil {
		return Header{}, malformed("the header: " + err.Error())
	}
	hm, err := findHeaderMembers(members)
	if err != nil {
		return Header{}, err
	}
	var h Header
	for _, m := range [...]struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"alg", hm.alg, &h.Algorithm}, {"kid", hm.kid, &h.KeyID}, {"typ", hm.typ, &h.Type}} {
		if m.raw != nil {
			if *m.dst, err = jsonString(m.raw); err != nil {
				return Header{}, malformed(fmt.Sprintf("the header member %q is not a string", m.name))
			}
		}
	}
	if hm.alg == nil {
		return Header{}, &ValidationError{Kind: ErrAlgorithmNotAllowed, Claim: "alg", Expected: allowList(v.cfg.Algorithms)}
	}
	if !v.algorithmAllowed(h.Algorithm) {
		detail := ""
		if strings.EqualFold(h.Algorithm, "none") {
			detail = "unsigned tokens are never accepted"
		}
		return Header{}, &ValidationError{Kind: ErrAlgorithmNotAllowed, Claim: "alg", Found: brief(h.Algorithm), Expected: allowList(v.cfg.Algorithms), Detail: detail}
	}
	if hm.crit != nil {
		return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "crit", Found: brief(string(hm.crit)), Detail: "no critical header extensions are supported"}
	}
	if hm.b64 != nil {
		return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "b64", Detail: "unencoded payloads (RFC 7797) are not supported"}
	}
	if hm.cty != nil {
		var cty string
		if json.Unmarshal(hm.cty, &cty) != nil || strings.EqualFold(cty, "JWT") {
			return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "cty", Found: brief(string(hm.cty)), Detail: "nested tokens are not accepted"}
		}
	}
	if !typeFits(h.Type, kind, v.cfg.RequireAccessTokenType) {
		want := `"at+jwt" or "JWT"`
		switch {
		case kind == introspectionResponse:
			want = `"token-introspection+jwt" (RFC 9701)`
		case kind == idToken:
			want = `"JWT"`
		case v.cfg.RequireAccessTokenType:
			want = `"at+jwt" (RequireAccessTokenType)`
		}
		return Header{}, &ValidationError{Kind: ErrUnsupportedHeader, Claim: "typ", Found: quoted(h.Type), Expected: want}
	}
	if len(h.KeyID) > 1024 {
		return Header{}, malformed("the header member \"kid\" is longer than 1024 bytes")
	}
	return h, nil
}

// headerMembers are the values of the header members checkHeader reads,
// nil when absent.
type headerMembers struct{ alg, kid, typ, crit, b64, cty json.RawMessage }

// findHeaderMembers finds the members checkHeader reads, in one pass over
// the header, and refuses the header of an encrypted token.
func findHeaderMembers(members jsonObject) (headerMembers, error) {
	var hm headerMembers
	for i := range members {
		switch m := &members[i]; m.name {
		case "alg":
			hm.alg = m.raw
		case "kid":
			hm.kid = m.raw
		case "typ":
			hm.typ = m.raw
		case "crit":
			hm.crit = m.raw
		case "b64":
			hm.b64 = m.raw
		case "cty":
			hm.cty = m.raw
		case "enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c":
			// Parameters only an encrypted token carries (RFC 7516 §4.1),
			// by which RFC 7516 §9 tells a JWE from a JWS: an encrypted
			// token cut short or mislabelled, never a signed one.
			return hm, malformed(fmt.Sprintf("the header holds %q, a parameter of encrypted tokens (JWE, RFC 7516): only signed tokens (JWS) are accepted", m.name))
		}
	}
	return hm, nil
}

// typeFits applies explicit typing (RFC 8725 §3.11): an access token may say
// "at+jwt" (RFC 9068) or the generic "JWT"; an ID token must not claim to be
// an access token. Okta's tokens carry no "typ" at all, so only strict mode
// (requireAT) insists on "at+jwt" for access tokens.
func typeFits(typ string, kind tokenKind, requireAT bool) bool {
	t := strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "application/"))
	if kind == introspectionResponse {
		return t == "token-introspection+jwt"
	}
	if kind == accessToken && requireAT {
		return t == "at+jwt"
	}
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

// checkSignature finds the key named by "kid", of this issuer, and
// verifies the signature with it. It returns the key, so that a cached
// answer can be dropped when the key leaves the issuer's key set.
func (v *Verifier) checkSignature(ctx context.Context, jws *compactJWS, t *Token, members jsonObject, tr tracer) (*publicKey, error) {
	h := t.header
	keys, err := v.keys.lookup(ctx, h.KeyID)
	if err == nil {
		keys, err = keysOfIssuer(keys, t.issuer, members)
	}
	if tr != nil {
		tr.report(checkKey, err, func() string {
			return fmt.Sprintf("kid %s: %s of the issuer's key set", quoteOrDash(quoted(h.KeyID)), keyCount(len(keys)))
		})
	}
	if err != nil {
		return nil, err
	}
	key, err := verifyWithKeys(jws, h, keys)
	if tr != nil {
		tr.report(checkSignatureName, err, func() string { return h.Algorithm + " signature verifies with the key " + quoteOrDash(quoted(key.kid)) })
	}
	return key, err
}

// verifyWithKeys verifies jws with the first of keys that fits its algorithm
// and whose signature checks out.
func verifyWithKeys(jws *compactJWS, h Header, keys []*publicKey) (*publicKey, error) {
	fitting := 0
	for _, k := range keys {
		if !k.fitsAlgorithm(h.Algorithm) {
			continue
		}
		fitting++
		if verifySignature(h.Algorithm, k.key, jws.signingInput, jws.signature) == nil {
			return k, nil
		}
	}
	if fitting == 0 {
		return nil, &ValidationError{Kind: ErrAlgorithmNotAllowed, Claim: "alg", Found: brief(h.Algorithm),
			Detail: fmt.Sprintf("the key %s is not a key for this algorithm", brief(h.KeyID))}
	}
	return nil, &ValidationError{Kind: ErrInvalidSignature, Detail: "the signature does not verify with the issuer's key " + brief(h.KeyID)}
}

// Refresh fetches the issuer's keys now (discovery, then JWKS). The program
// calls it at start-up so that readiness can tell whether keys are held.
func (v *Verifier) Refresh(ctx context.Context) error {
	return v.keys.refresh(ctx)
}

// Ready reports whether the verifier holds the issuer's keys, fetched
// within MaxKeyAge.
func (v *Verifier) Ready() bool { return v.keys.usable() }

// Forget revokes the token whose SHA-256 is digest (see Digest) until
// until: its verified answer and its introspection answer leave the caches
// (map, front table and all), and until then it is refused with
// ErrTokenRevoked, without asking the issuer, even though it would verify;
// after until it is judged as any token again (a JWT revoked until its
// "exp" stays refused, by its expiry). The revoked digests are held in a
// bounded list (100,000): when full, the revocation to end soonest gives
// way. A program that shares revocations (a store that other replicas
// subscribe to) calls Forget on each replica.
func (v *Verifier) Forget(digest [32]byte, until time.Time) {
	v.deny.add(digest, until.UnixNano(), v.cfg.Now().UnixNano())
	if v.cache != nil {
		v.cache.forget(digest)
	}
	if v.intro != nil {
		v.intro.cache.forget(digest)
	}
}

// IntrospectAccessToken judges an access token by the issuer's
// introspection endpoint (Config.Introspection), whatever its form: a JWT
// too, when a route wants the issuer's word on every token (revocation
// seen within Introspection.CacheTTL). A JWT's unverified "iss" must be the
// issuer, so that no token is sent to an authorization server that did
// not issue it. The answer is cached and checked as Introspection says;
// audiences, when given, replace Config.Audiences. Without
// Config.Introspection it fails with ErrKeysUnavailable.
func (v *Verifier) IntrospectAccessToken(ctx context.Context, token string, audiences ...string) (*Token, error) {
	if v.intro == nil {
		return nil, noIntrospection(v.cfg.Issuer)
	}
	return v.intro.verify(ctx, token, audiences, func() error {
		if !jwsShaped(token) {
			return nil
		}
		jws, err := splitCompact(token, v.cfg.MaxTokenBytes)
		if err != nil {
			return err
		}
		members, err := parseObject(jws.payload, claimNames, 16)
		if err != nil {
			return malformed("the payload: " + err.Error())
		}
		raw, ok := members.get("iss")
		if iss, err := jsonString(raw); !ok || err != nil || iss != v.cfg.Issuer {
			return &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: quoted(string(raw)), Expected: brief(v.cfg.Issuer),
				Detail: "a token is introspected only at the issuer that issued it"}
		}
		return nil
	})
}

// noIntrospection is the error of IntrospectAccessToken when no issuer
// introspects: a configuration's fault, not the token's, hence
// ErrKeysUnavailable (503).
func noIntrospection(issuers string) error {
	return &ValidationError{Kind: ErrKeysUnavailable,
		Detail: "no configured issuer has Config.Introspection (issuers: " + issuers + "): the token cannot be introspected"}
}

// IntrospectionIssuer returns the issuer whose tokens are introspected
// (Config.Introspection), "" when none is, so that a program can refuse
// at start-up a route that asks for introspection none can make.
func (v *Verifier) IntrospectionIssuer() string {
	if v.intro == nil {
		return ""
	}
	return v.cfg.Issuer
}
