package verifier

import (
	"container/list"
	"fmt"
	"strings"
	"sync"
)

// TenantPlaceholder marks the tenant in a template Issuer, as Entra ID
// writes its multi-tenant issuer: "https://login.microsoftonline.com/{tenantid}/v2.0".
const TenantPlaceholder = "{tenantid}"

// isTemplate reports whether issuer is a template: it holds
// TenantPlaceholder once, and no other brace.
func isTemplate(issuer string) bool {
	before, after, ok := strings.Cut(issuer, TenantPlaceholder)
	return ok && !strings.ContainsAny(before, "{}") && !strings.ContainsAny(after, "{}")
}

// validTenant reports whether s can be a tenant: 1 to 64 of A-Z, a-z, 0-9,
// '.' and '-' (an Entra tenant id is a GUID), not dots alone. No '/', so a
// tenant is always one path segment.
func validTenant(s string) bool {
	if len(s) == 0 || len(s) > 64 || strings.Trim(s, ".") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// template is a template issuer's rule: which "iss" values it matches, and
// the state it keeps per tenant.
type template struct {
	issuer         string // as configured
	prefix, suffix string // around the placeholder
	// allowed maps each of Config.Tenants to its issuer, nil with
	// AnyTenant.
	allowed map[string]string
	// seen holds the issuers of the tenants met lately, with AnyTenant.
	seen *tenantLRU
}

// newTemplate returns the template of cfg (checked), nil when its issuer
// is not a template.
func newTemplate(cfg Config) *template {
	if !isTemplate(cfg.Issuer) {
		return nil
	}
	prefix, suffix, _ := strings.Cut(cfg.Issuer, TenantPlaceholder)
	tp := &template{issuer: cfg.Issuer, prefix: prefix, suffix: suffix}
	if cfg.AnyTenant {
		tp.seen = newTenantLRU(cfg.MaxTenants)
		return tp
	}
	tp.allowed = make(map[string]string, len(cfg.Tenants))
	for _, t := range cfg.Tenants {
		tp.allowed[t] = prefix + t + suffix
	}
	return tp
}

// tenantOf returns the tenant of iss when iss fits the template; the
// tenant is then still to be checked.
func (tp *template) tenantOf(iss string) (string, bool) {
	if len(iss) <= len(tp.prefix)+len(tp.suffix) || !strings.HasPrefix(iss, tp.prefix) || !strings.HasSuffix(iss, tp.suffix) {
		return "", false
	}
	tenant := iss[len(tp.prefix) : len(iss)-len(tp.suffix)]
	return tenant, !strings.Contains(tenant, "/")
}

// check accepts iss when it is the template's with an allowed tenant, which
// the token's "tid" names too. It returns the tenant's issuer, shared by
// its tokens.
func (tp *template) check(iss string, members jsonObject) (string, error) {
	tenant, ok := tp.tenantOf(iss)
	if !ok {
		return "", &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(iss), Expected: brief(tp.issuer)}
	}
	if !validTenant(tenant) {
		return "", &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(iss), Expected: brief(tp.issuer),
			Detail: "the tenant is not a tenant id (1 to 64 of A-Z, a-z, 0-9, '.', '-')"}
	}
	raw, ok := members.get("tid")
	if !ok {
		return "", &ValidationError{Kind: ErrMissingClaim, Claim: "tid", Expected: brief(tenant), Detail: "a token of a template issuer must name its tenant"}
	}
	if tid, err := jsonString(raw); err != nil || tid != tenant {
		return "", &ValidationError{Kind: ErrWrongIssuer, Claim: "tid", Found: brief(string(raw)), Expected: brief(tenant), Detail: "the tenant in iss"}
	}
	if tp.seen != nil {
		return tp.seen.issuer(tenant, iss), nil
	}
	if shared, ok := tp.allowed[tenant]; ok {
		return shared, nil
	}
	return "", &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(iss),
		Detail: fmt.Sprintf("tenant %s is not one of the %d Tenants of %s", brief(tenant), len(tp.allowed), tp.issuer)}
}

// tenants returns how many tenants the template holds state for.
func (tp *template) tenants() int {
	if tp.seen != nil {
		return tp.seen.len()
	}
	return len(tp.allowed)
}

// tenantLRU maps the tenants met lately to their issuer, at most max of
// them: the least recently met leaves first. An entry costs about 200
// bytes besides the issuer's text.
type tenantLRU struct {
	mu    sync.Mutex
	max   int
	byID  map[string]*list.Element // tenant → element of order
	order list.List                // of *tenantEntry, most recent first
}

type tenantEntry struct{ tenant, issuer string }

func newTenantLRU(max int) *tenantLRU {
	return &tenantLRU{max: max, byID: make(map[string]*list.Element)}
}

// issuer returns the issuer held for tenant, holding iss (whose tenant it
// is) when none is.
func (l *tenantLRU) issuer(tenant, iss string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.byID[tenant]; ok {
		l.order.MoveToFront(e)
		return e.Value.(*tenantEntry).issuer
	}
	for l.order.Len() >= l.max {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.byID, oldest.Value.(*tenantEntry).tenant)
	}
	l.byID[tenant] = l.order.PushFront(&tenantEntry{tenant: tenant, issuer: iss})
	return iss
}

func (l *tenantLRU) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// keysOfIssuer drops from keys those the key set publishes for another
// issuer than iss. Entra ID's key sets name, in each key's "issuer", the
// issuer it signs for, possibly a template, whose placeholder is the
// token's "tid"; a key that names none signs for the issuer of its key set.
func keysOfIssuer(keys []*publicKey, iss string, members jsonObject) ([]*publicKey, error) {
	bound := false
	for _, k := range keys {
		bound = bound || k.issuer != ""
	}
	if !bound {
		return keys, nil
	}
	var tid string
	if raw, ok := members.get("tid"); ok {
		tid, _ = jsonString(raw)
	}
	kept := make([]*publicKey, 0, len(keys))
	var other *publicKey
	for _, k := range keys {
		if k.issuer == "" || k.issuerFor(tid) == iss {
			kept = append(kept, k)
		} else {
			other = k
		}
	}
	if len(kept) == 0 {
		return nil, &ValidationError{Kind: ErrWrongIssuer, Claim: "iss", Found: brief(iss), Expected: brief(other.issuer),
			Detail: fmt.Sprintf("the key %s is published for that issuer only", quoteOrDash(quoted(other.kid)))}
	}
	return kept, nil
}

// issuerFor returns the issuer k signs for, its placeholder (if any)
// replaced by tid when tid can be a tenant.
func (k *publicKey) issuerFor(tid string) string {
	if validTenant(tid) {
		return strings.Replace(k.issuer, TenantPlaceholder, tid, 1)
	}
	return k.issuer
}
