package verifier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ReadyRule is the readiness rule of a Set, which Set.Ready applies and a
// readiness endpoint may quote.
// An outage of one issuer refuses only its own tokens (ErrKeysUnavailable,
// 503), so it must not take the whole API out of a load balancer; Status
// tells each issuer's state.
const ReadyRule = "ready while at least one issuer is ready (its keys held, younger than its max key age); an issuer's outage refuses only its own tokens, with 503"

// Set verifies access tokens from several issuers, each with its own Config:
// the token's "iss", read before its signature is checked, selects the one
// whose rules apply and whose keys may have signed it. It is safe for
// concurrent use, and meant to be built once and shared.
//
// Each issuer has its own key set, fetched, refreshed and failing on its
// own: a key verifies only tokens of the issuer that published it, and an
// issuer whose keys cannot be fetched refuses its tokens only. The issuers
// share one verified-token cache, looked up before anything else, bounded
// by the largest CacheMaxEntries and CacheMaxBytes among them; the tokens
// of an issuer with DisableCache are not kept in it. The cache reads the
// clock of the first issuer (Config.Now): a test that moves time moves
// that one, or gives every issuer the same.
type Set struct {
	verifiers []*Verifier          // as configured
	exact     map[string]*Verifier // the issuers that are not templates
	templates []*Verifier          // the template issuers, in order
	cache     *tokenCache          // nil when every issuer disables it
	// maxTokenBytes is the largest MaxTokenBytes: what a token may be
	// before its issuer is known.
	maxTokenBytes int
	// now is the first issuer's clock, which the cache reads: it is
	// looked up before the issuer is known.
	now func() time.Time
	// intro is the one issuer with Config.Introspection, nil for none.
	intro *Verifier
	// deny holds the revoked tokens (Forget), shared by the issuers.
	deny *denylist
}

// NewSet returns a verifier of access tokens from any of issuers, each a
// Config with its own Issuer, Audiences, ClientID, Algorithms, JWKSURL (or
// discovery), Leeway, AssertClaims, MaxKeyAge... It fetches nothing: keys
// are fetched on first use, or by Refresh.
//
// An issuer is matched exactly, or, when its Issuer holds TenantPlaceholder
// ("{tenantid}") as a whole path segment, as a template: Entra ID's
// multi-tenant "https://login.microsoftonline.com/{tenantid}/v2.0" matches
// a token whose "iss" has a tenant in that place, when its "tid" claim is
// that tenant too, and the tenant is one of Config.Tenants (or any, with
// Config.AnyTenant: see its warning). A template needs JWKSURL: its tenants
// share one key set. An exact issuer wins over a template, and templates
// are tried in order.
//
// At most one issuer may have Config.Introspection: an opaque token names
// no issuer, so it goes to the one that introspects, and with two it
// would have to be sent to an authorization server that may not have
// issued it, which hands the token over to that server.
//
// The error, when not nil, holds a *ConfigError for each problem found,
// naming the issuer's position and URL (ConfigError.Position and Issuer);
// an issuer configured twice is refused.
func NewSet(issuers ...Config) (*Set, error) {
	if len(issuers) == 0 {
		return nil, &ConfigError{Field: "Issuer", Problem: "no issuer is configured", Fix: "give NewSet at least one Config"}
	}
	s := &Set{exact: make(map[string]*Verifier, len(issuers))}
	seen := make(map[string]int, len(issuers))
	var errs []error
	for i, cfg := range issuers {
		if first, dup := seen[cfg.Issuer]; dup && cfg.Issuer != "" {
			errs = append(errs, &ConfigError{Field: "Issuer", Value: cfg.Issuer, Position: i + 1, Issuer: cfg.Issuer,
				Problem: fmt.Sprintf("is issuer %d too", first+1), Fix: "configure each issuer once: a token's iss must select one set of rules"})
			continue
		}
		seen[cfg.Issuer] = i
		v, err := newVerifier(cfg)
		if err != nil {
			errs = append(errs, inSet(err, i, cfg.Issuer))
			continue
		}
		s.add(v)
	}
	errs = append(errs, s.checkIntrospection()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.deny = newDenylist(denylistMaxEntries)
	for _, v := range s.verifiers {
		v.deny = s.deny
	}
	s.shareCache()
	s.now = s.verifiers[0].cfg.Now
	return s, nil
}

// add adds v to the issuers.
func (s *Set) add(v *Verifier) {
	s.verifiers = append(s.verifiers, v)
	s.maxTokenBytes = max(s.maxTokenBytes, v.cfg.MaxTokenBytes)
	if v.tmpl != nil {
		s.templates = append(s.templates, v)
	} else {
		s.exact[v.cfg.Issuer] = v
	}
}

// checkIntrospection finds the issuer that introspects, and refuses a
// second.
func (s *Set) checkIntrospection() []error {
	var errs []error
	for i, v := range s.verifiers {
		if v.intro == nil {
			continue
		}
		if s.intro == nil {
			s.intro = v
			continue
		}
		errs = append(errs, &ConfigError{Field: "Introspection", Position: i + 1, Issuer: v.cfg.Issuer,
			Problem: "is set for issuer " + brief(s.intro.cfg.Issuer) + " too",
			Fix: "set Introspection for one issuer only: an opaque token names no issuer, so with two it would be sent to an authorization server " +
				"that may not have issued it, handing the token over to it"})
	}
	return errs
}

// shareCache gives the issuers that keep a cache one cache, as large as
// the largest they ask for.
func (s *Set) shareCache() {
	entries, bytes := 0, 0
	for _, v := range s.verifiers {
		if !v.cfg.DisableCache {
			entries, bytes = max(entries, v.cfg.CacheMaxEntries), max(bytes, v.cfg.CacheMaxBytes)
		}
	}
	if entries == 0 {
		return
	}
	s.cache = newTokenCache(entries, bytes)
	for _, v := range s.verifiers {
		if !v.cfg.DisableCache {
			v.useCache(s.cache)
		}
	}
}

// inSet marks the ConfigErrors joined in err with the issuer's position
// and URL.
func inSet(err error, i int, issuer string) error {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ce *ConfigError
		if errors.As(e, &ce) {
			ce.Position, ce.Issuer = i+1, issuer
		}
	}
	return err
}

// VerifyAccessToken verifies an access token of any of the configured
// issuers, with that issuer's Config, as Verifier.VerifyAccessToken does;
// audiences, when given, replace the selected issuer's Audiences. A token
// presented before is answered from the cache first. Otherwise, after the
// structural checks (size, three segments, a JSON payload), its unverified
// "iss" selects the issuer (a map lookup, then the templates): a token of
// no configured issuer is refused with ErrWrongIssuer, before any key is
// looked up or fetched. It satisfies bearer.AccessTokenVerifier.
//
// A token that is not a JWS (it does not hold exactly two dots: an opaque
// token) goes to the issuer with Config.Introspection, if any, and is
// refused as malformed otherwise. A token revoked by Forget is refused
// with ErrTokenRevoked.
func (s *Set) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*Token, error) {
	if tr := traceOf(ctx); tr != nil {
		return s.traceAccessToken(ctx, token, audiences, tr)
	}
	shaped := jwsShaped(token)
	if !shaped && s.intro != nil {
		return s.intro.intro.verify(ctx, token, audiences, nil)
	}
	if s.cache != nil && len(token) <= s.maxTokenBytes && shaped {
		if e, tok := s.cache.lookup(token, s.now().UnixNano()); e != nil {
			return e.answer(token, audiences, tok)
		}
	}
	jws, err := splitCompact(token, s.maxTokenBytes)
	if err != nil {
		return nil, err
	}
	v, members, _, err := s.selectIssuer(token, jws)
	if err != nil {
		return nil, err
	}
	return v.verifyAccess(ctx, token, jws, members, audiences, nil)
}

// traceAccessToken is VerifyAccessToken with a trace: without the cache,
// reporting each check to tr.
func (s *Set) traceAccessToken(ctx context.Context, token string, audiences []string, tr tracer) (*Token, error) {
	if s.intro != nil && !jwsShaped(token) {
		return s.intro.intro.trace(ctx, token, audiences, tr)
	}
	jws, err := splitCompact(token, s.maxTokenBytes)
	failed := checkShape
	var v *Verifier
	var members jsonObject
	if err == nil {
		v, members, failed, err = s.selectIssuer(token, jws)
	}
	if failed != checkShape || err == nil {
		tr.report(checkShape, nil, func() string {
			limit := s.maxTokenBytes
			if v != nil {
				limit = v.cfg.MaxTokenBytes
			}
			return fmt.Sprintf("%d bytes, at most %d; 3 segments", len(token), limit)
		})
	}
	if err != nil {
		tr.report(failed, err, nil)
		return nil, err
	}
	return v.verifyAccess(ctx, token, jws, members, audiences, tr)
}

// selectIssuer reads the payload of jws and returns the verifier of its
// "iss", or the error and the name of the check that failed.
func (s *Set) selectIssuer(token string, jws *compactJWS) (*Verifier, jsonObject, string, error) {
	members, err := parseObject(jws.payload, claimNames, 16)
	if err != nil {
		return nil, nil, checkClaims, malformed("the payload: " + err.Error())
	}
	raw, ok := members.get("iss")
	if !ok {
		return nil, nil, checkIssuerName, &ValidationError{Kind: ErrMissingClaim, Claim: "iss", Expected: s.expected()}
	}
	v := s.byIssuer(raw)
	if v == nil {
		iss, err := jsonString(raw)
		if err != nil {
			return nil, nil, checkClaims, invalidClaim("iss", "a string")
		}
		if v = s.byTemplate(iss); v == nil {
			return nil, nil, checkIssuerName, &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(iss), Expected: s.expected()}
		}
	}
	if len(token) > v.cfg.MaxTokenBytes {
		return nil, nil, checkShape, malformed(fmt.Sprintf("the token is %d bytes, more than the limit of %d of its issuer", len(token), v.cfg.MaxTokenBytes))
	}
	return v, members, "", nil
}

// byIssuer looks the JSON string raw up among the exact issuers, without
// copying it when it holds no escape.
func (s *Set) byIssuer(raw []byte) *Verifier {
	if len(raw) < 2 || raw[0] != '"' {
		return nil
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			iss, err := jsonString(raw)
			if err != nil {
				return nil
			}
			return s.exact[iss]
		}
	}
	return s.exact[string(inner)] // no copy: the compiler looks up the bytes
}

// byTemplate returns the first template issuer whose template iss fits.
func (s *Set) byTemplate(iss string) *Verifier {
	for _, v := range s.templates {
		if _, ok := v.tmpl.tenantOf(iss); ok {
			return v
		}
	}
	return nil
}

// expected says which issuers a token may name.
func (s *Set) expected() string {
	if len(s.verifiers) == 1 {
		return brief(s.verifiers[0].cfg.Issuer)
	}
	return "one of " + listString(s.Issuers())
}

// Refresh fetches every issuer's keys now, all at once, and waits for
// them. The errors are joined, each naming its issuer, in the order of the
// configuration; an issuer that fails does not stop the others.
func (s *Set) Refresh(ctx context.Context) error {
	errs := make([]error, len(s.verifiers))
	var wg sync.WaitGroup
	for i, v := range s.verifiers {
		wg.Go(func() {
			if err := v.Refresh(ctx); err != nil {
				errs[i] = fmt.Errorf("verifier: issuer %s: %w", v.cfg.Issuer, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Ready applies ReadyRule: it reports whether at least one issuer is ready.
func (s *Set) Ready() bool {
	for _, v := range s.verifiers {
		if v.Ready() {
			return true
		}
	}
	return false
}

// Issuers returns the issuers as configured, in order; a template keeps
// its "{tenantid}".
func (s *Set) Issuers() []string {
	out := make([]string, len(s.verifiers))
	for i, v := range s.verifiers {
		out[i] = v.cfg.Issuer
	}
	return out
}

// Status returns the state of each configured issuer, in order.
func (s *Set) Status() []IssuerStatus {
	out := make([]IssuerStatus, len(s.verifiers))
	for i, v := range s.verifiers {
		out[i] = v.status()
	}
	return out
}

// CacheStats returns the counters of the verified-token cache the issuers
// share: summed over them, since it is one cache.
func (s *Set) CacheStats() CacheStats {
	if s.cache == nil {
		return CacheStats{}
	}
	return s.cache.stats()
}

// IntrospectAccessToken judges an access token by the introspection
// endpoint of the issuer with Config.Introspection, as
// Verifier.IntrospectAccessToken does: an opaque token goes to that issuer;
// a JWT's unverified "iss" selects its issuer as VerifyAccessToken does,
// and a JWT of another issuer is refused with ErrWrongIssuer, never sent.
// Without an issuer that introspects, it fails with ErrKeysUnavailable.
func (s *Set) IntrospectAccessToken(ctx context.Context, token string, audiences ...string) (*Token, error) {
	if s.intro == nil {
		return nil, noIntrospection(listString(s.Issuers()))
	}
	return s.intro.intro.verify(ctx, token, audiences, func() error {
		if !jwsShaped(token) {
			return nil
		}
		jws, err := splitCompact(token, s.maxTokenBytes)
		if err != nil {
			return err
		}
		v, _, _, err := s.selectIssuer(token, jws)
		if err != nil {
			return err
		}
		if v != s.intro {
			return &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(v.cfg.Issuer), Expected: brief(s.intro.cfg.Issuer),
				Detail: "only this issuer is configured for introspection, and a token is never sent to an authorization server that did not issue it"}
		}
		return nil
	})
}

// Forget revokes the token whose SHA-256 is digest until until, for every
// issuer, as Verifier.Forget does.
func (s *Set) Forget(digest [32]byte, until time.Time) {
	s.deny.add(digest, until.UnixNano(), s.now().UnixNano())
	if s.cache != nil {
		s.cache.forget(digest)
	}
	if s.intro != nil {
		s.intro.intro.cache.forget(digest)
	}
}

// IntrospectionIssuer returns the issuer whose tokens are introspected
// (Config.Introspection), "" when none is.
func (s *Set) IntrospectionIssuer() string {
	if s.intro == nil {
		return ""
	}
	return s.intro.cfg.Issuer
}
