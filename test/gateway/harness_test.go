package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/internal/poll"
	"github.com/resource-server/resource-server/test/internal/progtest"
)

// Bounds on everything the tests wait for, so that a hung child fails the
// test instead of hanging it.
const (
	startTimeout   = 20 * time.Second // a process from exec to ready
	stopTimeout    = 15 * time.Second // SIGTERM (SIGINT for the program) to exit, then SIGKILL
	requestTimeout = 15 * time.Second // one HTTP request
)

func TestMain(m *testing.M) {
	code := m.Run()
	progtest.Cleanup()
	os.Exit(code)
}

// programBinary returns the path of the resource-server executable.
func programBinary(t *testing.T) string { return progtest.Binary(t) }

// tool returns the path of a third-party executable the test needs (nginx,
// caddy, traefik): $envVar if set, else the first of paths that exists,
// else the name on $PATH. Without it the test skips, or fails when CI is
// set, since CI installs them (scripts/test).
func tool(t *testing.T, name, envVar string, paths ...string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (set %s, or install it: scripts/test does)", name, envVar)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freePort returns a TCP port that was free on loopback a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a child process the test started; it is stopped when the test
// ends, and its output is logged if the test failed.
type proc struct {
	name   string
	cmd    *exec.Cmd
	out    *logtest.Buffer
	exited chan struct{} // closed when the process has ended
	err    error         // its exit status, once exited is closed
}

// Pid is the process id, for /proc/<pid>/status.
func (p *proc) Pid() int { return p.cmd.Process.Pid }

// Ended reports whether the process has exited, with its output.
func (p *proc) Ended() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited (%v):\n%s", p.name, p.err, p.out.String())
	default:
		return nil
	}
}

// start starts cmd, and registers its stop (stopSignal, then SIGKILL after
// stopTimeout) as a cleanup. Output goes to a buffer unless cmd.Stdout is
// already set.
func start(t *testing.T, name string, cmd *exec.Cmd, stopSignal os.Signal) *proc {
	t.Helper()
	p := &proc{name: name, cmd: cmd, out: &logtest.Buffer{}, exited: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.out
	}
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(stopSignal)
		select {
		case <-p.exited:
		case <-time.After(stopTimeout):
			t.Errorf("%s did not stop within %s; killing it", name, stopTimeout)
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s %v output:\n%s", name, cmd.Args, p.out.String())
		}
	})
	return p
}

// waitFor polls ready until it is true, the process ends, or startTimeout
// passes; the test fails in the last two cases.
func waitFor(t *testing.T, p *proc, what string, ready func() bool) {
	t.Helper()
	var ended error
	ok := poll.Until(startTimeout, func() bool {
		if ended = p.Ended(); ended != nil {
			return true
		}
		return ready()
	})
	switch {
	case ended != nil:
		t.Fatalf("%s before %s: %v", p.name, what, ended)
	case !ok:
		t.Fatalf("%s: %s not within %s", p.name, what, startTimeout)
	}
}

// pollClient is for readiness polls: no connection is kept, so none holds
// up a process's graceful shutdown.
var pollClient = &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// answers200 reports whether a GET of url answers 200.
func answers200(url string) bool {
	res, err := pollClient.Get(url)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// accepts reports whether addr accepts TCP connections.
func accepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// fill replaces each old string of pairs (old, new, old, new …) in text,
// and fails the test if one does not occur: the snippets carry the
// README's ports (8080 the proxy, 8000 resource-server, 9000 the
// application), which the tests replace by free ones.
func fill(t *testing.T, text string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("the snippet does not contain %q", pairs[i])
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// readTestdata returns testdata/name.
func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFile writes text to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// upstream is testdata/upstream.py, running.
type upstream struct {
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port
	proc *proc
}

// startUpstream starts testdata/upstream.py on a free loopback port (it
// picks one and prints it) and waits until it answers.
func startUpstream(t *testing.T) *upstream {
	t.Helper()
	python := tool(t, "python3", "PYTHON3", "/usr/bin/python3")
	script, err := filepath.Abs(filepath.Join("testdata", "upstream.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, script, "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, "upstream.py", cmd, syscall.SIGTERM)
	portLine := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		portLine <- line
		_, _ = io.Copy(p.out, r)
	}()
	var port int
	select {
	case line := <-portLine:
		port, err = strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			<-p.exited
			t.Fatalf("upstream.py printed %q instead of its port: %v", line, p.Ended())
		}
	case <-time.After(startTimeout):
		t.Fatalf("upstream.py printed no port within %s", startTimeout)
	}
	u := &upstream{Addr: "127.0.0.1:" + strconv.Itoa(port), URL: "http://127.0.0.1:" + strconv.Itoa(port), proc: p}
	waitFor(t, p, "answering", func() bool { return answers200(u.URL + "/ready") })
	return u
}

// startNginx starts Debian's nginx in the foreground, in a prefix of its
// own, with the README's server block (testdata/nginx.conf.tmpl) in front of
// authAddr (resource-server's forward-auth) and app. It returns the
// proxy's URL once nginx accepts connections.
func startNginx(t *testing.T, authAddr, appAddr string) string {
	t.Helper()
	bin := tool(t, "nginx", "NGINX", "/usr/sbin/nginx")
	dir := t.TempDir()
	port := freePort(t)
	server := fill(t, readTestdata(t, "nginx.conf.tmpl"),
		"listen 8080;", "listen 127.0.0.1:"+strconv.Itoa(port)+";",
		"127.0.0.1:8000", authAddr,
		"127.0.0.1:9000", appAddr)
	writeFile(t, dir, "server.conf", server)
	var temps strings.Builder
	for _, kind := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&temps, "    %s_temp_path %s;\n", kind, filepath.Join(dir, kind))
	}
	conf := writeFile(t, dir, "nginx.conf", "events {\n    worker_connections 4096;\n}\nhttp {\n    access_log off;\n"+
		temps.String()+"    include "+filepath.Join(dir, "server.conf")+";\n}\n")
	errorLog := filepath.Join(dir, "error.log")
	// master_process off: one process, which keeps the test's user (no
	// switch to www-data, which could not write the temp directories).
	global := fmt.Sprintf("daemon off; master_process off; pid %s; error_log %s warn;", filepath.Join(dir, "nginx.pid"), errorLog)
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", errorLog, "-g", global)
	p := start(t, "nginx", cmd, syscall.SIGTERM)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(errorLog)
			t.Logf("nginx error.log:\n%s", b)
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitFor(t, p, "listening on "+addr, func() bool { return accepts(addr) })
	return "http://" + addr
}

// startCaddy starts Debian's caddy with the README's Caddyfile
// (testdata/Caddyfile.tmpl) behind global options that keep it to this
// test: no admin endpoint, no automatic HTTPS, loopback only, HOME and the
// XDG directories (certificates, autosave.json) in a directory of its own.
func startCaddy(t *testing.T, authAddr, appAddr string) string {
	t.Helper()
	bin := tool(t, "caddy", "CADDY", "/usr/bin/caddy")
	dir := t.TempDir()
	port := freePort(t)
	site := fill(t, readTestdata(t, "Caddyfile.tmpl"),
		":8080 {", ":"+strconv.Itoa(port)+" {",
		"127.0.0.1:8000", authAddr,
		"127.0.0.1:9000", appAddr)
	global := "{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}\n\n"
	conf := writeFile(t, dir, "Caddyfile", global+site)
	cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "data"))
	p := start(t, "caddy", cmd, syscall.SIGTERM)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitFor(t, p, "listening on "+addr, func() bool { return accepts(addr) })
	return "http://" + addr
}

// rssKiB returns a field of /proc/<pid>/status in KiB: "VmRSS" (resident
// now) or "VmHWM" (the peak of resident).
func rssKiB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("/proc/%d/status: %q: %v", pid, line, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// errorCode returns the error parameter of a Bearer challenge, "" if none.
func errorCode(challenge string) string {
	_, rest, ok := strings.Cut(challenge, `error="`)
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(rest, `"`)
	return code
}

// startTraefik starts Traefik with the README's dynamic configuration
// (testdata/traefik.yml, file provider) and a static configuration given
// as flags: the entry point "web" on a free loopback port, and the API on
// another, polled until the router "app" is loaded. Traefik is not a
// Debian package: its rows exist when traefikBinary finds one (see proxies).
func startTraefik(t *testing.T, authAddr, appAddr string) string {
	t.Helper()
	bin := traefikBinary()
	if bin == "" {
		t.Fatal("traefik not found: set TRAEFIK to a binary")
	}
	dir := t.TempDir()
	port, api := freePort(t), freePort(t)
	for api == port {
		api = freePort(t)
	}
	dynamic := writeFile(t, dir, "traefik.yml", fill(t, readTestdata(t, "traefik.yml"),
		"127.0.0.1:8000", authAddr,
		"127.0.0.1:9000", appAddr))
	cmd := exec.Command(bin,
		"--entryPoints.web.address=127.0.0.1:"+strconv.Itoa(port),
		"--entryPoints.traefik.address=127.0.0.1:"+strconv.Itoa(api),
		"--api.insecure=true",
		"--providers.file.filename="+dynamic,
		"--log.level=ERROR",
		"--global.checkNewVersion=false",
		"--global.sendAnonymousUsage=false")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	p := start(t, "traefik", cmd, syscall.SIGTERM)
	waitFor(t, p, "router app@file loaded", func() bool {
		return answers200("http://127.0.0.1:" + strconv.Itoa(api) + "/api/http/routers/app@file")
	})
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

// traefikBinary is $TRAEFIK, else traefik on $PATH, else "".
func traefikBinary() string {
	if bin := os.Getenv("TRAEFIK"); bin != "" {
		return bin
	}
	bin, _ := exec.LookPath("traefik")
	return bin
}
