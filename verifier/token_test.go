package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
	"github.com/resource-server/resource-server/verifier"
)

// TestZeroToken: a Token the verifier did not make (the zero value, as a
// test double or a struct field might hold) is an empty token: every method
// answers a zero value and none panics.
func TestZeroToken(t *testing.T) {
	var tok verifier.Token
	if h := tok.Header(); h != (verifier.Header{}) {
		t.Errorf("Header() = %+v, want zero", h)
	}
	for name, got := range map[string]string{
		"Issuer": tok.Issuer(), "Subject": tok.Subject(), "ID": tok.ID(),
		"ClientID": tok.ClientID(), "Nonce": tok.Nonce(), "KeyThumbprint": tok.KeyThumbprint(),
	} {
		if got != "" {
			t.Errorf("%s() = %q, want empty", name, got)
		}
	}
	for name, got := range map[string]bool{
		"Expiry": tok.Expiry().IsZero(), "NotBefore": tok.NotBefore().IsZero(), "IssuedAt": tok.IssuedAt().IsZero(),
	} {
		if !got {
			t.Errorf("%s() is not the zero time", name)
		}
	}
	if a, s := tok.Audience(), tok.Scopes(); len(a) != 0 || len(s) != 0 {
		t.Errorf("Audience() = %q, Scopes() = %q, want none", a, s)
	}
	if tok.HasScope("") || tok.HasScope("openid") {
		t.Error("HasScope reports a scope of the zero Token")
	}
	var sub string
	if ok, err := tok.Claim("sub", &sub); ok || err != nil || sub != "" {
		t.Errorf("Claim(sub) = %v, %v, %q; want false, nil, \"\"", ok, err, sub)
	}
	if c := tok.Claims(); c == nil || len(c) != 0 {
		t.Errorf("Claims() = %#v, want an empty map", c)
	}
	b, err := json.Marshal(&tok)
	if err != nil || string(b) != `{"header":{},"claims":{}}` {
		t.Errorf("json.Marshal = %s, %v; want {\"header\":{},\"claims\":{}}", b, err)
	}
}

// TestKeyThumbprint: "cnf"."jkt" (RFC 9449 §6.1) is the key a DPoP-bound
// token is bound to; a "cnf" that cannot be read one way only refuses the
// token.
func TestKeyThumbprint(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := newVerifier(t, srv, nil)
	const jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	tests := []struct {
		name    string
		cnf     any
		want    string
		refused bool
	}{
		{"no cnf", nil, "", false},
		{"jkt", map[string]any{"jkt": jkt}, jkt, false},
		{"cnf without jkt", map[string]any{"x5t#S256": "abc"}, "", false},
		{"jkt not a thumbprint", map[string]any{"jkt": "short"}, "", true},
		{"jkt not a string", map[string]any{"jkt": 42}, "", true},
		{"cnf not an object", "jkt", "", true},
		{"case variant of jkt", map[string]any{"JKT": jkt}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]any{}
			if tt.cnf != nil {
				claims["cnf"] = tt.cnf
			}
			tok, err := v.VerifyAccessToken(context.Background(), mint(t, srv, claims))
			if tt.refused {
				if !errors.Is(err, verifier.ErrInvalidClaim) {
					t.Fatalf("error %v, want ErrInvalidClaim", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.KeyThumbprint(); got != tt.want {
				t.Errorf("KeyThumbprint() = %q, want %q", got, tt.want)
			}
		})
	}
}
