// Package storetest starts a real Redis server for the tests of package
// store and of its callers.
package storetest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/poll"
)

// startWithin bounds how long a server may take to answer PING.
const startWithin = 10 * time.Second

// Server is a redis-server process that a test can stop and start again on
// the same port, to see what its clients do while it is gone.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartRedis starts `redis-server --port <free> --bind 127.0.0.1 --save ""
// --appendonly no` in t.TempDir(), waits until it answers PING, and stops
// it at t.Cleanup. It returns the server's URL (redis://127.0.0.1:<port>/0)
// and the Server, to stop and start it mid-test.
//
// Without redis-server on the PATH the test is skipped, unless the
// environment variable CI is set: then it fails, since tests must run in CI
// (scripts/test installs Debian's redis-server).
func StartRedis(t testing.TB) (url string, ctl *Server) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is not installed (CI is set, so the Redis tests must run): %v", err)
		}
		t.Skipf("redis-server is not installed: %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), port: freePort(t)}
	t.Cleanup(s.Stop)
	s.Start()
	return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port), s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Start starts the server on its port (if it is not running) and waits
// until it answers PING. Its data are gone: nothing is saved.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return
	}
	log := filepath.Join(s.dir, "redis.log")
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--logfile", log)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	exited := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	if !poll.Until(startWithin, func() bool { return exited() || s.answers() }) || exited() {
		b, _ := os.ReadFile(log)
		s.t.Fatalf("redis-server on port %d did not answer PING within %v; its log:\n%s", s.port, startWithin, b)
	}
}

// Stop kills the server (SIGKILL: its clients see their connections
// reset) and waits until it has exited. It does nothing if it is stopped.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}

// answers reports whether the server answers PING with PONG.
func (s *Server) answers() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// freePort is a loopback TCP port that nothing listened on a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
