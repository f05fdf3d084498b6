package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// maxFileBytes caps the configuration file: the sample's is about 200 bytes.
const maxFileBytes = 1 << 20

// fileShape is the part of .samples.config.json the program reads. Keys it
// does not know are refused in the sections it reads (see fileSections), and
// under assertClaims (see fileValues); other sections are left alone.
type fileShape struct {
	ResourceServer *struct {
		Port json.RawMessage `json:"port"`
		OIDC *struct {
			Issuer  json.RawMessage `json:"issuer"`
			Testing *struct {
				DisableHTTPSCheck json.RawMessage `json:"disableHttpsCheck"`
			} `json:"testing"`
		} `json:"oidc"`
		AssertClaims map[string]json.RawMessage `json:"assertClaims"`
	} `json:"resourceServer"`
}

// fileExample is the shape quoted in messages about the file.
const fileExample = `{"resourceServer":{"port":8000,"oidc":{"issuer":"https://dev-123456.okta.com/oauth2/default"},"assertClaims":{"aud":"api://default","cid":"0oa..."}}}`

// readFile reads the configuration file at path (named name by the user)
// and returns its values by setting name ("PORT"). A name ending in .yaml or
// .yml is a YAML file (see decodeYAML), anything else JSON in the Express
// sample's shape. A missing file is no error unless explicit (named by
// --config). Empty strings and nulls count as unset.
func readFile(path, name string, explicit bool) (map[string]fileValue, fileLists, error) {
	src := Source{Kind: SourceDefault}
	if explicit {
		src = Source{Kind: SourceFlag, Name: "--config"}
	}
	fileErr := func(problem, fix string, err error) error {
		return &Error{Field: "--config", Value: path, Source: src, Problem: problem, Fix: fix, Err: err}
	}

	data, err := readBytes(path, explicit, fileErr)
	if err != nil || data == nil {
		return nil, fileLists{}, err
	}
	if isYAML(name) {
		return decodeYAML(data, path, src)
	}
	vals, err := decodeFile(data, path, src)
	if err != nil {
		return nil, fileLists{}, err
	}
	out := make(map[string]fileValue, len(vals))
	for key, v := range vals {
		out[settingForFileKey(key).name()] = fileValue{raw: v, src: Source{Kind: SourceFile, Name: key, File: path}}
	}
	return out, fileLists{}, nil
}

// readBytes reads the file at path: nil and no error when it is missing
// but was not named explicitly.
func readBytes(path string, explicit bool, fileErr func(problem, fix string, err error) error) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileErr("does not exist", "check the path (a relative one starts at the working directory), or drop --config", err)
	}
	if err != nil {
		return nil, fileErr("cannot be opened", "check its permissions ("+err.Error()+")", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fileErr("cannot be read", "check that it is a regular file ("+err.Error()+")", err)
	}
	if len(data) > maxFileBytes {
		return nil, fileErr("is larger than 1 MiB", "point --config at a configuration file, a few hundred bytes long", nil)
	}
	return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), nil // a byte-order mark some editors write
}

// isYAML says whether the file named name is read as YAML.
func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// decodeFile decodes the file's bytes: the values readFile returns, and every
// problem found (bad JSON, a value of the wrong type, an unknown key).
func decodeFile(data []byte, path string, src Source) (map[string]string, error) {
	fileErr := func(problem, fix string, err error) error {
		return &Error{Field: "--config", Value: path, Source: src, Problem: problem, Fix: fix, Err: err}
	}
	var doc fileShape
	if err := json.Unmarshal(data, &doc); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := position(data, syn.Offset)
			return nil, fileErr(fmt.Sprintf("is not valid JSON: line %d, column %d: %s", line, col, syn.Error()),
				"fix the JSON there (a missing comma, quote or closing brace?); the expected shape is "+fileExample, err)
		case errors.As(err, &typ) && typ.Field == "":
			return nil, fileErr("does not hold a JSON object", "write an object in the shape "+fileExample, err)
		case errors.As(err, &typ):
			line, _ := position(data, typ.Offset)
			return nil, fileErr(fmt.Sprintf("has %s where an object belongs, at %s (line %d)", article(typ.Value), typ.Field, line),
				"give "+typ.Field+" the shape of "+fileExample, err)
		}
		return nil, fileErr("cannot be decoded: "+err.Error(), "write it in the shape "+fileExample, err)
	}
	vals, err := fileValues(doc, path, src)
	return vals, errors.Join(err, unknownKeys(data, path, src), routesInJSON(data, path, src))
}

// fileValues returns the values of a decoded file as text, by file key.
// Empty strings and nulls count as unset.
func fileValues(doc fileShape, path string, src Source) (map[string]string, error) {
	vals := map[string]string{}
	rs := doc.ResourceServer
	if rs == nil {
		return vals, nil
	}
	// valueErr reports a value of the wrong JSON type under a known key.
	valueErr := func(key string, raw json.RawMessage, want string) error {
		s := settingForFileKey(key)
		return &Error{Field: s.name(), Value: string(raw), Source: Source{Kind: SourceFile, Name: key, File: path},
			Problem: "is not " + want, Fix: "set " + key + " in " + path + " to " + want + ", e.g. " + s.exampleValue()}
	}
	str := func(key string, raw json.RawMessage) error {
		if isNull(raw) {
			return nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return valueErr(key, raw, "a string")
		}
		if v != "" {
			vals[key] = v
		}
		return nil
	}
	var errs []error
	if !isNull(rs.Port) {
		var n json.Number
		var s string
		switch {
		case json.Unmarshal(rs.Port, &n) == nil:
			vals["resourceServer.port"] = n.String()
		case json.Unmarshal(rs.Port, &s) == nil:
			if s != "" {
				vals["resourceServer.port"] = s
			}
		default:
			errs = append(errs, valueErr("resourceServer.port", rs.Port, "a number"))
		}
	}
	if rs.OIDC != nil {
		if err := str("resourceServer.oidc.issuer", rs.OIDC.Issuer); err != nil {
			errs = append(errs, err)
		}
		if t := rs.OIDC.Testing; t != nil && !isNull(t.DisableHTTPSCheck) {
			var b bool
			if err := json.Unmarshal(t.DisableHTTPSCheck, &b); err != nil {
				errs = append(errs, valueErr("resourceServer.oidc.testing.disableHttpsCheck", t.DisableHTTPSCheck, "true or false"))
			} else {
				vals["resourceServer.oidc.testing.disableHttpsCheck"] = strconv.FormatBool(b)
			}
		}
	}
	errs = append(errs, assertClaims(rs.AssertClaims, str, path, src)...)
	return vals, errors.Join(errs...)
}

// assertClaims reads resourceServer.assertClaims with str. The program
// asserts aud and cid only. Any other claim assertion is refused rather than
// ignored: ignoring it would accept tokens the user meant to refuse.
func assertClaims(claims map[string]json.RawMessage, str func(key string, raw json.RawMessage) error, path string, src Source) []error {
	var errs []error
	for _, claim := range slices.Sorted(maps.Keys(claims)) {
		key := "resourceServer.assertClaims." + claim
		if claim == "aud" || claim == "cid" {
			if err := str(key, claims[claim]); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		fix := "remove " + key + ": only aud and cid can be asserted here (a route's required scopes are the way to restrict access further)"
		if near := nearest(claim, []string{"aud", "cid"}); near != "" {
			fix = "did you mean " + near + "? Rename it to resourceServer.assertClaims." + near + "; or " + fix
		}
		errs = append(errs, &Error{Field: "--config", Value: path, Source: src,
			Problem: "asserts the claim " + strconv.Quote(claim) + " (" + key + "), which this program does not support", Fix: fix})
	}
	return errs
}

// fileSection is an object of the file whose keys are checked, so that a
// misspelt key is named instead of silently ignored (the value it was meant
// to set would fall back to a default: a typo in "assertClaims" would drop
// the client check).
type fileSection struct {
	path    string   // dotted; "" for the top level
	read    []string // the keys the program reads, sections included
	ignored []string // keys of the Express sample's own file that the program does not need
	// open: the section's other keys belong to other programs (the top
	// level holds webServer, ...); only near-misses of read are reported.
	open bool
}

// fileSections lists the checked objects, each after the one holding it.
// resourceServer.oidc.clientId is in the sample's config.js; its verifier
// uses it for ID tokens only, so the program ignores it. assertClaims has a
// rule of its own (see fileValues).
var fileSections = []fileSection{
	{path: "", read: []string{"resourceServer"}, open: true},
	{path: "resourceServer", read: []string{"port", "oidc", "assertClaims"}},
	{path: "resourceServer.oidc", read: []string{"issuer", "testing"}, ignored: []string{"clientId"}},
	{path: "resourceServer.oidc.testing", read: []string{"disableHttpsCheck"}},
}

// unknownKeys reports the keys of data (valid JSON) that fileSections does
// not know, each with the nearest known key when one is near.
func unknownKeys(data []byte, path string, src Source) error {
	objects := map[string]json.RawMessage{"": data}
	var errs []error
	for _, sec := range fileSections {
		var obj map[string]json.RawMessage
		if raw, ok := objects[sec.path]; !ok || json.Unmarshal(raw, &obj) != nil {
			continue // absent, or not an object: decodeFile reports the latter
		}
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			switch {
			case slices.Contains(sec.read, key):
				objects[joinKey(sec.path, key)] = obj[key]
			case slices.Contains(sec.ignored, key):
			case !sec.open || nearest(key, sec.read) != "":
				errs = append(errs, &Error{Field: "--config", Value: path, Source: src,
					Problem: "has the unknown key " + strconv.Quote(key) + " at " + joinKey(sec.path, key), Fix: sec.unknownKeyFix(key)})
			}
		}
	}
	return errors.Join(errs...)
}

// unknownKeyFix says what to do about key, unknown in sec.
func (sec fileSection) unknownKeyFix(key string) string {
	where := "under " + sec.path
	if sec.path == "" {
		where = "at the top level"
	}
	known := "the keys read " + where + " are " + strings.Join(sec.read, ", ")
	near := nearest(key, append(slices.Clone(sec.read), sec.ignored...))
	switch {
	case near == "":
		return "remove it or correct its name; " + known
	case slices.Contains(sec.ignored, near):
		return "did you mean " + near + "? Rename it to " + joinKey(sec.path, near) + " (a key of the Express sample's file that this program ignores); " + known
	}
	return "did you mean " + near + "? Rename it to " + joinKey(sec.path, near) + "; " + known
}

// joinKey joins a section's dotted path and a key.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// settingForFileKey finds the setting read from a file key.
func settingForFileKey(key string) *setting {
	for _, s := range settings {
		if s.json == key {
			return s
		}
	}
	panic("config: no setting for file key " + key)
}

// exampleValue is a valid value of the setting, for messages.
func (s *setting) exampleValue() string {
	switch s.env {
	case "ISSUER":
		return strconv.Quote("https://dev-123456.okta.com/oauth2/default")
	case "SPA_CLIENT_ID":
		return strconv.Quote("0oa1b2c3d4e5f6g7h8i9")
	case "AUDIENCE":
		return strconv.Quote("api://default")
	case "PORT":
		return "8000"
	}
	return "true"
}

// article prefixes a JSON type's name with "a" or "an".
func article(typ string) string {
	if strings.HasPrefix(typ, "a") || strings.HasPrefix(typ, "o") {
		return "an " + typ
	}
	return "a " + typ
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || strings.TrimSpace(string(raw)) == "null"
}

// position turns the Offset of a *json.SyntaxError or *json.UnmarshalTypeError
// (the number of bytes read when the error occurred) into the 1-based line
// and column of the last byte read, the one at fault.
func position(data []byte, offset int64) (line, col int) {
	i := min(max(offset-1, 0), int64(len(data)))
	before := data[:i]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(i) - bytes.LastIndexByte(before, '\n')
	return line, col
}
