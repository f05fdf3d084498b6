package config

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// IntrospectionConfig is an issuers: entry's introspection: mapping: how the
// program asks that issuer about a token by RFC 7662 token introspection, for
// tokens it cannot verify itself (opaque tokens) and for every token of a
// route with introspect: always. Its String, GoString and LogValue never show
// the client secret.
type IntrospectionConfig struct {
	// URL is url: the introspection endpoint; "" for the one the issuer's
	// discovery document names (introspection_endpoint).
	URL string
	// ClientID is client_id: the client the program authenticates as.
	ClientID string
	// ClientSecret is client_secret, or, when ClientSecretEnv is set, the
	// value Load read from that environment variable. Secret: never
	// printed, logged or put in an error.
	ClientSecret string
	// ClientSecretEnv is client_secret_env: the name of the environment
	// variable holding the secret; "" when client_secret holds it.
	ClientSecretEnv string
	// CacheTTL is cache_ttl: how long an answer that a token is active is
	// kept. Load sets DefaultIntrospectionCacheTTL when the entry leaves it
	// out; it must be positive.
	CacheTTL time.Duration
	// InactiveTTL is inactive_ttl: how long an answer that a token is not
	// active is kept. Load sets DefaultIntrospectionInactiveTTL when the
	// entry leaves it out; it must be below CacheTTL.
	InactiveTTL time.Duration
}

// The defaults of introspection:'s cache_ttl and inactive_ttl.
const (
	DefaultIntrospectionCacheTTL    = 5 * time.Minute
	DefaultIntrospectionInactiveTTL = 10 * time.Second
)

// kindIntrospection is the introspection: mapping of an issuers: entry.
const kindIntrospection kind = 102

// introspectionKey declares one key of an introspection: mapping, in the
// style of issuerSetting: decodeIntrospection, the checks, Describe, the
// example file and the README's row of introspection are driven by
// introspectionKeys.
type introspectionKey struct {
	key    string
	kind   kind // kindString or kindDuration
	defDoc string
	help   string
	secret bool // redacted in Describe and String, never in an error
	// redact shows the value with its secret parts hidden (url's
	// credentials); nil: shown as it is.
	redact func(string) string
	ptr    func(*IntrospectionConfig) any
}

// introspectionKeys is the table of an introspection: mapping's keys.
var introspectionKeys = []*introspectionKey{
	{key: "url", kind: kindString, defDoc: "discovery's introspection_endpoint", redact: redactURL,
		help: "the introspection endpoint; https unless OKTA_TESTING_DISABLEHTTPSCHECK, no user name or fragment; required for a template issuer",
		ptr:  func(in *IntrospectionConfig) any { return &in.URL }},
	{key: "client_id", kind: kindString, defDoc: "none: required",
		help: "the client the program authenticates to the endpoint as",
		ptr:  func(in *IntrospectionConfig) any { return &in.ClientID }},
	{key: "client_secret", kind: kindString, defDoc: "none: this or client_secret_env is required", secret: true,
		help: "its secret; never printed, logged or put in an error",
		ptr:  func(in *IntrospectionConfig) any { return &in.ClientSecret }},
	{key: "client_secret_env", kind: kindString, defDoc: "none",
		help: "instead of client_secret, the name of an environment variable holding the secret, so that it need not sit in the file",
		ptr:  func(in *IntrospectionConfig) any { return &in.ClientSecretEnv }},
	{key: "cache_ttl", kind: kindDuration, defDoc: shortDuration(DefaultIntrospectionCacheTTL),
		help: "how long an answer that a token is active is kept",
		ptr:  func(in *IntrospectionConfig) any { return &in.CacheTTL }},
	{key: "inactive_ttl", kind: kindDuration, defDoc: shortDuration(DefaultIntrospectionInactiveTTL),
		help: "how long an answer that a token is not active is kept; below cache_ttl",
		ptr:  func(in *IntrospectionConfig) any { return &in.InactiveTTL }},
}

// introspectionHelp is the help of an entry's introspection: key, made
// from introspectionKeys.
func introspectionHelp() string {
	parts := make([]string, len(introspectionKeys))
	for i, k := range introspectionKeys {
		parts[i] = k.key + " (" + k.help + "; default " + k.defDoc + ")"
	}
	return "ask the issuer about tokens by RFC 7662 introspection: opaque tokens, and every token of a route with introspect: always; a mapping of " +
		strings.Join(parts, ", ") + "; at most one issuer may have it, since an opaque token carries no iss to pick an issuer by, and a token sent to a server that did not issue it is handed over"
}

// introspectionKeyByName finds a key of introspection:; nil for none.
func introspectionKeyByName(key string) *introspectionKey {
	for _, k := range introspectionKeys {
		if k.key == key {
			return k
		}
	}
	return nil
}

// introspectionKeyNames lists the keys of introspection:.
func introspectionKeyNames() []string {
	names := make([]string, len(introspectionKeys))
	for i, k := range introspectionKeys {
		names[i] = k.key
	}
	return names
}

// display is in's value of k as text for people, a secret redacted.
func (k *introspectionKey) display(in IntrospectionConfig) string {
	text, _ := formatValue(k.ptr(&in), k.kind)
	switch {
	case k.secret && text != "":
		return "REDACTED"
	case k.redact != nil:
		return k.redact(text)
	}
	return text
}

// String describes in on one line, the secret redacted: "url=...
// client_id=rs-client client_secret=REDACTED cache_ttl=5m inactive_ttl=10s".
func (in IntrospectionConfig) String() string {
	var parts []string
	for _, k := range introspectionKeys {
		if v := k.display(in); v != "" {
			parts = append(parts, k.key+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// GoString is String, so that %#v redacts the secret too.
func (in IntrospectionConfig) GoString() string {
	return "config.IntrospectionConfig{" + in.String() + "}"
}

// LogValue logs in with log/slog, the secret redacted.
func (in IntrospectionConfig) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(introspectionKeys))
	for _, k := range introspectionKeys {
		attrs = append(attrs, slog.String(k.key, k.display(in)))
	}
	return slog.GroupValue(attrs...)
}

// decodeIntrospection reads the value v of ic's introspection: key, in the
// file at path: a mapping of the keys of introspectionKeys, each recorded
// in ic's sources as "introspection.KEY". Its *Error names the key.
func decodeIntrospection(ic *IssuerConfig, v *yaml.Node, path string) (*IntrospectionConfig, *Error) {
	if v.Kind != yaml.MappingNode {
		return nil, &Error{Problem: "is not a mapping",
			Fix: "write its keys under it, e.g. introspection: " + issuerSettingByKey("introspection").example() + "; the keys are " + strings.Join(introspectionKeyNames(), ", ")}
	}
	in := &IntrospectionConfig{CacheTTL: DefaultIntrospectionCacheTTL, InactiveTTL: DefaultIntrospectionInactiveTTL}
	def := Source{Kind: SourceDefault}
	ic.sources["introspection.cache_ttl"], ic.sources["introspection.inactive_ttl"] = def, def
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], resolveAlias(v.Content[i+1])
		name := "introspection." + k.Value
		src := Source{Kind: SourceFile, Name: ic.name(name), File: path, Line: k.Line}
		key := introspectionKeyByName(k.Value)
		switch {
		case key == nil:
			return nil, unknownIntrospectionKey(*ic, k, path)
		case ic.sources[name].Kind == SourceFile:
			return nil, &Error{Field: ic.name(name), Source: src,
				Problem: fmt.Sprintf("is set twice, on lines %d and %d", ic.sources[name].Line, k.Line), Fix: "keep one of them"}
		}
		set, err := key.decode(in, val)
		if err != nil {
			err.Field, err.Source = ic.name(name), src
			return nil, err
		}
		if set {
			ic.sources[name] = src
		}
	}
	if in.ClientSecret != "" && in.ClientSecretEnv != "" {
		src := ic.sources["introspection.client_secret_env"]
		return nil, &Error{Field: ic.name("introspection.client_secret_env"), Source: src,
			Problem: fmt.Sprintf("is set together with client_secret (line %d)", ic.sources["introspection.client_secret"].Line),
			Fix:     "keep one: client_secret_env names the environment variable holding the secret, which keeps it out of the file; remove client_secret"}
	}
	return in, nil
}

// unknownIntrospectionKey reports a key of introspection: that no
// declaration has, with the nearest one.
func unknownIntrospectionKey(ic IssuerConfig, k *yaml.Node, path string) *Error {
	keys := introspectionKeyNames()
	fix := "remove it or correct its name; the keys of introspection are " + strings.Join(keys, ", ")
	if near := nearest(k.Value, keys); near != "" {
		fix = "did you mean " + near + "? Rename it to " + near + "; the keys of introspection are " + strings.Join(keys, ", ")
	}
	return &Error{Field: "--config", Value: path, Source: Source{Kind: SourceFile, Name: ic.name("introspection"), File: path, Line: k.Line},
		Problem: fmt.Sprintf("has the unknown key %q on line %d, in %s", k.Value, k.Line, ic.name("introspection")), Fix: fix}
}

// decode reads the value v into k's field of in. set is false for a null
// or an empty string. The *Error returned lacks Field and Source, and
// never holds a secret's value.
func (k *introspectionKey) decode(in *IntrospectionConfig, v *yaml.Node) (set bool, _ *Error) {
	if isNullNode(v) {
		return false, nil
	}
	if v.Kind != yaml.ScalarNode {
		return false, &Error{Problem: "is not a single value", Fix: "write one value, e.g. " + k.key + ": " + k.example()}
	}
	raw := strings.TrimSpace(v.Value)
	switch p := k.ptr(in).(type) {
	case *string:
		*p = raw
	case *time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return false, &Error{Value: raw, Problem: "is not a duration", Fix: "write a Go duration with a unit, e.g. " + k.key + ": " + k.example()}
		}
		*p = d
	}
	return true, nil
}

// example is a valid value of k, for messages.
func (k *introspectionKey) example() string {
	switch k.key {
	case "url":
		return "https://id.example.com/oauth2/default/v1/introspect"
	case "client_id":
		return "rs-client"
	case "client_secret":
		return "\"...\""
	case "client_secret_env":
		return "RS_CLIENT_SECRET"
	}
	return k.defDoc
}

// readClientSecret sets the client secret of ic's introspection from the
// environment variable client_secret_env names, through getenv; an empty
// one is left for Validate to report.
func (ic *IssuerConfig) readClientSecret(getenv func(string) string) {
	in := ic.Introspection
	if in == nil || in.ClientSecretEnv == "" || in.ClientSecret != "" {
		return
	}
	if in.ClientSecret = getenv(in.ClientSecretEnv); in.ClientSecret != "" {
		ic.sources["introspection.client_secret"] = Source{Kind: SourceEnv, Name: in.ClientSecretEnv}
	}
}

// badIntrospection reports a problem with the key sub of ic's
// introspection: from its line, or, for a key it lacks, introspection:'s.
func (ic IssuerConfig) badIntrospection(r *report, sub, value, problem, fix string) {
	key := "introspection." + sub
	src := ic.sources[key]
	if src.Kind != SourceFile {
		src = ic.sources["introspection"]
	}
	r.errs = append(r.errs, &Error{Field: ic.name(key), Value: value, Source: src, Problem: problem, Fix: fix})
}

// envName matches the name of an environment variable; conventionalEnvName
// one in upper case, which an error may quote: a value that is not one may
// be the secret itself, written in the wrong key.
var (
	envName             = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	conventionalEnvName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)
)

// checkEntryIntrospection checks an entry's introspection: at most one
// entry has it; its keys; its secret, never quoted.
func checkEntryIntrospection(c Config, ic IssuerConfig, r *report) {
	in := ic.Introspection
	if in == nil {
		return
	}
	for _, other := range c.Issuers[:ic.Index] {
		if other.Introspection != nil {
			ic.bad(r, "introspection", "", fmt.Sprintf("is set on %s (%s) too", other.name("introspection"), other.sources["introspection"]),
				"keep introspection on one issuer: an opaque token carries no iss to pick an issuer by, and sending a token to an authorization server that did not issue it hands the token over; remove it from one of the two entries")
			break
		}
	}
	if in.ClientID == "" {
		ic.badIntrospection(r, "client_id", "", "is not set", "name the client the program authenticates as, e.g. client_id: rs-client")
	}
	checkIntrospectionSecret(ic, r)
	if in.URL == "" && strings.Contains(ic.Issuer, tenantPlaceholder) {
		ic.badIntrospection(r, "url", "", "is not set for the template issuer "+strconv.Quote(ic.Issuer),
			"a template issuer has no one discovery document: write the endpoint, e.g. url: "+introspectionKeyByName("url").example())
	}
	if problem := introspectionURLProblem(in.URL, c.InsecureAllowHTTP); problem != "" {
		fix := "write the endpoint's https URL, e.g. url: " + introspectionKeyByName("url").example() + ", or leave url out for discovery's introspection_endpoint"
		if problem == "uses http, not https" {
			fix = "use https, or, for local testing only, set " + c.Places("OKTA_TESTING_DISABLEHTTPSCHECK") + " to true"
		}
		ic.badIntrospection(r, "url", redactURL(in.URL), problem, fix)
	}
	checkIntrospectionTTLs(ic, r)
}

// checkIntrospectionSecret checks client_secret and client_secret_env:
// one of them, a variable's name, a variable that is set. The secret is
// never quoted, nor a name that might be the secret written in its place.
func checkIntrospectionSecret(ic IssuerConfig, r *report) {
	in := ic.Introspection
	name := in.ClientSecretEnv
	quoted, variable := "", "the variable client_secret_env names"
	if conventionalEnvName.MatchString(name) {
		quoted, variable = name, "the variable "+name
	}
	switch {
	case in.ClientSecret == "" && name == "":
		ic.badIntrospection(r, "client_secret", "", "is not set, nor is client_secret_env",
			"write client_secret_env: NAME, naming an environment variable that holds the client's secret (e.g. client_secret_env: RS_CLIENT_SECRET), or client_secret: the secret itself")
	case name != "" && !envName.MatchString(name):
		ic.badIntrospection(r, "client_secret_env", "", "is not the name of an environment variable (letters, digits and _)",
			"write the name of the variable that holds the secret, e.g. client_secret_env: RS_CLIENT_SECRET; the secret itself goes in that variable, or in client_secret")
	case name != "" && in.ClientSecret == "":
		ic.badIntrospection(r, "client_secret_env", quoted, "names an environment variable that is not set or is empty",
			"set "+variable+" to the client's secret in the program's environment, or name another with client_secret_env")
	}
}

// checkIntrospectionTTLs checks cache_ttl (positive) and inactive_ttl (not
// negative, below cache_ttl).
func checkIntrospectionTTLs(ic IssuerConfig, r *report) {
	in := ic.Introspection
	switch {
	case in.CacheTTL <= 0:
		ic.badIntrospection(r, "cache_ttl", in.CacheTTL.String(), "is not positive",
			"write how long an active answer is kept, e.g. cache_ttl: 5m, or leave it out for the default ("+shortDuration(DefaultIntrospectionCacheTTL)+")")
	case in.InactiveTTL < 0:
		ic.badIntrospection(r, "inactive_ttl", in.InactiveTTL.String(), "is negative",
			"write how long an inactive answer is kept, e.g. inactive_ttl: 10s, or 0 to keep none")
	case in.InactiveTTL >= in.CacheTTL:
		ic.badIntrospection(r, "inactive_ttl", shortDuration(in.InactiveTTL), "is not shorter than cache_ttl ("+shortDuration(in.CacheTTL)+")",
			"an inactive answer is kept for less time than an active one, so that a token activated late is not refused for long: make inactive_ttl shorter than cache_ttl, e.g. inactive_ttl: 10s")
	}
}

// introspectionURLProblem checks introspection:'s url: "" (discovery's),
// or an absolute https URL (http when insecure) with a host, without user
// name or fragment; a query is allowed.
func introspectionURLProblem(raw string, insecure bool) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return "is not a URL"
	case u.Scheme == "" || u.Opaque != "":
		return "is not an absolute URL"
	case u.Scheme == "http" && !insecure:
		return "uses http, not https"
	case u.Scheme != "https" && u.Scheme != "http":
		return "is not an http(s) URL"
	case u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "holds a user name or password"
	case strings.Contains(raw, "#"):
		return "has a fragment"
	}
	return ""
}

func checkEntryDPoP(_ Config, ic IssuerConfig, r *report) {
	if problem, fix := checkDPoPMode(ic.DPoP); problem != "" {
		ic.bad(r, "dpop", ic.DPoP, problem, fix)
	}
}

// describeIssuers writes, for Describe, each entry's keys, one a line: the
// value and where it came from; introspection: one line per key, the
// secret redacted.
func (c Config) describeIssuers(tw io.Writer) {
	for _, ic := range c.Issuers {
		for _, s := range issuerSettings {
			if s.key == "introspection" && ic.Introspection != nil {
				ic.describeIntrospection(tw)
				continue
			}
			v := s.display(ic)
			if v == "" {
				v = `""`
			}
			origin := ic.sources[s.key].origin()
			switch {
			case s.global != "" && ic.sources[s.key].Name != ic.name(s.key):
				origin = "as " + s.global + ", " + origin
			case ic.sources[s.key].Kind == SourceUnknown:
				origin = "default"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", ic.name(s.key), v, origin)
		}
	}
}

// describeIntrospection writes ic's introspection: one line per key.
func (ic IssuerConfig) describeIntrospection(tw io.Writer) {
	for _, k := range introspectionKeys {
		v := k.display(*ic.Introspection)
		if v == "" {
			v = `""`
		}
		src := ic.sources["introspection."+k.key]
		origin := src.origin()
		switch {
		case src.Kind == SourceEnv:
			origin = "env " + src.Name + ", named by client_secret_env"
		case src.Kind == SourceUnknown:
			origin = "default"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ic.name("introspection."+k.key), v, origin)
	}
}
