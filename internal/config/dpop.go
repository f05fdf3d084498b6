package config

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/resource-server/resource-server/verifier"
)

// The values of an issuer's and a route's dpop: key (IssuerConfig.DPoP,
// RouteConfig.DPoP).
const (
	// DPoPOff refuses the DPoP scheme: tokens come as Bearer only.
	DPoPOff = "off"
	// DPoPAllowed, the default, takes an unbound token as Bearer; a
	// DPoP-bound token ("cnf": {"jkt"}) must come with the DPoP scheme and
	// a proof.
	DPoPAllowed = "allowed"
	// DPoPRequired takes DPoP-bound tokens only, with the DPoP scheme and a
	// proof.
	DPoPRequired = "required"
)

// dpopModes are the values of dpop:, in the order messages list them.
var dpopModes = []string{DPoPOff, DPoPAllowed, DPoPRequired}

// The values of a route's introspect: key (RouteConfig.Introspect).
const (
	// IntrospectAuto, the default, introspects only the tokens that are
	// not JWTs (opaque tokens).
	IntrospectAuto = "auto"
	// IntrospectAlways introspects every token of the route, JWTs too, so
	// that a revoked token is refused at once.
	IntrospectAlways = "always"
)

// StoreMemory is STORE's default: replays are remembered by this instance
// alone.
const StoreMemory = "memory"

// minNonceSecret is the least length of DPOP_NONCE_SECRET, in bytes.
const minNonceSecret = 32

// proofSettings declares the settings of DPoP (RFC 9449) and of the store
// the instances share.
func proofSettings() []*setting {
	return []*setting{
		{flag: "dpop-algorithms", env: "DPOP_ALGORITHMS", meta: "ALGS", def: "ES256,ES384,EdDSA,PS256,RS256", kind: kindList,
			help: "comma-separated JWS algorithms accepted for DPoP proofs (RFC 9449), any of " + strings.Join(verifier.SupportedAlgorithms(), ", "),
			ptr:  func(c *Config) any { return &c.DPoPAlgorithms }, check: checkDPoPAlgorithms},
		{flag: "dpop-max-age", env: "DPOP_MAX_AGE", meta: "DURATION", def: "5m", kind: kindDuration,
			help: "how far a DPoP proof's \"iat\" may lie from now, either way; an older proof is refused, and a proof seen before within it is a replay",
			ptr:  func(c *Config) any { return &c.DPoPMaxAge }, check: checkDPoPMaxAge},
		{flag: "dpop-nonce-secret", env: "DPOP_NONCE_SECRET", meta: "SECRET", kind: kindRaw, secret: true, defDoc: "none: no nonces",
			help: "when set, DPoP proofs must carry a server-provided nonce (RFC 9449 §8), derived from this secret: at least 32 bytes, e.g. the output of openssl rand -base64 48; every instance must share it; taken as given, never logged",
			ptr:  func(c *Config) any { return &c.DPoPNonceSecret }, check: checkDPoPNonceSecret},
		{flag: "store", env: "STORE", meta: "STORE", def: StoreMemory, redact: redactURL,
			help: "where the DPoP proofs already seen are kept, to refuse replays: memory (this instance only), or redis://[:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS; DB 0-15); the password is never shown; with several instances STORE must be a Redis every instance shares, else a proof replayed to another instance is accepted",
			ptr:  func(c *Config) any { return &c.Store }, check: checkStore},
	}
}

func checkDPoPAlgorithms(c Config, r *report) {
	if len(c.DPoPAlgorithms) == 0 {
		r.bad("DPOP_ALGORITHMS", "", "is empty", "set "+r.places("DPOP_ALGORITHMS")+" to the algorithms your clients sign DPoP proofs with, e.g. ES256,EdDSA, or unset it for the default ("+settingByName("DPOP_ALGORITHMS").def+")")
	}
	supported := verifier.SupportedAlgorithms()
	for _, alg := range c.DPoPAlgorithms {
		if slices.Contains(supported, alg) {
			continue
		}
		fix := "list algorithms from " + strings.Join(supported, ", ") + " in " + r.places("DPOP_ALGORITHMS")
		if near := nearest(alg, supported); near != "" {
			fix = "did you mean " + near + "? Algorithm names are case-sensitive: " + fix
		}
		r.bad("DPOP_ALGORITHMS", alg, "is not a supported asymmetric JWS algorithm", fix)
	}
}

func checkDPoPMaxAge(c Config, r *report) {
	if c.DPoPMaxAge <= 0 {
		r.bad("DPOP_MAX_AGE", c.DPoPMaxAge.String(), "is not positive",
			"set "+r.places("DPOP_MAX_AGE")+" to how far a proof's iat may lie from now, e.g. 5m (the default) or 1m")
	}
}

// checkDPoPNonceSecret refuses a short secret, never quoting it.
func checkDPoPNonceSecret(c Config, r *report) {
	if n := len(c.DPoPNonceSecret); n > 0 && n < minNonceSecret {
		r.bad("DPOP_NONCE_SECRET", "", fmt.Sprintf("is %d bytes long, too short to derive nonces from", n),
			fmt.Sprintf("set %s to at least %d random bytes, e.g. the output of openssl rand -base64 48, the same on every instance; or unset it for no nonces",
				r.places("DPOP_NONCE_SECRET"), minNonceSecret))
	}
}

// checkStore checks STORE: memory or a Redis URL; the value in the error
// has its password redacted.
func checkStore(c Config, r *report) {
	problem := storeProblem(c.Store)
	if problem == "" {
		return
	}
	fix := "set " + r.places("STORE") + " to memory, or to a Redis URL, redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss:// for TLS, e.g. redis://127.0.0.1:6379/0"
	if near := nearest(c.Store, []string{StoreMemory}); near != "" && !strings.Contains(c.Store, ":") {
		fix = "did you mean " + near + "? Or " + fix
	}
	r.bad("STORE", redactURL(c.Store), problem, fix)
}

// storeProblem checks a STORE value with net/url: memory, or a redis:// or
// rediss:// URL with a host, an optional port, user name and password, and
// an optional database /0 to /15; no query or fragment.
func storeProblem(raw string) string {
	if raw == StoreMemory {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "is empty"
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return "is not a URL"
	case !strings.Contains(raw, "://"):
		return "is neither memory nor a URL"
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return "is not a redis:// or rediss:// URL"
	case u.Hostname() == "":
		return "has no host"
	case u.User != nil && !hasPassword(u):
		return "has a user name but no password (write redis://:PASSWORD@HOST for a password alone)"
	case u.RawQuery != "" || u.ForceQuery:
		return "has a query, whose options are not read"
	case strings.Contains(raw, "#"):
		return "has a fragment"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a port out of range (1-65535)"
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 || n > 15 || strconv.Itoa(n) != db {
			return "names the database " + strconv.Quote(db) + ", not a number from 0 to 15"
		}
	}
	return ""
}

// hasPassword reports whether u's user information holds a password.
func hasPassword(u *url.URL) bool {
	_, ok := u.User.Password()
	return ok
}

// redactURL is a URL as it may be shown (STORE, introspection's url): its
// password (or a user name standing alone, which may be one) and its query
// replaced by xxxxx, "redis://:xxxxx@host:6379/0"; for text that is no URL,
// everything up to its last "@", and its query.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			raw = "xxxxx" + raw[i:]
		}
		if i := strings.Index(raw, "?"); i >= 0 {
			raw = raw[:i] + "?xxxxx"
		}
		return raw
	}
	switch {
	case u.User == nil:
	case hasPassword(u):
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	default:
		u.User = url.User("xxxxx")
	}
	if u.RawQuery != "" {
		u.RawQuery = "xxxxx"
	}
	return u.String()
}

// checkDPoPMode checks the value of a dpop: key (an issuer's or a
// route's): "" (the default), off, allowed or required. It returns the
// problem and the fix; "" when the value is fine.
func checkDPoPMode(v string) (problem, fix string) {
	if v == "" || slices.Contains(dpopModes, v) {
		return "", ""
	}
	const values = "off (the Bearer scheme only), allowed (the default: a DPoP-bound token needs the DPoP scheme and a proof) or required (DPoP-bound tokens only)"
	fix = "write dpop: " + values
	if near := nearest(v, dpopModes); near != "" {
		fix = "did you mean " + near + "? Write dpop: " + near + "; the values are " + values
	}
	return "is not off, allowed or required", fix
}
