package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/internal/config"
	"github.com/resource-server/resource-server/internal/httpserver"
	"github.com/resource-server/resource-server/internal/metrics"
	"github.com/resource-server/resource-server/internal/server"
	"github.com/resource-server/resource-server/store"
	"github.com/resource-server/resource-server/verifier"
	"github.com/resource-server/resource-server/web"
)

// run is the whole program; main only supplies the process's arguments,
// environment, working directory and signals, so that tests can run it
// in-process (and in parallel: nothing here reads the process's state).
// dir is the directory a relative --config is read from.
func run(ctx context.Context, args []string, getenv func(string) string, dir string, stdout, stderr io.Writer) error {
	return runIO(ctx, args, getenv, dir, strings.NewReader(""), stdout, stderr)
}

// runIO is run with a standard input, which `explain` may read its token
// from.
func runIO(ctx context.Context, args []string, getenv func(string) string, dir string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "config" {
		return runConfig(args[1:], getenv, dir, stdout)
	}
	if len(args) > 0 && args[0] == "explain" {
		return runExplain(ctx, args[1:], getenv, dir, stdin, stdout)
	}
	cfg, err := config.Load(args, getenv, dir)
	if errors.Is(err, flag.ErrHelp) {
		config.Usage(stdout)
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	log.Debug("configuration", "config", cfg)
	if cfg.Dev {
		return runDev(ctx, cfg, log, stdout)
	}
	st, err := newStore(cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := newSet(cfg, cfg.Issuer, log, st)
	if err != nil {
		return err
	}
	// Revocations, from this instance or another, reach every cache here.
	st.Subscribe(ctx, v.Forget)
	listeners, err := listeners(cfg, cfg.Addr(), v, st, log)
	if err != nil {
		return err
	}
	if len(cfg.Issuers) == 0 {
		log.Info("resource server listening", "addr", listeners[0].ln.Addr().String(), "issuer", cfg.Issuer, "audience", cfg.Audience, "client_id", cfg.ClientID)
	} else {
		log.Info("resource server listening", "addr", listeners[0].ln.Addr().String(), "issuers", cfg.IssuerNames())
	}
	// A configuration the issuer itself contradicts (its discovery document
	// names the issuer with a trailing slash that ISSUER lacks) can never
	// accept a token: it stops the program, naming the setting to change.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		if err := fetchKeysUntilReady(ctx, v, log); err != nil {
			stop(cfg.VerifierError(err))
		}
	}()
	if err := serve(ctx, log, cfg.ShutdownTimeout, listeners...); err != nil {
		return err
	}
	if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Level()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newSet builds the program's verifier: always a verifier.Set, of the
// issuers: list or of the one issuer (issuer: ISSUER, or dev mode's), from
// config.Config.VerifierConfigs. Its error names the setting to change.
func newSet(cfg config.Config, issuer string, log *slog.Logger, st store.Store) (*verifier.Set, error) {
	vcs := cfg.VerifierConfigs(issuer, log)
	for i := range vcs {
		if in := vcs[i].Introspection; in != nil {
			in.OnInactive = publishInactive(st, log)
		}
	}
	set, err := verifier.NewSet(vcs...)
	if err != nil {
		return nil, cfg.VerifierError(err)
	}
	return set, nil
}

// serverDeps is what the API's handler needs from the configuration.
func serverDeps(cfg config.Config, v server.Verifier, log *slog.Logger) server.Deps {
	return server.Deps{
		Verifier:           v,
		Logger:             log,
		PublicURL:          cfg.PublicURL,
		CORSAllowedOrigins: cfg.CORSAllowedOrigins,
		SecureRoute:        cfg.SecureRoute,
		RequiredScopes:     cfg.RequiredScopes,
	}
}

// listeners listens for the API on addr and, when ADMIN_PORT is set, for
// the admin listener, and pairs each with its handler.
func listeners(cfg config.Config, addr string, v *verifier.Set, st store.Store, log *slog.Logger) ([]listener, error) {
	ln, err := listen(cfg, "PORT", addr)
	if err != nil {
		return nil, err
	}
	deps := serverDeps(cfg, v, log)
	deps.Revoke = revoker(st, time.Now)
	if deps.DPoP, err = dpopOptions(cfg, st); err != nil {
		ln.Close()
		return nil, cfg.VerifierError(err)
	}
	admin, err := adminListener(cfg, &deps, v, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	api, err := apiHandler(cfg, deps)
	if err != nil {
		ln.Close()
		for _, a := range admin {
			a.ln.Close()
		}
		return nil, err
	}
	return append([]listener{{ln, api}}, admin...), nil
}

// apiHandler is the API's handler: the sample's routes, or the gateway's
// when the configuration has routes:.
func apiHandler(cfg config.Config, deps server.Deps) (http.Handler, error) {
	if len(cfg.Routes) == 0 {
		return server.New(deps), nil
	}
	routes, err := cfg.GatewayRoutes(server.Builtins(deps.Now))
	if err != nil {
		return nil, err
	}
	for i, rc := range cfg.Routes {
		if set, ok := deps.Verifier.(*verifier.Set); ok && rc.Introspect == config.IntrospectAlways {
			routes[i].Verifier = introspecting{set}
		}
		if rc.DPoP != "" {
			mode := dpopMode(rc.DPoP)
			routes[i].DPoP = &mode
		}
	}
	deps.Routes, deps.ForwardAuthPath = routes, cfg.ForwardAuthPath
	return server.NewGateway(deps)
}

// adminListener listens for the admin listener when ADMIN_PORT is set (none
// otherwise): /healthz, /readyz and /metrics, whose metrics it gives deps
// to count the API's decisions with. Without it nothing is measured.
func adminListener(cfg config.Config, deps *server.Deps, v *verifier.Set, log *slog.Logger) ([]listener, error) {
	if cfg.AdminPort == 0 {
		return nil, nil
	}
	ln, err := listen(cfg, "ADMIN_PORT", cfg.AdminAddr())
	if err != nil {
		return nil, err
	}
	deps.Metrics = metrics.New(v, metrics.WithIssuers(v.Issuers()...))
	log.Info("admin listening", "addr", ln.Addr().String(), "paths", "/healthz /readyz "+metrics.Path)
	return []listener{{ln, server.Admin(*deps, deps.Metrics.Handler())}}, nil
}

// fetchKeysUntilReady fetches every issuer's keys at start-up, retrying
// with backoff, so that /readyz turns ready without waiting for a first
// request. The verifier logs an outage once, when it starts, and again
// when it ends; each retry is logged at debug level only. A
// *verifier.ConfigError (the configuration is what is wrong, not the
// issuer's availability) ends the retries and is returned.
func fetchKeysUntilReady(ctx context.Context, v *verifier.Set, log *slog.Logger) error {
	wait, ready := 500*time.Millisecond, false
	for {
		err := v.Refresh(ctx)
		if !ready && v.Ready() {
			ready = true
			log.Info("issuer keys fetched; ready", "issuers", v.Issuers())
		}
		if err == nil {
			return nil
		}
		if ce := (*verifier.ConfigError)(nil); errors.As(err, &ce) {
			return err
		}
		log.Debug("cannot fetch every issuer's keys yet", "ready", ready, "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

type listener struct {
	ln      net.Listener
	handler http.Handler
}

// serve runs an http.Server per listener until ctx ends, then shuts them
// down gracefully within timeout.
func serve(ctx context.Context, log *slog.Logger, timeout time.Duration, listeners ...listener) error {
	errc := make(chan error, len(listeners))
	servers := make([]*http.Server, len(listeners))
	unused := &unusedConns{}
	for i, l := range listeners {
		servers[i] = httpserver.New(l.handler, log)
		servers[i].ConnState = unused.track
		go func(s *http.Server, ln net.Listener) {
			if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(servers[i], l.ln)
	}
	var err error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", timeout)
	case err = <-errc:
		log.Error("server failed", "error", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	unused.closeAll()
	for _, s := range servers {
		if e := s.Shutdown(shutdownCtx); e != nil {
			err = errors.Join(err, fmt.Errorf("shutdown: %w", e))
		}
	}
	return err
}

// unusedConns tracks connections on which no request has started yet.
// http.Server.Shutdown waits up to 5 s for those, since a request may still
// come; browsers open such connections ahead of need, so without this every
// shutdown with a browser around would take 5 s. No byte of a request has
// been read on them, so closing them loses nothing. A sync.Map, whose
// lookups and deletes of absent keys take no lock: every request makes
// its connection active, and under load a lock there is shared by every
// core.
type unusedConns struct {
	conns   sync.Map // net.Conn → struct{}
	closing atomic.Bool
}

func (u *unusedConns) track(c net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		u.conns.Store(c, struct{}{})
		if u.closing.Load() {
			// closeAll may have run before the Store: close it here.
			u.conns.Delete(c)
			c.Close()
		}
	case http.StateIdle:
		// A connection turns idle only after a request, whose StateActive
		// removed it.
	default:
		u.conns.Delete(c)
	}
}

func (u *unusedConns) closeAll() {
	u.closing.Store(true)
	u.conns.Range(func(c, _ any) bool {
		u.conns.Delete(c)
		c.(net.Conn).Close()
		return true
	})
}

// runDev runs the resource server with the embedded development issuer on
// the same listener, and the demo front-end on its own origin so that the
// browser exercises CORS for real.
func runDev(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	apiLn, err := listen(cfg, "PORT", net.JoinHostPort(host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	webLn, err := listen(cfg, "FRONTEND_PORT", net.JoinHostPort(host, strconv.Itoa(cfg.FrontendPort)))
	if err != nil {
		apiLn.Close()
		return err
	}
	apiURL := "http://" + net.JoinHostPort(host, strconv.Itoa(apiLn.Addr().(*net.TCPAddr).Port))
	webURL := "http://" + net.JoinHostPort(host, strconv.Itoa(webLn.Addr().(*net.TCPAddr).Port))
	issuerURL := apiURL + devissuer.DefaultIssuerPath
	iss, v, err := newDevIssuer(cfg, log, issuerURL, webURL)
	deps := serverDeps(cfg, v, log)
	var admin []listener
	if err == nil {
		admin, err = adminListener(cfg, &deps, v, log)
	}
	if err != nil {
		apiLn.Close()
		webLn.Close()
		return err
	}
	deps.DevIssuer, deps.DevIssuerPath = iss.Handler(), devissuer.DefaultIssuerPath
	api := server.New(deps)
	front := web.Handler(web.Config{Issuer: issuerURL, ClientID: devissuer.DefaultSPAClientID, APIBaseURL: apiURL,
		Scopes: append(slices.Clone(web.DefaultScopes), cfg.RequiredScopes...)})
	go fetchKeysUntilReady(ctx, v, log)
	printDevBanner(stdout, apiURL, webURL, issuerURL, iss)
	return serve(ctx, log, cfg.ShutdownTimeout, append([]listener{{apiLn, api}, {webLn, front}}, admin...)...)
}

// newDevIssuer makes dev mode's authorization server, signing with the
// first of ALGORITHMS, and the verifier of its tokens, built like the
// program's (config.Config.VerifierConfigs).
func newDevIssuer(cfg config.Config, log *slog.Logger, issuerURL, webURL string) (*devissuer.Issuer, *verifier.Set, error) {
	iss, err := devissuer.New(devissuer.Options{
		Issuer:        issuerURL,
		Audience:      cfg.Audience,
		RedirectURIs:  []string{webURL + web.DefaultRedirectPath},
		Username:      cfg.DevUsername,
		Password:      cfg.DevPassword,
		TokenLifetime: cfg.DevTokenLifetime,
		Algorithm:     cfg.DevAlgorithm(),
		// Granted by default, so that the curl line's and the front-end's
		// tokens carry what REQUIRED_SCOPES asks for.
		Scopes: append(slices.Clone(web.DefaultScopes), cfg.RequiredScopes...),
		Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	v, err := newSet(cfg, issuerURL, log, store.NewMemory(nil))
	if err != nil {
		return nil, nil, err
	}
	return iss, v, nil
}

func printDevBanner(w io.Writer, apiURL, webURL, issuerURL string, iss *devissuer.Issuer) {
	opts := iss.Options()
	user, password, clientID, secret := opts.Username, opts.Password, opts.ClientID, opts.ClientSecret
	fmt.Fprintf(w, `
resource-server dev mode: an embedded authorization server for DEVELOPMENT ONLY

  Front-end (Messages page)  %s        sign in as %s / %s
  Resource server (API)      %s        GET /api/messages, GET /secure need a token
  Authorization server       %s

Fetch a token and call the API:

  curl -s -H "Authorization: Bearer $(curl -s -u %s:%s -d grant_type=client_credentials %s/v1/token | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')" %s/api/messages

Rotate the signing key:  curl -X POST %s/v1/rotate
Stop with Ctrl-C.

`, webURL, user, password, apiURL, issuerURL, clientID, secret, issuerURL, apiURL, issuerURL)
}

// listen listens on addr for the setting port (PORT or FRONTEND_PORT). Its
// error says which setting to change, where the value came from, and how:
//
//	listen on :8000: address already in use: set PORT (or --port, or resourceServer.port in .samples.config.json) to a free port, or stop the program that holds it (8000 is PORT's default)
func listen(cfg config.Config, port, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	setting, value, host := port, strconv.Itoa(cfg.Port), "HOST"
	switch port {
	case "FRONTEND_PORT":
		value = strconv.Itoa(cfg.FrontendPort)
	case "ADMIN_PORT":
		value, host = strconv.Itoa(cfg.AdminPort), "ADMIN_HOST"
	}
	var why, fix string
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		why, fix = "address already in use", "to a free port, or stop the program that holds it"
	case errors.Is(err, syscall.EACCES):
		why, fix = "permission denied", "to a port from 1024 up (lower ones need privileges)"
	case errors.Is(err, syscall.EADDRNOTAVAIL) || errors.As(err, &dnsErr):
		setting, value = host, cfg.Host
		if host == "ADMIN_HOST" {
			value = cfg.AdminHost
		}
		why, fix = "no such address on this machine", "to a name or address of this machine, e.g. localhost, or leave it unset to listen on all interfaces"
	default:
		why, fix = err.Error(), "to another value"
	}
	return nil, &listenError{msg: fmt.Sprintf("listen on %s: %s: set %s %s (%s)", addr, why, cfg.Places(setting), fix,
		origin(setting, value, cfg.Source(setting))), err: err}
}

// origin says where a setting's value came from, for listen's errors.
func origin(setting, value string, src config.Source) string {
	if value == "" {
		value = `""`
	}
	switch src.Kind {
	case config.SourceFlag, config.SourceFile:
		return value + " came from " + src.String()
	case config.SourceEnv:
		return value + " came from the environment variable " + src.Name
	}
	return value + " is " + setting + "'s default"
}

// listenError is listen's error: its text is msg; it unwraps to the
// net.Listen error.
type listenError struct {
	msg string
	err error
}

func (e *listenError) Error() string { return e.msg }
func (e *listenError) Unwrap() error { return e.err }

// introspecting verifies every token by introspection, JWTs included: the
// verifier of introspect: always routes, on which a revocation at the
// issuer takes effect within the introspection cache's TTL.
type introspecting struct{ *verifier.Set }

// VerifyAccessToken introspects token.
func (v introspecting) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error) {
	return v.IntrospectAccessToken(ctx, token, audiences...)
}
