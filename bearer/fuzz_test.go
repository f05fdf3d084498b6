package bearer

// FuzzTokenFromRequest feeds Authorization headers and query strings to the
// extraction step. Seeds are in testdata/fuzz/FuzzTokenFromRequest; plain
// `go test` runs them, scripts/fuzz runs the target for a bounded time.

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzTokenFromRequest(f *testing.F) {
	f.Add("Bearer abc.def.ghi", "")
	f.Add("bearer abc", "x=1")
	f.Add("Bearer abc", "access_token=abc")
	f.Add("Bearer a\nBearer b", "")
	f.Fuzz(func(t *testing.T, authorization, rawQuery string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/api/messages", RawQuery: rawQuery}, Header: http.Header{}}
		// A newline separates several Authorization headers.
		values := strings.Split(authorization, "\n")
		if authorization != "" {
			r.Header["Authorization"] = values
		}
		tok, err := TokenFromRequest(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			switch {
			case e.Status == http.StatusUnauthorized && e.Code == "":
			case e.Status == http.StatusBadRequest && e.Code == CodeInvalidRequest:
			default:
				t.Fatalf("refusal %d %q", e.Status, e.Code)
			}
			if tok != "" {
				t.Fatal("a token with an error")
			}
			if len(values) > 1 && e.Status != http.StatusBadRequest {
				t.Fatalf("several Authorization headers answered %d", e.Status)
			}
			return
		}
		if len(values) != 1 {
			t.Fatalf("accepted %d Authorization headers", len(values))
		}
		// "Bearer" 1*SP b64token, once the white space around the field
		// value (RFC 9110 §5.5: spaces and tabs) is set aside.
		h := strings.Trim(values[0], " \t")
		if len(h) < 8 || !strings.EqualFold(h[:6], "Bearer") || strings.TrimLeft(h[6:], " ") != tok || h[6] != ' ' {
			t.Fatalf("header %q gave token %q", values[0], tok)
		}
		if !validToken(tok) {
			t.Fatalf("token %q is outside the b64token syntax", tok)
		}
		if q, err := url.ParseQuery(rawQuery); err == nil && q.Has("access_token") {
			t.Fatalf("accepted a request with access_token in the query %q", rawQuery)
		}
	})
}
