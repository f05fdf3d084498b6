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
// Build one Verifier per issuer and share it; it is safe for concurrent use.
// To accept the tokens of several issuers, build one Set (NewSet): each
// token's unverified "iss" selects the issuer whose rules and keys apply,
// and a template issuer ("https://login.microsoftonline.com/{tenantid}/v2.0")
// accepts the tenants listed in Config.Tenants. Package bearer wraps either
// as net/http middleware. WithTrace reports each check of one verification,
// to explain why a token is refused.
package verifier
