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
	"slices"
	"strconv"
	"strings"
)

// maxFileBytes caps the configuration file: the sample's is about 200 bytes.
const maxFileBytes = 1 << 20

// fileShape is the part of .samples.config.json the program reads. Other keys,
// at any level, are ignored, except under assertClaims (see readFile).
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

// readFile reads the JSON configuration file at path and returns its values
// as text, by file key ("resourceServer.port": "8000"). A missing file is
// no error unless explicit (named by --config). Empty strings and nulls count
// as unset.
func readFile(path string, explicit bool) (map[string]string, error) {
	src := Source{Kind: SourceDefault}
	if explicit {
		src = Source{Kind: SourceFlag, Name: "--config"}
	}
	fileErr := func(problem, fix string, err error) error {
		return &Error{Field: "--config", Value: path, Source: src, Problem: problem, Fix: fix, Err: err}
	}

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
		return nil, fileErr("is larger than 1 MiB", "point --config at the sample's small JSON file, e.g. "+fileExample, nil)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte-order mark some editors write

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
	// assertClaims: the program asserts aud and cid only. Any other claim
	// assertion is refused rather than ignored: ignoring it would accept
	// tokens the user meant to refuse.
	for _, claim := range slices.Sorted(maps.Keys(rs.AssertClaims)) {
		raw := rs.AssertClaims[claim]
		key := "resourceServer.assertClaims." + claim
		switch claim {
		case "aud", "cid":
			if err := str(key, raw); err != nil {
				errs = append(errs, err)
			}
		default:
			errs = append(errs, &Error{Field: "--config", Value: path, Source: src,
				Problem: "asserts the claim " + strconv.Quote(claim) + " (" + key + "), which this program does not support",
				Fix:     "remove " + key + ": only aud and cid can be asserted here (a route's required scopes are the way to restrict access further)"})
		}
	}
	return vals, errors.Join(errs...)
}

// settingForFileKey finds the setting read from a file key.
func settingForFileKey(key string) *setting {
	for _, s := range settings {
		if s.file == key {
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
