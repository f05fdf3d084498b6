package devissuer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/jsonerror"
	"github.com/resource-server/resource-server/verifier"
)

// keyAlgorithms are the algorithms the issuer's keys are made for (see
// AddKey): the algorithms its own verifier accepts.
var keyAlgorithms = []string{"RS256", "PS256", "ES256", "EdDSA"}

// newUserinfoHandler returns the userinfo endpoint: the bearer middleware
// and a verifier of this module, as a resource server in front of the
// issuer would have them, so the SPA sees the same answers there as at the
// API (a retired key, an expired token, a token without openid). The
// verifier reads the JWKS in process (keysTransport) and has no leeway: the
// issuer shares its own clock.
func (i *Issuer) newUserinfoHandler() (http.Handler, error) {
	v, err := i.ownVerifier([]string{i.opts.Audience})
	if err != nil {
		return nil, err
	}
	auth := bearer.Middleware(publishedKeys{v}, bearer.Options{
		Realm:  i.opts.Issuer,
		Logger: slog.New(slog.DiscardHandler), // the client gets the reason
	})
	return auth(bearer.RequireScopes("openid")(http.HandlerFunc(i.writeUserinfo))), nil
}

// serveUserinfo answers OpenID Connect userinfo for access tokens this
// issuer signed with a still-published key and granted openid.
func (i *Issuer) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// Without this a cross-origin SPA cannot read why it was refused.
	w.Header().Set("Access-Control-Expose-Headers", "WWW-Authenticate")
	i.userinfo.ServeHTTP(w, r)
}

// writeUserinfo writes the claims of the verified token's subject.
func (i *Issuer) writeUserinfo(w http.ResponseWriter, r *http.Request) {
	tok, _ := bearer.FromContext(r.Context()) // present: behind bearer.Middleware
	out := i.userClaims(tok.Subject(), tok.Scopes())
	out["sub"] = tok.Subject()
	writeJSON(w, http.StatusOK, out)
}

// publishedKeys verifies with the keys the issuer publishes at the time of
// the call: it fetches them first (in process, so cheaply), since a key
// retired a moment ago must already fail, as it does at a resource server
// that fetched the JWKS since.
type publishedKeys struct{ v *verifier.Verifier }

func (p publishedKeys) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error) {
	if err := p.v.Refresh(ctx); err != nil {
		return nil, err
	}
	return p.v.VerifyAccessToken(ctx, token, audiences...)
}

// keysTransport answers the issuer's own verifier with the JWKS the issuer
// publishes, without a connection (and without counting a request in
// Requests, which tests read to see what the code under test fetched).
// It knows the JWKS URL only.
type keysTransport struct{ i *Issuer }

func (t keysTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	status, body := http.StatusOK, []byte(nil)
	if r.Method == http.MethodGet && r.URL.String() == t.i.endpoint("/v1/keys") {
		var err error
		if body, err = json.Marshal(t.i.jwks()); err != nil {
			return nil, err
		}
	} else {
		status = http.StatusNotFound
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// serveRevoke accepts RFC 7009 revocation requests and does nothing: tokens
// are self-contained JWTs and the server keeps no state about them. It
// exists because OAuth libraries such as okta-auth-js revoke on sign-out and
// treat a 404 as a failure.
func (i *Issuer) serveRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		jsonerror.Write(w, r, http.StatusBadRequest, "invalid_request", "the token parameter is required (RFC 7009 §2.1)")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// ownVerifier is a verifier of this issuer's tokens for audiences (none:
// any audience), reading its keys in process (keysTransport), with no
// leeway (the issuer shares its own clock) and no cache.
func (i *Issuer) ownVerifier(audiences []string) (*verifier.Verifier, error) {
	return verifier.New(verifier.Config{
		Issuer:            i.opts.Issuer,
		Audiences:         audiences,
		AnyAudience:       len(audiences) == 0,
		Algorithms:        keyAlgorithms,
		JWKSURL:           i.endpoint("/v1/keys"),
		HTTPClient:        &http.Client{Transport: keysTransport{i}},
		InsecureAllowHTTP: i.issuerURL.Scheme == "http",
		Leeway:            verifier.NoLeeway,
		DisableCache:      true,
		Logger:            slog.New(slog.DiscardHandler),
		Now:               i.opts.Now,
	})
}
