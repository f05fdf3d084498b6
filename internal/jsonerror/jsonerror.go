// Package jsonerror writes the JSON body of an OAuth 2.0 error,
// {"error":"…","error_description":"…"} (RFC 6749 §5.2, RFC 6750 §3): the
// one writer of the bearer middleware's refusals, the program's own errors
// and the development issuer's.
package jsonerror

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// body is the error object; a description is optional (RFC 6749 §5.2).
type body struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// Write answers status with {"error":code,"error_description":description}
// (no error_description when description is empty), Content-Type
// application/json, Cache-Control no-store and Content-Length; a HEAD
// request gets the headers only. Headers set on w before, such as
// WWW-Authenticate, are kept. The description is written as given: a
// caller that also puts it in a header value cleans it first.
func Write(w http.ResponseWriter, r *http.Request, status int, code, description string) {
	b, _ := json.Marshal(body{code, description}) // two strings: cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
