package metrics

import "testing"

func TestIssuerIndex(t *testing.T) {
	x := newIssuerIndex([]string{
		"https://a.example/oauth2/default",
		"https://login.microsoftonline.com/{tenantid}/v2.0",
		"https://a.example/oauth2/default", // a duplicate is one label
	})
	cases := []struct{ iss, want string }{
		{"https://a.example/oauth2/default", "https://a.example/oauth2/default"},
		{"https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/{tenantid}/v2.0"},
		{"https://login.microsoftonline.com//v2.0", "unknown"},
		{"https://login.microsoftonline.com/a/b/v2.0", "unknown"},
		{"https://a.example/oauth2/default/", "unknown"},
		{"https://attacker.example", "unknown"},
		{"", "unknown"},
	}
	for _, c := range cases {
		if got := x.labels[x.of(c.iss)]; got != c.want {
			t.Errorf("of(%q) = %q, want %q", c.iss, got, c.want)
		}
	}
	if len(x.labels) != 3 {
		t.Errorf("labels %q, want unknown and two issuers", x.labels)
	}
}

func TestUnverifiedIssuer(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2EuZXhhbXBsZSJ9.c2ln", "https://a.example"},
		{"eyJhbGciOiJub25lIn0.eyJpc3MiOjF9.c2ln", ""}, // iss not a string
		{"a.%%%.c", ""},
		{"no-dots", ""},
		{"a.b", ""},
	}
	for _, c := range cases {
		if got := unverifiedIssuer(c.raw); got != c.want {
			t.Errorf("unverifiedIssuer(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}
