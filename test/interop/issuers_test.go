package interop

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ---- panva's oidc-provider (npm), launched by oidc-provider.mjs ----

const (
	opClientID     = "interop-client"
	opClientSecret = "interop-secret"
)

// oidcProvider is oidc-provider.mjs on a fixed port, so that it can be
// restarted with other keys while our resource server keeps running.
type oidcProvider struct {
	node   string
	port   int
	issuer string
	proc   *proc
}

// startOIDCProvider starts the provider on port (0: a free one) with keys,
// of which the first signs and all are published.
func startOIDCProvider(t *testing.T, node string, port int, keys ...*rsaKey) *oidcProvider {
	t.Helper()
	start := time.Now()
	jwks := map[string]any{"keys": privateJWKs(keys)}
	b, _ := json.Marshal(jwks)
	keysFile := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(keysFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "oidc-provider", interopDir(t), []string{
		"PORT=" + strconv.Itoa(port),
		"JWKS_FILE=" + keysFile,
		"CLIENT_ID=" + opClientID,
		"CLIENT_SECRET=" + opClientSecret,
	}, node, "oidc-provider.mjs")
	got := p.waitReady(t)
	if port != 0 && got != port {
		t.Fatalf("oidc-provider listens on %d, asked for %d", got, port)
	}
	op := &oidcProvider{node: node, port: got, proc: p, issuer: fmt.Sprintf("http://127.0.0.1:%d/oauth2/default", got)}
	p.waitHTTP(t, op.issuer+"/.well-known/openid-configuration")
	timings.add(t, "oidc-provider start until discovery answers", time.Since(start))
	return op
}

// token gets an access token for resource (the token's "aud").
func (op *oidcProvider) token(t *testing.T, resource string) string {
	t.Helper()
	form := map[string][]string{"scope": {"api:read"}}
	if resource != "" {
		form["resource"] = []string{resource}
	}
	return clientCredentials(t, op.issuer+"/v1/token", opClientID, opClientSecret, form)
}

// ---- Ory Hydra v2.3.0, built from hydra/ ----

// hydraKeysTimeout bounds Hydra's generation of its two 4096-bit RSA keys.
const hydraKeysTimeout = 90 * time.Second

// hydra is Hydra with an in-memory database on fixed ports: a restart on the
// same ports is a new server with new keys and no clients.
type hydra struct {
	bin                    string
	publicPort, adminPort  int
	issuer                 string
	proc                   *proc
	clientID, clientSecret string
}

func startHydra(t *testing.T, bin string, publicPort, adminPort int) *hydra {
	t.Helper()
	start := time.Now()
	// The issuer ends with a slash, as in Hydra's own tutorials: tokens then
	// carry it in "iss", and discovery must not become "//.well-known/…".
	h := &hydra{bin: bin, publicPort: publicPort, adminPort: adminPort, issuer: fmt.Sprintf("http://127.0.0.1:%d/", publicPort)}
	h.proc = startProc(t, "hydra", t.TempDir(), []string{
		"DSN=memory",
		"URLS_SELF_ISSUER=" + h.issuer,
		"SERVE_PUBLIC_HOST=127.0.0.1",
		"SERVE_PUBLIC_PORT=" + strconv.Itoa(publicPort),
		"SERVE_ADMIN_HOST=127.0.0.1",
		"SERVE_ADMIN_PORT=" + strconv.Itoa(adminPort),
		"STRATEGIES_ACCESS_TOKEN=jwt",
		"SECRETS_SYSTEM=interop-only-system-secret-0123456789",
		"LOG_LEVEL=warn",
		"SQA_OPT_OUT=true",
	}, bin, "serve", "all", "--dev", "--sqa-opt-out")
	h.proc.waitHTTP(t, h.base()+"/health/ready")
	h.proc.waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/health/ready", adminPort))
	// Hydra creates its key pairs (RSA 4096) as it starts: a second or two on
	// an idle machine, much longer on a loaded one, and the key set answers
	// only once they exist. Wait for it here, in one patient request (a
	// request abandoned mid-way can restart the generation), so that the
	// timings of our server measure our server.
	h.proc.waitHTTPFor(t, h.base()+"/.well-known/jwks.json", hydraKeysTimeout, hydraKeysTimeout)
	h.createClient(t)
	timings.add(t, "hydra start until ready (keys made), client created", time.Since(start))
	return h
}

// base is the public URL without the issuer's trailing slash.
func (h *hydra) base() string { return fmt.Sprintf("http://127.0.0.1:%d", h.publicPort) }

// createClient registers a client_credentials client allowed the audiences
// api://default and api://other, through the admin API.
func (h *hydra) createClient(t *testing.T) {
	t.Helper()
	body := `{"client_name":"interop","grant_types":["client_credentials"],"audience":["api://default","api://other"],"scope":"api:read","token_endpoint_auth_method":"client_secret_basic"}`
	resp, err := httpClient.Post(fmt.Sprintf("http://127.0.0.1:%d/admin/clients", h.adminPort), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("hydra: creating client: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &c) != nil || c.ID == "" {
		t.Fatalf("hydra: creating client: %d %s", resp.StatusCode, b)
	}
	h.clientID, h.clientSecret = c.ID, c.Secret
}

// token gets an access token for audience (Hydra's "audience" parameter).
func (h *hydra) token(t *testing.T, audience string) string {
	t.Helper()
	form := map[string][]string{"scope": {"api:read"}}
	if audience != "" {
		form["audience"] = []string{audience}
	}
	return clientCredentials(t, h.base()+"/oauth2/token", h.clientID, h.clientSecret, form)
}

// ---- RSA keys as JWKs ----

type rsaKey struct {
	kid   string
	key   *rsa.PrivateKey
	noAlg bool // publish the JWK without "alg", as Entra ID does
	enc   bool // an encryption key (use enc, RSA-OAEP), as Keycloak publishes beside its signing key
}

func newRSAKey(t *testing.T, kid string) *rsaKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k.Precompute()
	return &rsaKey{kid: kid, key: k}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64int(i *big.Int) string { return b64(i.Bytes()) }

func (k *rsaKey) publicJWK() map[string]any {
	j := map[string]any{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid,
		"n": b64int(k.key.N), "e": b64int(big.NewInt(int64(k.key.E))),
	}
	if k.noAlg {
		delete(j, "alg")
	}
	if k.enc {
		j["use"], j["alg"] = "enc", "RSA-OAEP"
	}
	return j
}

func privateJWKs(keys []*rsaKey) []map[string]any {
	var out []map[string]any
	for _, k := range keys {
		j := k.publicJWK()
		j["d"] = b64int(k.key.D)
		j["p"] = b64int(k.key.Primes[0])
		j["q"] = b64int(k.key.Primes[1])
		j["dp"] = b64int(k.key.Precomputed.Dp)
		j["dq"] = b64int(k.key.Precomputed.Dq)
		j["qi"] = b64int(k.key.Precomputed.Qinv)
		out = append(out, j)
	}
	return out
}

// jwtParts decodes a compact JWS's header and claims, for logs and checks.
func jwtParts(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.40q", token)
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("bad segment: %v", err)
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("bad segment JSON: %v", err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1])
}

func b64dec(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
