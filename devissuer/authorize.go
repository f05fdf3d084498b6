package devissuer

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/resource-server/resource-server/internal/scope"
)

const (
	// loginLifetime bounds how long a login page stays usable; long enough
	// to type a password, short enough that stale tabs fail clearly.
	loginLifetime = 10 * time.Minute
	// codeLifetime follows RFC 6749 §4.1.2's advice of a short code lifetime.
	codeLifetime = 60 * time.Second
	// maxPending bounds memory: without it anyone able to reach the server
	// could grow the maps of pending logins and codes without limit.
	maxPending = 1000
	// maxParam bounds each authorization parameter for the same reason.
	maxParam = 2048
)

// loginRequest is an authorization request waiting for the user to sign in.
// Its random ID, carried in the form, binds the POST to the validated GET.
type loginRequest struct {
	clientID, redirectURI, state, nonce, challenge string
	scopes                                         []string
	expires                                        time.Time
	// used is set once the request signed the user in. It is kept until it
	// expires so that the same page submitted again (Back restores it from
	// the browser's back/forward cache) is sent back to the application
	// rather than shown an error page.
	used bool
}

// authCode is an issued authorization code, redeemable once.
type authCode struct {
	clientID, redirectURI, challenge, nonce, sub string
	scopes                                       []string
	authTime, expires                            time.Time
}

var errStoreFull = errors.New("too many pending sign-ins; try again in a few minutes")

// putPending stores v under a new random ID after dropping expired entries,
// so the maps stay bounded without a cleanup goroutine.
func putPending[T any](i *Issuer, m map[string]*T, v *T, expires func(*T) time.Time) (string, error) {
	now := i.opts.Now()
	i.mu.Lock()
	defer i.mu.Unlock()
	for id, e := range m {
		if !now.Before(expires(e)) {
			delete(m, id)
		}
	}
	if len(m) >= maxPending {
		return "", errStoreFull
	}
	id := randomID(24)
	m[id] = v
	return id, nil
}

// serveAuthorize shows the login page for a valid authorization request
// (GET), or handles the login form (POST, serveLogin).
func (i *Issuer) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		i.serveLogin(w, r)
		return
	}
	q := r.URL.Query()
	if title, msg := i.checkAuthorizeClient(q); title != "" {
		i.errorPage(w, http.StatusBadRequest, title, msg)
		return
	}
	// From here on the redirect URI is trusted, so errors go back to the
	// application as RFC 6749 §4.1.2.1 describes.
	lr, code, desc := i.newLoginRequest(q)
	if lr != nil {
		id, err := putPending(i, i.logins, lr, func(l *loginRequest) time.Time { return l.expires })
		if err == nil {
			i.renderLogin(w, http.StatusOK, id, "", "")
			return
		}
		code, desc = "temporarily_unavailable", err.Error()
	}
	redirectWith(w, r, q.Get("redirect_uri"), url.Values{"error": {code}, "error_description": {desc}, "state": {q.Get("state")}})
}

// checkAuthorizeClient checks what must hold before an error may be sent
// to the redirect URI: single, bounded parameters, a known client and its
// registered redirect URI. It returns the title and message of the error
// page to show instead, or "" when they hold.
func (i *Issuer) checkAuthorizeClient(q url.Values) (title, message string) {
	const invalid = "Invalid sign-in request"
	for name, vs := range q {
		if len(vs) > 1 {
			return invalid, "The parameter " + name + " appears more than once (RFC 6749 §3.1)."
		}
		if len(vs[0]) > maxParam {
			return invalid, "The parameter " + name + " is too long."
		}
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	switch {
	case clientID == "":
		return invalid, "The client_id parameter is missing."
	case clientID == i.opts.ClientID:
		return invalid, "Client " + clientID + " is the confidential client; it may only use the client_credentials grant. Browser apps sign in as " + i.opts.SPAClientID + "."
	case clientID != i.opts.SPAClientID:
		return "Unknown application", "No application with client_id " + clientID + " is registered here; the development client is " + i.opts.SPAClientID + "."
	case redirectURI == "":
		return invalid, "The redirect_uri parameter is missing."
	case !slices.Contains(i.opts.RedirectURIs, redirectURI):
		return "Redirect URI not allowed", "The redirect_uri " + redirectURI + " is not registered; allowed: " + strings.Join(i.opts.RedirectURIs, ", ") + "."
	}
	return "", ""
}

// newLoginRequest checks the rest of an authorization request whose client
// and redirect URI passed checkAuthorizeClient: the pending login request,
// or the error code and description to send back to the application.
func (i *Issuer) newLoginRequest(q url.Values) (lr *loginRequest, code, desc string) {
	scopes, err := i.parseScopes(q.Get("scope"))
	switch {
	case q.Get("response_type") != "code":
		return nil, "unsupported_response_type", "response_type must be code; the implicit flow is not supported (OAuth 2.0 Security BCP)"
	case q.Get("response_mode") != "" && q.Get("response_mode") != "query":
		return nil, "invalid_request", "response_mode must be query"
	case q.Get("code_challenge") == "":
		return nil, "invalid_request", "code_challenge is required: this server only supports authorization code with PKCE"
	case q.Get("code_challenge_method") != "S256":
		return nil, "invalid_request", "code_challenge_method must be S256; plain is not accepted"
	case !validS256Challenge(q.Get("code_challenge")):
		return nil, "invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)"
	case err != nil:
		return nil, "invalid_scope", err.Error()
	case q.Get("prompt") == "none":
		// There are no sessions to reuse, so a silent request can never
		// succeed; say so the way OpenID Connect Core §3.1.2.6 defines.
		return nil, "login_required", "the development server keeps no sessions; sign in interactively"
	}
	return &loginRequest{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), state: q.Get("state"),
		nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), scopes: scopes,
		expires: i.opts.Now().Add(loginLifetime)}, "", ""
}

func (i *Issuer) renderLogin(w http.ResponseWriter, status int, requestID, username, errMsg string) {
	d := pageData{
		Title:     "Sign in",
		Subtitle:  "to " + i.opts.SPAClientID + " via " + i.opts.Issuer,
		Error:     errMsg,
		RequestID: requestID,
		Action:    i.path + "/v1/authorize",
		Username:  username,
	}
	if i.opts.Username == DefaultUsername && i.opts.Password == DefaultPassword {
		d.Hint = "Demo user: " + DefaultUsername + " / " + DefaultPassword
	}
	i.renderPage(w, status, d)
}

// serveLogin handles the login form. Pending requests are looked up by the
// hidden request ID, so the form cannot smuggle in a different client,
// redirect URI or challenge than the GET validated.
func (i *Issuer) serveLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		i.errorPage(w, http.StatusBadRequest, "Invalid sign-in form", "The form could not be read: "+err.Error())
		return
	}
	id := r.PostForm.Get("request_id")
	now := i.opts.Now()
	i.mu.Lock()
	lr, ok := i.logins[id]
	if ok && !now.Before(lr.expires) {
		delete(i.logins, id)
		ok = false
	}
	used := ok && lr.used
	i.mu.Unlock()
	if !ok {
		i.staleLoginPage(w, "This sign-in request has expired or was already used. Go back to the application and sign in again.")
		return
	}
	if used {
		// No code: the application that asked has its answer already. It
		// knows whether it is still signed in; this page does not.
		redirectWith(w, r, lr.redirectURI, url.Values{"error": {"invalid_request"}, "error_description": {"this sign-in was already completed: its login page was submitted again"}, "state": {lr.state}})
		return
	}
	if r.PostForm.Get("action") == "cancel" {
		i.deleteLogin(id)
		redirectWith(w, r, lr.redirectURI, url.Values{"error": {"access_denied"}, "error_description": {"the user cancelled the sign-in"}, "state": {lr.state}})
		return
	}
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	// Compare both fields in constant time so timing does not reveal which
	// one was wrong.
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(i.opts.Username))
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(i.opts.Password))
	if userOK&passOK != 1 {
		i.renderLogin(w, http.StatusUnauthorized, id, user, "Wrong username or password.")
		return
	}
	if !i.useLogin(id) { // a concurrent submission won the race
		i.staleLoginPage(w, "This sign-in request was already used. Go back to the application and sign in again.")
		return
	}
	code := &authCode{clientID: lr.clientID, redirectURI: lr.redirectURI, challenge: lr.challenge,
		nonce: lr.nonce, sub: i.opts.Username, scopes: lr.scopes, authTime: now, expires: now.Add(codeLifetime)}
	c, err := putPending(i, i.codes, code, func(a *authCode) time.Time { return a.expires })
	if err != nil {
		redirectWith(w, r, lr.redirectURI, url.Values{"error": {"temporarily_unavailable"}, "error_description": {err.Error()}, "state": {lr.state}})
		return
	}
	redirectWith(w, r, lr.redirectURI, url.Values{"code": {c}, "state": {lr.state}})
}

// useLogin marks a pending login request used, reporting false when it is
// gone or was used already.
func (i *Issuer) useLogin(id string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	lr, ok := i.logins[id]
	if !ok || lr.used {
		return false
	}
	lr.used = true
	return true
}

func (i *Issuer) deleteLogin(id string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	_, ok := i.logins[id]
	delete(i.logins, id)
	return ok
}

// redirectWith adds params to target's query, skipping empty ones so that an
// absent state is not echoed as "state=".
func redirectWith(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil { // targets are validated before they get here
		http.Error(w, "invalid redirect target", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// validS256Challenge checks the shape of BASE64URL(SHA256(verifier)) (RFC
// 7636 §4.2): unpadded, canonical base64url of 32 bytes, as the verifier
// decodes a JWS segment.
func validS256Challenge(c string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// parseScopes splits a scope parameter (RFC 6749 §3.3: scope-tokens
// separated by spaces, never other white space; see internal/scope) and
// checks it against the supported scopes; an empty parameter means the
// default Scopes.
func (i *Issuer) parseScopes(param string) ([]string, error) {
	requested, err := scope.Parse(param)
	if err != nil {
		return nil, errors.New("the scope parameter: " + err.Error() + "; " + scope.Syntax)
	}
	if len(requested) == 0 {
		return slices.Clone(i.scopes), nil
	}
	var out []string
	for _, s := range requested {
		if !slices.Contains(i.supported, s) {
			return nil, errors.New("scope " + s + " is not supported; supported: " + strings.Join(i.supported, " "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// redirectOrigins are the origins of the registered redirect URIs, which
// are also where logout may send the browser back to.
func (i *Issuer) redirectOrigins() []string {
	var out []string
	for _, r := range i.opts.RedirectURIs {
		if o := originOf(r); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func originOf(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// serveLogout implements RP-initiated logout. There is no session to end, so
// it only validates post_logout_redirect_uri (against the registered
// origins, to avoid an open redirector) and sends the browser back.
func (i *Issuer) serveLogout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target := q.Get("post_logout_redirect_uri")
	if target == "" {
		i.renderPage(w, http.StatusOK, pageData{Title: "Signed out", Message: "You are signed out of the development authorization server."})
		return
	}
	if u, err := url.Parse(target); err != nil || !u.IsAbs() || u.Fragment != "" || !slices.Contains(i.redirectOrigins(), originOf(target)) {
		i.errorPage(w, http.StatusBadRequest, "Sign-out redirect not allowed",
			"The post_logout_redirect_uri "+target+" is not on an allowed origin; allowed: "+strings.Join(i.redirectOrigins(), ", ")+".")
		return
	}
	redirectWith(w, r, target, url.Values{"state": {q.Get("state")}})
}
