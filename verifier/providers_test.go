package verifier_test

// Tokens shaped like those of real providers, which cannot be run here: the
// header members, claim names and types, issuer forms and key sets that each
// provider documents (docs/PROVIDERS.md cites the source of every shape),
// reproduced with the development issuer's keys and served from loopback
// servers. Each case asserts what the verifier does with such a token: which
// configuration accepts it, or which error refuses it.
//
// Cases marked "program" use only what cmd/resource-server can set (ISSUER,
// AUDIENCE, SPA_CLIENT_ID, JWKS_URL, REQUIRE_AT_JWT, ALGORITHMS,
// ALLOW_MISSING_AUDIENCE); the others need the library (AssertClaims,
// VerifyIDToken). A case whose comment
// starts with FINDING shows the verifier doing less than a demanding user
// would expect; it asserts today's behaviour so that a change is noticed.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// provNow is the clock of every token and verifier below, so that no case
// depends on the time it runs at.
var provNow = time.Date(2025, time.June, 2, 9, 30, 0, 0, time.UTC)

var (
	provIat = provNow.Add(-time.Minute).Unix()
	provExp = provNow.Add(time.Hour).Unix()
)

// provKey is one entry of a provider's JWKS.
type provKey struct {
	signer  string         // the devissuer key behind it
	kid     string         // published "kid"; empty: the certificate's x5t (Entra), else the signer's kid
	alg     string         // JWK "alg"; empty leaves it out, as Entra ID does
	use     string         // "sig", "enc"; empty leaves it out
	x5c     bool           // publish a certificate and its SHA-1 thumbprint (x5t)
	x5tS256 bool           // and its SHA-256 thumbprint (Keycloak)
	extra   map[string]any // other members, e.g. Entra's "issuer"
}

// provIssuer is an issuer served by a provHost.
type provIssuer struct {
	host    *provHost
	url     string // the issuer identifier, as "iss" carries it
	jwksURL string
	keys    []provKey
}

// provHost is a loopback HTTP server standing for a provider's host; it
// serves the discovery documents and key sets of one or more issuers.
type provHost struct {
	t    *testing.T
	ks   *devissuer.Issuer // holds the keys; never served itself
	ca   *ecdsa.PrivateKey // issues the certificates of x5c
	base string            // http://127.0.0.1:port
	mux  *http.ServeMux
}

func startProvHost(t *testing.T, ks *devissuer.Issuer, ca *ecdsa.PrivateKey) *provHost {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &provHost{t: t, ks: ks, ca: ca, base: "http://" + l.Addr().String(), mux: http.NewServeMux()}
	srv := httptest.NewUnstartedServer(h.mux)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return h
}

// serveJSON publishes a JSON document at path (an absolute path on the host).
func (h *provHost) serveJSON(path string, doc any) {
	body, err := json.Marshal(doc)
	if err != nil {
		h.t.Fatal(err)
	}
	h.mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

// issuer publishes an issuer whose identifier is the host's URL followed by
// issuerPath (kept as given, trailing slash included), with its JWKS at
// jwksPath and, when discovery is set, its OpenID Connect discovery document
// where the verifier looks for it.
func (h *provHost) issuer(issuerPath, jwksPath string, discovery bool, keys ...provKey) *provIssuer {
	h.t.Helper()
	p := &provIssuer{host: h, url: h.base + issuerPath, jwksURL: h.base + jwksPath}
	var set []any
	for _, k := range keys {
		jwk, kid := h.jwk(k)
		k.kid = kid
		p.keys = append(p.keys, k)
		set = append(set, jwk)
	}
	h.serveJSON(jwksPath, map[string]any{"keys": set})
	if discovery {
		h.serveJSON(strings.TrimSuffix(issuerPath, "/")+"/.well-known/openid-configuration", map[string]any{
			"issuer":                                p.url,
			"jwks_uri":                              p.jwksURL,
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}
	return p
}

// jwk marshals one key with go-jose, then adds the members go-jose does not
// know about. It returns the JWK and its kid.
func (h *provHost) jwk(k provKey) (map[string]any, string) {
	h.t.Helper()
	pub := h.ks.PublicKey(k.signer)
	if pub == nil {
		h.t.Fatalf("no devissuer key %q", k.signer)
	}
	j := jose.JSONWebKey{Key: pub, KeyID: k.kid, Algorithm: k.alg, Use: k.use}
	if k.x5c {
		cert := h.certificate(pub)
		j.Certificates = []*x509.Certificate{cert}
		x5t := sha1.Sum(cert.Raw)
		j.CertificateThumbprintSHA1 = x5t[:]
		if k.x5tS256 {
			s := sha256.Sum256(cert.Raw)
			j.CertificateThumbprintSHA256 = s[:]
		}
		if j.KeyID == "" {
			j.KeyID = base64.RawURLEncoding.EncodeToString(x5t[:])
		}
	}
	if j.KeyID == "" {
		j.KeyID = k.signer
	}
	raw, err := j.MarshalJSON()
	if err != nil {
		h.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		h.t.Fatal(err)
	}
	for name, v := range k.extra {
		m[name] = v
	}
	return m, j.KeyID
}

// certificate makes an X.509 certificate for pub, issued by the test CA (the
// providers' own are self-signed; the verifier reads no chain, go-jose only
// checks that the certificate holds the JWK's key).
func (h *provHost) certificate(pub crypto.PublicKey) *x509.Certificate {
	h.t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		h.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "provider signing key"},
		NotBefore:    provNow.Add(-24 * time.Hour),
		NotAfter:     provNow.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	parent := &x509.Certificate{Subject: pkix.Name{CommonName: "providers test CA"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, h.ca)
	if err != nil {
		h.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		h.t.Fatal(err)
	}
	return cert
}

// sign signs claims with the issuer's key i. The header starts from the
// devissuer's {"alg", "kid", "typ": "at+jwt"}, with the published kid; header
// members override it (nil deletes one).
func (p *provIssuer) sign(i int, header, claims map[string]any) string {
	p.host.t.Helper()
	h := map[string]any{"kid": p.keys[i].kid}
	for name, v := range header {
		h[name] = v
	}
	tok, err := p.host.ks.SignWith(p.keys[i].signer, h, claims)
	if err != nil {
		p.host.t.Fatal(err)
	}
	return tok
}

// kid returns the published kid of key i.
func (p *provIssuer) kid(i int) string { return p.keys[i].kid }

// programConfig is the verifier.Config that cmd/resource-server builds from
// its settings (cmd/resource-server/run.go): ISSUER, SPA_CLIENT_ID, AUDIENCE
// (exactly one, never empty), JWKS_URL; requireAT, withAlgorithms and
// allowMissingAudience add REQUIRE_AT_JWT, ALGORITHMS and
// ALLOW_MISSING_AUDIENCE.
func programConfig(issuer, audience, spaClientID, jwksURL string) verifier.Config {
	return verifier.Config{Issuer: issuer, ClientID: spaClientID, Audiences: []string{audience}, JWKSURL: jwksURL}
}

// undoGraphNonce rewrites the header of an Entra token for Microsoft Graph
// as Microsoft signed it: the "nonce" it carries replaced by the base64url
// SHA-256 of that nonce (as found by users of such tokens). The signature
// then verifies; the token is still not meant for us.
func undoGraphNonce(t *testing.T, token string) string {
	t.Helper()
	parts := strings.SplitN(token, ".", 3)
	return rewriteHeader(t, parts, func(h map[string]any) {
		sum := sha256.Sum256([]byte(h["nonce"].(string)))
		h["nonce"] = base64.RawURLEncoding.EncodeToString(sum[:])
	})
}

// graphToken makes a token whose header carries nonce while the signature
// covers its hash, as Entra ID issues tokens for Microsoft Graph.
func graphToken(t *testing.T, p *provIssuer, header, claims map[string]any) string {
	t.Helper()
	nonce := base64.RawURLEncoding.EncodeToString([]byte("graph-nonce-graph-nonce-graph-nonce-graph-nonce-0123456789"))
	sum := sha256.Sum256([]byte(nonce))
	h := map[string]any{"nonce": base64.RawURLEncoding.EncodeToString(sum[:])}
	for name, v := range header {
		h[name] = v
	}
	signed := p.sign(0, h, claims)
	return rewriteHeader(t, strings.SplitN(signed, ".", 3), func(h map[string]any) { h["nonce"] = nonce })
}

func rewriteHeader(t *testing.T, parts []string, edit func(map[string]any)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	out, err := json.Marshal(h) // sorted members, as devissuer signs them
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(out) + "." + parts[1] + "." + parts[2]
}

// merge returns a copy of base with over applied (nil deletes).
func merge(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

type idCheck struct{ clientID, nonce string }

type providerCase struct {
	name    string
	program bool // cfg holds only what the program can set (programConfig)
	cfg     verifier.Config
	token   string
	id      *idCheck // verify as an ID token (VerifyIDToken) instead
	want    error    // nil: accepted
	wantMsg string   // part of the error text
	check   func(t *testing.T, tok *verifier.Token)
}

func TestProviderShapedTokens(t *testing.T) {
	// One key store for every provider: RSA keys for signing, another RSA
	// key for Keycloak's encryption entry and Authentik's JWE, an EC key.
	ks, err := devissuer.New(devissuer.Options{Issuer: "http://127.0.0.1/providers-key-store", Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return provNow }})
	if err != nil {
		t.Fatal(err)
	}
	rsaA := ks.CurrentKeyID()
	rsaB := mustAddKey(t, ks, "RS256")
	rsaEnc := mustAddKey(t, ks, "RS256")
	ecA := mustAddKey(t, ks, "ES256")
	ca, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	var cases []providerCase
	add := func(c ...providerCase) { cases = append(cases, c...) }

	// ---- Okta: custom authorization server and org authorization server ----
	//
	// The development issuer is shaped like an Okta custom authorization
	// server (/oauth2/default, JWKS at /v1/keys with kty/alg/kid/use/n/e).
	okta := devissuertest.Start(t, devissuer.Options{Now: func() time.Time { return provNow }})
	oktaOrg := strings.TrimSuffix(okta.URL, "/oauth2/default")
	oktaClaims := map[string]any{
		"ver": 1, "jti": "AT.b2tU8q0m9Xc7vYpQ1lD4rS5fG6hJ7kL8zX9cV0bN1mA",
		"iss": okta.URL, "aud": "api://default", "sub": "00u1a2b3c4d5e6f7g8h9",
		"iat": provIat, "exp": provExp, "auth_time": provIat - 60,
		"cid": "0oa1b2c3d4e5f6g7h8i9", "uid": "00u1a2b3c4d5e6f7g8h9",
		"scp": []string{"openid", "email", "messages:read"},
	}
	oktaNoTyp := map[string]any{"typ": nil} // Okta's access tokens: {"kid", "alg"} only
	add(
		providerCase{
			name: "okta/custom AS access token", program: true,
			cfg:   programConfig(okta.URL, "api://default", "0oa1b2c3d4e5f6g7h8i9", ""),
			token: sign(t, okta, oktaNoTyp, oktaClaims),
			check: func(t *testing.T, tok *verifier.Token) {
				wantScopes(t, tok, "openid", "email", "messages:read")
				if tok.ClientID() != "0oa1b2c3d4e5f6g7h8i9" {
					t.Errorf("ClientID() = %q", tok.ClientID())
				}
			},
		},
		providerCase{
			// The org server's tokens carry a "typ" of Okta's own, refused
			// before the issuer is compared or any key fetched ...
			name: "okta/org AS access token, verifier for the custom AS", program: true,
			cfg:   programConfig(okta.URL, "api://default", "", ""),
			token: sign(t, okta, map[string]any{"typ": "application/okta-internal-at+jwt"}, merge(oktaClaims, map[string]any{"iss": oktaOrg, "aud": oktaOrg})),
			want:  verifier.ErrUnsupportedHeader,
		},
		providerCase{
			// ... and without it (the shape users posted before Okta added
			// it) the issuer refuses them.
			name: "okta/org AS access token without typ, verifier for the custom AS", program: true,
			cfg:   programConfig(okta.URL, "api://default", "", ""),
			token: sign(t, okta, oktaNoTyp, merge(oktaClaims, map[string]any{"iss": oktaOrg, "aud": oktaOrg})),
			want:  verifier.ErrWrongIssuer,
		},
		providerCase{
			// Even set up for the org server itself (ISSUER and AUDIENCE the
			// org's URL), its tokens are refused by their "typ"; Okta says only
			// Okta should read them.
			name: "okta/org AS access token, verifier for the org AS", program: true,
			cfg:     programConfig(oktaOrg, oktaOrg, "", ""),
			token:   sign(t, okta, map[string]any{"typ": "application/okta-internal-at+jwt"}, merge(oktaClaims, map[string]any{"iss": oktaOrg, "aud": oktaOrg})),
			want:    verifier.ErrUnsupportedHeader,
			wantMsg: `claim "typ" is "application/okta-internal-at+jwt", expected "at+jwt" or "JWT"`,
		},
	)

	// ---- Auth0: issuer with a trailing slash, x5c/x5t in the JWKS ----
	auth0Host := startProvHost(t, ks, ca)
	auth0 := auth0Host.issuer("/", "/.well-known/jwks.json", true,
		provKey{signer: rsaA, kid: "QzE2RjA1NkM3RDNGMUQ0RjVBMEIxQjNDOTk2RUE0NTU1MjRCMTk4OA", alg: "RS256", use: "sig", x5c: true})
	const auth0API, auth0Client = "https://orders.example.com/api", "K1AUPhZq8mRi0Q0pjhkfu1D7y6KjDQja"
	auth0Claims := map[string]any{
		"iss": auth0.url, "sub": "auth0|6553da60a54af58e29493993",
		"aud": []string{auth0API, auth0.url + "userinfo"},
		"azp": auth0Client, "iat": provIat, "exp": provExp,
		"scope":       "openid profile read:orders",
		"permissions": []string{"read:orders"},
	}
	auth0Token := auth0.sign(0, map[string]any{"typ": "JWT"}, auth0Claims)
	rfc9068Claims := merge(auth0Claims, map[string]any{"azp": nil, "client_id": auth0Client, "jti": "73WakrfVbNJBaAmhQtEeDv"})
	add(
		providerCase{
			name: "auth0/Auth0 profile, aud [api, userinfo]", program: true,
			cfg:   programConfig(auth0.url, auth0API, "", ""),
			token: auth0Token,
			check: func(t *testing.T, tok *verifier.Token) { wantScopes(t, tok, "openid", "profile", "read:orders") },
		},
		providerCase{
			// The Auth0 profile names the client in "azp", which
			// SPA_CLIENT_ID (Config.ClientID) reads when neither "cid" nor
			// "client_id" is present.
			name: "auth0/Auth0 profile with SPA_CLIENT_ID", program: true,
			cfg:   programConfig(auth0.url, auth0API, auth0Client, ""),
			token: auth0Token,
			check: func(t *testing.T, tok *verifier.Token) {
				if tok.ClientID() != auth0Client {
					t.Errorf("ClientID() = %q, want azp %q", tok.ClientID(), auth0Client)
				}
			},
		},
		providerCase{
			name: "auth0/Auth0 profile, another client's SPA_CLIENT_ID", program: true,
			cfg:     programConfig(auth0.url, auth0API, "another-client", ""),
			token:   auth0Token,
			want:    verifier.ErrWrongClientID,
			wantMsg: `verifier: wrong client id: claim "azp" is "K1AUPhZq8mRi0Q0pjhkfu1D7y6KjDQja", expected "another-client"`,
		},
		providerCase{
			name:  "auth0/Auth0 profile, azp asserted",
			cfg:   withAssert(programConfig(auth0.url, auth0API, "", ""), map[string]any{"azp": auth0Client}),
			token: auth0Token,
		},
		providerCase{
			name: "auth0/RFC 9068 profile (at+jwt, client_id) with SPA_CLIENT_ID and REQUIRE_AT_JWT", program: true,
			cfg:   requireAT(programConfig(auth0.url, auth0API, auth0Client, "")),
			token: auth0.sign(0, map[string]any{"typ": "at+jwt"}, rfc9068Claims),
		},
		providerCase{
			name: "auth0/Auth0 profile under REQUIRE_AT_JWT", program: true,
			cfg:   requireAT(programConfig(auth0.url, auth0API, "", "")),
			token: auth0Token,
			want:  verifier.ErrUnsupportedHeader,
		},
		providerCase{
			// An Auth0 API may sign with HS256 instead of RS256.
			name: "auth0/API signing with HS256", program: true,
			cfg:   programConfig(auth0.url, auth0API, "", ""),
			token: auth0.sign(0, map[string]any{"typ": "JWT", "alg": "HS256", "kid": nil}, auth0Claims),
			want:  verifier.ErrAlgorithmNotAllowed,
		},
	)

	// ---- Keycloak: realm issuer, an RSA-OAEP encryption key beside the
	// signing key, aud "account" unless an audience is mapped ----
	kcHost := startProvHost(t, ks, ca)
	kc := kcHost.issuer("/realms/shop", "/realms/shop/protocol/openid-connect/certs", true,
		provKey{signer: rsaA, kid: "uYj0e2U4Jd6Ss3pW9vJ3q1YfX0vB2nA8kQ7tZ5rM4cE", alg: "RS256", use: "sig", x5c: true, x5tS256: true},
		provKey{signer: rsaEnc, kid: "Hb2mEP6nGktqHJOnarnadxRaOtzArOecAJlNSmqU0xY", alg: "RSA-OAEP", use: "enc", x5c: true, x5tS256: true})
	kcClaims := map[string]any{
		"exp": provExp, "iat": provIat, "auth_time": provIat,
		"jti": "onrtac:5d6f1f0e-9a55-4b7e-8d0b-1f2a3b4c5d6e",
		"iss": kc.url, "aud": "account", "sub": "36fa0f91-f94d-4a0c-afed-6b7d952e47da",
		"typ": "Bearer", "azp": "shop-frontend", "sid": "2a88c258-f73a-4103-b862-e1fbd8f4e04e",
		"acr": "1", "allowed-origins": []string{"https://shop.example.com"},
		"realm_access":    map[string]any{"roles": []string{"offline_access", "uma_authorization"}},
		"resource_access": map[string]any{"account": map[string]any{"roles": []string{"manage-account", "view-profile"}}},
		"scope":           "openid email profile", "email_verified": true, "preferred_username": "jane",
	}
	kcMapped := merge(kcClaims, map[string]any{"aud": []string{"orders-api", "account"}})
	add(
		providerCase{
			// The realm's default: "account" is the only audience.
			name: "keycloak/default aud \"account\"", program: true,
			cfg:     programConfig(kc.url, "orders-api", "", ""),
			token:   kc.sign(0, map[string]any{"typ": "JWT"}, kcClaims),
			want:    verifier.ErrWrongAudience,
			wantMsg: `claim "aud" is "account", expected "orders-api"`,
		},
		providerCase{
			// No client roles, no audience mapper: Keycloak leaves aud out.
			name: "keycloak/no aud at all", program: true,
			cfg:   programConfig(kc.url, "orders-api", "", ""),
			token: kc.sign(0, map[string]any{"typ": "JWT"}, merge(kcClaims, map[string]any{"aud": nil})),
			want:  verifier.ErrMissingClaim,
		},
		providerCase{
			// With an Audience mapper; the encryption key in the JWKS is
			// skipped (use "enc"), the signing key verifies.
			name: "keycloak/audience mapper adds orders-api", program: true,
			cfg:   programConfig(kc.url, "orders-api", "", ""),
			token: kc.sign(0, map[string]any{"typ": "JWT"}, kcMapped),
			check: func(t *testing.T, tok *verifier.Token) { wantScopes(t, tok, "openid", "email", "profile") },
		},
		providerCase{
			// The client is in "azp", which SPA_CLIENT_ID reads.
			name: "keycloak/with SPA_CLIENT_ID", program: true,
			cfg:   programConfig(kc.url, "orders-api", "shop-frontend", ""),
			token: kc.sign(0, map[string]any{"typ": "JWT"}, kcMapped),
		},
		providerCase{
			name: "keycloak/with another client's SPA_CLIENT_ID", program: true,
			cfg:   programConfig(kc.url, "orders-api", "admin-console", ""),
			token: kc.sign(0, map[string]any{"typ": "JWT"}, kcMapped),
			want:  verifier.ErrWrongClientID,
		},
		providerCase{
			name: "keycloak/token naming the encryption key", program: true,
			cfg:   programConfig(kc.url, "orders-api", "", ""),
			token: kc.sign(0, map[string]any{"typ": "JWT", "kid": kc.kid(1)}, kcMapped),
			want:  verifier.ErrUnknownKey,
		},
	)

	// ---- Microsoft Entra ID: v1 and v2 access tokens for a custom API ----
	const tid = "5b1a9e8f-3c2d-4e6f-8a7b-9c0d1e2f3a4b"
	const apiClientID, apiAppIDURI = "6e74172b-be56-4843-9ff4-e66a39bb12e3", "api://6e74172b-be56-4843-9ff4-e66a39bb12e3"
	entraHost := startProvHost(t, ks, ca)
	// v2: the issuer's discovery names the v2 key set, whose keys carry no
	// "alg", an x5t equal to the kid, x5c, and the issuer they sign for.
	entraV2 := entraHost.issuer("/"+tid+"/v2.0", "/"+tid+"/discovery/v2.0/keys", true,
		provKey{signer: rsaA, use: "sig", x5c: true, extra: map[string]any{"issuer": entraHost.base + "/" + tid + "/v2.0"}})
	// v1: iss is "https://sts.windows.net/{tid}/" while Microsoft serves the
	// v1 metadata from login.microsoftonline.com/{tid}/: another host, so
	// the keys are configured with JWKS_URL, and no discovery is served here.
	entraV1 := entraHost.issuer("/"+tid+"/", "/"+tid+"/discovery/keys", false,
		provKey{signer: rsaA, use: "sig", x5c: true})
	entraV2Claims := map[string]any{
		"aud": apiClientID, "iss": entraV2.url, "iat": provIat, "nbf": provIat, "exp": provExp,
		"aio": "AXQAi/8IAAAAtAaZLo3ChMif6KOnttRB7eBq4/DccQzjcJGxPYy/C3jDaNGxXd6wNIIVGRghNRnwJ1lOcAnNZcjvkoyrFxCttv33140RioOFJ4bCCGVuoCag1uOTT22222gHwLPYQ/uf79QX+0KIijdrmp69RctzmQ==",
		"azp": "75dbe77f-10a3-4e59-85fd-8c127544f17c", "azpacr": "0", "name": "Abe Lincoln",
		"oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": "abeli@contoso.example",
		"rh": "I", "scp": "access_as_user", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
		"tid": tid, "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0",
	}
	entraV1Claims := map[string]any{
		"aud": apiAppIDURI, "iss": entraV1.url, "iat": provIat, "nbf": provIat, "exp": provExp,
		"acr": "1", "aio": "AXQAi/8IAAAAFm+E/QTG+gFnVxLjWdw8K+61AGrSOuMMF6ebaMj7XO3IbmD3fGmrOyD+NvZyGn2VaT/kDKXw4MIhrgGVq6Bn8wLXoT1LkIZ+FzQVkJPPLQOV4KcXqSlCVPDS/DiCDgE222TImMvWNaEMaUOTsIGvTQ==",
		"amr": []string{"pwd"}, "appid": "75dbe77f-10a3-4e59-85fd-8c127544f17c", "appidacr": "0",
		"family_name": "Lincoln", "given_name": "Abe", "ipaddr": "203.0.113.22", "name": "abeli",
		"oid": "02223b6b-aa1d-42d4-9ec0-1b2bb9194438", "rh": "I", "scp": "user_impersonation",
		"sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA", "tid": tid,
		"unique_name": "abeli@contoso.example", "upn": "abeli@contoso.example",
		"uti": "FVsGxYXI30-TuikuuUoFAA", "ver": "1.0",
	}
	entraV1Header := map[string]any{"typ": "JWT", "x5t": entraV1.kid(0)}
	graphClaims := merge(entraV1Claims, map[string]any{"aud": "https://graph.microsoft.com", "scp": "User.Read"})
	graph := graphToken(t, entraV1, entraV1Header, graphClaims)
	add(
		providerCase{
			name: "entra/v2 access token", program: true,
			cfg:   programConfig(entraV2.url, apiClientID, "", ""),
			token: entraV2.sign(0, map[string]any{"typ": "JWT"}, entraV2Claims),
			check: func(t *testing.T, tok *verifier.Token) { wantScopes(t, tok, "access_as_user") },
		},
		providerCase{
			// Entra's "scp" is one space-separated string: read as a list,
			// so that HasScope and bearer.RequireScopes find each scope.
			name: "entra/v2 access token, two scopes in scp", program: true,
			cfg:   programConfig(entraV2.url, apiClientID, "", ""),
			token: entraV2.sign(0, map[string]any{"typ": "JWT"}, merge(entraV2Claims, map[string]any{"scp": "Orders.Read Orders.Write"})),
			check: func(t *testing.T, tok *verifier.Token) {
				wantScopes(t, tok, "Orders.Read", "Orders.Write")
				if !tok.HasScope("Orders.Read") || tok.HasScope("Orders.Read Orders.Write") {
					t.Errorf("HasScope reads scp %q as one scope", "Orders.Read Orders.Write")
				}
			},
		},
		providerCase{
			// App-only token (client credentials): permissions in "roles",
			// no "scp"; roles are checked with AssertClaims (library only).
			name:  "entra/v2 app-only token, roles asserted",
			cfg:   withAssert(programConfig(entraV2.url, apiClientID, "", ""), map[string]any{"roles.includes": "Orders.Read.All"}),
			token: entraV2.sign(0, map[string]any{"typ": "JWT"}, merge(entraV2Claims, map[string]any{"scp": nil, "name": nil, "preferred_username": nil, "roles": []string{"Orders.Read.All"}, "idtyp": "app"})),
			check: func(t *testing.T, tok *verifier.Token) { wantScopes(t, tok) },
		},
		providerCase{
			// The client is in "azp" (v2), which SPA_CLIENT_ID reads.
			name: "entra/v2 access token with SPA_CLIENT_ID", program: true,
			cfg:   programConfig(entraV2.url, apiClientID, "75dbe77f-10a3-4e59-85fd-8c127544f17c", ""),
			token: entraV2.sign(0, map[string]any{"typ": "JWT"}, entraV2Claims),
		},
		providerCase{
			name: "entra/v2 access token with another client's SPA_CLIENT_ID", program: true,
			cfg:   programConfig(entraV2.url, apiClientID, "00000000-0000-0000-0000-000000000000", ""),
			token: entraV2.sign(0, map[string]any{"typ": "JWT"}, entraV2Claims),
			want:  verifier.ErrWrongClientID,
		},
		providerCase{
			name: "entra/v1 access token (x5t and kid, sts-style issuer)", program: true,
			cfg:   programConfig(entraV1.url, apiAppIDURI, "", entraV1.jwksURL),
			token: entraV1.sign(0, entraV1Header, entraV1Claims),
			check: func(t *testing.T, tok *verifier.Token) { wantScopes(t, tok, "user_impersonation") },
		},
		providerCase{
			// The API's manifest decides the version (accessTokenAcceptedVersion),
			// not the endpoint the client used: ISSUER must match it.
			name: "entra/v1 access token, verifier for the v2 issuer", program: true,
			cfg:   programConfig(entraV2.url, apiAppIDURI, "", ""),
			token: entraV1.sign(0, entraV1Header, entraV1Claims),
			want:  verifier.ErrWrongIssuer,
		},
		providerCase{
			// A token for Microsoft Graph: its header's "nonce" is not the one
			// Microsoft signed, so the signature fails (Graph tokens are for
			// Graph alone; Microsoft says third parties cannot validate them).
			name: "entra/Microsoft Graph token (nonce header)", program: true,
			cfg:   programConfig(entraV1.url, apiAppIDURI, "", entraV1.jwksURL),
			token: graph,
			want:  verifier.ErrInvalidSignature,
		},
		providerCase{
			// With the nonce put back as signed, the signature holds and the
			// audience refuses it: Graph's, not ours.
			name: "entra/Microsoft Graph token, nonce undone", program: true,
			cfg:     programConfig(entraV1.url, apiAppIDURI, "", entraV1.jwksURL),
			token:   undoGraphNonce(t, graph),
			want:    verifier.ErrWrongAudience,
			wantMsg: `claim "aud" is "https://graph.microsoft.com", expected "api://6e74172b-be56-4843-9ff4-e66a39bb12e3"`,
		},
	)

	// ---- AWS Cognito: access tokens without aud; ID tokens ----
	const pool, appClient = "/us-east-1_Ab12Cd34E", "57cbishk4j24pabc1234567890"
	cgHost := startProvHost(t, ks, ca)
	cg := cgHost.issuer(pool, pool+"/.well-known/jwks.json", true,
		provKey{signer: rsaA, kid: "abcdEXAMPLEx0bUaTOoQ2lDYr0jf7UrUhd1lqOjgGfkWA=", alg: "RS256", use: "sig"},
		provKey{signer: rsaB, kid: "wxyzEXAMPLEZrTNo8S0H94JmvFUW1LRzCrFnW0d3DZHts=", alg: "RS256", use: "sig"})
	cgAccess := cg.sign(1, map[string]any{"typ": nil}, map[string]any{
		"sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "device_key": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"cognito:groups": []string{"admin"}, "token_use": "access",
		"scope": "aws.cognito.signin.user.admin", "auth_time": provIat, "iss": cg.url,
		"exp": provExp, "iat": provIat, "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "client_id": appClient, "username": "janedoe",
	})
	cgID := cg.sign(0, map[string]any{"typ": nil}, map[string]any{
		"sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "aud": appClient, "email_verified": true,
		"token_use": "id", "auth_time": provIat, "iss": cg.url, "cognito:username": "janedoe",
		"exp": provExp, "given_name": "Jane", "iat": provIat, "email": "janedoe@example.com",
		"jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
	})
	add(
		providerCase{
			// A Cognito access token has no "aud" (the app client is in
			// "client_id"): refused while an audience is required ...
			name: "cognito/access token, AUDIENCE = app client id", program: true,
			cfg:     programConfig(cg.url, appClient, appClient, ""),
			token:   cgAccess,
			want:    verifier.ErrMissingClaim,
			wantMsg: `verifier: missing claim: claim "aud" is absent, expected "57cbishk4j24pabc1234567890"`,
		},
		providerCase{
			// ... accepted with ALLOW_MISSING_AUDIENCE, its client_id
			// checked against SPA_CLIENT_ID (the program's default AUDIENCE
			// stays: a token that has an aud must still hold it) ...
			name: "cognito/access token, ALLOW_MISSING_AUDIENCE and SPA_CLIENT_ID", program: true,
			cfg:   allowMissingAudience(programConfig(cg.url, "api://default", appClient, "")),
			token: cgAccess,
			check: func(t *testing.T, tok *verifier.Token) {
				if tok.ClientID() != appClient || tok.Subject() != "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
					t.Errorf("ClientID %q, Subject %q", tok.ClientID(), tok.Subject())
				}
			},
		},
		providerCase{
			// ... and refused for another app client of the same pool.
			name: "cognito/access token of another app client, ALLOW_MISSING_AUDIENCE", program: true,
			cfg:     allowMissingAudience(programConfig(cg.url, "api://default", "another-app-client", "")),
			token:   cgAccess,
			want:    verifier.ErrWrongClientID,
			wantMsg: `claim "client_id" is "57cbishk4j24pabc1234567890", expected "another-app-client"`,
		},
		providerCase{
			// The ID token has an aud (the app client), which is not AUDIENCE.
			name: "cognito/ID token as access token, ALLOW_MISSING_AUDIENCE", program: true,
			cfg:   allowMissingAudience(programConfig(cg.url, "api://default", appClient, "")),
			token: cgID,
			want:  verifier.ErrWrongAudience,
		},
		providerCase{
			name:  "cognito/ID token",
			cfg:   verifier.Config{Issuer: cg.url, Audiences: []string{appClient}},
			token: cgID,
			id:    &idCheck{clientID: appClient},
		},
		providerCase{
			// The ID token's aud is the app client id, so with that as
			// AUDIENCE only its "token_use" tells it from an access token,
			// and the verifier reads it.
			name: "cognito/ID token presented as an access token", program: true,
			cfg:     programConfig(cg.url, appClient, "", ""),
			token:   cgID,
			want:    verifier.ErrInvalidClaim,
			wantMsg: `claim "token_use" is "id", expected "access"`,
		},
		providerCase{
			// REQUIRE_AT_JWT refuses it too (no "typ"); it would refuse
			// Cognito's access tokens for the same reason.
			name: "cognito/ID token as access token under REQUIRE_AT_JWT", program: true,
			cfg:   requireAT(programConfig(cg.url, appClient, "", "")),
			token: cgID,
			want:  verifier.ErrUnsupportedHeader,
		},
	)

	// ---- Google: ID tokens only (access tokens are opaque) ----
	ggHost := startProvHost(t, ks, ca)
	gg := ggHost.issuer("", "/oauth2/v3/certs", true,
		provKey{signer: rsaA, kid: "08d3245c62f86b6362afcbbffe1d069826dd1dc1", alg: "RS256", use: "sig"},
		provKey{signer: rsaB, kid: "5aaff47c21d06e266cce395b2145c7c6d4730ea5", alg: "RS256", use: "sig"})
	const ggClient = "9150833677096-k5q3gi0hbd1bq6vq1qv7m0ag0dgsbm3p.apps.googleusercontent.com"
	ggClaims := map[string]any{
		"iss": gg.url, "azp": ggClient, "aud": ggClient, "sub": "10769150350006150715113082367",
		"at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q", "hd": "example.com", "email": "jsmith@example.com",
		"email_verified": true, "iat": provIat, "exp": provExp, "nonce": "0394852-3190485-2490358",
	}
	ggID := gg.sign(0, map[string]any{"typ": "JWT"}, ggClaims)
	add(
		providerCase{
			name:  "google/ID token",
			cfg:   verifier.Config{Issuer: gg.url, Audiences: []string{ggClient}},
			token: ggID,
			id:    &idCheck{clientID: ggClient, nonce: "0394852-3190485-2490358"},
		},
		providerCase{
			// Sent to the program as a bearer token, with the OAuth client id
			// as AUDIENCE (Google issues no JWT access tokens).
			name: "google/ID token as bearer, AUDIENCE = client id", program: true,
			cfg:   programConfig(gg.url, ggClient, "", ""),
			token: ggID,
		},
		providerCase{
			// FINDING: Google documents "accounts.google.com" (no scheme) as
			// a valid iss beside "https://accounts.google.com". ISSUER must be
			// an https URL and is compared exactly, so such tokens are refused
			// whatever the configuration (see TestProviderIssuerForms).
			name: "google/ID token with iss \"accounts.google.com\"",
			cfg:  verifier.Config{Issuer: gg.url, Audiences: []string{ggClient}},
			token: gg.sign(0, map[string]any{"typ": "JWT"},
				merge(ggClaims, map[string]any{"iss": strings.TrimPrefix(gg.url, "http://")})),
			id:   &idCheck{clientID: ggClient},
			want: verifier.ErrWrongIssuer,
		},
		providerCase{
			name: "google/opaque access token", program: true,
			cfg:   programConfig(gg.url, ggClient, "", ""),
			token: "ya29.a0AfB_byC1kQ3vX9mZ2pL8rT6wN4sJ7hG5dF3aS1qW0eR2tY4uI6oP8lK0jH2gF4dS6aZ8xC0vB2nM4",
			want:  verifier.ErrMalformed,
		},
	)

	// ---- Ory Hydra v2 (shapes observed from Hydra v2.3.0 on loopback):
	// issuer with a trailing slash, aud always an array, scp an array ----
	hyHost := startProvHost(t, ks, ca)
	hy := hyHost.issuer("/", "/.well-known/jwks.json", true,
		provKey{signer: rsaB, kid: "a5f7ed57-621d-4603-b05a-877b3c57d95e", alg: "RS256", use: "sig"},
		provKey{signer: rsaA, kid: "46767a45-1572-443c-879e-d963899f9c32", alg: "RS256", use: "sig"})
	const hyClient = "e63d5ed2-229b-4703-976f-845a5cd2e24a"
	hyClaims := map[string]any{
		"aud": []string{"api://default"}, "client_id": hyClient, "exp": provExp, "ext": map[string]any{},
		"iat": provIat, "iss": hy.url, "jti": "dcba264b-b6a6-4789-b43c-44b13e34fd44",
		"nbf": provIat, "scp": []string{"api:read"}, "sub": hyClient,
	}
	add(
		providerCase{
			name: "hydra/JWT access token", program: true,
			cfg:   programConfig(hy.url, "api://default", hyClient, ""),
			token: hy.sign(1, map[string]any{"typ": "JWT"}, hyClaims),
			check: func(t *testing.T, tok *verifier.Token) { wantScopes(t, tok, "api:read") },
		},
		providerCase{
			// No audience requested: Hydra sends "aud": [].
			name: "hydra/JWT access token with aud []", program: true,
			cfg:     programConfig(hy.url, "api://default", "", ""),
			token:   hy.sign(1, map[string]any{"typ": "JWT"}, merge(hyClaims, map[string]any{"aud": []string{}})),
			want:    verifier.ErrWrongAudience,
			wantMsg: `claim "aud" is [] (an empty array), expected "api://default"`,
		},
		providerCase{
			// An empty array is an audience of no API, not a missing one.
			name: "hydra/JWT access token with aud [] under ALLOW_MISSING_AUDIENCE", program: true,
			cfg:   allowMissingAudience(programConfig(hy.url, "api://default", hyClient, "")),
			token: hy.sign(1, map[string]any{"typ": "JWT"}, merge(hyClaims, map[string]any{"aud": []string{}})),
			want:  verifier.ErrWrongAudience,
		},
		providerCase{
			// Hydra's default access-token strategy is opaque.
			name: "hydra/opaque access token (default strategy)", program: true,
			cfg:   programConfig(hy.url, "api://default", "", ""),
			token: "ory_at_GqyBZq7l2uJ8f3kPzX0vN5mR9tW1cY4aH6sD8eF0gI2.Kx3bM5nQ7pR9tV1wY3zA5cE7gI9kM1oQ3sU5wY7aC9e",
			want:  verifier.ErrMalformed,
		},
	)

	// ---- ZITADEL: JWT access tokens (when the app asks for them) with
	// aud = project and client ids, the client in azp ----
	ztHost := startProvHost(t, ks, ca)
	zt := ztHost.issuer("", "/oauth/v2/keys", true,
		provKey{signer: rsaA, kid: "271828182845904523", alg: "RS256", use: "sig"})
	const ztProject, ztClient = "69234237810729019", "69234237810729234"
	add(providerCase{
		name: "zitadel/JWT access token, AUDIENCE = project id", program: true,
		cfg: programConfig(zt.url, ztProject, "", ""),
		token: zt.sign(0, map[string]any{"typ": nil}, map[string]any{
			"aud": []string{ztProject, ztClient}, "azp": ztClient, "iss": zt.url,
			"sub": "77776025198584418", "exp": provExp, "iat": provIat, "nbf": provIat,
			"jti":                               "69234237813329048",
			"urn:zitadel:iam:org:project:roles": map[string]any{"user": map[string]any{"69234237810727000": "acme.example"}},
		}),
	})

	// ---- authentik: per-application issuer with a trailing slash; the
	// access token is the ID token's claims plus azp and uid; RS256 with an
	// RSA key, ES256 with an EC key, HS256 (client secret) with none ----
	akHost := startProvHost(t, ks, ca)
	akRSA := akHost.issuer("/application/o/orders/", "/application/o/orders/jwks/", true,
		provKey{signer: rsaA, kid: "e7a1c0b4d2f34c5e9a8b7c6d5e4f3a2b", alg: "RS256", use: "sig"})
	akEC := akHost.issuer("/application/o/reports/", "/application/o/reports/jwks/", true,
		provKey{signer: ecA, kid: "0f9e8d7c6b5a49382716a5b4c3d2e1f0", alg: "ES256", use: "sig"})
	const akClient = "c9Vq1mZx7Lr3Tn8Bw2Yk5Hs0Dp6Gf4Ja"
	akClaims := func(iss string) map[string]any {
		return map[string]any{
			"iss": iss, "sub": "3f2c1b0a9e8d7c6b5a4938271605f4e3d2c1b0a9e8d7c6b5a4938271605f4e3d",
			"aud": akClient, "exp": provExp, "iat": provIat, "auth_time": provIat,
			"acr": "goauthentik.io/providers/oauth2/default", "amr": []string{"pwd"},
			"sid":   "b7e2f0c94f5a4d1e8c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d",
			"email": "jane@example.com", "email_verified": false, "preferred_username": "jane",
			"groups": []string{"orders-readers"}, "azp": akClient, "uid": "Zq3xW8mN1vB6cT9rY2uL5kJ0hG4fD7sA",
		}
	}
	akSigned := akRSA.sign(0, map[string]any{"typ": "JWT"}, akClaims(akRSA.url))
	akJWE := encryptJWE(t, ks.PublicKey(rsaEnc), akSigned)
	add(
		providerCase{
			name: "authentik/RS256 access token, AUDIENCE = client id", program: true,
			cfg:   programConfig(akRSA.url, akClient, "", ""),
			token: akSigned,
		},
		providerCase{
			// RS256 only by default: an EC signing key needs ALGORITHMS.
			name: "authentik/ES256 access token (EC signing key)", program: true,
			cfg:     programConfig(akEC.url, akClient, "", ""),
			token:   akEC.sign(0, map[string]any{"typ": "JWT"}, akClaims(akEC.url)),
			want:    verifier.ErrAlgorithmNotAllowed,
			wantMsg: `claim "alg" is "ES256", expected one of RS256`,
		},
		providerCase{
			name: "authentik/ES256 access token, ALGORITHMS ES256", program: true,
			cfg:   withAlgorithms(programConfig(akEC.url, akClient, "", ""), "ES256"),
			token: akEC.sign(0, map[string]any{"typ": "JWT"}, akClaims(akEC.url)),
		},
		providerCase{
			// No signing key selected: HS256 keyed with the client secret.
			name: "authentik/HS256 access token (no signing key)", program: true,
			cfg:   programConfig(akRSA.url, akClient, "", ""),
			token: akRSA.sign(0, map[string]any{"typ": "JWT", "alg": "HS256", "kid": nil}, akClaims(akRSA.url)),
			want:  verifier.ErrAlgorithmNotAllowed,
		},
		providerCase{
			// An encryption key selected: the token is a JWE.
			name: "authentik/encrypted access token (JWE)", program: true,
			cfg:     programConfig(akRSA.url, akClient, "", ""),
			token:   akJWE,
			want:    verifier.ErrMalformed,
			wantMsg: "encrypted token (JWE)",
		},
	)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.program {
				checkProgramShape(t, tc.cfg)
			}
			cfg := tc.cfg
			cfg.InsecureAllowHTTP = true
			cfg.Logger = slog.New(slog.DiscardHandler)
			cfg.Now = func() time.Time { return provNow }
			v, err := verifier.New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			var tok *verifier.Token
			if tc.id != nil {
				tok, err = v.VerifyIDToken(context.Background(), tc.token, tc.id.clientID, tc.id.nonce)
			} else {
				tok, err = v.VerifyAccessToken(context.Background(), tc.token)
			}
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want an error matching %v", err, tc.want)
			case tc.want != nil && !strings.Contains(err.Error(), tc.wantMsg):
				t.Fatalf("error %q does not contain %q", err, tc.wantMsg)
			}
			if tc.check != nil && tok != nil {
				tc.check(t, tok)
			}
		})
	}
}

// TestProviderIssuerForms covers issuer identifiers that no configuration
// can hold.
func TestProviderIssuerForms(t *testing.T) {
	// FINDING: Google's ID tokens may carry iss "accounts.google.com", not a
	// URL; Issuer (ISSUER) must be an absolute URL, so no verifier can be
	// built for that form.
	_, err := verifier.New(verifier.Config{Issuer: "accounts.google.com", Logger: slog.New(slog.DiscardHandler)})
	var ce *verifier.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Issuer" {
		t.Errorf(`New(Issuer "accounts.google.com") = %v, want a ConfigError on Issuer`, err)
	}
	// Entra's multi-tenant issuer is a template: it has no discovery
	// document, so New refuses it without the JWKSURL its tenants share
	// (set_test.go covers templates that can work).
	_, err = verifier.New(verifier.Config{Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0", Logger: slog.New(slog.DiscardHandler)})
	if !errors.As(err, &ce) || ce.Field != "JWKSURL" {
		t.Errorf("New(templated Entra issuer without JWKSURL) = %v, want a ConfigError on JWKSURL", err)
	}
}

func mustAddKey(t *testing.T, ks *devissuer.Issuer, alg string) string {
	t.Helper()
	kid, err := ks.AddKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

// encryptJWE wraps a signed token in a compact JWE as authentik does with an
// encryption key (RSA-OAEP-256, A256CBC-HS512), with go-jose.
func encryptJWE(t *testing.T, pub crypto.PublicKey, signed string) string {
	t.Helper()
	enc, err := jose.NewEncrypter(jose.A256CBC_HS512,
		jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: pub, KeyID: "authentik-encryption"},
		(&jose.EncrypterOptions{}).WithType("JWE"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt([]byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func withAssert(c verifier.Config, assert map[string]any) verifier.Config {
	c.AssertClaims = assert
	return c
}

func withAlgorithms(c verifier.Config, algs ...string) verifier.Config {
	c.Algorithms = algs
	return c
}

// requireAT sets what REQUIRE_AT_JWT sets.
func allowMissingAudience(c verifier.Config) verifier.Config {
	c.AllowMissingAudience = true
	return c
}

func requireAT(c verifier.Config) verifier.Config {
	c.RequireAccessTokenType = true
	return c
}

// checkProgramShape fails a case marked "program" whose configuration uses
// anything cmd/resource-server cannot set.
func checkProgramShape(t *testing.T, c verifier.Config) {
	t.Helper()
	if len(c.Audiences) != 1 || c.Audiences[0] == "" || c.AssertClaims != nil {
		t.Fatalf("case marked program uses a setting the program lacks: %+v", c)
	}
}

func wantScopes(t *testing.T, tok *verifier.Token, want ...string) {
	t.Helper()
	if got := tok.Scopes(); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("Scopes() = %q, want %q", got, want)
	}
}
