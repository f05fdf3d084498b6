package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/resource-server/resource-server/gateway"
)

// route1 builds a gateway with one public route to h and returns its URL.
func route1(t *testing.T, h http.Handler, timeout time.Duration) string {
	t.Helper()
	_, gw := start(t, gateway.Config{Routes: []gateway.Route{{Match: "/", Upstream: upstream(t, h), Public: true, Timeout: timeout}}})
	return gw.URL
}

func TestUpstreamDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://" + l.Addr().String())
	l.Close() // nothing listens there now
	_, gw := start(t, gateway.Config{Routes: []gateway.Route{{Match: "/", Upstream: u, Public: true}}})
	refusedLike(t, do(t, "GET", gw.URL+"/x", ""), http.StatusBadGateway, "bad_gateway")
}

// roundTripper is a RoundTripper that is not an *http.Transport.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestUpstreamSlow: past Timeout without response headers, 504; with the
// default transport (cloned with ResponseHeaderTimeout) and with another
// RoundTripper (wrapped with a timer).
func TestUpstreamSlow(t *testing.T) {
	other := roundTripper(gateway.NewTransport().RoundTrip)
	for name, transport := range map[string]http.RoundTripper{"default": nil, "other RoundTripper": other} {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done(): // the gateway gave up
				}
			})
			_, gw := start(t, gateway.Config{Transport: transport, Routes: []gateway.Route{
				{Match: "/", Upstream: upstream(t, slow), Public: true, Timeout: 20 * time.Millisecond}}})
			t.Cleanup(func() { close(release) }) // before the upstream closes (LIFO)
			refusedLike(t, do(t, "GET", gw.URL+"/x", ""), http.StatusGatewayTimeout, "gateway_timeout")
		})
	}
}

// get sends a GET and returns the response, whose body the caller reads.
func get(t *testing.T, u string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestStreamedResponse: each chunk reaches the client while the upstream
// still holds the rest, and the Timeout (short here) does not cut a body
// that outlasts it. Both event streams and bodies of unknown length.
func TestStreamedResponse(t *testing.T) {
	const timeout = 20 * time.Millisecond
	for _, ct := range []string{"text/event-stream", "application/octet-stream"} {
		t.Run(ct, func(t *testing.T) {
			more := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				fmt.Fprint(w, "data: one\n\n")
				w.(http.Flusher).Flush()
				select {
				case <-more:
				case <-r.Context().Done():
					return
				}
				fmt.Fprint(w, "data: two\n\n")
			})
			gw := route1(t, h, timeout)
			resp := get(t, gw+"/events")
			br := bufio.NewReader(resp.Body)
			if line, err := br.ReadString('\n'); err != nil || line != "data: one\n" {
				t.Fatalf("first line %q, %v: the response was not streamed", line, err)
			}
			// Outlast the header timeout on purpose: only time can show
			// that the timer no longer applies.
			<-time.After(5 * timeout)
			close(more)
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "\ndata: two\n\n" {
				t.Fatalf("rest %q, %v: the stream was cut", rest, err)
			}
		})
	}
}

// TestStreamedRequest: the upstream reads the first part of the request
// body before the client has written the rest.
func TestStreamedRequest(t *testing.T) {
	got := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		got <- string(buf)
		rest, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s|%s", buf, rest)
	})
	gw := route1(t, h, 0)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	req, _ := http.NewRequestWithContext(t.Context(), "POST", gw+"/upload", pr)
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{string(b), err}
	}()
	if _, err := pw.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	select {
	case first := <-got:
		if first != "first" {
			t.Fatalf("upstream read %q", first)
		}
	case r := <-done:
		t.Fatalf("the request ended before its body was complete: %+v", r)
	}
	fmt.Fprint(pw, "second")
	pw.Close()
	if r := <-done; r.err != nil || r.body != "first|second" {
		t.Fatalf("answer %q, %v", r.body, r.err)
	}
}

// TestWebSocket: an Upgrade: websocket handshake goes through with the
// token, and the upgraded connection carries bytes both ways past Timeout.
func TestWebSocket(t *testing.T) {
	const timeout = 20 * time.Millisecond
	iss := newIssuer(t)
	ws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.Header.Get("X-Auth-Subject") != "demo" {
			http.Error(w, "not a websocket handshake with a subject", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: test\r\n\r\n")
		brw.Flush()
		_, _ = io.Copy(conn, brw) // echo until the client closes
	})
	_, gw := start(t, gateway.Config{Verifier: iss.v, Routes: []gateway.Route{{Match: "GET /ws", Upstream: upstream(t, ws), Timeout: timeout,
		Headers: []gateway.ClaimHeader{{Name: "X-Auth-Subject", Claim: "/sub"}}}}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n", iss.mint(t, nil))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "websocket" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, Upgrade %q: %s", resp.StatusCode, resp.Header.Get("Upgrade"), b)
	}
	for i, msg := range []string{"ping", "pong"} {
		if i == 1 {
			<-time.After(5 * timeout) // outlast the header timeout on purpose
		}
		fmt.Fprint(conn, msg)
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != msg {
			t.Fatalf("echo %q, %v", buf, err)
		}
	}
}
