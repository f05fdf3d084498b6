package gateway

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Bounds of the load tests: the figures are in the log with -v.
const (
	uploadSize      = 100 << 20 // bytes streamed through the gateway
	uploadRSSBound  = 64 << 10  // KiB the program may grow by meanwhile
	idleConns       = 1000      // WebSocket connections held open at once
	idleRSSBound    = 256 << 10 // KiB the program may grow by for them
	dialConcurrency = 32
)

// TestWebSocket: through the gateway, a WebSocket echo works with a valid
// token, and the upgrade is refused 401 without one (or with a token
// lacking nothing but being foreign).
func TestWebSocket(t *testing.T) {
	app := startUpstream(t)
	prog, tk := startProgram(t, gatewayYAML, app, false)
	ws := "ws" + strings.TrimPrefix(prog.URL, "http") + "/ws"
	cases := []struct {
		name   string
		token  tokenKind
		status int // 101 when the upgrade must succeed
	}{
		{"valid token", validToken, 101},
		{"no token", noToken, 401},
		{"token of an issuer not trusted", foreignToken, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
			if h := c.token.header(tk); h != "" {
				opts.HTTPHeader.Set("Authorization", h)
			}
			conn, res, err := websocket.Dial(ctx, ws, opts)
			if c.status != 101 {
				if err == nil {
					conn.CloseNow()
					t.Fatalf("the upgrade succeeded, want %d", c.status)
				}
				if res == nil || res.StatusCode != c.status || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					var challenge string
					if res != nil {
						challenge = res.Header.Get("WWW-Authenticate")
					}
					t.Fatalf("dial: %v (WWW-Authenticate %q), want %d with a Bearer challenge", err, challenge, c.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.CloseNow()
			conn.SetReadLimit(1 << 20)
			for _, msg := range []string{"hello", strings.Repeat("é", 40000)} { // short, and past a 16-bit length
				if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				typ, got, err := conn.Read(ctx)
				if err != nil || typ != websocket.MessageText || string(got) != msg {
					t.Fatalf("echo of %d bytes: %v %d bytes, %v", len(msg), typ, len(got), err)
				}
			}
			if err := conn.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

// front is the front door of a load test: its URL, the process whose
// memory is measured, the Authorization header to send, and the
// application behind it.
type front struct {
	url  string
	pid  int
	auth string
	app  *upstream
}

// gatewayFront starts the application and the program in front of it.
func gatewayFront(t *testing.T) front {
	t.Helper()
	app := startUpstream(t)
	prog, tk := startProgram(t, gatewayYAML, app, false)
	return front{url: prog.URL, pid: prog.proc.Pid(), auth: validToken.header(tk), app: app}
}

// TestUploadStreams: a 100 MiB body reaches the application whole (its
// SHA-256 matches) while the program's resident memory stays bounded: it
// streams, it does not buffer. With and without Content-Length (chunked).
func TestUploadStreams(t *testing.T) { checkUpload(t, gatewayFront(t)) }

func checkUpload(t *testing.T, f front) {
	client := &http.Client{Timeout: 5 * time.Minute}
	defer client.CloseIdleConnections()
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			before := rssKiB(t, f.pid, "VmRSS")
			sum := sha256.New()
			body := io.TeeReader(io.LimitReader(mrand.NewChaCha8([32]byte{7}), uploadSize), sum)
			req, err := http.NewRequest("POST", f.url+"/upload", io.NopCloser(body))
			if err != nil {
				t.Fatal(err)
			}
			if !chunked {
				req.ContentLength = uploadSize
			}
			req.Header.Set("Authorization", f.auth)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got struct {
				Bytes  int64  `json:"bytes"`
				SHA256 string `json:"sha256"`
			}
			if err := json.NewDecoder(res.Body).Decode(&got); err != nil || res.StatusCode != 200 {
				t.Fatalf("%s: %v %+v", res.Status, err, got)
			}
			if want := hex.EncodeToString(sum.Sum(nil)); got.Bytes != uploadSize || got.SHA256 != want {
				t.Errorf("the application got %d bytes, SHA-256 %s; sent %d, %s", got.Bytes, got.SHA256, uploadSize, want)
			}
			peak, after := rssKiB(t, f.pid, "VmHWM"), rssKiB(t, f.pid, "VmRSS")
			t.Logf("program RSS %d KiB before, %d KiB after, peak %d KiB, for %d MiB streamed", before, after, peak, uploadSize>>20)
			if peak-before > uploadRSSBound {
				t.Errorf("program's resident memory peaked at %d KiB, %d KiB above the %d KiB before the upload (bound %d KiB): the body is buffered",
					peak, peak-before, before, uploadRSSBound)
			}
		})
	}
}

// TestSSEStreams: server-sent events go through the gateway one by one:
// the client reads the first event while the application holds the second
// back until the test, having seen the first, releases it.
func TestSSEStreams(t *testing.T) { checkSSE(t, gatewayFront(t)) }

func checkSSE(t *testing.T, f front) {
	id := rand.Text()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel() // also ends the reading goroutine
	req, err := http.NewRequestWithContext(ctx, "GET", f.url+"/events?id="+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", f.auth)
	req.Header.Set("Accept", "text/event-stream")
	// The request runs in a goroutine that hands over each event, or an
	// error, as it arrives, so that the wait for the first event covers
	// the response's headers as well.
	events := make(chan string, 3)
	go func() {
		defer close(events)
		res, err := pollClient.Transport.RoundTrip(req)
		if err != nil {
			events <- "error: " + err.Error()
			return
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			events <- "error: " + res.Status
			return
		}
		r := bufio.NewReader(res.Body)
		var event strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\n" {
				events <- event.String()
				event.Reset()
				continue
			}
			event.WriteString(line)
		}
	}()
	// The application sends the second event only when released (or after
	// 30 s): a front door that buffers the stream fails the first wait.
	for _, want := range []string{"one", "two"} {
		select {
		case ev := <-events:
			if !strings.HasPrefix(ev, "event: "+want+"\n") {
				t.Fatalf("event %q, want %q", ev, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %q did not arrive within 10 s of being sent: the stream is buffered", want)
		}
		if want == "one" && !answers200(f.app.URL+"/release?id="+id) {
			t.Fatal("releasing the second event failed")
		}
	}
}

// TestIdleWebSockets holds 1,000 WebSocket connections open through the
// gateway at once and checks that the program's resident memory grows by a
// bounded amount, and that the first and last connections still echo.
func TestIdleWebSockets(t *testing.T) { checkIdleWebSockets(t, gatewayFront(t)) }

func checkIdleWebSockets(t *testing.T, f front) {
	ws := "ws" + strings.TrimPrefix(f.url, "http") + "/ws"
	before := rssKiB(t, f.pid, "VmRSS")
	conns := make([]*websocket.Conn, idleConns)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, dialConcurrency)
	)
	for i := range conns {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {f.auth}}})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("connection %d: %w", i, err)
				}
				return
			}
			conns[i] = conn
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	after := rssKiB(t, f.pid, "VmRSS")
	t.Logf("program RSS %d KiB before, %d KiB with %d idle WebSocket connections (%.1f KiB each)",
		before, after, idleConns, float64(after-before)/idleConns)
	if after-before > idleRSSBound {
		t.Errorf("program's resident memory grew by %d KiB for %d idle WebSocket connections (bound %d KiB)", after-before, idleConns, idleRSSBound)
	}
	for _, i := range []int{0, idleConns - 1} {
		if err := conns[i].Write(ctx, websocket.MessageText, []byte("still there")); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if _, got, err := conns[i].Read(ctx); err != nil || string(got) != "still there" {
			t.Fatalf("connection %d: echo %q, %v", i, got, err)
		}
	}
}
