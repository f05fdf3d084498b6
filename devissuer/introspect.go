package devissuer

import (
	"crypto/sha256"
	"maps"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resource-server/resource-server/internal/jsonerror"
	"github.com/resource-server/resource-server/verifier"
)

// introspection is the state of the introspection endpoint (RFC 7662):
// the opaque tokens minted, the tokens revoked, the calls answered.
type introspection struct {
	mu      sync.Mutex
	opaque  map[string]map[string]any // opaque token → its claims
	revoked map[[32]byte]bool         // SHA-256 of revoked tokens
	calls   atomic.Int64
	// jwts judges the issuer's JWTs with the keys it publishes, whatever
	// their audience: the resource server checks that.
	jwts *verifier.Verifier
}

func (i *Issuer) newIntrospection() (*introspection, error) {
	v, err := i.ownVerifier(nil)
	if err != nil {
		return nil, err
	}
	return &introspection{opaque: map[string]map[string]any{}, revoked: map[[32]byte]bool{}, jwts: v}, nil
}

// MintOpaqueToken issues an opaque (reference) token: 43 random base64url
// characters, no dots, whose claims only the introspection endpoint tells
// (P/v1/introspect). The claims are AccessTokenClaims with overrides
// applied, as MintAccessToken applies them (a nil value deletes a claim);
// "exp" decides when the endpoint starts answering inactive.
func (i *Issuer) MintOpaqueToken(overrides map[string]any) (string, error) {
	claims := i.AccessTokenClaims()
	for k, v := range overrides {
		if v == nil {
			delete(claims, k)
			continue
		}
		if t, ok := v.(time.Time); ok {
			v = t.Unix()
		}
		claims[k] = v
	}
	token := randomID(32)
	i.intro.mu.Lock()
	i.intro.opaque[token] = claims
	i.intro.mu.Unlock()
	return token, nil
}

// Revoke revokes a token the issuer minted, opaque or JWT: from now on the
// introspection endpoint answers {"active": false} for it. (A JWT still
// verifies with the issuer's keys: only a resource server that
// introspects, or learns of the revocation, refuses it.)
func (i *Issuer) Revoke(token string) {
	i.intro.mu.Lock()
	i.intro.revoked[sha256.Sum256([]byte(token))] = true
	i.intro.mu.Unlock()
}

// Introspections returns how many introspection requests the endpoint
// answered (authenticated or not), so that tests can assert how often a
// resource server asked.
func (i *Issuer) Introspections() int64 { return i.intro.calls.Load() }

// serveIntrospect answers RFC 7662 introspection requests of the
// confidential client (HTTP Basic, client_secret_basic, or
// client_secret_post), in JSON, or with Options.IntrospectionJWT as an RFC
// 9701 JWT when the client accepts one.
func (i *Issuer) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	i.intro.calls.Add(1)
	w.Header().Set("Cache-Control", "no-store")
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request", "the introspection request must be application/x-www-form-urlencoded (RFC 7662 §2.1)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request", "the token parameter is required (RFC 7662 §2.1)")
		return
	}
	clientID, confidential, terr := i.authenticateClient(r, r.PostForm)
	if terr == nil && !confidential {
		terr = &tokenError{status: http.StatusUnauthorized, code: "invalid_client", desc: "client " + clientID + " is public; introspection needs the confidential client " + i.opts.ClientID}
	}
	if terr != nil {
		if _, _, basic := r.BasicAuth(); basic && terr.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="devissuer", charset="UTF-8"`)
		}
		jsonerror.Write(w, r, terr.status, terr.code, terr.desc)
		return
	}
	answer := i.introspect(r, r.PostForm.Get("token"))
	if i.opts.IntrospectionJWT && accepts(r.Header.Get("Accept"), "application/token-introspection+jwt") {
		i.writeIntrospectionJWT(w, clientID, answer)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// introspect returns the RFC 7662 answer for token: its claims and
// "active": true when the issuer minted it, it is not revoked and not
// expired; {"active": false} otherwise.
func (i *Issuer) introspect(r *http.Request, token string) map[string]any {
	inactive := map[string]any{"active": false}
	i.intro.mu.Lock()
	revoked := i.intro.revoked[sha256.Sum256([]byte(token))]
	claims, opaque := i.intro.opaque[token]
	claims = maps.Clone(claims)
	i.intro.mu.Unlock()
	if revoked {
		return inactive
	}
	if !opaque {
		tok, err := publishedKeys{i.intro.jwts}.VerifyAccessToken(r.Context(), token)
		if err != nil {
			return inactive
		}
		claims = tok.Claims()
	} else if exp, ok := unixSeconds(claims["exp"]); ok && i.opts.Now().Unix() >= exp {
		return inactive
	}
	claims["active"] = true
	if _, ok := claims["token_type"]; !ok {
		claims["token_type"] = "Bearer"
	}
	return claims
}

// writeIntrospectionJWT answers with an RFC 9701 JWT: typ
// token-introspection+jwt, signed with the current key, for the client.
func (i *Issuer) writeIntrospectionJWT(w http.ResponseWriter, clientID string, answer map[string]any) {
	now := i.opts.Now()
	jwt, err := i.Sign(map[string]any{"typ": "token-introspection+jwt"}, map[string]any{
		"iss": i.opts.Issuer, "aud": clientID, "iat": now.Unix(), "token_introspection": answer,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/token-introspection+jwt")
	_, _ = w.Write([]byte(jwt))
}

// accepts reports whether an Accept header names the media type.
func accepts(accept, mediaType string) bool {
	for _, part := range strings.Split(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == mediaType {
			return true
		}
	}
	return false
}

// unixSeconds reads a NumericDate claim given as a Go number.
func unixSeconds(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}
