// Package devissuer is an embedded OAuth 2.0 / OpenID Connect authorization
// server for development and tests, shaped like an Okta custom authorization
// server so that code written against Okta runs unchanged against it.
//
// It exists for two audiences. A developer running the resource server with
// --dev gets a working sign-in (authorization code + PKCE for a single-page
// app, client credentials for scripts) without an Okta account. A test author
// gets what net/http/httptest gives to tests of HTTP clients: [StartServer]
// serves discovery and a JWKS on loopback, and [Issuer.MintAccessToken] and
// [Issuer.Sign] produce tokens, including deliberately broken ones, signed by
// keys that the test can rotate and retire. [Issuer.MintOpaqueToken] mints
// opaque tokens that only its introspection endpoint can judge, and
// [Issuer.Revoke] makes that endpoint answer inactive for a token.
//
// Everything lives in memory and nothing is persisted: restarting the issuer
// invalidates every token it minted. It is not an authorization server for
// production use: it knows one user, one confidential client and one public
// client, and [New] refuses a non-loopback issuer unless told otherwise.
//
// Layout under the issuer path P (Okta's):
//
//	P/.well-known/openid-configuration    OpenID Connect discovery
//	P/.well-known/oauth-authorization-server, and the RFC 8414 form
//	/.well-known/oauth-authorization-server/P
//	P/v1/keys                              JWKS
//	P/v1/authorize                         login page (authorization code + PKCE S256)
//	P/v1/token                             client_credentials, authorization_code
//	P/v1/userinfo                          OpenID Connect userinfo (this module's bearer middleware and verifier)
//	P/v1/revoke                            accepted and ignored (see Issuer.Revoke)
//	P/v1/introspect                        RFC 7662 introspection for the confidential client
//	                                       (JSON, or RFC 9701 JWT with Options.IntrospectionJWT)
//	P/v1/logout                            RP-initiated logout redirect
//	P/v1/rotate                            POST from loopback: rotate the signing key
package devissuer
