// Package messages is the Express sample's GET /api/messages: the program
// serves it behind the bearer middleware, and the load benchmark's ceiling
// (bench/cmd/ceiling) serves it bare, so both write the very same JSON.
package messages

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

type message struct {
	Date string `json:"date"`
	Text string `json:"text"`
}

// isoMillis is JavaScript's Date.toISOString layout, which the sample's
// front-ends parse.
const isoMillis = "2006-01-02T15:04:05.000Z"

// Handler answers with the sample's two messages, dated now and an hour
// before, checking nothing: authentication is the caller's to put in front.
func Handler(now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := now().UTC()
		body, _ := json.Marshal(struct { // strings only: cannot fail
			Messages []message `json:"messages"`
		}{[]message{
			{Date: t.Format(isoMillis), Text: "I am a robot."},
			{Date: t.Add(-time.Hour).Format(isoMillis), Text: "Hello, world!"},
		}})
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}
