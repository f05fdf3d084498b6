package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Introspection, applied where a field is zero.
const (
	// DefaultIntrospectionCacheTTL is how long an active answer is kept
	// (never past the token's "exp"): how long a token revoked at the
	// issuer may still be accepted here, unless the revocation reaches
	// Forget first.
	DefaultIntrospectionCacheTTL = 5 * time.Minute
	// DefaultIntrospectionInactiveTTL is how long an inactive answer (or
	// another refusal) is kept: short, so that an issuer's passing mistake
	// refuses a good token briefly, yet long enough that a client retrying
	// a dead token does not make each retry a request to the issuer.
	DefaultIntrospectionInactiveTTL = 10 * time.Second
	// DefaultIntrospectionMaxEntries bounds the answers kept.
	DefaultIntrospectionMaxEntries = 10_000
	// maxIntrospectionBytes caps an introspection response body.
	maxIntrospectionBytes = 1 << 20
)

// Introspection configures the introspection (RFC 7662) of the tokens of
// one issuer: see Config.Introspection.
//
// A token is asked about with a POST of token=…&token_type_hint=access_token
// to URL, authenticated with ClientID and ClientSecret (client_secret_basic:
// RFC 7662 §2.1 requires the resource server to authenticate), accepting
// either a JSON answer (RFC 7662 §2.2) or a JWT one (RFC 9701), which must be
// signed by one of the issuer's keys with an allowed algorithm, carry the
// "typ" token-introspection+jwt, the issuer as "iss" and ClientID in "aud".
// Only a 200 answer of at most 1 MiB within Config.FetchTimeout is read, and
// redirects are refused (the request holds the token and the secret). An
// answer that cannot be had or read fails with ErrKeysUnavailable (503),
// naming the endpoint, and is not kept.
//
// The answer is read with the rules of a JWT's claims: "active" must be the
// JSON literal true (anything else: ErrTokenInactive); "iss", when present,
// must be the issuer exactly; "aud" as Config.Audiences (or the call's
// audiences) demand; "exp" is optional, as RFC 7662 makes it, but when
// present must not be past (with Config.Leeway); "nbf" and "iat" likewise;
// "client_id" must be Config.ClientID when that is set; "scope" is read as a
// space-separated list; "cnf" as a JWT's; "token_use", when present, must be
// "access_token" or "access"; Config.AssertClaims apply. Members are read as
// strictly as a token's: a duplicate or a case variant of a registered name
// refuses the answer.
//
// Answers are kept by the token's SHA-256 (never the token), in a cache of
// their own bounded by MaxEntries and Config.CacheMaxBytes: an active one
// for CacheTTL, or until its "exp" when sooner (without "exp", CacheTTL);
// an inactive one, or one refused by the checks above, for InactiveTTL.
// Concurrent verifications of one token not yet known share one request.
// A token found inactive is also forgotten (see Verifier.Forget) until
// InactiveTTL from now, or, for a JWT, until its "exp" when later (a JWT
// revoked at the issuer must not pass again where it is verified
// locally), and OnInactive, when set, is told.
type Introspection struct {
	// URL is the introspection endpoint. Empty: the
	// "introspection_endpoint" of the issuer's discovery document.
	URL string
	// ClientID and ClientSecret authenticate this resource server to the
	// endpoint (HTTP Basic). Both are required.
	ClientID     string
	ClientSecret string
	// CacheTTL bounds how long an active answer is kept. Default
	// DefaultIntrospectionCacheTTL.
	CacheTTL time.Duration
	// InactiveTTL is how long an inactive or refused answer is kept; at
	// most CacheTTL. Default DefaultIntrospectionInactiveTTL, or CacheTTL
	// when that is shorter.
	InactiveTTL time.Duration
	// MaxEntries bounds the answers kept; the soonest to expire of a few
	// leaves first. Default DefaultIntrospectionMaxEntries.
	MaxEntries int
	// OnInactive, when set, is called with the digest (Digest) of a token
	// the endpoint found inactive and the time until which it is refused
	// here, so that a program can share the revocation (say, with its
	// other replicas, whose Forget it calls). It is called on the goroutine
	// that made the request, outside any lock, and must not block.
	OnInactive func(digest [32]byte, until time.Time)
}

// withDefaults fills the zero fields.
func (in Introspection) withDefaults() Introspection {
	if in.CacheTTL <= 0 {
		in.CacheTTL = DefaultIntrospectionCacheTTL
	}
	if in.InactiveTTL <= 0 {
		in.InactiveTTL = min(DefaultIntrospectionInactiveTTL, in.CacheTTL)
	}
	if in.MaxEntries <= 0 {
		in.MaxEntries = DefaultIntrospectionMaxEntries
	}
	return in
}

// checkIntrospection checks Config.Introspection (see Validate).
func checkIntrospection(c Config) []error {
	in := c.Introspection
	if in == nil {
		return nil
	}
	var errs []error
	bad := func(field, value, problem, fix string) {
		errs = append(errs, &ConfigError{Field: "Introspection." + field, Value: value, Problem: problem, Fix: fix})
	}
	if isTemplate(c.Issuer) {
		bad("URL", in.URL, "is set for a template Issuer", "introspect the tokens of an exact issuer: a template's tenants have no one introspection endpoint, and an answer's \"iss\" could not be checked")
	}
	if in.URL != "" {
		if err := checkURL("Introspection.URL", in.URL, c.InsecureAllowHTTP, true); err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case in.ClientID == "":
		bad("ClientID", "", "is empty", "set it to the client id the authorization server registered for this resource server: RFC 7662 §2.1 requires the resource server to authenticate to the introspection endpoint")
	case strings.ContainsAny(in.ClientID, "{}"):
		bad("ClientID", in.ClientID, "still holds a placeholder", "set it to the client id the authorization server registered for this resource server")
	}
	if in.ClientSecret == "" {
		bad("ClientSecret", "", "is empty", "set it to the secret of Introspection.ClientID (client_secret_basic): the endpoint answers only authenticated resource servers")
	}
	for _, d := range [...]struct {
		name string
		v    time.Duration
	}{{"CacheTTL", in.CacheTTL}, {"InactiveTTL", in.InactiveTTL}} {
		if d.v < 0 {
			bad(d.name, d.v.String(), "is negative", "leave it 0 for the default, or give a positive duration")
		}
	}
	if in.MaxEntries < 0 {
		bad("MaxEntries", fmt.Sprint(in.MaxEntries), "is negative", "leave it 0 for DefaultIntrospectionMaxEntries, or give the bound")
	}
	if d := in.withDefaults(); in.InactiveTTL > 0 && d.InactiveTTL > d.CacheTTL {
		bad("InactiveTTL", in.InactiveTTL.String(), fmt.Sprintf("is longer than CacheTTL (%s)", d.CacheTTL),
			"make it shorter than CacheTTL: an inactive answer must not outlive an active one, or an issuer's passing mistake refuses a good token longer than a revocation takes to be seen")
	}
	return errs
}

// introspector asks an issuer's introspection endpoint about tokens, and
// keeps its answers.
type introspector struct {
	v      *Verifier
	cfg    Introspection
	client *http.Client
	cache  *tokenCache
	calls  atomic.Uint64 // requests sent

	mu       sync.Mutex
	inflight map[digest]*introCall
	endpoint string // cfg.URL, or found by discovery

	// discovery is held while the endpoint is looked up; lastFailure and
	// lastErr rate-limit the lookups while discovery fails.
	discovery   sync.Mutex
	lastFailure time.Time
	lastErr     error
}

// introCall is one request under way, shared by every verification of the
// token that waits on it.
type introCall struct {
	done  chan struct{}
	entry *cacheEntry // the answer, nil with err
	err   error       // no usable answer
}

func newIntrospector(v *Verifier) *introspector {
	client := *v.cfg.HTTPClient // a copy, so that our redirect rule does not change the caller's client
	client.CheckRedirect = refuseRedirects
	cfg := *v.cfg.Introspection
	return &introspector{v: v, cfg: cfg, client: &client, endpoint: cfg.URL,
		cache: newTokenCache(cfg.MaxEntries, v.cfg.CacheMaxBytes), inflight: make(map[digest]*introCall)}
}

// verify judges token by introspection: from the cache, else (when the
// token is not refused as revoked, and before, when given, accepts it)
// with one request shared by concurrent callers.
func (in *introspector) verify(ctx context.Context, token string, audiences []string, before func() error) (*Token, error) {
	if err := checkOpaque(token, in.v.cfg.MaxTokenBytes); err != nil {
		return nil, err
	}
	now := in.v.cfg.Now().UnixNano()
	if e, tok := in.cache.lookup(token, now); e != nil {
		return e.answer(token, audiences, tok)
	}
	d := digestOf(token)
	if until, ok := in.v.deny.refused(d, now); ok {
		return nil, revokedError(until)
	}
	if before != nil {
		if err := before(); err != nil {
			return nil, err
		}
	}
	e, err := in.share(ctx, token, d)
	if err != nil {
		return nil, err
	}
	return e.answer(token, audiences, nil)
}

// share returns the answer for token (digest d): the cached one, else that
// of the request under way, else that of a new request.
func (in *introspector) share(ctx context.Context, token string, d digest) (*cacheEntry, error) {
	in.mu.Lock()
	c := in.inflight[d]
	if c == nil {
		// A request that ended since the caller's lookup stored its
		// answer before leaving inflight: look again, under the lock.
		if e := in.cache.get(token, in.v.cfg.Now().UnixNano()); e != nil {
			in.mu.Unlock()
			return e, nil
		}
		c = &introCall{done: make(chan struct{})}
		in.inflight[d] = c
		go in.run(token, d, c)
	}
	in.mu.Unlock()
	select {
	case <-c.done:
		return c.entry, c.err
	case <-ctx.Done():
		return nil, in.unavailable("the request was cancelled while waiting for the answer", ctx.Err())
	}
}

// run makes the request of c, detached from the callers' contexts (one
// that gives up must not fail the others) and bounded by FetchTimeout,
// then keeps the answer before c ends.
func (in *introspector) run(token string, d digest, c *introCall) {
	ctx, cancel := context.WithTimeout(context.Background(), in.v.cfg.FetchTimeout)
	defer cancel()
	e, err := in.ask(ctx, token)
	var inactiveUntil time.Time
	if err == nil {
		e, inactiveUntil, err = in.keep(token, d, e)
	}
	if !inactiveUntil.IsZero() && in.cfg.OnInactive != nil {
		// Before the waiters are answered: a revocation is published
		// before the refusal that follows from it is seen.
		in.cfg.OnInactive(d, inactiveUntil)
	}
	in.mu.Lock()
	delete(in.inflight, d)
	in.mu.Unlock()
	c.entry, c.err = e, err
	close(c.done)
}

// keep caches the answer e for token. An inactive token is forgotten
// first (the caches drop what they hold of it, the denylist refuses it
// for InactiveTTL), and the time it is refused until returned. An active
// answer is checked against the denylist after it is stored, so that a
// Forget that ran during the request wins.
func (in *introspector) keep(token string, d digest, e *cacheEntry) (*cacheEntry, time.Time, error) {
	now := in.v.cfg.Now()
	var until time.Time
	if e.err != nil && errors.Is(e.err, ErrTokenInactive) {
		until = in.inactiveUntil(token, now)
		in.v.Forget(d, until)
	}
	if e.expires > now.UnixNano() {
		in.cache.put(token, e)
	}
	if e.err == nil {
		if u, ok := in.v.deny.refused(d, now.UnixNano()); ok {
			in.cache.forget(d)
			return nil, until, revokedError(u)
		}
	}
	return e, until, nil
}

// inactiveUntil is how long a token found inactive stays refused:
// InactiveTTL, or, for a JWT, until its "exp" when that is later, so that a
// JWT revoked at the issuer does not pass again on the routes that verify
// it locally. The "exp" is read unverified: the denylist holds the digest
// of this exact text, so a later "exp" only keeps that text refused longer.
func (in *introspector) inactiveUntil(token string, now time.Time) time.Time {
	until := now.Add(in.cfg.InactiveTTL)
	jws, err := splitCompact(token, in.v.cfg.MaxTokenBytes)
	if err != nil {
		return until
	}
	members, err := parseObject(jws.payload, claimNames, 16)
	if err != nil {
		return until
	}
	if raw, ok := members.get("exp"); ok {
		if exp, err := numericDate(raw); err == nil && exp.After(until) {
			return exp
		}
	}
	return until
}

// ask sends the request and judges the answer, at the issuer's endpoint.
func (in *introspector) ask(ctx context.Context, token string) (*cacheEntry, error) {
	endpoint, err := in.endpointURL(ctx)
	if err != nil {
		return nil, err
	}
	members, payload, err := in.request(ctx, endpoint, token)
	if err != nil {
		return nil, err
	}
	now := in.v.cfg.Now()
	claims, refusal := in.v.judgeIntrospection(members, payload, now)
	e := &cacheEntry{owner: in.v, claims: claims, err: refusal}
	switch {
	case refusal != nil:
		e.expires = now.Add(in.cfg.InactiveTTL).UnixNano()
	case !claims.expiry.IsZero():
		e.expires = min(now.Add(in.cfg.CacheTTL).UnixNano(), claims.expiry.UnixNano())
	default:
		e.expires = now.Add(in.cfg.CacheTTL).UnixNano()
	}
	return e, nil
}

// unavailable is the error of an introspection that got no usable answer:
// ErrKeysUnavailable, which says nothing about the token (503).
func (in *introspector) unavailable(detail string, err error) error {
	return &ValidationError{Kind: ErrKeysUnavailable, Err: err,
		Detail: "introspection at " + quoteOrDash(in.endpointOrIssuer()) + ": " + detail}
}

// endpointOrIssuer names where the introspection is made, for errors.
func (in *introspector) endpointOrIssuer() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.endpoint != "" {
		return in.endpoint
	}
	return "the introspection endpoint of " + in.v.cfg.Issuer
}

// checkOpaque checks a token before it is looked up or sent: not empty,
// within the size limit, and of RFC 6750's b64token syntax
// (1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="), which
// every bearer token has; anything else is refused as malformed, unsent.
func checkOpaque(token string, maxBytes int) error {
	if token == "" {
		return malformed("the token is empty")
	}
	if len(token) > maxBytes {
		return malformed(fmt.Sprintf("the token is %d bytes, more than the limit of %d", len(token), maxBytes))
	}
	end := len(strings.TrimRight(token, "="))
	if end == 0 {
		return malformed("the token is not a b64token (RFC 6750 section 2.1)")
	}
	for i := 0; i < end; i++ {
		c := token[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return malformed("the token is not a b64token (RFC 6750 section 2.1): it holds a character outside A-Z a-z 0-9 - . _ ~ + /")
		}
	}
	return nil
}

// jwsShaped reports whether token is to be read as a JWS: it holds exactly
// two dots. Every other token is opaque to the verifier: with
// Config.Introspection it is introspected, without it refused as
// malformed.
func jwsShaped(token string) bool { return strings.Count(token, ".") == 2 }

// trace is verify with a trace: without the cache or the sharing of
// requests, reporting the shape, the revocation when it refuses, and the
// introspection's outcome to tr.
func (in *introspector) trace(ctx context.Context, token string, audiences []string, tr tracer) (*Token, error) {
	err := checkOpaque(token, in.v.cfg.MaxTokenBytes)
	tr.report(checkShape, err, func() string {
		return fmt.Sprintf("%d bytes, at most %d; not a JWS (not two dots): an opaque token, introspected", len(token), in.v.cfg.MaxTokenBytes)
	})
	if err != nil {
		return nil, err
	}
	if err := in.v.checkRevoked(token, tr); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, in.v.cfg.FetchTimeout)
	defer cancel()
	e, err := in.ask(ctx, token)
	var tok *Token
	if err == nil {
		tok, err = e.answer(token, audiences, nil)
	}
	tr.report(checkIntrospectName, err, func() string {
		return "active at " + in.endpointOrIssuer() + "; its answer passes the checks of a token's claims"
	})
	return tok, err
}
