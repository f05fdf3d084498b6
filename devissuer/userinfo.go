package devissuer

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/resource-server/resource-server/internal/scope"
)

// serveUserinfo answers OpenID Connect userinfo for access tokens this issuer
// signed with a still-published key, applying the checks a resource server
// would, so the SPA sees the same refusal after a key is retired.
func (i *Issuer) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// Without this a cross-origin SPA cannot read why it was refused.
	w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate")
	challenge := func(status int, code, desc string) {
		v := `Bearer realm="` + i.opts.Issuer + `"`
		if code != "" {
			v += fmt.Sprintf(`, error=%q, error_description=%q`, code, desc)
		}
		if code == "insufficient_scope" {
			v += `, scope="openid"`
		}
		w.Header().Set("WWW-Authenticate", v)
		if code == "" {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, oauthError{Error: code, Description: desc})
	}
	auth := r.Header.Values("Authorization")
	if len(auth) == 0 {
		// RFC 6750 §3.1: no error code when the request had no credentials.
		challenge(http.StatusUnauthorized, "", "")
		return
	}
	scheme, token, ok := strings.Cut(auth[0], " ")
	if len(auth) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		challenge(http.StatusBadRequest, "invalid_request", "send exactly one Authorization: Bearer <access token> header")
		return
	}
	claims, err := i.verifyAccessToken(token)
	if err != nil {
		challenge(http.StatusUnauthorized, "invalid_token", err.Error())
		return
	}
	scopes := claimScopes(claims)
	if !slices.Contains(scopes, "openid") {
		challenge(http.StatusForbidden, "insufficient_scope", "userinfo needs an access token with the openid scope")
		return
	}
	sub, _ := claims["sub"].(string)
	out := i.userClaims(sub, scopes)
	out["sub"] = sub
	writeJSON(w, http.StatusOK, out)
}

// verifyAccessToken checks signature, typ, iss, aud and exp of a token.
func (i *Issuer) verifyAccessToken(token string) (map[string]any, error) {
	claims, err := i.verify(token)
	if err != nil {
		return nil, fmt.Errorf("the access token does not verify: %w", err)
	}
	if claims["iss"] != i.opts.Issuer {
		return nil, fmt.Errorf("iss %v is not %s", claims["iss"], i.opts.Issuer)
	}
	switch aud := claims["aud"].(type) {
	case string:
		if aud != i.opts.Audience {
			return nil, fmt.Errorf("aud %q is not %s", aud, i.opts.Audience)
		}
	case []any:
		if !slices.Contains(aud, any(i.opts.Audience)) {
			return nil, fmt.Errorf("aud %v does not contain %s", aud, i.opts.Audience)
		}
	default:
		return nil, fmt.Errorf("aud is missing")
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return nil, fmt.Errorf("exp is missing")
	}
	if now := i.opts.Now().Unix(); float64(now) >= exp {
		return nil, fmt.Errorf("the access token expired %d s ago", now-int64(exp))
	}
	return claims, nil
}

// claimScopes reads scp (Okta, array) or, failing that, scope (RFC 9068).
func claimScopes(claims map[string]any) []string {
	var out []string
	if scp, ok := claims["scp"].([]any); ok {
		for _, s := range scp {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	if s, ok := claims["scope"].(string); ok {
		out, _ = scope.Parse(s) // none when it is not a scope string
		return out
	}
	return nil
}

// serveRevoke accepts RFC 7009 revocation requests and does nothing: tokens
// are self-contained JWTs and the server keeps no state about them. It
// exists because OAuth libraries such as okta-auth-js revoke on sign-out and
// treat a 404 as a failure.
func (i *Issuer) serveRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		writeJSON(w, http.StatusBadRequest, oauthError{Error: "invalid_request", Description: "the token parameter is required (RFC 7009 §2.1)"})
		return
	}
	w.WriteHeader(http.StatusOK)
}
