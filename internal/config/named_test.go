package config

import (
	"errors"
	"strings"
	"testing"
)

// problems returns the *Error values of a Load error.
func problems(t *testing.T, err error) []*Error {
	t.Helper()
	all := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		all = joined.Unwrap()
	}
	var out []*Error
	for _, err := range all {
		e := (*Error)(nil)
		if !errors.As(err, &e) {
			t.Fatalf("%v is not an *Error", err)
		}
		out = append(out, e)
	}
	return out
}

// TestPublicURL: PUBLIC_URL is an absolute http(s) URL without query,
// fragment or credentials; a trailing slash is dropped.
func TestPublicURL(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		want  string   // the loaded PublicURL, when accepted
		wants []string // parts of the error, when refused
	}{
		{name: "trailing slash dropped", env: map[string]string{"PUBLIC_URL": "https://api.example.com/"}, want: "https://api.example.com"},
		{name: "http, from the flag", args: []string{"--public-url=http://localhost:8000"}, want: "http://localhost:8000"},
		{name: "path kept, slash dropped", args: []string{"-public-url", "https://example.com/api/"}, want: "https://example.com/api"},
		{name: "unset", want: ""},
		{name: "no scheme", env: map[string]string{"PUBLIC_URL": "api.example.com"},
			wants: []string{`config: PUBLIC_URL "api.example.com" is not an absolute URL: set PUBLIC_URL (or --public-url) to the base URL clients reach the API at`, "https://api.example.com", "leave it unset"}},
		{name: "not http", args: []string{"--public-url=ftp://api.example.com"},
			wants: []string{`PUBLIC_URL "ftp://api.example.com" (from --public-url) is not an http(s) URL`}},
		{name: "query", env: map[string]string{"PUBLIC_URL": "https://api.example.com/?a=1"}, wants: []string{"has a query or fragment"}},
		{name: "fragment", env: map[string]string{"PUBLIC_URL": "https://api.example.com/#x"}, wants: []string{"has a query or fragment"}},
		{name: "credentials", env: map[string]string{"PUBLIC_URL": "https://u:p@api.example.com"}, wants: []string{"holds a user name or password"}},
		{name: "quote", env: map[string]string{"PUBLIC_URL": `https://api.example.com/a"b`}, wants: []string{`holds a '"' or '\'`, "percent-encoded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ISSUER": okIssuer}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := Load(tt.args, envOf(env), t.TempDir())
			if tt.wants == nil {
				if err != nil || c.PublicURL != tt.want {
					t.Fatalf("PublicURL = %q, %v; want %q", c.PublicURL, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %+v", tt)
			}
			if ps := problems(t, err); len(ps) != 1 || ps[0].Field != "PUBLIC_URL" {
				t.Errorf("problems %v, want one about PUBLIC_URL", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestUnknownFileKeys: a key the program does not know, in a section of
// .samples.config.json it reads, is named with its path and the nearest
// valid key, instead of being silently ignored.
func TestUnknownFileKeys(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		wants []string
	}{
		{name: "misspelt issuer", file: `{"resourceServer":{"oidc":{"isuer":"` + okIssuer + `"}}}`,
			wants: []string{`has the unknown key "isuer" at resourceServer.oidc.isuer: did you mean issuer? Rename it to resourceServer.oidc.issuer; the keys read under resourceServer.oidc are issuer, testing`}},
		{name: "swapped letters", file: `{"resourceServer":{"prot":9000}}`,
			wants: []string{`"prot" at resourceServer.prot: did you mean port?`}},
		{name: "misspelt section", file: `{"resourceServer":{"assertClaim":{"cid":"0oa1"}}}`,
			wants: []string{`"assertClaim" at resourceServer.assertClaim: did you mean assertClaims?`}},
		{name: "wrong case", file: `{"resourceServer":{"oidc":{"testing":{"disableHTTPSCheck":true}}}}`,
			wants: []string{`at resourceServer.oidc.testing.disableHTTPSCheck: did you mean disableHttpsCheck?`}},
		{name: "top-level near miss", file: `{"resourceserver":{"port":9000}}`,
			wants: []string{`"resourceserver" at resourceserver: did you mean resourceServer?`}},
		{name: "nothing near", file: `{"resourceServer":{"timeout":5}}`,
			wants: []string{`"timeout" at resourceServer.timeout: remove it or correct its name; the keys read under resourceServer are port, oidc, assertClaims`}},
		{name: "near an ignored sample key", file: `{"resourceServer":{"oidc":{"clientID":"x"}}}`,
			wants: []string{`did you mean clientId? Rename it to resourceServer.oidc.clientId (a key of the Express sample's file that this program ignores)`}},
		{name: "claim near cid", file: `{"resourceServer":{"assertClaims":{"cdi":"0oa1"}}}`,
			wants: []string{`asserts the claim "cdi"`, "did you mean cid? Rename it to resourceServer.assertClaims.cid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeConfig(t, dir, tt.file)
			_, err := Load(nil, envOf(map[string]string{"ISSUER": okIssuer}), dir)
			if err == nil {
				t.Fatal("the unknown key was ignored")
			}
			ps := problems(t, err)
			if len(ps) != 1 || ps[0].Field != "--config" || ps[0].Value != path {
				t.Errorf("problems %v, want one naming the file", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestSampleFileKeys: the Express sample's own file, with every key its
// config.js writes (webServer, resourceServer.oidc.clientId, testing), loads.
func TestSampleFileKeys(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, `{
  "webServer": {
    "port": 8080,
    "oidc": {
      "clientId": "0oa-web", "clientSecret": "secret", "issuer": "`+okIssuer+`",
      "appBaseUrl": "http://localhost:8080", "scope": "openid profile email",
      "testing": {"disableHttpsCheck": false}
    }
  },
  "resourceServer": {
    "port": 8000,
    "oidc": {"clientId": "0oa-spa", "issuer": "`+okIssuer+`", "testing": {"disableHttpsCheck": false}},
    "assertClaims": {"aud": "api://default", "cid": "0oa-spa"}
  }
}`)
	c, err := Load(nil, nil, dir)
	if err != nil || c.Issuer != okIssuer || c.ClientID != "0oa-spa" {
		t.Fatalf("Load = %+v, %v", c, err)
	}
}

// TestUnparsedValueReportedAlone: a value that cannot be parsed is reported
// once, without the checks that rest on the default standing in for it (DEV
// not a boolean must not also say "ISSUER is not set … or run with --dev").
func TestUnparsedValueReportedAlone(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		field string
	}{
		{name: "DEV from the environment", env: map[string]string{"DEV": "maybe"}, field: "DEV"},
		{name: "DEV from a flag", args: []string{"--dev=maybe"}, field: "DEV"},
		{name: "DEV with an issuer", args: []string{"--dev=maybe", "--issuer=" + okIssuer}, field: "DEV"},
		{name: "https check with an http issuer", args: []string{"--insecure-disable-https-check=maybe"},
			env: map[string]string{"ISSUER": "http://localhost:9000/oauth2/default"}, field: "OKTA_TESTING_DISABLEHTTPSCHECK"},
		{name: "PORT in dev mode", args: []string{"--dev", "--port=eighty", "--frontend-port=8000"}, field: "PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, envOf(tt.env), t.TempDir())
			if err == nil {
				t.Fatal("accepted")
			}
			if ps := problems(t, err); len(ps) != 1 || ps[0].Field != tt.field {
				t.Errorf("got %d problems:\n%v\nwant one, about %s", len(ps), err, tt.field)
			}
		})
	}
	// The other problems are still reported with it.
	_, err := Load([]string{"--dev=maybe", "--log-level=loud"}, nil, t.TempDir())
	if ps := problems(t, err); len(ps) != 2 || ps[0].Field != "DEV" || ps[1].Field != "LOG_LEVEL" {
		t.Errorf("DEV and LOG_LEVEL both bad: %v", err)
	}
}

// TestUnknownFlagAsTyped: an unknown flag is named as the user typed it,
// one dash or two, with the nearest flag when one is near.
func TestUnknownFlagAsTyped(t *testing.T) {
	tests := []struct {
		args  []string
		field string
		want  string
	}{
		{[]string{"-bogus"}, "-bogus", "config: -bogus is not a flag: run with --help to list the flags"},
		{[]string{"--bogus=1"}, "--bogus", "config: --bogus is not a flag: run with --help"},
		{[]string{"--port=9000", "-isuer=" + okIssuer}, "-isuer", "config: -isuer is not a flag: did you mean -issuer? Or run with --help"},
		{[]string{"--Frontend_Port", "9000"}, "--Frontend_Port", "did you mean --frontend-port?"},
		{[]string{"--issuer-url", okIssuer}, "--issuer-url", "config: --issuer-url is not a flag: run with --help"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := Load(tt.args, nil, t.TempDir())
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v (field %q)\nwant field %q and %q", err, e.Field, tt.field, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"", "abc", 3}, {"issuer", "isuer", 1}, {"port", "prot", 1}, {"cid", "cdi", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
