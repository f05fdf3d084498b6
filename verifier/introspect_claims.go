package verifier

import (
	"bytes"
	"slices"
	"time"
)

var (
	// introspectionNames are the members of an introspection response read
	// or registered (RFC 7662 §2.2, and a JWT's claims, which responses
	// carry too): a case variant of one of them refuses the response.
	introspectionNames = registry(append(slices.Clone(claimNames.list),
		"active", "username", "token_type")...)
	// introspectionJWTNames are the claims of an RFC 9701 response.
	introspectionJWTNames = registry("iss", "aud", "iat", "exp", "nbf", "jti", "token_introspection")
)

// judgeIntrospection reads an introspection response (members, whose text
// is payload) with the rules of a JWT's claims (see Introspection), at
// now. It returns the claims, and the refusal of the token when the
// checks that do not depend on the call fail: ErrTokenInactive first.
func (v *Verifier) judgeIntrospection(members jsonObject, payload []byte, now time.Time) (*tokenClaims, error) {
	t := &Token{tokenClaims: &tokenClaims{}}
	if raw, ok := members.get("active"); !ok || string(raw) != "true" {
		return t.tokenClaims, &ValidationError{Kind: ErrTokenInactive, Claim: "active", Found: quoted(string(raw)), Expected: "true",
			Detail: "the issuer's introspection endpoint does not say the token is active"}
	}
	if err := readClaims(t, members); err != nil {
		return t.tokenClaims, err
	}
	t.payload = bytes.Clone(payload)
	if _, ok := members.get("iss"); ok && t.issuer != v.cfg.Issuer {
		return t.tokenClaims, &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(t.issuer), Expected: brief(v.cfg.Issuer)}
	}
	t.issuer = v.cfg.Issuer
	if err := checkIntrospectionTimes(t, members, now, v.cfg.Leeway); err != nil {
		return t.tokenClaims, err
	}
	if err := checkIntrospectionUse(members); err != nil {
		return t.tokenClaims, err
	}
	if err := v.checkClient(t, members); err != nil {
		return t.tokenClaims, err
	}
	return t.tokenClaims, checkAssertions(members, v.assertions, v.cfg.AssertClaims)
}

// checkIntrospectionTimes applies "exp" (optional in RFC 7662 §2.2),
// "nbf" and "iat", with the leeway.
func checkIntrospectionTimes(t *Token, members jsonObject, now time.Time, leeway time.Duration) error {
	if _, ok := members.get("exp"); ok {
		if err := checkExp(t, members, now, leeway); err != nil {
			return err
		}
	}
	if err := checkNbf(t, members, now, leeway); err != nil {
		return err
	}
	return checkIat(t, members, now, leeway)
}

// checkIntrospectionUse refuses a response that says the token is not an
// access token: "token_use" (Ory Hydra's "access_token", Cognito's
// "access"), and requires "token_type", when present, to be a string.
func checkIntrospectionUse(members jsonObject) error {
	if raw, ok := members.get("token_use"); ok {
		use, err := jsonString(raw)
		if err != nil || use != "access_token" && use != "access" {
			return &ValidationError{Kind: ErrInvalidClaim, Claim: "token_use", Found: brief(string(raw)), Expected: `"access_token" or "access"`,
				Detail: "the issuer says this token is something other than an access token"}
		}
	}
	if raw, ok := members.get("token_type"); ok {
		if _, err := jsonString(raw); err != nil {
			return invalidClaim("token_type", "a string")
		}
	}
	return nil
}
