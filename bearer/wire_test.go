package bearer

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestAuthorizationOnTheWire sends Authorization headers byte for byte over
// HTTP/1.1: "Bearer" 1*SP b64token (RFC 6750 §2.1), and the white space
// around a field value that RFC 9110 §5.5 excludes from it (net/http trims
// it before the middleware sees the value).
func TestAuthorizationOnTheWire(t *testing.T) {
	fv := &fakeVerifier{}
	srv := httptest.NewServer(Middleware(fv, Options{Logger: discard})(okHandler))
	t.Cleanup(srv.Close)
	tests := []struct {
		name   string
		line   string // the header line, without CRLF
		status int
	}{
		{"one space", "Authorization: Bearer abc", 200},
		{"two spaces", "Authorization: Bearer  abc", 200},
		{"five spaces", "Authorization: bearer     abc", 200},
		{"trailing spaces", "Authorization: Bearer abc   ", 200},
		{"trailing tab", "Authorization: Bearer abc\t", 200},
		{"spaces before the value", "Authorization:    Bearer abc", 200},
		{"tab as separator", "Authorization: Bearer\tabc", 400},
		{"space and tab as separator", "Authorization: Bearer \tabc", 400},
		{"space inside the token", "Authorization: Bearer ab c", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			req := "GET /api/messages HTTP/1.1\r\nHost: x\r\n" + tt.line + "\r\nConnection: close\r\n\r\n"
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("%q: status %d, want %d (%s)", tt.line, resp.StatusCode, tt.status, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	for i, tok := range fv.calls() {
		if tok != "abc" {
			t.Errorf("call %d: the verifier saw %q, want abc", i, tok)
		}
	}
}

// TestAuthorizationOverHTTP2: HTTP/2 does not trim field values as
// net/http's HTTP/1 reader does, so the middleware does (RFC 9110 §5.5), and
// the answer is the same whichever protocol carried the request.
func TestAuthorizationOverHTTP2(t *testing.T) {
	fv := &fakeVerifier{}
	srv := httptest.NewUnstartedServer(Middleware(fv, Options{Logger: discard})(okHandler))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		auth   string
		status int
	}{
		{"Bearer abc ", 200},
		{" Bearer  abc\t", 200},
		{"Bearer\tabc", 400},
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/messages", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", tt.auth)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
		}
		if resp.StatusCode != tt.status {
			t.Errorf("%q: status %d, want %d", tt.auth, resp.StatusCode, tt.status)
		}
	}
	if calls := fv.calls(); !slices.Equal(calls, []string{"abc", "abc"}) {
		t.Errorf("the verifier saw %q, want [abc abc]", calls)
	}
}
