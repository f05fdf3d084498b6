package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/resource-server/resource-server/verifier"
)

// issuerList is the issuers: key of a YAML file: its entries and where the
// key stands.
type issuerList struct {
	entries []IssuerConfig
	src     Source
}

// decodeIssuers reads the value v of the issuers: key k: a sequence of
// mappings, one per issuer, each key read by its declaration in
// issuerSettings. Every problem is reported, each with its line.
func decodeIssuers(k, v *yaml.Node, path string) (*issuerList, error) {
	list := &issuerList{src: Source{Kind: SourceFile, Name: "issuers", File: path, Line: k.Line}}
	var err error
	list.entries, err = decodeList(k, v, path, "issuers",
		"write one entry per issuer, each starting with \"- issuer: URL\"; `resource-server config example` shows one",
		"write the entry as keys under \"- \", e.g. \"- issuer: "+exampleIssuer+"\" then \"  audiences: [api://default]\"",
		func(i int, item *yaml.Node) (IssuerConfig, []error) {
			ic := IssuerConfig{Index: i, DPoP: DPoPAllowed, sources: map[string]Source{}}
			return ic, decodeIssuer(&ic, item, path)
		})
	if resolveAlias(v).Kind != yaml.SequenceNode {
		return nil, err
	}
	return list, err
}

// decodeList reads the value v of the list key k (issuers:, routes:): a
// sequence of mappings, each read by decode. Every problem is reported,
// each with its line: a value that is no list (notList is the fix), an
// entry that is no mapping (notMapping), and decode's.
func decodeList[T any](k, v *yaml.Node, path, key, notList, notMapping string, decode func(i int, item *yaml.Node) (T, []error)) ([]T, error) {
	bad := func(field string, line int, problem, fix string) error {
		return &Error{Field: field, Source: Source{Kind: SourceFile, Name: field, File: path, Line: line}, Problem: problem, Fix: fix}
	}
	v = resolveAlias(v)
	if v.Kind != yaml.SequenceNode {
		return nil, bad(key, k.Line, "is not a list", notList)
	}
	var entries []T
	var errs []error
	for i, item := range v.Content {
		item = resolveAlias(item)
		if item.Kind != yaml.MappingNode {
			errs = append(errs, bad(fmt.Sprintf("%s[%d]", key, i), item.Line, "is not a mapping", notMapping))
			continue
		}
		entry, err := decode(i, item)
		errs = append(errs, err...)
		entries = append(entries, entry)
	}
	return entries, errors.Join(errs...)
}

// decodeIssuer reads one entry's keys into ic.
func decodeIssuer(ic *IssuerConfig, item *yaml.Node, path string) []error {
	return decodeEntry(item, path, ic.name, ic.sources, func(key string) *entryKey {
		s := issuerSettingByKey(key)
		if s == nil {
			return nil
		}
		return &entryKey{key: s.key, decode: func(v *yaml.Node) (bool, *Error) { return s.decode(ic, v, path) }}
	}, func(k *yaml.Node) error { return unknownIssuerKey(*ic, k, path) })
}

// entryKey is one declared key of a list entry, as decodeEntry needs it:
// its name and how its value is read into the entry.
type entryKey struct {
	key    string
	decode func(v *yaml.Node) (set bool, _ *Error)
}

// decodeEntry reads the keys of one entry of a list (issuers:, routes:),
// from the file at path: each key by its declaration (lookup), its source
// recorded in sources under its name; an unknown key (unknown makes the
// error) or one set twice is an error naming its line.
func decodeEntry(item *yaml.Node, path string, name func(string) string, sources map[string]Source,
	lookup func(key string) *entryKey, unknown func(k *yaml.Node) error) []error {
	var errs []error
	for j := 0; j+1 < len(item.Content); j += 2 {
		k, v := item.Content[j], item.Content[j+1]
		e := lookup(k.Value)
		src := Source{Kind: SourceFile, Name: name(k.Value), File: path, Line: k.Line}
		switch {
		case e == nil:
			errs = append(errs, unknown(k))
		case sources[e.key].Kind == SourceFile:
			errs = append(errs, &Error{Field: name(e.key), Source: src,
				Problem: fmt.Sprintf("is set twice, on lines %d and %d", sources[e.key].Line, k.Line), Fix: "keep one of them"})
		default:
			set, err := e.decode(v)
			if err != nil {
				if err.Field == "" {
					err.Field, err.Source = name(e.key), src
				}
				errs = append(errs, err)
			} else if set {
				sources[e.key] = src
			}
		}
	}
	return errs
}

// unknownIssuerKey reports a key of an entry that no declaration has, with
// the nearest one.
func unknownIssuerKey(ic IssuerConfig, k *yaml.Node, path string) error {
	keys := make([]string, len(issuerSettings))
	for i, s := range issuerSettings {
		keys[i] = s.key
	}
	fix := "remove it or correct its name; the keys of an issuer are " + strings.Join(keys, ", ")
	if near := nearest(k.Value, keys); near != "" {
		fix = "did you mean " + near + "? Rename it to " + near + "; `resource-server config example` lists every key"
	}
	return &Error{Field: "--config", Value: path, Source: Source{Kind: SourceFile, Name: "issuers", File: path, Line: k.Line},
		Problem: fmt.Sprintf("has the unknown key %q on line %d, in issuers[%d]", k.Value, k.Line, ic.Index), Fix: fix}
}

// decode reads v, from the file at path, into s's field of ic. set is
// false for a null or an empty string, which count as unset. The *Error
// returned lacks Field and Source, which the caller fills, unless it is
// about a key of introspection:, which it names.
func (s *issuerSetting) decode(ic *IssuerConfig, v *yaml.Node, path string) (set bool, _ *Error) {
	v = resolveAlias(v)
	if p, ok := s.ptr(ic).(**IntrospectionConfig); ok && !isNullNode(v) {
		in, err := decodeIntrospection(ic, v, path)
		*p = in
		return err == nil, err
	}
	if set, done, err := decodeEntryValue(v, s.ptr(ic), s.key, s.example()); done {
		return set, err
	}
	return true, parseEntryScalar(s.ptr(ic), s.kind, v.Value, s.key, s.example)
}

// resolveAlias is the node an alias (*name) stands for, or v.
func resolveAlias(v *yaml.Node) *yaml.Node {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		return v.Alias
	}
	return v
}

// isNullNode reports whether v is null or empty: a key that sets nothing.
func isNullNode(v *yaml.Node) bool {
	return v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")
}

// decodeEntryValue decodes the value v of a key of a list entry (issuers:,
// routes:) into p, its field, when it is no single value to parse: null or
// empty (not set), a list, claim assertions; done says so. A non-scalar
// value for any other field is an error naming the key's example.
func decodeEntryValue(v *yaml.Node, p any, key, example string) (set, done bool, _ *Error) {
	if isNullNode(v) {
		return false, true, nil
	}
	switch p := p.(type) {
	case *[]string:
		list, err := yamlList(v)
		*p = list
		return err == nil, true, err
	case *map[string]any:
		claims, err := yamlClaims(v)
		*p = claims
		return err == nil, true, err
	}
	if v.Kind != yaml.ScalarNode {
		return false, true, &Error{Problem: "is not a single value", Fix: "write one value, e.g. " + key + ": " + example}
	}
	return false, false, nil
}

// parseEntryScalar reads the scalar raw into p, the field of a list
// entry's key (issuers:, routes:) of kind k: a string, a boolean or a
// duration ("none" for a key age: no bound). An error names the key's
// example.
func parseEntryScalar(p any, k kind, raw, key string, example func() string) *Error {
	bad := func(problem, fix string) *Error {
		return &Error{Value: raw, Problem: problem, Fix: "write " + fix + ", e.g. " + key + ": " + example()}
	}
	raw = strings.TrimSpace(raw)
	switch p := p.(type) {
	case *string:
		*p = raw
	case *bool:
		b, err := parseBool(raw)
		if err != nil {
			return bad("is not a boolean", "true or false")
		}
		*p = b
	case *time.Duration:
		if k == kindMaxAge && strings.EqualFold(raw, "none") {
			*p = verifier.NoMaxKeyAge
			return nil
		}
		d, err := time.ParseDuration(raw)
		if err != nil {
			return bad("is not a duration", "a Go duration with a unit")
		}
		*p = d
	}
	return nil
}

// example is a valid value of s, for messages and the example file.
func (s *issuerSetting) example() string {
	switch s.key {
	case "issuer":
		return exampleIssuer
	case "audiences":
		return "[api://default]"
	case "client_ids":
		return "[0oa1b2c3d4]"
	case "jwks_url":
		return "https://login.microsoftonline.com/common/discovery/v2.0/keys"
	case "algorithms":
		return "[RS256, ES256]"
	case "leeway":
		return "30s"
	case "assert_claims":
		return "{\"groups.includes\": [Admins]}"
	case "tenants":
		return "[72f988bf-86f1-41af-91ab-2d7cd011db47]"
	case "keys_max_age":
		return "24h"
	case "introspection":
		return "{client_id: rs-client, client_secret_env: RS_CLIENT_SECRET}"
	case "dpop":
		return DPoPRequired
	}
	return "true"
}

// yamlList reads a sequence of scalars, or one comma-separated scalar.
func yamlList(v *yaml.Node) ([]string, *Error) {
	if v.Kind == yaml.ScalarNode {
		return splitList(v.Value), nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, &Error{Problem: "is a mapping", Fix: "write a list, e.g. [a, b] or one \"- item\" per line"}
	}
	list := []string{}
	for _, item := range v.Content {
		if item.Kind != yaml.ScalarNode {
			return nil, &Error{Problem: fmt.Sprintf("holds a nested value on line %d", item.Line), Fix: "list plain values, one per line: \"- value\""}
		}
		if t := strings.TrimSpace(item.Value); t != "" && item.Tag != "!!null" {
			list = append(list, t)
		}
	}
	return list, nil
}

// yamlClaims reads assert_claims: a mapping of claim names ("cid", or
// "groups.includes") to a scalar, or for ".includes" a list of scalars.
func yamlClaims(v *yaml.Node) (map[string]any, *Error) {
	fix := "write claim: value, or claim.includes: [values], e.g. assert_claims: {cid: 0oa1b2c3d4, \"groups.includes\": [Admins]}"
	if v.Kind != yaml.MappingNode {
		return nil, &Error{Problem: "is not a mapping of claims", Fix: fix}
	}
	claims := map[string]any{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		name, val := v.Content[i], v.Content[i+1]
		var decoded any
		if err := val.Decode(&decoded); err != nil || val.Kind == yaml.MappingNode {
			return nil, &Error{Value: name.Value, Problem: fmt.Sprintf("asserts a value that is not a scalar or a list on line %d", val.Line), Fix: fix}
		}
		if list, ok := decoded.([]any); ok && !strings.HasSuffix(name.Value, ".includes") {
			return nil, &Error{Value: name.Value, Problem: fmt.Sprintf("asserts a list on line %d", val.Line),
				Fix: "a list goes with claim.includes (every item must be in the claim): write " + name.Value + ".includes: " + fmt.Sprint(list)}
		}
		claims[name.Value] = decoded
	}
	return claims, nil
}
