package interop

import (
	"github.com/resource-server/resource-server/test/internal/progtest"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite DIFFERENCES.md from the differential test's results")

// Bounds on everything the suite waits for, so that a hung child fails the
// test instead of hanging it.
const (
	startTimeout   = 30 * time.Second // a server from exec to ready
	stopTimeout    = 5 * time.Second  // SIGTERM to exit, then SIGKILL
	requestTimeout = 10 * time.Second // one HTTP request
	npmTimeout     = 5 * time.Minute
	buildTimeout   = 10 * time.Minute // the Hydra build is ~80 s on two cores
)

// workDir holds what one run of the test binary builds (the resource-server
// binary); TestMain removes it.
var workDir string

func TestMain(m *testing.M) {
	start := time.Now()
	dir, err := os.MkdirTemp("", "interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	progtest.Cleanup()
	timings.print(os.Stdout, time.Since(start))
	os.Exit(code)
}

// timings collects how long each phase took; TestMain prints them (run with
// -v to see them beside the tests' own logs).
var timings timingLog

type timingLog struct {
	mu   sync.Mutex
	rows []string
}

func (l *timingLog) add(t *testing.T, what string, d time.Duration) {
	t.Helper()
	line := fmt.Sprintf("%-58s %8s", what, d.Round(time.Millisecond))
	t.Logf("timing: %s", line)
	l.mu.Lock()
	l.rows = append(l.rows, line)
	l.mu.Unlock()
}

func (l *timingLog) print(w io.Writer, total time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(w, "interop timings:")
	for _, r := range l.rows {
		fmt.Fprintln(w, "  "+r)
	}
	fmt.Fprintf(w, "  %-58s %8s\n", "whole interop test binary", total.Round(time.Millisecond))
}

// interopDir is this package's directory: go test runs tests in it.
func interopDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// repoRoot is the root module's directory, two levels up.
func repoRoot(t *testing.T) string {
	return filepath.Clean(filepath.Join(interopDir(t), "..", ".."))
}

// baseEnv is the environment of every child: enough to run, and nothing of
// the caller's that could configure the servers behind the test's back
// (ISSUER, SPA_CLIENT_ID, JWKS_URL, DSN, ...).
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS", "GONOSUMDB", "GOPRIVATE", "GOTOOLCHAIN", "npm_config_cache", "NODE_OPTIONS", "npm_config_registry"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	t.Fatal("the go command is not on PATH")
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// requireNode returns the node binary after making sure node_modules is
// installed. Without Node.js or npm it skips, or fails when CI is set: CI
// must run this suite, never skip it silently.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		msg := fmt.Sprintf("Node.js and npm are needed for the interop suite (oidc-provider, the Express oracle): %v", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	installNodeModules(t)
	return node
}

var npmInstall struct {
	sync.Mutex
	done bool
}

// installNodeModules runs `npm ci` when node_modules is missing or older
// than package-lock.json. npm ci installs exactly what the lock pins.
func installNodeModules(t *testing.T) {
	t.Helper()
	npmInstall.Lock()
	defer npmInstall.Unlock()
	if npmInstall.done {
		return
	}
	dir := interopDir(t)
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err == nil && !installed.ModTime().Before(lock.ModTime()) {
		npmInstall.done = true
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	npmInstall.done = true
	timings.add(t, "npm ci (node_modules was missing or stale)", time.Since(start))
}

// resourceServerBinary builds cmd/resource-server once per test binary, in
// the root module (its go.mod and go.sum are the ones that must work).
func resourceServerBinary(t *testing.T) string {
	t.Helper()
	start := time.Now()
	bin := progtest.Binary(t)
	timings.add(t, "resource-server binary (built once per run)", time.Since(start))
	return bin
}

var hydraBuild sync.Mutex

// hydraBuildTags: Hydra's in-memory DSN needs SQLite; the extension loader
// is left out (it needs libdl and is never used here).
const hydraBuildTags = "sqlite,sqlite_omit_load_extension"

// hydraBinary returns Ory Hydra, built from the module in hydra/ into a cache
// directory keyed by that module's files and the Go version, so the ~80 s
// build happens once per machine. INTEROP_HYDRA_BIN overrides it.
func hydraBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("INTEROP_HYDRA_BIN"); p != "" {
		return p
	}
	hydraBuild.Lock()
	defer hydraBuild.Unlock()
	src := filepath.Join(interopDir(t), "hydra")
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatalf("hydra module: %v", err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	goVersion, err := exec.Command(goTool(t), "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	h.Write(goVersion)
	h.Write([]byte(hydraBuildTags))
	key := hex.EncodeToString(h.Sum(nil))[:16]
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "resource-server-hydra", key)
	bin := filepath.Join(dir, "hydra")
	if fileExists(bin) {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("building Ory Hydra into %s (about 80 s, once per machine)", bin)
	start := time.Now()
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), "build", "-tags", hydraBuildTags, "-o", tmp, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Fatalf("building Hydra (%s): %v\n%s", src, err, b)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	timings.add(t, "go build Ory Hydra v2.3.0 (cached afterwards)", time.Since(start))
	return bin
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a child server. Its output is kept (the tail is printed when the
// test fails); a line "READY <port>" on its output is noticed.
type proc struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *procOutput
	done  chan struct{} // closed when the process has exited
	err   error         // Wait's result, valid after done
	once  sync.Once
}

type procOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan int
	sent  bool
}

var readyLine = regexp.MustCompile(`(?m)^READY (\d+)\s*$`)

func (o *procOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if o.buf.Len() > 4<<20 { // keep the last 2 MiB
		tail := append([]byte(nil), o.buf.Bytes()[o.buf.Len()-2<<20:]...)
		o.buf.Reset()
		o.buf.Write(tail)
	}
	if !o.sent {
		if m := readyLine.FindSubmatch(o.buf.Bytes()); m != nil {
			port, _ := strconv.Atoi(string(m[1]))
			o.sent = true
			o.ready <- port
		}
	}
	return len(p), nil
}

func (o *procOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// startProc starts bin with exactly env (plus baseEnv) in dir. The child's
// stdin is a pipe held open: the Node scripts exit when it closes, so they
// die with the test binary even if it is killed. stop is registered with
// t.Cleanup.
func startProc(t *testing.T, name, dir string, env []string, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	out := &procOutput{ready: make(chan int, 1)}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, stdin: stdin, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			logs := p.out.String()
			if len(logs) > 8000 {
				logs = "…" + logs[len(logs)-8000:]
			}
			t.Logf("output of %s:\n%s", p.name, logs)
		}
	})
	return p
}

// waitReady waits for the "READY <port>" line.
func (p *proc) waitReady(t *testing.T) int {
	t.Helper()
	select {
	case port := <-p.out.ready:
		return port
	case <-p.done:
		t.Fatalf("%s exited before it was ready: %v\n%s", p.name, p.err, p.out.String())
	case <-time.After(startTimeout):
		t.Fatalf("%s not ready after %s\n%s", p.name, startTimeout, p.out.String())
	}
	return 0
}

// waitHTTP polls url until it answers 200, each try bounded by a second.
func (p *proc) waitHTTP(t *testing.T, url string) {
	t.Helper()
	p.waitHTTPFor(t, url, time.Second, startTimeout)
}

// waitHTTPFor polls url until it answers 200 within bound; perTry bounds
// one request (long for an answer that is slow to come and would be
// abandoned by a retry).
func (p *proc) waitHTTPFor(t *testing.T, url string, perTry, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	client := &http.Client{Timeout: perTry}
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before %s answered 200: %v\n%s", p.name, url, p.err, p.out.String())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %s did not answer 200 within %s (last: %s)\n%s", p.name, url, bound, last, p.out.String())
}

// stop ends the process: stdin closed and SIGTERM, then SIGKILL after
// stopTimeout. Safe to call more than once.
func (p *proc) stop(t *testing.T) {
	p.once.Do(func() {
		p.stdin.Close()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			t.Logf("%s ignored SIGTERM for %s; killing it", p.name, stopTimeout)
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// response is what the tests look at in an answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string {
	b := string(r.body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return fmt.Sprintf("%d %q www-authenticate=%q", r.status, b, r.header.Get("WWW-Authenticate"))
}

var httpClient = &http.Client{Timeout: requestTimeout}

// get sends GET url with the given Authorization header values (none, one,
// or several header lines).
func get(t *testing.T, url string, authorization ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(authorization) > 0 {
		req.Header["Authorization"] = authorization
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// clientCredentials asks tokenURL for an access token with the
// client_credentials grant (client_secret_basic) and the extra form fields.
func clientCredentials(t *testing.T, tokenURL, clientID, secret string, form url.Values) string {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("grant_type", "client_credentials")
	req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", tokenURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("POST %s (%s): %d %s", tokenURL, form.Encode(), resp.StatusCode, body)
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		t.Fatalf("POST %s: token_type %q, want Bearer", tokenURL, tok.TokenType)
	}
	return tok.AccessToken
}

// resourceServer is our program, running.
type resourceServer struct {
	*proc
	url string
}

// startResourceServer runs cmd/resource-server against issuer on a free
// port, in an empty directory (no stray .samples.config.json or testenv),
// and waits for /readyz.
func startResourceServer(t *testing.T, issuer string, env ...string) *resourceServer {
	t.Helper()
	bin := resourceServerBinary(t)
	port := freePort(t)
	start := time.Now()
	all := append([]string{
		"ISSUER=" + issuer,
		"AUDIENCE=api://default",
		"PORT=" + strconv.Itoa(port),
		"HOST=127.0.0.1",
		"OKTA_TESTING_DISABLEHTTPSCHECK=true",
	}, env...)
	p := startProc(t, "resource-server", t.TempDir(), all, bin)
	rs := &resourceServer{proc: p, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	p.waitHTTP(t, rs.url+"/readyz")
	timings.add(t, "resource server start until /readyz 200", time.Since(start))
	return rs
}

// messagesOK checks an answer of GET /api/messages that must be the two
// messages of the sample.
func messagesOK(t *testing.T, who string, r response) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: GET /api/messages: %s", who, r)
	}
	var m struct {
		Messages []struct {
			Date string `json:"date"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s: GET /api/messages: body is not the messages JSON: %v: %s", who, err, r.body)
	}
	var texts []string
	for _, msg := range m.Messages {
		texts = append(texts, msg.Text)
	}
	sort.Strings(texts)
	if strings.Join(texts, "|") != "Hello, world!|I am a robot." {
		t.Fatalf("%s: GET /api/messages: texts %q, want \"I am a robot.\" and \"Hello, world!\"", who, texts)
	}
}

// challengeError is the error attribute of a Bearer challenge ("" if none).
func challengeError(h http.Header) string {
	m := regexp.MustCompile(`\berror="([^"]*)"`).FindStringSubmatch(h.Get("WWW-Authenticate"))
	if m == nil {
		return ""
	}
	return m[1]
}

// refusedInvalidToken checks an RFC 6750 invalid_token refusal.
func refusedInvalidToken(t *testing.T, who string, r response) {
	t.Helper()
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") || challengeError(r.header) != "invalid_token" {
		t.Fatalf("%s: want 401 with WWW-Authenticate: Bearer … error=\"invalid_token\", got %s", who, r)
	}
}

// eventually retries f until it returns nil or the bound passes, and says
// how long it took. Used only where the resource server may legitimately
// need a moment (a rate-limited JWKS refetch after a rotation).
func eventually(t *testing.T, bound time.Duration, f func() error) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	var err error
	for n := 1; ; n++ {
		if err = f(); err == nil {
			return time.Since(start), n
		}
		if time.Since(start) > bound {
			t.Fatalf("still failing after %s (%d attempts): %v", bound, n, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")
