package devissuer

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/resource-server/resource-server/internal/jsonerror"
)

// tokenError is an RFC 6749 §5.2 error with the HTTP status it travels with.
type tokenError struct {
	status int
	code   string
	desc   string
}

func badRequest(code, desc string) *tokenError {
	return &tokenError{status: http.StatusBadRequest, code: code, desc: desc}
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	IDToken     string `json:"id_token,omitempty"`
}

func (i *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	// RFC 6749 §5.1: responses with tokens or credentials must not be cached.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	resp, terr := i.token(w, r)
	if terr != nil {
		if terr.status == http.StatusUnauthorized {
			// RFC 6749 §5.2 asks for a challenge matching the scheme the
			// client tried; a browser would show a password prompt for
			// Basic, so only send it to clients that used Basic.
			if _, _, basic := r.BasicAuth(); basic {
				w.Header().Set("WWW-Authenticate", `Basic realm="devissuer", charset="UTF-8"`)
			}
		}
		jsonerror.Write(w, r, terr.status, terr.code, terr.desc)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (i *Issuer) token(w http.ResponseWriter, r *http.Request) (*tokenResponse, *tokenError) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, badRequest("invalid_request", "the token request must be application/x-www-form-urlencoded (RFC 6749 §4.1.3)")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, badRequest("invalid_request", "cannot read the form: "+err.Error())
	}
	form := r.PostForm
	for name, vs := range form {
		if len(vs) > 1 {
			return nil, badRequest("invalid_request", "parameter "+name+" appears more than once (RFC 6749 §3.2)")
		}
	}
	clientID, confidential, terr := i.authenticateClient(r, form)
	if terr != nil {
		return nil, terr
	}
	switch grant := form.Get("grant_type"); grant {
	case "":
		return nil, badRequest("invalid_request", "grant_type is missing")
	case "client_credentials":
		if !confidential {
			return nil, badRequest("unauthorized_client", "client "+clientID+" is public; client_credentials needs the confidential client "+i.opts.ClientID)
		}
		scopes, err := i.parseScopes(form.Get("scope"))
		if err != nil {
			return nil, badRequest("invalid_scope", err.Error())
		}
		// RFC 9068 §2.2: with no user involved, sub is the client.
		at, err := i.Sign(nil, i.accessTokenClaims(clientID, clientID, scopes))
		if err != nil {
			return nil, &tokenError{status: http.StatusInternalServerError, code: "server_error", desc: err.Error()}
		}
		return i.tokenResponse(at, "", scopes), nil
	case "authorization_code":
		if confidential {
			return nil, badRequest("unauthorized_client", "the authorization_code grant is for the SPA client "+i.opts.SPAClientID)
		}
		return i.exchangeCode(clientID, form)
	default:
		return nil, badRequest("unsupported_grant_type", "grant_type "+grant+" is not supported; use client_credentials or authorization_code")
	}
}

// authenticateClient implements client_secret_basic, client_secret_post and
// none (the public SPA client). It reports whether the client is the
// confidential one.
func (i *Issuer) authenticateClient(r *http.Request, form url.Values) (clientID string, confidential bool, terr *tokenError) {
	unauthorized := func(desc string) *tokenError {
		return &tokenError{status: http.StatusUnauthorized, code: "invalid_client", desc: desc}
	}
	basicID, basicSecret, basic := r.BasicAuth()
	postID, postSecret := form.Get("client_id"), form.Get("client_secret")
	var secret string
	hasSecret := false
	switch {
	case basic:
		if postSecret != "" {
			return "", false, badRequest("invalid_request", "use one client authentication method, not both HTTP Basic and client_secret (RFC 6749 §2.3)")
		}
		// RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
		id, err1 := url.QueryUnescape(basicID)
		sec, err2 := url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return "", false, unauthorized("the HTTP Basic credentials are not form-urlencoded (RFC 6749 §2.3.1)")
		}
		if postID != "" && postID != id {
			return "", false, badRequest("invalid_request", "client_id in the body differs from the HTTP Basic client")
		}
		clientID, secret, hasSecret = id, sec, true
	case postSecret != "":
		clientID, secret, hasSecret = postID, postSecret, true
	default:
		clientID = postID
	}
	switch clientID {
	case "":
		return "", false, unauthorized("client authentication is required: HTTP Basic or client_id/client_secret for " + i.opts.ClientID + ", client_id for " + i.opts.SPAClientID)
	case i.opts.ClientID:
		if !hasSecret || subtle.ConstantTimeCompare([]byte(secret), []byte(i.opts.ClientSecret)) != 1 {
			return "", false, unauthorized("wrong or missing client secret for " + clientID)
		}
		return clientID, true, nil
	case i.opts.SPAClientID:
		if hasSecret {
			return "", false, unauthorized("client " + clientID + " is public and has no secret; send only client_id")
		}
		return clientID, false, nil
	default:
		return "", false, unauthorized("unknown client " + clientID)
	}
}

// exchangeCode redeems an authorization code. The code is deleted before any
// check, so a failed attempt (wrong verifier, say) burns it: someone who
// intercepted a code gets one guess, as RFC 6749 §10.5 intends.
func (i *Issuer) exchangeCode(clientID string, form url.Values) (*tokenResponse, *tokenError) {
	codeParam, verifier := form.Get("code"), form.Get("code_verifier")
	if codeParam == "" {
		return nil, badRequest("invalid_request", "code is missing")
	}
	if verifier == "" {
		return nil, badRequest("invalid_request", "code_verifier is missing; PKCE is required")
	}
	now := i.opts.Now()
	i.mu.Lock()
	code, ok := i.codes[codeParam]
	delete(i.codes, codeParam)
	i.mu.Unlock()
	switch {
	case !ok:
		return nil, badRequest("invalid_grant", "the authorization code is invalid or was already used")
	case !now.Before(code.expires):
		return nil, badRequest("invalid_grant", "the authorization code has expired")
	case code.clientID != clientID:
		return nil, badRequest("invalid_grant", "the authorization code was issued to another client")
	case form.Get("redirect_uri") != code.redirectURI:
		return nil, badRequest("invalid_grant", "redirect_uri does not match the one of the authorization request")
	case !validVerifier(verifier):
		return nil, badRequest("invalid_request", "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(code.challenge)) != 1 {
		return nil, badRequest("invalid_grant", "code_verifier does not match the code_challenge")
	}
	claims := i.accessTokenClaims(clientID, code.sub, code.scopes)
	claims["auth_time"] = code.authTime.Unix()
	at, err := i.Sign(nil, claims)
	if err != nil {
		return nil, &tokenError{status: http.StatusInternalServerError, code: "server_error", desc: err.Error()}
	}
	var idToken string
	if slices.Contains(code.scopes, "openid") {
		if idToken, err = i.idToken(code, at); err != nil {
			return nil, &tokenError{status: http.StatusInternalServerError, code: "server_error", desc: err.Error()}
		}
	}
	return i.tokenResponse(at, idToken, code.scopes), nil
}

func (i *Issuer) tokenResponse(at, idToken string, scopes []string) *tokenResponse {
	return &tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(i.opts.TokenLifetime.Seconds()),
		Scope: strings.Join(scopes, " "), IDToken: idToken}
}

// idToken builds the OpenID Connect ID token; profile and email claims
// follow the granted scopes as OpenID Connect Core §5.4 maps them.
func (i *Issuer) idToken(code *authCode, accessToken string) (string, error) {
	now := i.opts.Now()
	claims := map[string]any{
		"iss":       i.opts.Issuer,
		"aud":       code.clientID,
		"sub":       code.sub,
		"iat":       now.Unix(),
		"exp":       now.Add(i.opts.TokenLifetime).Unix(),
		"auth_time": code.authTime.Unix(),
		"jti":       "ID." + randomID(18),
		"amr":       []string{"pwd"},
	}
	if code.nonce != "" {
		claims["nonce"] = code.nonce
	}
	for k, v := range i.userClaims(code.sub, code.scopes) {
		claims[k] = v
	}
	kid := i.CurrentKeyID()
	i.mu.Lock()
	alg := i.keys[kid].alg
	i.mu.Unlock()
	// at_hash: left half of the hash of the access token, with the hash of
	// the signing algorithm (OpenID Connect Core §3.2.2.9); EdDSA uses SHA-512.
	h := crypto.SHA256
	if alg == "EdDSA" {
		h = crypto.SHA512
	}
	hh := h.New()
	hh.Write([]byte(accessToken))
	sum := hh.Sum(nil)
	claims["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	return i.SignWith(kid, map[string]any{"typ": "JWT"}, claims)
}

// userClaims returns the demo user's profile claims allowed by scopes. Other
// subjects (a client_credentials client) have no profile.
func (i *Issuer) userClaims(sub string, scopes []string) map[string]any {
	out := map[string]any{}
	if sub != i.opts.Username {
		return out
	}
	email := i.opts.Username
	if !strings.Contains(email, "@") {
		email += "@example.com"
	}
	if slices.Contains(scopes, "profile") {
		out["name"] = i.opts.Username
		out["preferred_username"] = email
	}
	if slices.Contains(scopes, "email") {
		out["email"] = email
		out["email_verified"] = true
	}
	return out
}

// validVerifier checks a code_verifier: 43 to 128 unreserved characters,
// [A-Za-z0-9-._~] (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, ch := range v {
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || strings.ContainsRune("-._~", ch)) {
			return false
		}
	}
	return true
}
