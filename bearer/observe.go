package bearer

import (
	"net/http"

	"github.com/resource-server/resource-server/verifier"
)

// Decision is what Middleware, or RequireScopes inside it, decided for one
// request, as Options.Observe receives it.
type Decision struct {
	// Status is http.StatusOK when the request was admitted and passed on
	// (whatever the handler answered then), else the refusal's status: 400,
	// 401, 403 or 503.
	Status int
	// Err is the refusal, nil when the request was admitted.
	Err *Error
	// Cause is the verifier's error when it refused the token (a
	// *verifier.ValidationError, whose kind errors.Is tells), nil otherwise.
	Cause error
	// Token is the verified token: set when the request was admitted, for
	// a 403 from RequireScopes (the token that lacked a scope), and for a
	// refusal of DPoP (Options.DPoP) made once the token was verified (a
	// bad proof, a bound token sent as Bearer); nil otherwise.
	Token *verifier.Token
	// Raw is the token as presented (for a Bearer header of bad syntax,
	// what follows the scheme), "" when none was presented. It is
	// the client's: unverified unless Token is set, and a credential. It is
	// valid during the call only: an observer must not keep, log or export
	// it; it may read it to choose among values it already knows (the
	// metrics read the unverified "iss" of a refused token this way, to
	// label it with a configured issuer or "unknown").
	Raw string
	// DPoP reports that the request used the DPoP scheme (Options.DPoP),
	// or, for a refusal, that the refusal concerns it: a proof refused
	// (Err.Code CodeInvalidDPoPProof or CodeUseDPoPNonce, Cause a
	// *verifier.ValidationError of Kind verifier.ErrInvalidProof,
	// ErrProofReplayed, ErrUseNonce or ErrStoreUnavailable, which names
	// the check that failed), or a token refused in that scheme.
	DPoP bool
}

// Admitted reports whether the request was admitted.
func (d *Decision) Admitted() bool { return d.Err == nil }

// serveObserved serves next and reports the admission of a request that next has
// answered, unless RequireScopes refused it meanwhile (and reported that).
// The report is deferred so that a request whose handler panics is counted
// too.
func (m *middleware) serveObserved(next http.Handler, w http.ResponseWriter, r *http.Request,
	tc *tokenContext, raw string) {
	defer func() {
		if !tc.refused {
			m.observe(r, Decision{Status: http.StatusOK, Token: tc.tok, Raw: raw, DPoP: tc.dpop})
		}
	}()
	next.ServeHTTP(w, r.WithContext(tc))
}
