package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resource-server/resource-server/verifier"
)

// rawFlag records a flag's text and whether it was given; parsing happens
// later, so that every bad value gets the same kind of message.
type rawFlag struct {
	val    string
	set    bool
	isBool bool
}

func (f *rawFlag) String() string     { return f.val }
func (f *rawFlag) Set(s string) error { f.val, f.set = s, true; return nil }
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }

// helpError is Load's answer to -h or --help: its text is the usage.
type helpError struct{ usage string }

func (e *helpError) Error() string { return e.usage }
func (e *helpError) Unwrap() error { return flag.ErrHelp }

// fileValue is one setting's value read from the configuration file.
type fileValue struct {
	raw    string   // the scalar, as text
	list   []string // a YAML sequence's items, when isList
	isList bool
	src    Source
}

// Load reads the configuration: flags from args (which excludes the program
// name), then the environment through getenv (os.Getenv in production; nil
// means an empty environment), then the configuration file
// (Config.ConfigFile, relative to dir, the working directory), then the
// defaults. It checks the result with Validate.
//
// Errors are *Error values, several joined with errors.Join when there are
// several problems: values that cannot be parsed (PORT=eighty) are reported
// together with the checks of Validate, so that one run lists everything to
// fix; a check that rests on a value that could not be parsed (whether
// ISSUER is needed rests on DEV) is left for the next run, since the default
// standing in for that value would make it contradict the error that names
// it. A bad flag or configuration file stops the reading at once. When args
// ask for help, the error wraps flag.ErrHelp and its text is the usage (see
// the package documentation). On error the returned Config is the zero
// Config. PublicURL is returned without a trailing slash.
func Load(args []string, getenv func(string) string, dir string) (Config, error) {
	c, bad, err := load(args, getenv, dir)
	if err != nil {
		return Config{}, err
	}
	if err := errors.Join(append(bad, withoutDependents(c.Validate(), bad)...)...); err != nil {
		return Config{}, err
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.MaxKeyAge == 0 && c.sources["KEYS_MAX_AGE"].Kind > SourceDefault {
		c.warnings = append(c.warnings, fmt.Sprintf("KEYS_MAX_AGE 0 (from %s) means the default, %s, as MaxKeyAge 0 does in the verifier; write none for no bound",
			c.sources["KEYS_MAX_AGE"], shortDuration(verifier.DefaultMaxKeyAge)))
	}
	return c, nil
}

// checkedWith lists, for a setting, the other settings its checks in
// Validate read.
var checkedWith = map[string][]string{
	"ISSUER":                 {"DEV", "OKTA_TESTING_DISABLEHTTPSCHECK"},
	"JWKS_URL":               {"DEV", "OKTA_TESTING_DISABLEHTTPSCHECK"},
	"FRONTEND_PORT":          {"DEV", "PORT"},
	"ADMIN_PORT":             {"DEV", "PORT", "FRONTEND_PORT"},
	"SPA_CLIENT_ID":          {"DEV", "ALLOW_MISSING_AUDIENCE"},
	"ALGORITHMS":             {"DEV"},
	"ALLOW_MISSING_AUDIENCE": {"DEV", "SPA_CLIENT_ID"},
}

// withoutDependents returns the problems of validation (errors.Join'ed
// *Error values) minus those about a setting that could not be parsed, or
// whose check reads one (see checkedWith): they rest on the default that
// stands in for the unparsed value. DEV=maybe must not also be told "ISSUER
// is not set … or run with --dev".
func withoutDependents(validation error, unparsed []error) []error {
	if validation == nil {
		return nil
	}
	skip := map[string]bool{}
	for _, err := range unparsed {
		if e := (*Error)(nil); errors.As(err, &e) {
			skip[e.Field] = true
		}
	}
	var kept []error
	for _, err := range unjoin(validation) {
		e := (*Error)(nil)
		if errors.As(err, &e) && (skip[e.Field] || slices.ContainsFunc(checkedWith[e.Field], func(n string) bool { return skip[n] })) {
			continue
		}
		kept = append(kept, err)
	}
	return kept
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	return []error{err}
}

// load is Load without Validate: it layers and parses the values. err is a
// problem that stops the reading (flags, help, the file); bad lists the
// values that could not be parsed, whose settings keep their defaults.
func load(args []string, getenv func(string) string, dir string) (c Config, bad []error, err error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	flags, err := parseFlags(args)
	if err != nil {
		return Config{}, nil, err
	}
	c = Default()
	c.sources = make(map[string]Source, len(settings))
	for _, s := range settings {
		c.sources[s.name()] = Source{Kind: SourceDefault}
	}
	cfgFlag := settingByName("--config")
	if f := flags[cfgFlag]; f.set {
		c.ConfigFile = f.val
		c.sources[cfgFlag.name()] = Source{Kind: SourceFlag, Name: "--config"}
		if strings.TrimSpace(f.val) == "" {
			return Config{}, nil, &Error{Field: cfgFlag.name(), Source: c.sources[cfgFlag.name()], Problem: "is empty",
				Fix: "name a YAML or JSON file, e.g. --config=resource-server.yaml, or drop --config"}
		}
	}
	path := c.ConfigFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	fileVals, lists, err := readFile(path, c.ConfigFile, flags[cfgFlag].set)
	if err != nil {
		return Config{}, nil, err
	}
	for _, s := range settings {
		if s != cfgFlag {
			if err := layer(&c, s, flags[s], getenv, fileVals); err != nil {
				bad = append(bad, err)
			}
		}
	}
	if routes := lists.routes; routes != nil {
		c.routesSource, c.Routes = routes.src, routes.entries
	}
	if headers := lists.headers; headers != nil {
		c.headersSource, c.Headers = headers.src, headers.entries
	}
	if issuers := lists.issuers; issuers != nil {
		c.issuersSource = issuers.src
		c.Issuers = issuers.entries
		for i := range c.Issuers {
			c.Issuers[i].inherit(&c)
			c.Issuers[i].readClientSecret(getenv)
		}
	}
	if c.Dev && c.sources["HOST"].Kind == SourceDefault {
		c.Host = "localhost"
	}
	return c, bad, nil
}

// layer sets s in c from its strongest layer: f, the environment, the file.
func layer(c *Config, s *setting, f *rawFlag, getenv func(string) string, fileVals map[string]fileValue) error {
	var raw string
	var src Source
	switch fv, inFile := fileVals[s.name()]; {
	case f.set:
		raw, src = f.val, Source{Kind: SourceFlag, Name: "--" + s.flag}
	case s.env != "" && getenv(s.env) != "":
		raw, src = getenv(s.env), Source{Kind: SourceEnv, Name: s.env}
	case inFile && fv.isList:
		*s.ptr(c).(*[]string) = fv.list
		c.sources[s.name()] = fv.src
		return nil
	case inFile:
		raw, src = fv.raw, fv.src
	default:
		return nil
	}
	c.sources[s.name()] = src
	return assign(c, s, raw, src)
}

// parseFlags parses args into one rawFlag per setting.
func parseFlags(args []string) (map[*setting]*rawFlag, error) {
	fs := flag.NewFlagSet("resource-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the flag package's complaints become *Error values
	fs.Usage = func() {}
	flags := make(map[*setting]*rawFlag, len(settings))
	for _, s := range settings {
		f := &rawFlag{isBool: s.kind == kindBool || s.kind == kindLooseBool}
		flags[s] = f
		fs.Var(f, s.flag, s.help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			Usage(&b)
			return nil, &helpError{usage: b.String()}
		}
		return nil, flagError(err, args)
	}
	if fs.NArg() > 0 {
		arg := fs.Arg(0)
		fix := "settings are flags, e.g. --issuer=https://dev-123456.okta.com/oauth2/default; run with --help to list them"
		if _, err := parseBool(arg); err == nil {
			fix = "attach a boolean flag's value with \"=\", e.g. --dev=false or --secure-route=false"
		}
		return nil, &Error{Field: "argument", Value: arg, Problem: "is not a flag", Fix: fix}
	}
	return flags, nil
}

// flagError turns an error of the flag package into an *Error.
func flagError(err error, args []string) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		typed := typedFlag(args, name)
		fix := "run with --help to list the flags"
		names := make([]string, len(settings))
		for i, s := range settings {
			names[i] = s.flag
		}
		if near := nearest(name, names); near != "" {
			dashes := typed[:len(typed)-len(strings.TrimLeft(typed, "-"))]
			fix = "did you mean " + dashes + near + "? Or " + fix
		}
		return &Error{Field: typed, Problem: "is not a flag", Fix: fix, Err: err}
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		for _, s := range settings {
			if s.flag == name {
				return &Error{Field: s.name(), Source: Source{Kind: SourceFlag, Name: "--" + name}, Problem: "needs a value",
					Fix: fmt.Sprintf("write --%s=%s", name, s.meta), Err: err}
			}
		}
	}
	return &Error{Field: "arguments", Problem: "are not understood (" + msg + ")", Fix: "run with --help to list the flags", Err: err}
}

// typedFlag returns the flag name as the user typed it in args ("-bogus" or
// "--bogus", without "=value"); "-name" if it is not found.
func typedFlag(args []string, name string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if f, _, _ := strings.Cut(a, "="); f == "-"+name || f == "--"+name {
			return f
		}
	}
	return "-" + name
}

// assign parses raw, which came from src, into s's field of c.
func assign(c *Config, s *setting, raw string, src Source) error {
	bad := func(problem, fix string, err error) error {
		v := raw
		switch {
		case s.secret:
			v = ""
		case s.redact != nil:
			v = s.redact(raw)
		}
		return &Error{Field: s.name(), Value: v, Source: src, Problem: problem, Fix: "set " + s.places(c.file()) + " to " + fix, Err: err}
	}
	switch p := s.ptr(c).(type) {
	case *string:
		*p = parseString(s.kind, raw)
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return bad("is not a whole number", "a number from 1 to 65535, e.g. "+s.def, err)
		}
		*p = n
	case *bool:
		if s.kind == kindLooseBool && src.Kind == SourceEnv {
			*p = looseBool(raw)
			return nil
		}
		b, err := parseBool(raw)
		if err != nil {
			return bad("is not a boolean", "true or false", err)
		}
		*p = b
	case *time.Duration:
		if s.kind == kindMaxAge && strings.EqualFold(strings.TrimSpace(raw), "none") {
			*p = verifier.NoMaxKeyAge
			return nil
		}
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return bad("is not a duration", "a Go duration with a unit, e.g. 10s, 500ms or 1m30s", err)
		}
		*p = d
	case *[]string:
		*p = splitList(raw)
	default:
		panic(fmt.Sprintf("config: setting %s has field type %T", s.name(), p))
	}
	return nil
}

// parseString reads a string setting of kind k.
func parseString(k kind, raw string) string {
	switch k {
	case kindRaw:
		return raw
	case kindLower:
		return strings.ToLower(strings.TrimSpace(raw))
	}
	return strings.TrimSpace(raw)
}

var errNotBool = errors.New("not a boolean")

// parseBool reads a strict boolean.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "y", "yes", "on":
		return true, nil
	case "0", "f", "false", "n", "no", "off":
		return false, nil
	}
	return false, errNotBool
}

// looseBool reads OKTA_TESTING_DISABLEHTTPSCHECK as the Express sample does:
// any non-empty value is true, except the usual spellings of false.
func looseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "f", "false", "n", "no", "off":
		return false
	}
	return true
}

// splitList splits a comma-separated list, trimming items and dropping empty
// ones.
func splitList(s string) []string {
	list := []string{}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}

// SplitArgs separates the arguments of a subcommand that takes the
// settings' flags and positional arguments after them (`resource-server
// explain [flags] [METHOD PATH] [TOKEN]`), by the flag package's rules: the
// flags end at the first argument that is not one, or after "--". extra
// names the subcommand's own flags, each taking a value (explain's
// "jwks"); their values are returned by name. flags holds the settings'
// flags, for Load. A flag no setting or extra has is an *Error naming the
// nearest; -h or --help an error wrapping flag.ErrHelp.
func SplitArgs(args []string, extra ...string) (flags []string, extras map[string]string, rest []string, err error) {
	fs := flag.NewFlagSet("resource-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	raw := map[string]*rawFlag{}
	for _, s := range settings {
		raw[s.flag] = &rawFlag{isBool: s.kind == kindBool || s.kind == kindLooseBool}
		fs.Var(raw[s.flag], s.flag, s.help)
	}
	extraFlags := map[string]*rawFlag{}
	for _, name := range extra {
		extraFlags[name] = &rawFlag{}
		fs.Var(extraFlags[name], name, "")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, nil, err
		}
		return nil, nil, nil, flagError(err, args)
	}
	for _, s := range settings {
		if f := raw[s.flag]; f.set {
			flags = append(flags, "--"+s.flag+"="+f.val)
		}
	}
	extras = map[string]string{}
	for name, f := range extraFlags {
		if f.set {
			extras[name] = f.val
		}
	}
	return flags, extras, fs.Args(), nil
}
