package config

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// routesKey is the YAML key of the list of routes (see RouteConfig).
const routesKey = "routes"

// routeList is the routes: key of a YAML file: its entries and where the
// key stands.
type routeList struct {
	entries []RouteConfig
	src     Source
}

// exampleRoute is the start of an entry, for messages.
const exampleRoute = "\"- match: GET /orders/{id}\" then \"  upstream: http://127.0.0.1:9000\""

// decodeRoutes reads the value v of the routes: key k: a sequence of
// mappings, one per route, each key read by its declaration in
// routeSettings. Every problem is reported, each with its line.
func decodeRoutes(k, v *yaml.Node, path string) (*routeList, error) {
	list := &routeList{src: Source{Kind: SourceFile, Name: routesKey, File: path, Line: k.Line}}
	var err error
	list.entries, err = decodeList(k, v, path, routesKey,
		"write one entry per route, each starting with "+exampleRoute+"; `resource-server config example` shows some",
		"write the entry as keys under \"- \", e.g. "+exampleRoute,
		func(i int, item *yaml.Node) (RouteConfig, []error) {
			rc := newRoute(i)
			rc.src = Source{Kind: SourceFile, Name: fmt.Sprintf("routes[%d]", i), File: path, Line: item.Line}
			return rc, decodeRoute(&rc, item, path)
		})
	if resolveAlias(v).Kind != yaml.SequenceNode {
		return nil, err
	}
	return list, err
}

// decodeRoute reads one entry's keys into rc.
func decodeRoute(rc *RouteConfig, item *yaml.Node, path string) []error {
	return decodeEntry(item, path, rc.name, rc.sources, func(key string) *entryKey {
		s := routeSettingByKey(key)
		if s == nil {
			return nil
		}
		return &entryKey{key: s.key, decode: func(v *yaml.Node) (bool, *Error) { return s.decode(rc, v, path) }}
	}, func(k *yaml.Node) error { return unknownRouteKey(*rc, k, path) })
}

// unknownRouteKey reports a key of an entry that no declaration has, with
// the nearest one.
func unknownRouteKey(rc RouteConfig, k *yaml.Node, path string) error {
	fix := "remove it or correct its name; the keys of a route are " + strings.Join(routeKeys(), ", ")
	if near := nearest(k.Value, routeKeys()); near != "" {
		fix = "did you mean " + near + "? Rename it to " + near + "; `resource-server config example` lists every key"
	}
	return &Error{Field: "--config", Value: path, Source: Source{Kind: SourceFile, Name: routesKey, File: path, Line: k.Line},
		Problem: fmt.Sprintf("has the unknown key %q on line %d, in routes[%d]", k.Value, k.Line, rc.Index), Fix: fix}
}

// decode reads v into s's field of rc. set is false for a null or an empty
// string, which count as unset (the key keeps its default). The *Error
// returned lacks Field and Source, which the caller fills, unless it is
// about one header, which it names.
func (s *routeSetting) decode(rc *RouteConfig, v *yaml.Node, path string) (set bool, _ *Error) {
	v = resolveAlias(v)
	if p, ok := s.ptr(rc).(*[]HeaderConfig); ok && !isNullNode(v) {
		headers, err := yamlHeaders(rc.name("headers"), v, path)
		*p = headers
		return err == nil, err
	}
	if set, done, err := decodeEntryValue(v, s.ptr(rc), s.key, s.example()); done {
		return set, err
	}
	return true, parseEntryScalar(s.ptr(rc), s.kind, v.Value, s.key, s.example)
}

// example is a valid value of s, for messages and the example file.
func (s *routeSetting) example() string {
	switch s.key {
	case "match":
		return "GET /orders/{id}"
	case "upstream":
		return "http://127.0.0.1:9000"
	case "handler":
		return "messages"
	case "auth":
		return authNone
	case "scopes", "any_scopes":
		return "[orders:read]"
	case "assert_claims":
		return "{\"groups.includes\": admins}"
	case "headers":
		return "{X-Auth-Subject: /sub}"
	case "timeout":
		return "10s"
	case "dpop":
		return DPoPRequired
	case "introspect":
		return IntrospectAlways
	}
	return "false"
}

// yamlHeaders reads headers: a mapping of header names to a claim's JSON
// Pointer, or to a mapping {claim: pointer, separator: text}. field names
// the key in messages ("routes[0].headers", or "headers" at the top
// level), each header as field.Name. The names are kept as written, in
// order; Validate checks names and pointers.
func yamlHeaders(field string, v *yaml.Node, path string) ([]HeaderConfig, *Error) {
	if v.Kind != yaml.MappingNode {
		return nil, &Error{Problem: "is not a mapping of header names to claims",
			Fix: "write Header-Name: /claim, e.g. headers: {X-Auth-Subject: /sub, X-Auth-Roles: {claim: /roles, separator: \" \"}}"}
	}
	var headers []HeaderConfig
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		name := field + "." + k.Value
		h := HeaderConfig{Name: k.Value, Separator: ",", src: Source{Kind: SourceFile, Name: name, File: path, Line: k.Line}}
		if err := h.decodeValue(val); err != nil {
			err.Field, err.Source = name, h.src
			return nil, err
		}
		headers = append(headers, h)
	}
	return headers, nil
}

// decodeValue reads a header's value: the claim's pointer, or a mapping
// {claim: pointer, separator: text}.
func (h *HeaderConfig) decodeValue(v *yaml.Node) *Error {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag != "!!null" {
			h.Claim = strings.TrimSpace(v.Value)
		}
		return nil
	case yaml.MappingNode:
	default:
		return &Error{Problem: fmt.Sprintf("is a list on line %d", v.Line), Fix: "write the claim's JSON Pointer, e.g. " + h.Name + ": /sub, or " + h.Name + ": {claim: /roles, separator: \" \"}"}
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if val.Kind != yaml.ScalarNode {
			return &Error{Problem: fmt.Sprintf("has a nested value for %s on line %d", k.Value, val.Line), Fix: "write claim: /pointer and separator: text as plain values"}
		}
		text := val.Value
		if val.Tag == "!!null" {
			text = ""
		}
		switch k.Value {
		case "claim":
			h.Claim = strings.TrimSpace(text)
		case "separator":
			if text != "" { // "" keeps the default, as an empty value does everywhere
				h.Separator = text // not trimmed: " " is a separator
			}
		default:
			fix := "the keys of a header are claim and separator"
			if near := nearest(k.Value, []string{"claim", "separator"}); near != "" {
				fix = "did you mean " + near + "? Rename it to " + near + "; " + fix
			}
			return &Error{Problem: fmt.Sprintf("has the unknown key %q on line %d", k.Value, k.Line), Fix: fix}
		}
	}
	return nil
}

// routesInJSON refuses a routes key at the top level of a JSON
// configuration file: the Express sample's shape has no routes, and
// ignoring the key, as that level's other unknown keys are, would serve the
// built-in routes instead of the ones written.
func routesInJSON(data []byte, path string, src Source) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil // not an object: decodeFile reports it
	}
	if _, ok := top[routesKey]; !ok {
		return nil
	}
	return &Error{Field: "--config", Value: path, Source: src,
		Problem: "has a \"routes\" key, which only a YAML configuration file can hold",
		Fix:     "write the settings and the routes: list in a YAML file (`resource-server config example` prints one) and pass --config=resource-server.yaml"}
}
