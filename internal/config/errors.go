package config

import (
	"strconv"
	"strings"
)

// Error is one configuration problem. Its text names the setting, the value
// found, where that value came from when that is not obvious, what is wrong
// with it and what to do, for example:
//
//	config: ISSUER "https://{yourOktaDomain}/oauth2/default" still holds the sample's placeholder: set ISSUER (or --issuer, or resourceServer.oidc.issuer in .samples.config.json) to your Okta issuer, e.g. https://dev-123456.okta.com/oauth2/default
//
// Load and Validate may report several problems at once, joined with
// errors.Join; errors.As finds the first *Error.
type Error struct {
	// Field names the setting: its environment variable ("ISSUER",
	// "SPA_CLIENT_ID", "PORT", ...), or its flag ("--config") when it has
	// none; for a command-line mistake, the unknown flag as typed
	// ("--issuer-url" or "-issuer-url"),
	// "argument" (a stray argument) or "arguments" (bad flag syntax).
	// Callers and tests branch on it.
	Field string
	// Value is the offending value as given, "" when the value is missing.
	// Secrets (DEV_PASSWORD) never appear here.
	Value string
	// Source says where Value came from. It is the zero Source for a Config
	// built by hand rather than by Load.
	Source Source
	// Problem says what is wrong, e.g. "still holds the sample's placeholder".
	Problem string
	// Fix says what to do about it.
	Fix string
	// Err is the underlying cause, if any: a *json.SyntaxError, a
	// *strconv.NumError, an *fs.PathError, ... It is returned by Unwrap.
	Err error
}

// Error returns "config: FIELD "VALUE" (from SOURCE) PROBLEM: FIX". The
// source is left out when it adds nothing: for a value from the environment
// (FIELD already names the variable), a default, or an unknown source.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.Field)
	if e.Value != "" {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(e.Value))
	}
	switch e.Source.Kind {
	case SourceFlag, SourceFile:
		b.WriteString(" (from ")
		b.WriteString(e.Source.String())
		b.WriteByte(')')
	}
	b.WriteByte(' ')
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString(": ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// SourceKind says which layer of the configuration a value came from.
type SourceKind int

// The layers, from the weakest to the strongest: a flag beats the
// environment, which beats the file, which beats the default.
const (
	// SourceUnknown: the Config was not built by Load, or the setting is
	// unknown.
	SourceUnknown SourceKind = iota
	// SourceDefault: nothing set the value; it is the built-in default.
	SourceDefault
	// SourceFile: the value came from the configuration file.
	SourceFile
	// SourceEnv: the value came from an environment variable.
	SourceEnv
	// SourceFlag: the value came from a command-line flag.
	SourceFlag
)

// Source is where one value of a Config came from.
type Source struct {
	Kind SourceKind
	// Name is the flag ("--issuer"), the environment variable ("ISSUER")
	// or the key in the file ("resourceServer.oidc.issuer"); "" for a
	// default.
	Name string
	// File is the configuration file's path when Kind is SourceFile.
	File string
	// Line is the value's line in a YAML file; 0 when unknown (JSON).
	Line int
}

// String describes the source for people: "--issuer", "ISSUER",
// "resourceServer.oidc.issuer in /srv/.samples.config.json", "issuer in
// /srv/resource-server.yaml:2", "default" or "unknown".
func (s Source) String() string {
	switch s.Kind {
	case SourceFlag, SourceEnv:
		return s.Name
	case SourceFile:
		if s.Line > 0 {
			return s.Name + " in " + s.File + ":" + strconv.Itoa(s.Line)
		}
		return s.Name + " in " + s.File
	case SourceDefault:
		return "default"
	}
	return "unknown"
}
