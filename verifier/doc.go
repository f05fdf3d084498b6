// Package verifier verifies OAuth 2.0 access tokens and OpenID Connect ID
// tokens that are signed JWTs (RFC 7519, RFC 9068), the Go counterpart of
// Okta's @okta/jwt-verifier, correct by default:
//
//   - keys come only from the configured issuer: found by discovery
//     (/.well-known/openid-configuration, then RFC 8414 metadata), whose
//     "issuer" must equal ours, or from a configured JWKS URL; cached and
//     shared; refreshed in the background; refetched once, single-flight and
//     rate-limited, when a token names an unknown key; kept while the issuer
//     is unreachable, for at most MaxKeyAge (24 h by default);
//   - the token is checked strictly before any costly work: a size cap,
//     three canonical base64url segments, JSON without duplicate or
//     case-variant members, an allow-listed asymmetric algorithm (RS256 by
//     default) that fits the key's type, no "crit", "b64" or nested tokens,
//     a "typ" that fits the kind of token (RequireAccessTokenType insists
//     on RFC 9068's "at+jwt");
//     "jwk", "jku", "x5u" and "x5c" headers are never used;
//   - "iss" exact, "aud" holding an expected audience (string or array),
//     "exp" required, "nbf" and "iat" with a small leeway, "cid" or
//     "client_id", and @okta/jwt-verifier-style claim assertions;
//   - errors are *ValidationError values that errors.Is matches against
//     ErrExpired, ErrWrongAudience and the other sentinels, and whose text
//     says which claim failed, what was expected and what was found,
//     never the token;
//   - a bounded cache of verified tokens answers a token presented again in
//     well under a microsecond, with the same answer a fresh verification
//     gives.
//
// Opaque (reference) tokens, with Config.Introspection, are judged by the
// issuer's introspection endpoint (RFC 7662; RFC 9701 JWT answers are
// accepted when signed by its keys). A token that does not hold exactly two
// dots is opaque. The answer is read as strictly as a token, its members
// checked as a JWT's claims, and kept (an active one for CacheTTL, never
// past its "exp"; an inactive one for the shorter InactiveTTL), one request
// serving every concurrent verification of a new token.
// IntrospectAccessToken asks about any token, a JWT too. Forget revokes a
// token by its SHA-256 (Digest) until a given time: it leaves every cache
// and is refused with ErrTokenRevoked even though it would verify, as is a
// token introspection found inactive.
//
// Security notes on introspection: an opaque token is sent only to the one
// issuer configured for it (NewSet refuses two: an opaque token names no
// issuer, and sending it elsewhere hands it over), and a JWT only to the
// issuer its "iss" names; the request authenticates the resource server
// (client_secret_basic) and follows no redirect. A cached active answer
// outlives a revocation at the issuer for at most CacheTTL, unless the
// revocation reaches Forget first; an issuer that cannot answer refuses
// with ErrKeysUnavailable (503), never with a cached guess.
//
// Build one Verifier per issuer and share it; it is safe for concurrent use.
// To accept the tokens of several issuers, build one Set (NewSet): each
// token's unverified "iss" selects the issuer whose rules and keys apply,
// and a template issuer ("https://login.microsoftonline.com/{tenantid}/v2.0")
// accepts the tenants listed in Config.Tenants. Package bearer wraps either
// as net/http middleware. WithTrace reports each check of one verification,
// to explain why a token is refused.
package verifier
