package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/logtest"
	"github.com/resource-server/resource-server/test/internal/progtest"
)

const (
	startTimeout = 20 * time.Second
	stopTimeout  = 15 * time.Second // the program's own shutdown timeout is 10s
)

func TestMain(m *testing.M) {
	code := m.Run()
	progtest.Cleanup()
	os.Exit(code)
}

// program returns the path of the resource-server executable.
func program(t *testing.T) string { return progtest.Binary(t) }

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

// app is a running resource-server --dev.
type app struct {
	FrontURL string // the demo front-end's origin, http://localhost:Q
	APIURL   string // the resource server, http://localhost:P
	Issuer   string // the embedded issuer, http://localhost:P/oauth2/default

	kill func()
}

// Kill ends the program at once (SIGKILL), as a crash would, before the test
// ends.
func (a *app) Kill() { a.kill() }

// startApp starts `resource-server --dev --port P --frontend-port Q` plus
// extra arguments on two free ports, waits until both listeners answer, and
// stops the process (SIGINT, then SIGKILL) when the test ends. The program's
// output is logged when the test fails.
//
// Call it before newBrowser: cleanups run last-in first-out, so the browser
// then closes first, and its preconnected sockets, which net/http counts as
// active for their first 5 seconds, do not hold up the graceful shutdown.
func startApp(t *testing.T, extra ...string) *app {
	t.Helper()
	chromePath(t) // every test here needs the browser: skip before building
	bin := program(t)
	port, frontPort := freePort(t), freePort(t)
	for frontPort == port {
		frontPort = freePort(t)
	}
	args := append([]string{"--dev", "--port", strconv.Itoa(port), "--frontend-port", strconv.Itoa(frontPort)}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	// exited is closed when the process has ended; waitErr is then its
	// exit status.
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	var stopOnce sync.Once
	kill := func() {
		stopOnce.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}
	stop := func() {
		stopOnce.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-exited:
			case <-time.After(stopTimeout):
				t.Errorf("resource-server did not stop within %s of SIGINT; killing it", stopTimeout)
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("resource-server %v output:\n%s", args, out.String())
		}
	})

	a := &app{
		FrontURL: fmt.Sprintf("http://localhost:%d", frontPort),
		APIURL:   fmt.Sprintf("http://localhost:%d", port),
		Issuer:   fmt.Sprintf("http://localhost:%d/oauth2/default", port),
		kill:     kill,
	}
	start := time.Now()
	for _, u := range []string{a.APIURL + "/healthz", a.FrontURL + "/config.json"} {
		if err := waitReady(u, exited, start.Add(startTimeout)); err != nil {
			select {
			case <-exited:
				err = fmt.Errorf("%w (%v)", err, waitErr)
			default:
			}
			t.Fatalf("resource-server %v: %v", args, err) // the cleanup logs the output
		}
	}
	t.Logf("resource-server %v ready in %s", args, time.Since(start).Round(time.Millisecond))
	return a
}

// waitReady polls url until it answers 200, the process exits (exited is
// closed), or deadline passes.
func waitReady(url string, exited <-chan struct{}, deadline time.Time) error {
	client := &http.Client{Timeout: time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("exited before %s answered", url)
		default:
		}
		res, err := client.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(res.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 in time; last: %v", url, last)
}
