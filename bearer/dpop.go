package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/resource-server/resource-server/verifier"
)

// Error codes of RFC 9449 §7.1 and §9, in the DPoP challenge.
const (
	CodeInvalidDPoPProof = "invalid_dpop_proof" // 401
	CodeUseDPoPNonce     = "use_dpop_nonce"     // 401, with a DPoP-Nonce header
)

// DPoPMode says whether the Bearer scheme is still accepted beside DPoP.
type DPoPMode int

const (
	// DPoPAllowed accepts both schemes: DPoP with a proof, and Bearer for
	// tokens bound to no key. A DPoP-bound token sent as Bearer is refused,
	// since without the proof its binding would protect nothing.
	DPoPAllowed DPoPMode = iota
	// DPoPRequired accepts the DPoP scheme only (FAPI 2.0, HAIP): every
	// token must be bound to a key and presented with a proof.
	DPoPRequired
	// DPoPOff, from DPoPOptions.ModeFor only, refuses the DPoP scheme for
	// a token: its issuer's tokens are bearer tokens only.
	DPoPOff
)

// DPoPOptions enables DPoP (RFC 9449) in Middleware.
type DPoPOptions struct {
	// Verifier checks the proofs. Required (Middleware panics without).
	Verifier *verifier.DPoPVerifier
	// Mode is DPoPAllowed (the default) or DPoPRequired.
	Mode DPoPMode
	// ModeFor, when set, returns the mode for a token once verified, for
	// a mode that depends on the token's issuer: DPoPRequired refuses it
	// sent as Bearer, DPoPOff refuses it sent with the DPoP scheme (a token
	// bound to a key is refused as Bearer whatever the mode). It cannot
	// lift Mode's DPoPRequired.
	ModeFor func(tok *verifier.Token) DPoPMode
	// URL returns the URL a proof's "htu" must match: the request's absolute
	// URL without query and fragment, as the client addressed it. Behind a
	// proxy or a gateway the server's own view differs (scheme, host, port,
	// a forward-auth check that is a GET of another path), so a program
	// passes its public base URL joined with the path, or a derivation from
	// forwarded headers it trusts. Nil: the scheme from r.TLS, r.Host and
	// r.URL's escaped path; mind that r.Host is the client's to choose, so
	// that a proof made for another server naming this one's host is
	// accepted there and here alike.
	URL func(r *http.Request) string
}

// dpopConfig is DPoPOptions ready for requests.
type dpopConfig struct {
	v        *verifier.DPoPVerifier
	required bool
	url      func(*http.Request) string
	modeFor  func(*verifier.Token) DPoPMode // DPoPOptions.ModeFor, or nil
	algs     string                         // the challenge's algs="…" attribute
}

// newDPoPConfig returns nil for nil options: DPoP disabled.
func newDPoPConfig(o *DPoPOptions) *dpopConfig {
	if o == nil {
		return nil
	}
	if o.Verifier == nil {
		panic("bearer: Options.DPoP needs a Verifier")
	}
	if o.Mode != DPoPAllowed && o.Mode != DPoPRequired {
		panic(fmt.Sprintf("bearer: Options.DPoP.Mode %d is neither DPoPAllowed nor DPoPRequired", o.Mode))
	}
	c := &dpopConfig{v: o.Verifier, required: o.Mode == DPoPRequired, url: o.URL, modeFor: o.ModeFor,
		algs: `algs="` + strings.Join(o.Verifier.Algorithms(), " ") + `"`}
	if c.url == nil {
		c.url = requestURL
	}
	return c
}

// requestURL is the default DPoPOptions.URL.
func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

var (
	dpopRefusals = schemeRefusals{
		other: errOtherScheme,
		empty: Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, dpop: true,
			Description: "the Authorization header holds the DPoP scheme but no token"},
		separator: Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, dpop: true,
			Description: "the DPoP scheme must be followed by one or more spaces and the token; found a tab"},
		syntax: Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, dpop: true,
			Description: "the DPoP token holds a character outside the token68 syntax [A-Za-z0-9-._~+/]+=*"},
	}
	errBearerRequiresDPoP = Error{Status: http.StatusUnauthorized, dpop: true,
		Description: "this resource needs a DPoP-bound token sent with the DPoP scheme and a proof"}
	errBoundAsBearer = Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken,
		Description: "a DPoP-bound token must be sent with the DPoP scheme and a proof"}
	errDPoPOff = Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, dpop: true,
		Description: "tokens of this issuer are not accepted with the DPoP scheme: send it as Bearer"}
	errUnboundAsDPoP = Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, dpop: true,
		Description: "the token is bound to no key (no cnf.jkt), so it cannot be sent with the DPoP scheme"}
	errNoProof = Error{Status: http.StatusUnauthorized, Code: CodeInvalidDPoPProof, dpop: true,
		Description: "the request carries no DPoP header with a proof"}
	errSeveralProofs = Error{Status: http.StatusUnauthorized, Code: CodeInvalidDPoPProof, dpop: true,
		Description: "the request carries more than one DPoP header"}
)

// isDPoPScheme reports whether r's one Authorization header uses the DPoP
// scheme; several headers are extractScheme's to refuse.
func isDPoPScheme(r *http.Request) bool {
	values := r.Header["Authorization"]
	if len(values) != 1 {
		return false
	}
	h := trimOWS(values[0])
	return len(h) > 4 && strings.EqualFold(h[:4], "DPoP") && (h[4] == ' ' || h[4] == '\t')
}

// serveDPoP is Middleware's handler when DPoP is enabled: the token of
// either scheme is verified as before, then the DPoP scheme's proof
// (checkDPoP), or the Bearer scheme's absence of a binding.
func (m *middleware) serveDPoP(next http.Handler, w http.ResponseWriter, r *http.Request) {
	dpop := isDPoPScheme(r)
	var raw string
	var e *Error
	switch {
	case dpop:
		raw, e = extractScheme(r, "DPoP", &dpopRefusals)
	case m.dpop.required:
		if raw, e = extract(r); e == nil {
			e = refusal(errBearerRequiresDPoP)
		}
	default:
		raw, e = extract(r)
	}
	if e != nil {
		m.refuse(w, r, e, raw, nil, nil)
		return
	}
	ctx := r.Context()
	tok, err := m.v.VerifyAccessToken(ctx, raw, m.audiences...)
	if err != nil || tok == nil {
		e := verificationError(err)
		e.dpop = dpop
		m.refuse(w, r, e, raw, nil, err)
		return
	}
	if e, cause := m.checkDPoP(r, raw, tok, dpop); e != nil {
		m.refuse(w, r, e, raw, tok, cause)
		return
	}
	if n := m.dpop.v.Nonce(); dpop && n != "" {
		// The nonce to use next (RFC 9449 §8.2): a client that used the
		// previous bucket's learns the new one before it goes stale.
		w.Header().Set("DPoP-Nonce", n)
	}
	tc := &tokenContext{Context: ctx, tok: tok, m: m, dpop: dpop}
	if m.observe != nil {
		m.serveObserved(next, w, r, tc, raw)
		return
	}
	next.ServeHTTP(w, r.WithContext(tc))
}

// checkDPoP applies the binding rules to a verified token: sent as Bearer
// it must be bound to no key; sent as DPoP it must be bound, and come with
// exactly one proof that the verifier accepts.
func (m *middleware) checkDPoP(r *http.Request, raw string, tok *verifier.Token, dpop bool) (*Error, error) {
	jkt := tok.KeyThumbprint()
	mode := DPoPAllowed
	if m.dpop.modeFor != nil {
		mode = m.dpop.modeFor(tok)
	}
	switch {
	case !dpop && jkt != "":
		return refusal(errBoundAsBearer), nil
	case !dpop && mode == DPoPRequired:
		return refusal(errBearerRequiresDPoP), nil
	case !dpop:
		return nil, nil
	case mode == DPoPOff:
		return refusal(errDPoPOff), nil
	case jkt == "":
		return refusal(errUnboundAsDPoP), nil
	}
	proofs := r.Header["Dpop"]
	switch {
	case len(proofs) == 0:
		return refusal(errNoProof), nil
	case len(proofs) > 1:
		return refusal(errSeveralProofs), nil
	}
	err := m.dpop.v.VerifyProof(r.Context(), proofs[0], verifier.ProofRequest{
		Method: r.Method, URL: m.dpop.url(r), AccessToken: raw, KeyThumbprint: jkt,
	})
	if err != nil {
		return proofError(err), err
	}
	return nil, nil
}

// proofError maps VerifyProof's error to the answer.
func proofError(err error) *Error {
	var nc *verifier.NonceChallenge
	switch {
	case errors.Is(err, verifier.ErrStoreUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeTemporarilyUnavailable, dpop: true,
			Description: "DPoP proofs cannot be checked for replay now; retry later"}
	case errors.Is(err, verifier.ErrUseNonce) && errors.As(err, &nc):
		return &Error{Status: http.StatusUnauthorized, Code: CodeUseDPoPNonce, dpop: true, nonce: nc.Nonce,
			Description: "the resource server requires a nonce in DPoP proofs: use the DPoP-Nonce header's"}
	}
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidDPoPProof, dpop: true,
		Description: sanitize(strings.TrimPrefix(err.Error(), "verifier: "))}
}

// setDPoPChallenges writes the challenges of a refusal when DPoP is
// enabled (RFC 9449 §7.1): the DPoP challenge, with the accepted algs and
// the error when it concerns the DPoP scheme, and in DPoPAllowed mode the
// Bearer challenge (bearer, as m.challenge made it) too; the scheme the
// error concerns comes first, for clients that read one challenge only.
func (m *middleware) setDPoPChallenges(h http.Header, r *http.Request, e *Error, bearer string) {
	var b strings.Builder
	b.WriteString("DPoP ")
	b.WriteString(m.dpop.algs)
	inChallenge := e.Code == CodeInvalidDPoPProof || e.Code == CodeUseDPoPNonce ||
		e.Code == CodeInvalidRequest || e.Code == CodeInvalidToken || e.Code == CodeInsufficientScope
	if e.dpop && inChallenge {
		b.WriteString(`, error="` + e.Code + `"`)
		if d := sanitize(e.Description); d != "" {
			b.WriteString(`, error_description="` + d + `"`)
		}
		if e.Scope != "" {
			b.WriteString(`, scope="` + e.Scope + `"`)
		}
	}
	b.WriteString(m.metadataSuffix(r))
	if e.nonce != "" {
		h.Set("DPoP-Nonce", e.nonce)
	}
	switch {
	case m.dpop.required:
		h["Www-Authenticate"] = []string{b.String()}
	case e.dpop:
		h["Www-Authenticate"] = []string{b.String(), bearer}
	default:
		h["Www-Authenticate"] = []string{bearer, b.String()}
	}
}

// presentedToken returns the token of an admitted request, of the scheme
// it used.
func presentedToken(r *http.Request, dpop bool) string {
	if dpop {
		raw, _ := extractScheme(r, "DPoP", &dpopRefusals)
		return raw
	}
	raw, _ := extract(r)
	return raw
}

// DPoPFromContext reports whether the request Middleware admitted came with
// the DPoP scheme and a proof it accepted (false for the Bearer scheme, or
// outside Middleware). A handler can refuse, with Refuse, the Bearer
// requests of issuers or routes whose policy is stricter than the
// middleware's mode, once the verified token (FromContext) tells whose
// it is.
func DPoPFromContext(ctx context.Context) bool {
	tc, _ := ctx.Value(tokenContextKey{}).(*tokenContext)
	return tc != nil && tc.dpop
}
