package gateway

import (
	"testing"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

func TestParsePointer(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"/", []string{""}, false},
		{"/sub", []string{"sub"}, false},
		{"/a/b/0", []string{"a", "b", "0"}, false},
		{"/https:~1~1example.com~1tenant", []string{"https://example.com/tenant"}, false},
		{"/a~0b", []string{"a~b"}, false},
		{"/~01", []string{"~1"}, false}, // not "/"
		{"/~10", []string{"/0"}, false},
		{"sub", nil, true},
		{"/a~2", nil, true},
		{"/a~", nil, true},
	}
	for _, tt := range tests {
		got, err := parsePointer(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("parsePointer(%q) error %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("parsePointer(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parsePointer(%q) = %q, want %q", tt.in, got, tt.want)
			}
		}
	}
}

// TestClaimHeaderValues reads claims of a real token through pointers and
// renders them as header values.
func TestClaimHeaderValues(t *testing.T) {
	srv := devissuertest.Start(t, devissuer.Options{})
	v := devissuertest.Verifier(t, srv)
	raw, err := srv.Issuer.MintAccessToken(map[string]any{
		"https://example.com/tenant": "acme",
		"a~b":                        "tilde",
		"realm_access":               map[string]any{"roles": []any{"admin", "user"}, "n": 2},
		"groups":                     []any{"a", 1, true, nil, "b"},
		"nested":                     []any{[]any{1}, map[string]any{"k": "v"}},
		"num":                        42.5,
		"big":                        12345678901234567,
		"flag":                       false,
		"null":                       nil,
		"empty":                      "",
		"crlf":                       "a\r\nX-Evil: 1",
		"nul":                        "a\x00b",
		"tab":                        "a\tb",
		"utf8":                       "Zoë",
		"obj":                        map[string]any{"b": 1, "a": []any{"x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.VerifyAccessToken(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ptr, sep string
		want     string
		ok       bool
		invalid  bool
	}{
		{"/sub", "", "demo", true, false},
		{"/https:~1~1example.com~1tenant", "", "acme", true, false},
		{"/a~0b", "", "tilde", true, false},
		{"/realm_access/roles", "", "admin,user", true, false},
		{"/realm_access/roles", " ", "admin user", true, false},
		{"/realm_access/roles/1", "", "user", true, false},
		{"/realm_access/n", "", "2", true, false},
		{"/realm_access/roles/2", "", "", false, false},
		{"/realm_access/roles/01", "", "", false, false},
		{"/realm_access/roles/-", "", "", false, false},
		{"/groups", ";", "a;1;true;b", true, false},
		{"/nested", "", `[[1],{"k":"v"}]`, true, false},
		{"/obj", "", `{"a":["x"],"b":1}`, true, false}, // as the issuer wrote it (Go sorts map keys)
		{"/num", "", "42.5", true, false},
		{"/big", "", "12345678901234567", true, false},
		{"/flag", "", "false", true, false},
		{"/null", "", "", false, false},
		{"/empty", "", "", false, false},
		{"/missing", "", "", false, false},
		{"/sub/x", "", "", false, false},
		{"/crlf", "", "", false, true},
		{"/nul", "", "", false, true},
		{"/tab", "", "a\tb", true, false},
		{"/utf8", "", "Zoë", true, false},
	}
	for _, tt := range tests {
		p, err := parsePointer(tt.ptr)
		if err != nil {
			t.Fatal(err)
		}
		sep := tt.sep
		if sep == "" {
			sep = ","
		}
		got, ok, invalid := "", false, false
		if rawv, found := p.lookup(tok); found {
			got, ok, invalid = headerValue(rawv, sep)
		}
		if got != tt.want || ok != tt.ok || invalid != tt.invalid {
			t.Errorf("%s: (%q, %v, %v), want (%q, %v, %v)", tt.ptr, got, ok, invalid, tt.want, tt.ok, tt.invalid)
		}
	}
	if whole, ok := pointer(nil).lookup(tok); !ok || len(whole) < 10 || whole[0] != '{' {
		t.Errorf("the empty pointer gave %q, %v; want the claims object", whole, ok)
	}
}
