package jsonerror_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/resource-server/resource-server/internal/jsonerror"
)

func TestWrite(t *testing.T) {
	for _, tt := range []struct {
		name, method, code, desc, body string
	}{
		{"with description", http.MethodGet, "invalid_token", `token "expired"`, `{"error":"invalid_token","error_description":"token \"expired\""}`},
		{"without description", http.MethodPost, "server_error", "", `{"error":"server_error"}`},
		{"HEAD", http.MethodHead, "not_found", "no route", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			jsonerror.Write(w, httptest.NewRequest(tt.method, "/", nil), http.StatusUnauthorized, tt.code, tt.desc)
			if w.Code != http.StatusUnauthorized || w.Body.String() != tt.body {
				t.Errorf("status %d, body %s; want 401, %s", w.Code, w.Body, tt.body)
			}
			full := tt.body
			if tt.method == http.MethodHead {
				full = `{"error":"not_found","error_description":"no route"}`
			}
			for k, v := range map[string]string{
				"Content-Type":     "application/json",
				"Cache-Control":    "no-store",
				"Content-Length":   strconv.Itoa(len(full)),
				"WWW-Authenticate": `Bearer realm="api"`,
			} {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
