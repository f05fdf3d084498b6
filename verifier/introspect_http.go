package verifier

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Media types of introspection responses: RFC 7662's JSON, RFC 9701's JWT.
const (
	introspectionJSON = "application/json"
	introspectionJWT  = "application/token-introspection+jwt"
)

// refuseRedirects refuses every redirect of an introspection request: it
// carries the token and the client's secret, which must go to the
// configured endpoint only.
func refuseRedirects(req *http.Request, via []*http.Request) error {
	return fmt.Errorf("refused redirect from %s to %s: an introspection request holds the token and the client secret", via[0].URL.Redacted(), req.URL.Redacted())
}

// request POSTs token to endpoint and returns the members of the answer
// and their JSON text.
func (in *introspector) request(ctx context.Context, endpoint, token string) (jsonObject, []byte, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, in.unavailable("cannot build the request", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", introspectionJWT+", "+introspectionJSON)
	// RFC 6749 §2.3.1: the credentials are form-urlencoded, then Basic.
	req.SetBasicAuth(url.QueryEscape(in.cfg.ClientID), url.QueryEscape(in.cfg.ClientSecret))
	in.calls.Add(1)
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, nil, in.unavailable("the endpoint does not answer", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		detail := fmt.Sprintf("status %s, expected 200 OK", resp.Status)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest {
			detail += "; check Introspection.ClientID and ClientSecret: the endpoint may not know this resource server"
		}
		return nil, nil, in.unavailable(detail, nil)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionBytes+1))
	if err != nil {
		return nil, nil, in.unavailable("reading the answer", err)
	}
	if len(body) > maxIntrospectionBytes {
		return nil, nil, in.unavailable(fmt.Sprintf("the answer is larger than %d bytes", maxIntrospectionBytes), nil)
	}
	return in.readResponse(ctx, body, resp.Header.Get("Content-Type"))
}

// readResponse reads an answer of the given Content-Type: a JSON object,
// or a JWT (RFC 9701) whose "token_introspection" is that object.
func (in *introspector) readResponse(ctx context.Context, body []byte, contentType string) (jsonObject, []byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err == nil && mt == introspectionJSON:
		members, err := parseObject(body, introspectionNames, 16)
		if err != nil {
			return nil, nil, in.unavailable("the answer is not an unambiguous JSON object", err)
		}
		return members, body, nil
	case err == nil && mt == introspectionJWT:
		members, payload, err := in.v.readIntrospectionJWT(ctx, bytes.TrimSpace(body), in.cfg.ClientID)
		if err != nil {
			return nil, nil, in.unavailable("the JWT answer (RFC 9701) is refused", err)
		}
		return members, payload, nil
	}
	return nil, nil, in.unavailable(fmt.Sprintf("the answer's Content-Type is %s, expected %s or %s", quoteOrDash(brief(contentType)), introspectionJSON, introspectionJWT), nil)
}

// endpointURL returns the introspection endpoint: configured, or found in
// the issuer's discovery document (once; while discovery fails, at most
// one attempt per MinRefetchInterval).
func (in *introspector) endpointURL(ctx context.Context) (string, error) {
	in.mu.Lock()
	u := in.endpoint
	in.mu.Unlock()
	if u != "" {
		return u, nil
	}
	in.discovery.Lock()
	defer in.discovery.Unlock()
	in.mu.Lock()
	u = in.endpoint
	in.mu.Unlock()
	if u != "" {
		return u, nil
	}
	now := in.v.cfg.Now()
	if !in.lastFailure.IsZero() && now.Sub(in.lastFailure) < in.v.cfg.MinRefetchInterval {
		return "", in.unavailable("the discovery of the endpoint failed under "+in.v.cfg.MinRefetchInterval.String()+" ago", in.lastErr)
	}
	u, err := in.discover(ctx)
	if err != nil {
		in.lastFailure, in.lastErr = now, err
		return "", in.unavailable("the endpoint could not be discovered (set Introspection.URL to skip discovery)", err)
	}
	in.mu.Lock()
	in.endpoint = u
	in.mu.Unlock()
	return u, nil
}

// discover reads "introspection_endpoint" from the first metadata
// document found (see discoveryURLs), which must name our issuer exactly,
// as the one that locates the keys must.
func (in *introspector) discover(ctx context.Context) (string, error) {
	var first error
	for _, docURL := range discoveryURLs(in.v.cfg.Issuer) {
		body, err := in.v.keys.get(ctx, docURL)
		if err == nil {
			return parseIntrospectionEndpoint(body, docURL, in.v.cfg.Issuer, in.v.cfg.InsecureAllowHTTP)
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("no metadata document of issuer %s could be read: %w", in.v.cfg.Issuer, first)
}

// parseIntrospectionEndpoint reads the introspection_endpoint of a
// metadata document as strictly as parseDiscovery reads its jwks_uri.
func parseIntrospectionEndpoint(body []byte, docURL, issuer string, allowHTTP bool) (string, error) {
	doc, err := parseObject(body, discoveryNames, 32)
	if err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	found, ok, err := stringMember(doc, "issuer")
	if err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	if !ok || found != issuer {
		return "", issuerMismatch(docURL, issuer, found, ok)
	}
	endpoint, ok, err := stringMember(doc, "introspection_endpoint")
	switch {
	case err != nil:
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	case !ok || endpoint == "":
		return "", fmt.Errorf("discovery document at %s has no introspection_endpoint: set Introspection.URL", docURL)
	}
	if err := checkURL("introspection_endpoint", endpoint, allowHTTP, true); err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	return endpoint, nil
}

// readIntrospectionJWT verifies an RFC 9701 answer: a JWS of "typ"
// token-introspection+jwt, signed by a key of the issuer's key set with an
// allowed algorithm, whose "iss" is the issuer, whose "aud" holds the
// resource server's client id, with "iat"; it returns the members of its
// "token_introspection" object and that object's text.
func (v *Verifier) readIntrospectionJWT(ctx context.Context, text []byte, clientID string) (jsonObject, []byte, error) {
	jws, err := splitCompact(string(text), maxIntrospectionBytes)
	if err != nil {
		return nil, nil, err
	}
	h, err := v.checkHeader(jws.header, introspectionResponse)
	if err != nil {
		return nil, nil, err
	}
	claims, err := parseObject(jws.payload, introspectionJWTNames, 8)
	if err != nil {
		return nil, nil, malformed("the payload: " + err.Error())
	}
	keys, err := v.keys.lookup(ctx, h.KeyID)
	if err != nil {
		return nil, nil, err
	}
	if _, err := verifyWithKeys(jws, h, keys); err != nil {
		return nil, nil, err
	}
	if err := checkIntrospectionJWTClaims(claims, v.cfg.Issuer, clientID, v.cfg.Now(), v.cfg.Leeway); err != nil {
		return nil, nil, err
	}
	raw, _ := claims.get("token_introspection")
	members, err := parseObject(raw, introspectionNames, 16)
	if err != nil || raw[0] != '{' {
		return nil, nil, invalidClaim("token_introspection", "a JSON object with unique members")
	}
	return members, bytes.Clone(raw), nil
}

// checkIntrospectionJWTClaims applies RFC 9701 §5 to the claims of a JWT
// answer: "iss" the issuer, "aud" holding the resource server's client
// id, "iat" present and not in the future, "exp" (optional) not past,
// "token_introspection" present.
func checkIntrospectionJWTClaims(claims jsonObject, issuer, clientID string, now time.Time, leeway time.Duration) error {
	iss, _, err := stringMember(claims, "iss")
	if err != nil || iss != issuer {
		return &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: quoted(iss), Expected: brief(issuer)}
	}
	var aud []string
	if raw, ok := claims.get("aud"); ok {
		aud, _ = stringOrList(raw)
	}
	if !containsString(aud, clientID) {
		return &ValidationError{Kind: ErrWrongAudience, Claim: "aud", Found: listString(aud), Expected: brief(clientID) + " (Introspection.ClientID)"}
	}
	t := &Token{tokenClaims: &tokenClaims{}}
	if err := readClaims(t, claims); err != nil {
		return err
	}
	if _, ok := claims.get("iat"); !ok {
		return &ValidationError{Kind: ErrMissingClaim, Claim: "iat", Detail: "required in a JWT introspection response (RFC 9701 section 5)"}
	}
	if _, ok := claims.get("token_introspection"); !ok {
		return &ValidationError{Kind: ErrMissingClaim, Claim: "token_introspection"}
	}
	if _, ok := claims.get("exp"); ok {
		if err := checkExp(t, claims, now, leeway); err != nil {
			return err
		}
	}
	return checkIat(t, claims, now, leeway)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
