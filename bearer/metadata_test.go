package bearer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/verifier"
)

// metadataVerifier accepts "good" (a token without scopes), answers
// "keys-down" as the verifier does when the issuer's keys cannot be had,
// and refuses anything else.
type metadataVerifier struct{}

func (metadataVerifier) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*verifier.Token, error) {
	switch token {
	case "good":
		return &verifier.Token{}, nil
	case "keys-down":
		return nil, fmt.Errorf("no keys: %w", verifier.ErrKeysUnavailable)
	}
	return nil, errors.New("bad token")
}

// metadataRequests are refusals of every kind, with the challenge each gets
// before resource_metadata.
var metadataRequests = []struct {
	name, auth string
	status     int
	prefix     string
}{
	{"no credentials", "", 401, `Bearer realm="api"`},
	{"bad syntax", "Bearer a\"b", 400, `Bearer realm="api", error="invalid_request", error_description="`},
	{"invalid token", "Bearer bad", 401, `Bearer realm="api", error="invalid_token", error_description="bad token"`},
	{"insufficient scope", "Bearer good", 403, `Bearer realm="api", error="insufficient_scope", error_description="the token lacks the scope(s) read", scope="read"`},
	{"keys unavailable", "Bearer keys-down", 503, `Bearer realm="api"`},
}

// TestResourceMetadataFunc: Options.ResourceMetadataFunc puts the metadata
// URL it derives from the request in every challenge, whatever the status
// (RFC 9728 §5.1); when it gives nothing usable, ResourceMetadata stands in.
func TestResourceMetadataFunc(t *testing.T) {
	const static = "https://static.example.com/.well-known/oauth-protected-resource"
	fromHost := func(r *http.Request) string {
		switch r.Host {
		case "empty.example.com":
			return ""
		case "quote.example.com":
			return `https://quote.example.com/"`
		}
		return "https://" + r.Host + "/.well-known/oauth-protected-resource"
	}
	tests := []struct {
		name   string
		opts   bearer.Options
		host   string
		metaMD string // the resource_metadata expected; "" for none
	}{
		{"func", bearer.Options{ResourceMetadataFunc: fromHost}, "api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"},
		{"func over static", bearer.Options{ResourceMetadata: static, ResourceMetadataFunc: fromHost}, "api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"},
		{"func empty, static stands in", bearer.Options{ResourceMetadata: static, ResourceMetadataFunc: fromHost}, "empty.example.com", static},
		{"func unquotable, static stands in", bearer.Options{ResourceMetadata: static, ResourceMetadataFunc: fromHost}, "quote.example.com", static},
		{"func empty, no static", bearer.Options{ResourceMetadataFunc: fromHost}, "empty.example.com", ""},
		{"static only", bearer.Options{ResourceMetadata: static}, "api.example.com", static},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Logger = slog.New(slog.DiscardHandler)
			h := bearer.Middleware(metadataVerifier{}, opts)(bearer.RequireScopes("read")(http.NotFoundHandler()))
			for _, rq := range metadataRequests {
				r := httptest.NewRequest(http.MethodGet, "http://"+tt.host+"/things", nil)
				if rq.auth != "" {
					r.Header.Set("Authorization", rq.auth)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				got := w.Header().Get("WWW-Authenticate")
				want := rq.prefix
				if tt.metaMD != "" {
					want += `, resource_metadata="` + tt.metaMD + `"`
				}
				ok := got == want
				if rq.name == "bad syntax" { // the description is extract's to word
					ok = strings.HasPrefix(got, rq.prefix) && strings.HasSuffix(got, want[len(rq.prefix):]) &&
						(tt.metaMD != "" || !strings.Contains(got, "resource_metadata"))
				}
				if w.Code != rq.status || !ok {
					t.Errorf("%s: %d %s\nwant %d %s", rq.name, w.Code, got, rq.status, want)
				}
			}
		})
	}
}

// A resource reached under several names (or whose name is not known when
// it starts) derives its RFC 9728 metadata URL from each request. The Host
// header is the client's: trust it only as far as your routing does, and
// never take X-Forwarded-* from a client that is not your proxy.
func ExampleOptions_resourceMetadataFunc() {
	auth := bearer.Middleware(metadataVerifier{}, bearer.Options{
		Logger: slog.New(slog.DiscardHandler),
		ResourceMetadataFunc: func(r *http.Request) string {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			return scheme + "://" + r.Host + "/.well-known/oauth-protected-resource"
		},
	})
	handler := auth(http.NotFoundHandler())

	r := httptest.NewRequest("GET", "https://api.example.com/api/messages", nil)
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// 401 Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"
}
