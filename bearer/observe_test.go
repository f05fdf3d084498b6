package bearer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/resource-server/resource-server/verifier"
)

// observed records the decisions Options.Observe receives.
type observed struct {
	mu        sync.Mutex
	decisions []Decision
}

func (o *observed) observe(r *http.Request, d Decision) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.decisions = append(o.decisions, d)
}

func (o *observed) take() []Decision {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.decisions
	o.decisions = nil
	return d
}

// TestObserveOncePerRequest: every request that reaches Middleware is
// reported once, with its final decision: a 403 from RequireScopes
// replaces the admission, and a handler's panic does not lose it.
func TestObserveOncePerRequest(t *testing.T) {
	scoped := &verifier.Token{} // grants no scope
	expired := &verifier.ValidationError{Kind: verifier.ErrExpired}
	fv := &fakeVerifier{fn: func(tok string) (*verifier.Token, error) {
		if tok == "expired" {
			return nil, expired
		}
		return scoped, nil
	}}
	panicking := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	tests := []struct {
		name, auth string
		inner      http.Handler
		status     int
		cause      error
		token      *verifier.Token
		raw        string
	}{
		{"admitted", "Bearer abc", okHandler, 200, nil, scoped, "abc"},
		{"no credentials", "", okHandler, 401, nil, nil, ""},
		{"bad syntax", "Bearer a b", okHandler, 400, nil, nil, "a b"},
		{"refused by the verifier", "Bearer expired", okHandler, 401, expired, nil, "expired"},
		{"insufficient scope", "Bearer abc", RequireScopes("a")(okHandler), 403, nil, scoped, "abc"},
		{"insufficient scope, nested", "Bearer abc", RequireScopes("b")(RequireScopes("a")(okHandler)), 403, nil, scoped, "abc"},
		{"refused by the caller's own rule", "Bearer abc", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			Refuse(w, r, &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Description: "not for this route"})
		}), 403, nil, scoped, "abc"},
		{"enough scope", "Bearer abc", RequireScopes()(okHandler), 200, nil, scoped, "abc"},
		{"panicking handler", "Bearer abc", panicking, 200, nil, scoped, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &observed{}
			h := Middleware(fv, Options{Logger: discard, Observe: o.observe})(tt.inner)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			func() {
				defer func() { _ = recover() }()
				h.ServeHTTP(httptest.NewRecorder(), r)
			}()
			got := o.take()
			if len(got) != 1 {
				t.Fatalf("%d decisions reported, want 1: %+v", len(got), got)
			}
			d := got[0]
			if d.Status != tt.status || !errors.Is(d.Cause, tt.cause) || d.Token != tt.token || d.Raw != tt.raw ||
				d.Admitted() != (tt.status == 200) || (d.Err == nil) != (tt.status == 200) ||
				(d.Err != nil && d.Err.Status != tt.status) {
				t.Errorf("decision %+v, want status %d, cause %v, token %p, raw %q", d, tt.status, tt.cause, tt.token, tt.raw)
			}
		})
	}
}

// TestObserveAllocations: reporting the admission allocates nothing more
// than the middleware does without it.
func TestObserveAllocations(t *testing.T) {
	tok := &verifier.Token{}
	fv := verifierFunc(func(context.Context, string, ...string) (*verifier.Token, error) { return tok, nil })
	var n int
	h := Middleware(fv, Options{Observe: func(*http.Request, Decision) { n++ }})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/api/messages", nil)
	r.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	w := httptest.NewRecorder()
	if allocs := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, r) }); allocs > 2 {
		t.Errorf("%v allocations per request with Observe, want at most 2 (request copy and context)", allocs)
	}
	if n == 0 {
		t.Error("Observe was not called")
	}
}
