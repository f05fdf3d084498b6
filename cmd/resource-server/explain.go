package main

import (
	"github.com/resource-server/resource-server/store"

	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/resource-server/resource-server/internal/config"
	"github.com/resource-server/resource-server/verifier"
)

// explainUsage is the text of `resource-server explain --help`.
const explainUsage = `Usage: resource-server explain [--config FILE] [--jwks FILE] [flags] [METHOD PATH] [TOKEN|-]

Verifies TOKEN (read from standard input when it is "-" or absent) as the
server configured by the same flags, environment and file would, on the
request METHOD PATH (default GET /api/messages): prints each check in order
with its outcome, the token's decoded header and claims (never its
signature), and the HTTP status and WWW-Authenticate the server answers.
--jwks FILE verifies offline against the key set (JWKS JSON) in FILE, for
every issuer. Exit status: 0 accepted, 1 refused, 2 a usage or
configuration error.
`

// exitError ends the program with code; an empty message prints nothing
// more (the command has said it all).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageError is explain's answer to a usage or configuration error: exit 2.
func usageError(err error) error { return &exitError{code: 2, err: err} }

// explainRequest is what explain was asked: the request and the token.
type explainRequest struct {
	method, path, token string
	jwks                string // --jwks FILE, "" for the issuers' own keys
}

// runExplain runs `resource-server explain`.
func runExplain(ctx context.Context, args []string, getenv func(string) string, dir string, stdin io.Reader, stdout io.Writer) error {
	req, flags, err := parseExplainArgs(args, stdin)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, explainUsage)
		return nil
	}
	if err != nil {
		return usageError(err)
	}
	cfg, err := config.Load(flags, getenv, dir)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, explainUsage)
		return nil
	}
	if err != nil {
		return usageError(err)
	}
	if cfg.Dev {
		return usageError(errors.New("explain: --dev's issuer lives in the running server; explain its tokens with --issuer=http://localhost:8000/oauth2/default --insecure-disable-https-check=true"))
	}
	set, err := explainSet(cfg, req.jwks, dir)
	if err != nil {
		return usageError(err)
	}
	var checks []verifier.Check
	ctx = verifier.WithTrace(ctx, func(c verifier.Check) { checks = append(checks, c) })
	up := &notSent{}
	rec, err := serveOnce(ctx, cfg, set, req, up)
	if err != nil {
		return usageError(err)
	}
	printExplanation(stdout, req, checks, rec)
	up.print(stdout)
	if rec.Code < 200 || rec.Code > 299 {
		return &exitError{code: 1}
	}
	return nil
}

// parseExplainArgs reads explain's arguments: the settings' flags (for
// config.Load), --jwks, then [METHOD PATH] [TOKEN|-]; the token is read
// from stdin when "-" or absent.
func parseExplainArgs(args []string, stdin io.Reader) (explainRequest, []string, error) {
	flags, extras, rest, err := config.SplitArgs(args, "jwks")
	if err != nil {
		return explainRequest{}, nil, err
	}
	req := explainRequest{method: http.MethodGet, path: "/api/messages", jwks: extras["jwks"]}
	if len(rest) >= 2 {
		req.method, req.path, rest = strings.ToUpper(rest[0]), rest[1], rest[2:]
		if !strings.HasPrefix(req.path, "/") {
			return req, nil, fmt.Errorf("explain: the path %q does not start with /: write METHOD PATH, e.g. GET /api/messages", req.path)
		}
	}
	switch {
	case len(rest) > 1:
		return req, nil, fmt.Errorf("explain: too many arguments %q: write [METHOD PATH] [TOKEN|-], after the flags", rest)
	case len(rest) == 1 && rest[0] != "-":
		req.token = rest[0]
	default:
		line, err := bufio.NewReader(io.LimitReader(stdin, 1<<20)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return req, nil, fmt.Errorf("explain: reading the token from standard input: %w", err)
		}
		req.token = strings.TrimSpace(line)
	}
	if req.token == "" {
		return req, nil, errors.New("explain: no token: pass it as the last argument, or on standard input")
	}
	return req, flags, nil
}

// explainSet builds the Set the server would build from cfg; with jwks
// (a file, relative to dir), every issuer's keys come from that file
// through an in-process transport instead of the network.
func explainSet(cfg config.Config, jwks, dir string) (*verifier.Set, error) {
	quiet := slog.New(slog.DiscardHandler)
	vcs := cfg.VerifierConfigs(cfg.Issuer, quiet)
	if jwks != "" {
		if !filepath.IsAbs(jwks) {
			jwks = filepath.Join(dir, jwks)
		}
		body, err := os.ReadFile(jwks)
		if err != nil {
			return nil, fmt.Errorf("explain: --jwks: %w: name a file holding a JWKS, {\"keys\":[...]}", err)
		}
		client := &http.Client{Transport: fileTransport(body)}
		for i := range vcs {
			vcs[i].HTTPClient = client
			if vcs[i].JWKSURL == "" {
				vcs[i].JWKSURL = "https://jwks.explain.invalid/keys" // answered by fileTransport, never fetched
			}
		}
	}
	set, err := verifier.NewSet(vcs...)
	if err != nil {
		return nil, cfg.VerifierError(err)
	}
	return set, nil
}

// fileTransport answers every request with the JWKS it holds.
type fileTransport []byte

// RoundTrip answers r with the key set.
func (t fileTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(t)),
		ContentLength: int64(len(t)), Request: r}, nil
}

// serveOnce runs the real server handler, built as run builds it, on one
// request: METHOD PATH with the token as a Bearer credential, to the host
// clients reach the server at (PUBLIC_URL's, else HOST or localhost, and
// PORT), so that the challenge is the server's. A request the gateway's
// routes would proxy goes to up instead, which sends nothing.
func serveOnce(ctx context.Context, cfg config.Config, set *verifier.Set, req explainRequest, up *notSent) (*httptest.ResponseRecorder, error) {
	deps := serverDeps(cfg, set, slog.New(slog.DiscardHandler))
	deps.Transport = up
	var err error
	if deps.DPoP, err = dpopOptions(cfg, store.NewMemory(nil)); err != nil {
		return nil, cfg.VerifierError(err)
	}
	h, err := apiHandler(cfg, deps)
	if err != nil {
		return nil, err
	}
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	r := httptest.NewRequestWithContext(ctx, req.method, req.path, nil)
	r.Host = net.JoinHostPort(host, strconv.Itoa(cfg.Port))
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("Authorization", "Bearer "+req.token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, nil
}

// notSent stands for the gateway's upstreams in explain: it keeps the
// request that would have been sent and answers 200 itself.
type notSent struct{ req *http.Request }

// RoundTrip keeps r and answers it without sending it.
func (u *notSent) RoundTrip(r *http.Request) (*http.Response, error) {
	u.req = r
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// print says where the gateway would have sent the request, and the
// headers it would have set from claims (the Authorization header aside).
func (u *notSent) print(w io.Writer) {
	if u.req == nil {
		return
	}
	fmt.Fprintf(w, "upstream (not sent): %s %s\n", u.req.Method, u.req.URL)
	names := slices.Sorted(maps.Keys(u.req.Header))
	for _, name := range names {
		if name == "Authorization" || strings.HasPrefix(name, "X-Forwarded-") || name == "User-Agent" {
			continue
		}
		fmt.Fprintf(w, "  %s: %s\n", name, strings.Join(u.req.Header[name], ", "))
	}
}

// printExplanation writes what explain found: the request, the token's
// header and claims, each check, and the server's answer.
func printExplanation(w io.Writer, req explainRequest, checks []verifier.Check, rec *httptest.ResponseRecorder) {
	fmt.Fprintf(w, "request: %s %s, Authorization: Bearer <token, %d bytes>\n", req.method, req.path, len(req.token))
	header, claims := decodeParts(req.token)
	fmt.Fprintf(w, "header: %s\nclaims: %s\n", header, claims)
	fmt.Fprintln(w, "checks:")
	if len(checks) == 0 {
		fmt.Fprintln(w, "  (none: the verifier was not reached)")
	}
	for _, c := range checks {
		outcome := "ok  "
		if !c.Passed {
			outcome = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-14s %s\n", outcome, c.Name, c.Detail)
	}
	verdict := "accepted"
	if rec.Code < 200 || rec.Code > 299 {
		verdict = "refused"
	}
	fmt.Fprintf(w, "answer: HTTP %d %s (%s)\n", rec.Code, http.StatusText(rec.Code), verdict)
	if ch := rec.Header().Get("WWW-Authenticate"); ch != "" {
		fmt.Fprintf(w, "WWW-Authenticate: %s\n", ch)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "" {
		fmt.Fprintf(w, "Retry-After: %s\n", ra)
	}
	if rec.Code >= 300 {
		fmt.Fprintf(w, "body: %s\n", strings.TrimSpace(rec.Body.String()))
	}
}

// decodeParts decodes a compact JWS's header and payload for display,
// indented JSON, or says why it cannot; the signature is never touched.
func decodeParts(token string) (header, claims string) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Sprintf("(not a JWS: %d parts separated by \".\", want 3)", len(parts)), "(not decoded)"
	}
	show := func(part string) string {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil {
			return "(not base64url: " + err.Error() + ")"
		}
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			return "(not JSON: " + err.Error() + ")"
		}
		return out.String()
	}
	return show(parts[0]), show(parts[1])
}
