package verifier_test

import (
	"encoding/json"
	"testing"

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
		"ClientID": tok.ClientID(), "Nonce": tok.Nonce(),
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
