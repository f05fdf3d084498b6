package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// TestUpstream checks testdata/upstream.py on its own, with no gateway in
// between, so that the other tests' failures are the gateway's: echo,
// upload with and without Content-Length, and WebSocket echo against an
// independent client.
func TestUpstream(t *testing.T) {
	app := startUpstream(t)
	client := &http.Client{Timeout: requestTimeout}

	t.Run("echo", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", app.URL+"/a/b?x=1&y=2", strings.NewReader("ignored"))
		req.Header.Add("X-Auth-Subject", "one")
		req.Header.Add("X-Auth-Subject", "two")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var e echo
		if err := json.NewDecoder(res.Body).Decode(&e); err != nil {
			t.Fatal(err)
		}
		if e.Method != "PUT" || e.Path != "/a/b" || e.Query != "x=1&y=2" || strings.Join(e.Headers["x-auth-subject"], ",") != "one,two" {
			t.Errorf("echo %+v", e)
		}
	})

	for _, chunked := range []bool{false, true} {
		name := "upload with Content-Length"
		if chunked {
			name = "upload chunked"
		}
		t.Run(name, func(t *testing.T) {
			data := bytes.Repeat([]byte("0123456789abcdef"), 300_000) // 4.8 MB, past many chunks
			var body io.Reader = bytes.NewReader(data)
			if chunked {
				body = io.MultiReader(body) // hides the length: net/http sends it chunked
			}
			res, err := client.Post(app.URL+"/upload", "application/octet-stream", body)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got struct {
				Bytes  int    `json:"bytes"`
				SHA256 string `json:"sha256"`
			}
			if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if got.Bytes != len(data) || got.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("got %+v, sent %d bytes", got, len(data))
			}
		})
	}

	t.Run("WebSocket echo", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(app.URL, "http")+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()
		conn.SetReadLimit(1 << 20)
		for _, m := range []struct {
			typ  websocket.MessageType
			data string
		}{{websocket.MessageText, "hi"}, {websocket.MessageText, strings.Repeat("x", 70000)}, {websocket.MessageBinary, "\x00\xff"}} {
			if err := conn.Write(ctx, m.typ, []byte(m.data)); err != nil {
				t.Fatal(err)
			}
			typ, got, err := conn.Read(ctx)
			if err != nil || typ != m.typ || string(got) != m.data {
				t.Fatalf("echo of %d bytes: %v %d bytes %v", len(m.data), typ, len(got), err)
			}
		}
		// A pong is read by a Read in progress (coder/websocket's rule).
		go func() { _, _, _ = conn.Read(ctx) }()
		if err := conn.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
		if err := conn.Close(websocket.StatusNormalClosure, "bye"); err != nil {
			t.Errorf("close: %v", err)
		}
	})
}
