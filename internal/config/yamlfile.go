package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decodeYAML reads a YAML configuration file: one mapping of settings by
// their flat snake_case keys (issuer:, port:, keys_max_age: 24h), lists as
// sequences (or comma-separated strings). It walks the yaml.Node tree with
// the settings table rather than decoding into a struct, so that every
// value keeps its line, and an unknown key is refused with its line and the
// nearest valid key. A key holding a sequence of mappings (issuers:,
// routes:) or a mapping of its own (headers:) has a walker of its own
// beside yamlValue (see fileLists.decode). Empty strings and nulls count as
// unset.
func decodeYAML(data []byte, path string, src Source) (map[string]fileValue, fileLists, error) {
	fileErr := func(problem, fix string, err error) error {
		return &Error{Field: "--config", Value: path, Source: src, Problem: problem, Fix: fix, Err: err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fileLists{}, fileErr("is not valid YAML ("+err.Error()+")", "fix the YAML there; `resource-server config example` prints a valid file", err)
	}
	vals := map[string]fileValue{}
	if len(doc.Content) == 0 {
		return vals, fileLists{}, nil // an empty file, or only comments
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fileLists{}, fileErr(fmt.Sprintf("does not hold a mapping of settings (line %d)", root.Line),
			"write one setting per line, key: value, e.g. \"issuer: "+exampleIssuer+"\"", nil)
	}
	var errs []error
	var lists fileLists
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		s := settingByKey(k.Value)
		isList := slices.Contains(listKeys, k.Value)
		switch {
		case isList && seen[k.Value] == 0:
			seen[k.Value] = k.Line
			errs = append(errs, lists.decode(k, v, path))
		case s == nil && !isList:
			errs = append(errs, unknownYAMLKey(k, path, src))
		case seen[k.Value] != 0:
			errs = append(errs, fileErr(fmt.Sprintf("sets %s twice, on lines %d and %d", k.Value, seen[k.Value], k.Line), "keep one of them", nil))
		default:
			seen[k.Value] = k.Line
			fv, set, err := yamlValue(s, k, v, path)
			if err != nil {
				errs = append(errs, err)
			} else if set {
				vals[s.name()] = fv
			}
		}
	}
	return vals, lists, errors.Join(errs...)
}

// yamlValue reads the value v of s's key k. set is false for a null or an
// empty string, which count as unset.
func yamlValue(s *setting, k, v *yaml.Node, path string) (fv fileValue, set bool, err error) {
	src := Source{Kind: SourceFile, Name: k.Value, File: path, Line: k.Line}
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	bad := func(problem, fix string) error {
		return &Error{Field: s.name(), Source: src, Problem: problem, Fix: fix}
	}
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return fileValue{}, false, nil
	case v.Kind == yaml.ScalarNode:
		return fileValue{raw: v.Value, src: src}, v.Value != "", nil
	case v.Kind == yaml.SequenceNode && s.kind == kindList:
		list := []string{}
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return fileValue{}, false, bad(fmt.Sprintf("holds a nested value on line %d", item.Line), "list plain values, one per line: \"- value\"")
			}
			if t := strings.TrimSpace(item.Value); t != "" && item.Tag != "!!null" {
				list = append(list, t)
			}
		}
		return fileValue{list: list, isList: true, src: src}, true, nil
	case v.Kind == yaml.SequenceNode:
		return fileValue{}, false, bad("is a list", "write one value, e.g. "+s.key()+": "+yamlScalar(s, s.exampleText()))
	}
	return fileValue{}, false, bad("is a mapping", "write one value, e.g. "+s.key()+": "+yamlScalar(s, s.exampleText()))
}

// unknownYAMLKey reports a key that no setting has, with the nearest one.
func unknownYAMLKey(k *yaml.Node, path string, src Source) error {
	keys := slices.Clone(listKeys)
	for _, s := range settings {
		if s.key() != "" {
			keys = append(keys, s.key())
		}
	}
	fix := "remove it or correct its name; `resource-server config example` lists every key"
	if near := nearest(k.Value, keys); near != "" {
		fix = "did you mean " + near + "? Rename it to " + near + "; `resource-server config example` lists every key"
	}
	return &Error{Field: "--config", Value: path, Source: src,
		Problem: fmt.Sprintf("has the unknown key %q on line %d", k.Value, k.Line), Fix: fix}
}

// issuersKey is the YAML key of the list of issuers (see IssuerConfig).
const issuersKey = "issuers"

// fileLists are the lists (and the headers: mapping that applies to the
// routes: list) a YAML file holds beside its settings, nil when it has
// none.
type fileLists struct {
	issuers *issuerList
	routes  *routeList
	headers *headerList
}

// listKeys are the keys of fileLists, which no setting has.
var listKeys = []string{issuersKey, routesKey, headersKey}

// decode reads the value v of k, one of listKeys, from the file at path.
func (l *fileLists) decode(k, v *yaml.Node, path string) (err error) {
	switch k.Value {
	case issuersKey:
		l.issuers, err = decodeIssuers(k, v, path)
	case routesKey:
		l.routes, err = decodeRoutes(k, v, path)
	case headersKey:
		l.headers, err = decodeHeaders(k, v, path)
	}
	return err
}

// settingByKey finds the setting whose YAML key is key; nil for none.
func settingByKey(key string) *setting {
	for _, s := range settings {
		if s.key() != "" && s.key() == key {
			return s
		}
	}
	return nil
}
