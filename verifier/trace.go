package verifier

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The names of the checks a trace reports (Check.Name), in the order they
// are made; a claim assertion is reported as "assert " and its name in
// Config.AssertClaims ("assert groups.includes").
const (
	checkShape          = "size and shape"
	checkHeaderName     = "header"
	checkClaims         = "claims"
	checkIssuerName     = "issuer"
	checkKey            = "key"
	checkSignatureName  = "signature"
	checkAud            = "aud"
	checkTokenUseName   = "token_use"
	checkClientName     = "client"
	checkRevokedName    = "revocation"
	checkIntrospectName = "introspection"
)

type traceKey struct{}

// tracer receives the checks of a traced verification; nil when the
// verification is not traced, which is all the hot path tests.
type tracer func(Check)

// WithTrace returns a context that makes VerifyAccessToken (of a Verifier
// or a Set) report each check to f as it is made, in order: "size and
// shape", "header", "claims", "issuer" (which configured issuer, and for a
// template which tenant), "key", "signature", "exp", "nbf", "iat", "aud",
// "token_use" (when the token has one), "client" (when Config.ClientID is
// set), then "assert NAME" for each of Config.AssertClaims by name. A
// failed check is the last one reported; its Detail is the error's text.
//
// A traced verification bypasses the verified-token cache (it neither reads
// nor fills it), so that every check is made and shown: tracing is for
// explaining one token, not for the hot path. f is called on the
// verifying goroutine and must not block. A nil f returns ctx.
func WithTrace(ctx context.Context, f func(Check)) context.Context {
	if f == nil {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, tracer(f))
}

// traceOf returns the tracer of ctx, nil when there is none.
func traceOf(ctx context.Context) tracer {
	if ctx == nil {
		return nil
	}
	tr, _ := ctx.Value(traceKey{}).(tracer)
	return tr
}

// report reports a check: failed with err's text, or passed with what
// detail says (nil: nothing to add). Callers call it only when tr is not
// nil, so that detail is never formatted on the hot path.
func (tr tracer) report(name string, err error, detail func() string) {
	c := Check{Name: name, Passed: err == nil}
	switch {
	case err != nil:
		c.Detail = err.Error()
	case detail != nil:
		c.Detail = detail()
	}
	tr(c)
}

// traceTimes is checkTimes, reporting each of its checks.
func traceTimes(tr tracer, t *Token, members jsonObject, now time.Time, leeway time.Duration) error {
	for _, c := range [...]struct {
		name  string
		check func(*Token, jsonObject, time.Time, time.Duration) error
		at    time.Time
	}{{"exp", checkExp, t.expiry}, {"nbf", checkNbf, t.notBefore}, {"iat", checkIat, t.issuedAt}} {
		err := c.check(t, members, now, leeway)
		tr.report(c.name, err, func() string {
			if _, ok := members.get(c.name); !ok {
				return "absent"
			}
			return fmt.Sprintf("%s; now is %s, leeway %s", stamp(c.at), stamp(now), leeway)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// traceRest makes the checks of an access token after the times, as
// verifyAccess and finishAccessToken make them, reporting each: the
// audience, "token_use", the client, the claim assertions.
func (v *Verifier) traceRest(tr tracer, t *Token, members jsonObject, audiences []string) (*Token, error) {
	err := v.checkAccessAudience(t, audiences)
	tr.report(checkAud, err, func() string {
		want := audiences
		if len(want) == 0 {
			want = v.cfg.Audiences
		}
		if len(want) == 0 {
			return fmt.Sprintf("%s (AnyAudience)", quoteOrDash(listString(t.audience)))
		}
		return fmt.Sprintf("%s, expected one of %s", quoteOrDash(listString(t.audience)), listString(want))
	})
	if err != nil {
		return nil, err
	}
	if _, ok := members.get("token_use"); ok {
		err := checkTokenUse(members)
		tr.report(checkTokenUseName, err, func() string { return `"access"` })
		if err != nil {
			return nil, err
		}
	}
	if v.cfg.ClientID != "" {
		err := v.checkClient(t, members)
		tr.report(checkClientName, err, func() string { return brief(t.clientID) })
		if err != nil {
			return nil, err
		}
	}
	for _, name := range v.assertions {
		want := v.cfg.AssertClaims[name]
		err := assertClaim(members, name, want)
		tr.report("assert "+name, err, func() string {
			claim, _ := strings.CutSuffix(name, ".includes")
			raw, _ := members.get(claim)
			return fmt.Sprintf("%s is %s, expected %v", claim, brief(string(raw)), want)
		})
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}
