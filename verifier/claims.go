package verifier

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unique"

	"github.com/resource-server/resource-server/internal/scope"
)

// readClaims decodes the registered claims of a payload into t, checking
// their JSON types. It checks no values: rules do that.
func readClaims(t *Token, members jsonObject) error {
	var err error
	str := func(name string, dst *string) {
		if raw, ok := members.get(name); ok && err == nil {
			if *dst, err = jsonString(raw); err != nil {
				err = invalidClaim(name, "a string")
			}
		}
	}
	date := func(name string, dst *time.Time) {
		if raw, ok := members.get(name); ok && err == nil {
			d, e := numericDate(raw)
			if e != nil {
				err = invalidClaim(name, "a NumericDate (seconds since 1970)")
			}
			*dst = d
		}
	}
	str("iss", &t.issuer)
	str("sub", &t.subject)
	str("jti", &t.id)
	str("nonce", &t.nonce)
	date("exp", &t.expiry)
	date("nbf", &t.notBefore)
	date("iat", &t.issuedAt)
	if err != nil {
		return err
	}
	// The client the token was issued to: Okta's "cid", RFC 9068's
	// "client_id", or the OpenID Connect "azp" that Auth0, Keycloak, Entra
	// ID (v2) and ZITADEL use; the first present wins.
	var cid, clientID, azp string
	str("cid", &cid)
	str("client_id", &clientID)
	str("azp", &azp)
	if err != nil {
		return err
	}
	t.clientID = cmp.Or(cid, clientID, azp)
	if raw, ok := members.get("aud"); ok {
		if t.audience, err = stringOrList(raw); err != nil {
			return invalidClaim("aud", "a string or an array of strings")
		}
	}
	// "scp" when present, else "scope".
	if raw, ok := members.get("scp"); ok {
		t.scopes, err = readScopes("scp", raw)
	} else if raw, ok := members.get("scope"); ok {
		t.scopes, err = readScopes("scope", raw)
	}
	if err != nil {
		return err
	}
	if raw, ok := members.get("cnf"); ok {
		if t.jkt, err = readConfirmation(raw); err != nil {
			return err
		}
	}
	internStrings(t)
	return nil
}

// readConfirmation reads the "jkt" of a "cnf" claim (RFC 7800 §3.1: an
// object); a "cnf" without "jkt" binds the token to no DPoP key, but one
// whose "jkt" is no base64url SHA-256 thumbprint is refused, as is a "cnf"
// with duplicate or case-variant members.
func readConfirmation(raw json.RawMessage) (string, error) {
	cnf, err := parseObject(raw, confirmationNames, 2)
	if err != nil {
		return "", invalidClaim("cnf", "a JSON object with unique members")
	}
	v, ok := cnf.get("jkt")
	if !ok {
		return "", nil
	}
	jkt, err := jsonString(v)
	if err != nil || len(jkt) != 43 || !isBase64URL(jkt) {
		return "", invalidClaim("cnf", `an object whose "jkt" is a base64url SHA-256 thumbprint (43 characters)`)
	}
	return jkt, nil
}

// readScopes reads a scope claim as RFC 6749 §3.3 defines scopes (see
// internal/scope): either a string of scope-tokens separated by spaces (RFC
// 9068's "scope", Entra ID's "scp"), never split on other white space, or
// an array of scope-tokens (Okta's "scp"; the "scope" of IdentityServer,
// older Duende and Spring Authorization Server). A value holding any other
// character refuses the token: read another way it could grant a scope the
// issuer never meant to grant ("api:read<U+00A0>api:write" is not
// api:write), and dropping the odd item would hide the disagreement.
func readScopes(name string, raw json.RawMessage) ([]string, error) {
	if len(raw) > 0 && raw[0] == '"' { // a JSON string
		s, err := jsonString(raw)
		if err != nil {
			return nil, invalidClaim(name, "a space-separated string or an array of strings")
		}
		list, err := scope.Parse(s)
		if err != nil {
			return nil, &ValidationError{Kind: ErrInvalidClaim, Claim: name,
				Detail: err.Error() + "; " + scope.Syntax}
		}
		return list, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, invalidClaim(name, "a space-separated string or an array of strings")
	}
	for i, s := range list {
		if err := scope.Check(s); err != nil {
			return nil, &ValidationError{Kind: ErrInvalidClaim, Claim: name,
				Detail: fmt.Sprintf("element %d: %v (each element is one scope, RFC 6749 section 3.3)", i, err)}
		}
	}
	return list, nil
}

// internStrings makes the values that recur across tokens (clients,
// subjects, audiences, scopes) share one copy, so that a full cache of
// verified tokens costs little more than the tokens themselves.
func internStrings(t *Token) {
	t.clientID = intern(t.clientID)
	t.subject = intern(t.subject)
	t.header.Type = intern(t.header.Type)
	for i, a := range t.audience {
		t.audience[i] = intern(a)
	}
	for i, s := range t.scopes {
		t.scopes[i] = intern(s)
	}
}

func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

func invalidClaim(name, want string) error {
	return &ValidationError{Kind: ErrInvalidClaim, Claim: name, Detail: "must be " + want}
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	if one, err := jsonString(raw); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// numericDate reads RFC 7519's NumericDate: a JSON number of seconds, which
// may have a fraction. Negative or absurd values are refused.
func numericDate(raw json.RawMessage) (time.Time, error) {
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || raw[0] == '"' || f < 0 || f > 1<<40 || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("not a NumericDate")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// checkTimes applies "exp" (required), "nbf" and "iat" with the leeway.
func checkTimes(t *Token, members jsonObject, now time.Time, leeway time.Duration) error {
	if err := checkExp(t, members, now, leeway); err != nil {
		return err
	}
	if err := checkNbf(t, members, now, leeway); err != nil {
		return err
	}
	return checkIat(t, members, now, leeway)
}

// checkExp requires "exp", and refuses a token past it by more than leeway.
func checkExp(t *Token, members jsonObject, now time.Time, leeway time.Duration) error {
	if _, ok := members.get("exp"); !ok {
		return &ValidationError{Kind: ErrMissingClaim, Claim: "exp", Detail: "a token without an expiry would be valid forever"}
	}
	if !now.Before(t.expiry.Add(leeway)) {
		return &ValidationError{Kind: ErrExpired, Claim: "exp", Found: stamp(t.expiry),
			Detail: fmt.Sprintf("now is %s, leeway %s", stamp(now), leeway)}
	}
	return nil
}

// checkNbf refuses a token whose "nbf" is more than leeway ahead.
func checkNbf(t *Token, members jsonObject, now time.Time, leeway time.Duration) error {
	if _, ok := members.get("nbf"); ok && now.Add(leeway).Before(t.notBefore) {
		return &ValidationError{Kind: ErrNotYetValid, Claim: "nbf", Found: stamp(t.notBefore),
			Detail: fmt.Sprintf("now is %s, leeway %s", stamp(now), leeway)}
	}
	return nil
}

// checkIat refuses a token issued more than leeway in the future.
func checkIat(t *Token, members jsonObject, now time.Time, leeway time.Duration) error {
	if _, ok := members.get("iat"); ok && now.Add(leeway).Before(t.issuedAt) {
		return &ValidationError{Kind: ErrNotYetValid, Claim: "iat", Found: stamp(t.issuedAt),
			Detail: fmt.Sprintf("issued in the future; now is %s, leeway %s", stamp(now), leeway)}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkAudience requires "aud" to hold one of the expected audiences.
// allowMissing accepts a token with no "aud" at all (Config.AllowMissingAudience,
// whose client check has then bound the token to its client).
func checkAudience(t *tokenClaims, expected []string, allowMissing bool) error {
	if t.audience == nil && allowMissing {
		return nil
	}
	for _, want := range expected {
		if slices.Contains(t.audience, want) {
			return nil // the hot path: nothing is formatted before this
		}
	}
	found := listString(t.audience)
	if t.audience != nil && len(t.audience) == 0 {
		found = "[] (an empty array)"
	}
	if len(expected) == 0 {
		return &ValidationError{Kind: ErrWrongAudience, Claim: "aud", Found: found,
			Detail: "no expected audience is configured, and accepting any would accept tokens meant for other APIs"}
	}
	if t.audience == nil {
		return &ValidationError{Kind: ErrMissingClaim, Claim: "aud", Expected: listString(expected)}
	}
	return &ValidationError{Kind: ErrWrongAudience, Claim: "aud", Found: found, Expected: listString(expected)}
}

func listString(list []string) string {
	if len(list) == 0 {
		return ""
	}
	quoted := make([]string, 0, len(list))
	for i, s := range list {
		if i == 4 {
			quoted = append(quoted, fmt.Sprintf("… (%d in all)", len(list)))
			break
		}
		quoted = append(quoted, brief(s))
	}
	if len(list) == 1 {
		return quoted[0]
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// checkAssertions applies Config.AssertClaims, in the order of names (its
// keys, sorted: the first assertion that fails is always the same one).
func checkAssertions(members jsonObject, names []string, assertions map[string]any) error {
	for _, name := range names {
		if err := assertClaim(members, name, assertions[name]); err != nil {
			return err
		}
	}
	return nil
}

// assertClaim applies one claim assertion of Config.AssertClaims.
func assertClaim(members jsonObject, name string, want any) error {
	claim, includes := strings.CutSuffix(name, ".includes")
	raw, ok := members.get(claim)
	if !ok {
		return &ValidationError{Kind: ErrMissingClaim, Claim: claim, Detail: "required by the configured claim assertions"}
	}
	if includes {
		return checkIncludes(claim, raw, want)
	}
	var got any
	if json.Unmarshal(raw, &got) != nil || !sameScalar(got, want) {
		return &ValidationError{Kind: ErrClaimMismatch, Claim: claim, Found: brief(string(raw)), Expected: fmt.Sprintf("%v", want)}
	}
	return nil
}

// checkIncludes requires an array claim to hold every wanted value. A string
// claim is read as a space-separated list (like "scope"), never substring-
// matched as the Node verifier does: "Admins" must not include "Admin". Only
// U+0020 separates, as in a scope: "a<U+00A0>b" does not include "b".
func checkIncludes(claim string, raw json.RawMessage, want any) error {
	var have []any
	var s string
	if json.Unmarshal(raw, &s) == nil {
		for _, f := range scope.Fields(s) {
			have = append(have, f)
		}
	} else if json.Unmarshal(raw, &have) != nil {
		return &ValidationError{Kind: ErrClaimMismatch, Claim: claim, Found: brief(string(raw)), Expected: "an array"}
	}
	var wants []any
	switch w := want.(type) {
	case []string:
		for _, x := range w {
			wants = append(wants, x)
		}
	case []any:
		wants = w
	default:
		wants = []any{w}
	}
	for _, w := range wants {
		if !slices.ContainsFunc(have, func(h any) bool { return sameScalar(h, w) }) {
			return &ValidationError{Kind: ErrClaimMismatch, Claim: claim, Found: brief(string(raw)), Expected: fmt.Sprintf("an array including %v", w)}
		}
	}
	return nil
}

// sameScalar compares a decoded JSON scalar with a configured value.
func sameScalar(got, want any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case json.Number:
		f, err := w.Float64()
		g, ok := got.(float64)
		return err == nil && ok && g == f
	case float64:
		g, ok := got.(float64)
		return ok && g == w
	case int:
		g, ok := got.(float64)
		return ok && g == float64(w)
	case int64:
		g, ok := got.(float64)
		return ok && g == float64(w)
	}
	return false
}
