package gateway

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// Subjects the tokens carry, and what a client tries to pass off as its own.
const (
	subject  = "alice"
	spoofed  = "mallory"
	roles    = "reader writer" // realm_access.roles joined by " "
	scopeGet = "orders:read"
)

// tokens are the bearer tokens of the cases, by kind: Authorization header
// values without the "Bearer " prefix.
type tokens struct {
	valid   string // sub alice, scope orders:read, no realm_access
	roles   string // the same with realm_access.roles [reader writer]
	noScope string // sub alice, no orders:read
	foreign string // signed by an issuer the server does not trust
}

// The program's configurations in gateway mode, in testdata, as the
// README shows them.
const (
	gatewayYAML = "gateway.yaml"     // the larger: the one-issuer shorthand, each route's own headers
	minimalYAML = "gateway-min.yaml" // the smallest: an issuers: list, top-level headers:
)

// gatewayConfig is the configuration testdata/file (gatewayYAML or
// minimalYAML) for upstream app and the given issuer: the README's
// placeholders replaced.
func gatewayConfig(t *testing.T, file, issuer, app string) string {
	t.Helper()
	conf := readTestdata(t, file)
	for _, r := range []struct{ placeholder, value string }{
		{"https://id.example.com/oauth2/default", issuer},
		{"http://127.0.0.1:9000", app},
	} {
		if !strings.Contains(conf, r.placeholder) {
			t.Fatalf("testdata/%s lacks %q", file, r.placeholder)
		}
		conf = strings.ReplaceAll(conf, r.placeholder, r.value)
	}
	return conf
}

// program is resource-server running in gateway mode.
type program struct {
	URL  string // http://127.0.0.1:port, the gateway and its /_auth
	Addr string // 127.0.0.1:port
	proc *proc
}

// startProgram starts the program in gateway mode with testdata/file (see
// gatewayConfig) in front of app, trusting a development issuer served by
// this test over HTTP on loopback (a real issuer: discovery, JWKS, keys it
// signs with), and returns the tokens of the cases. With down, the issuer is stopped before the program starts,
// so that no keys can be had: a protected route then answers 503. It waits
// for the admin listener's /readyz (/healthz when down).
func startProgram(t *testing.T, file string, app *upstream, down bool) (*program, tokens) {
	t.Helper()
	bin := programBinary(t)
	iss := devissuertest.Start(t, devissuer.Options{})
	other := devissuertest.Start(t, devissuer.Options{})
	tk := tokens{
		valid:   mint(t, iss, map[string]any{"sub": subject, "scp": []string{scopeGet}, "scope": scopeGet}),
		roles:   mint(t, iss, map[string]any{"sub": subject, "scp": []string{scopeGet}, "scope": scopeGet, "realm_access": map[string]any{"roles": []string{"reader", "writer"}}}),
		noScope: mint(t, iss, map[string]any{"sub": subject, "scp": []string{"profile"}, "scope": "profile"}),
		foreign: mint(t, other, map[string]any{"sub": subject, "scp": []string{scopeGet}, "scope": scopeGet}),
	}
	if down {
		iss.Close() // closing twice (again at cleanup) is harmless
	}
	conf := writeFile(t, t.TempDir(), "resource-server.yaml", gatewayConfig(t, file, iss.URL, app.URL))
	port, admin := freePort(t), freePort(t)
	for admin == port {
		admin = freePort(t)
	}
	cmd := exec.Command(bin, "--config="+conf)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "ADMIN_PORT="+strconv.Itoa(admin),
		"OKTA_TESTING_DISABLEHTTPSCHECK=true", "LOG_LEVEL=warn")
	p := start(t, "resource-server", cmd, syscall.SIGINT)
	ready := "/readyz"
	if down {
		ready = "/healthz"
	}
	waitFor(t, p, "ready", func() bool { return answers200("http://127.0.0.1:" + strconv.Itoa(admin) + ready) })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return &program{URL: "http://" + addr, Addr: addr, proc: p}, tk
}

// mint signs an access token with iss's current key: its usual claims, with
// overrides.
func mint(t *testing.T, iss *devissuer.Server, overrides map[string]any) string {
	t.Helper()
	tok, err := iss.Issuer.MintAccessToken(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// startStubAuth serves, on a free loopback port, a forward-auth endpoint
// that answers as resource-server's is planned to for gatewayConfig's
// routes, deciding on fixed token strings. It lets the proxy snippets be
// tested on their own: how nginx, Caddy and Traefik pass the original
// request, copy claim headers, and relay 401/403/404/503.
func startStubAuth(t *testing.T, down bool) (string, tokens) {
	t.Helper()
	tk := tokens{valid: "stub-valid", roles: "stub-roles", noScope: "stub-noscope", foreign: "stub-foreign"}
	mux := http.NewServeMux()
	mux.HandleFunc("/_auth", func(w http.ResponseWriter, r *http.Request) {
		method, uri := r.Header.Get("X-Original-Method"), r.Header.Get("X-Original-URI")
		if uri == "" {
			method, uri = r.Header.Get("X-Forwarded-Method"), r.Header.Get("X-Forwarded-Uri")
		}
		u, err := url.ParseRequestURI(uri)
		if err != nil || method == "" {
			http.Error(w, "no original request", http.StatusBadRequest)
			return
		}
		switch {
		case strings.HasPrefix(u.Path, "/public/"):
			w.WriteHeader(http.StatusOK)
			return
		case method == http.MethodGet && strings.HasPrefix(u.Path, "/orders/"):
		default:
			http.Error(w, `{"error":"not_found"}`, http.StatusNotFound)
			return
		}
		tok, hasToken := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case !hasToken:
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusUnauthorized)
		case down:
			w.Header().Set("Retry-After", "5")
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusServiceUnavailable)
		case tok == tk.valid || tok == tk.roles:
			w.Header().Set("X-Auth-Subject", subject)
			if tok == tk.roles {
				w.Header().Set("X-Auth-Roles", roles)
			}
			w.WriteHeader(http.StatusOK)
		case tok == tk.noScope:
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="insufficient_scope", scope="orders:read"`)
			w.WriteHeader(http.StatusForbidden)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("stub auth server: %v", err)
		}
	})
	return l.Addr().String(), tk
}
