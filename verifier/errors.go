package verifier

import (
	"errors"
	"fmt"
)

// Sentinel errors name the kind of a failure so that callers can branch on it
// with errors.Is. The error returned by the verifier is a *ValidationError
// (or a *ConfigError from New) whose text says what was expected and what was
// found; it never contains the token itself.
var (
	// ErrMalformed: the token is not a well-formed compact JWS (size, segments,
	// base64url, JSON, duplicate or case-variant member names, a header
	// parameter of encrypted tokens such as "enc").
	ErrMalformed = errors.New("malformed token")
	// ErrUnsupportedHeader: the JOSE header asks for something refused
	// (an unknown "crit" entry, "b64": false, a nested JWT, a "typ" that is not
	// an access token's).
	ErrUnsupportedHeader = errors.New("unsupported token header")
	// ErrAlgorithmNotAllowed: "alg" is not on the configured allow-list, or does
	// not fit the key it names.
	ErrAlgorithmNotAllowed = errors.New("algorithm not allowed")
	// ErrUnknownKey: no key of the issuer's key set matches the token's "kid".
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrInvalidSignature: the signature does not verify with the issuer's key.
	ErrInvalidSignature = errors.New("invalid signature")
	// ErrExpired: "exp" is in the past (beyond the leeway).
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid: "nbf" (or "iat") is in the future (beyond the leeway).
	ErrNotYetValid = errors.New("token not yet valid")
	// ErrMissingClaim: a required claim is absent.
	ErrMissingClaim = errors.New("missing claim")
	// ErrInvalidClaim: a claim has the wrong JSON type, or a value its grammar
	// forbids (a scope claim outside RFC 6749 §3.3).
	ErrInvalidClaim = errors.New("invalid claim")
	// ErrWrongIssuer: "iss" is not the configured issuer.
	ErrWrongIssuer = errors.New("wrong issuer")
	// ErrWrongAudience: "aud" holds none of the expected audiences.
	ErrWrongAudience = errors.New("wrong audience")
	// ErrWrongClientID: "cid" (or "client_id") is not the configured client id.
	ErrWrongClientID = errors.New("wrong client id")
	// ErrClaimMismatch: a configured claim assertion does not hold.
	ErrClaimMismatch = errors.New("claim assertion failed")
	// ErrWrongNonce: an ID token's "nonce" is not the expected one.
	ErrWrongNonce = errors.New("wrong nonce")
	// ErrKeysUnavailable: the issuer's keys could not be fetched and none are
	// cached. This is the one failure that says nothing about the token: the
	// caller should answer 503, not 401.
	//
	// An introspection that gets no usable answer (the endpoint unreachable,
	// timing out, answering other than 200, or with a response that cannot
	// be read or whose signature does not verify) is this kind too, its
	// Detail naming the introspection endpoint: it says nothing about the
	// token either.
	ErrKeysUnavailable = errors.New("issuer keys unavailable")
	// ErrTokenInactive: the issuer's introspection endpoint (RFC 7662)
	// answered that the token is not active: unknown to it, revoked,
	// expired, or not for this resource server.
	ErrTokenInactive = errors.New("token inactive")
	// ErrTokenRevoked: the token was revoked (Set.Forget, Verifier.Forget):
	// it is refused until the time given there, without asking the issuer.
	ErrTokenRevoked = errors.New("token revoked")
)

// ValidationError is the error returned when a token is refused. Kind is one
// of the sentinel errors above; errors.Is(err, ErrExpired) and the like test
// it. Claim, Expected and Found say which part of the token failed and why;
// they hold claim values, never the token.
type ValidationError struct {
	Kind     error  // one of the Err* sentinels
	Claim    string // the claim or header member concerned, if any ("exp", "aud", "alg"…)
	Expected string // what the verifier wanted, if it applies
	Found    string // what the token holds, if it applies
	Detail   string // anything else worth saying
	Err      error  // an underlying error (JSON, fetch, crypto), if any
}

func (e *ValidationError) Error() string {
	msg := "verifier: " + e.Kind.Error()
	if e.Claim != "" {
		msg += fmt.Sprintf(": claim %q", e.Claim)
	}
	if e.Found != "" || e.Expected != "" {
		if e.Claim == "" {
			msg += ":"
		}
		msg += fmt.Sprintf(" is %s", quoteOrDash(e.Found))
		if e.Expected != "" {
			msg += fmt.Sprintf(", expected %s", e.Expected)
		}
	}
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func quoteOrDash(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

// Is reports whether target is the error's Kind, so errors.Is works with the
// sentinels.
func (e *ValidationError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error, if any.
func (e *ValidationError) Unwrap() error { return e.Err }

// ConfigError is returned by New and Config.Validate when the configuration
// cannot work. Field names the Config field ("Issuer", "JWKSURL",
// "MaxKeyAge", ...); a program that reads its settings elsewhere maps it to
// the name its users wrote. Problem says what is wrong, when that is not
// plain from Fix; Fix says what to put there. A fetch of the keys returns one
// too (from Refresh, and as the Err of ErrKeysUnavailable) when what the
// issuer publishes shows the configuration wrong: an Issuer that differs from
// the published issuer only by a trailing slash.
type ConfigError struct {
	// Field is the Config field at fault.
	Field string
	// Value is the offending value, "" when the value is missing.
	Value string
	// Problem says what is wrong with Value ("holds a user name or
	// password"); it may be empty.
	Problem string
	// Fix says what to do. It names other Config fields by their Go names.
	Fix string
	// Position is, for an error from NewSet, the position of the Config at
	// fault among NewSet's arguments, counting from 1; 0 otherwise.
	Position int
	// Issuer is, for an error from NewSet, the Issuer of the Config at
	// fault, as configured ("" when it is the missing field).
	Issuer string
}

// Error returns "verifier: invalid FIELD "VALUE" (PROBLEM): FIX".
func (e *ConfigError) Error() string {
	msg := "verifier: invalid " + e.Field
	if e.Position > 0 {
		msg = fmt.Sprintf("verifier: issuer %d", e.Position)
		if e.Issuer != "" {
			msg += fmt.Sprintf(" (%s)", e.Issuer)
		}
		msg += ": invalid " + e.Field
	}
	if e.Value != "" {
		msg += fmt.Sprintf(" %q", e.Value)
	}
	if e.Problem != "" {
		msg += " (" + e.Problem + ")"
	}
	return msg + ": " + e.Fix
}
