package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/resource-server/resource-server/verifier"
)

// pointer is a parsed JSON Pointer (RFC 6901): its reference tokens,
// unescaped. The empty pointer (nil) designates the whole claims object.
type pointer []string

// parsePointer parses s as RFC 6901 writes it: "" or "/" followed by
// reference tokens separated by "/", in which "~0" stands for "~" and "~1"
// for "/"; any other "~" is an error.
func parsePointer(s string) (pointer, error) {
	if s == "" {
		return nil, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("does not start with \"/\" (a JSON Pointer is \"\" or \"/name/...\", e.g. \"/sub\")")
	}
	parts := strings.Split(s[1:], "/")
	for i, p := range parts {
		for j := 0; j < len(p); j++ {
			if p[j] == '~' && (j+1 == len(p) || p[j+1] != '0' && p[j+1] != '1') {
				return nil, fmt.Errorf("reference token %d (%q) holds a \"~\" not followed by 0 or 1 (write \"~0\" for \"~\" and \"~1\" for \"/\")", i+1, p)
			}
		}
		// "~1" before "~0" (RFC 6901 §4): the other order would turn "~01"
		// (an escaped "~1") into "/".
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// lookup returns the JSON value p designates in tok's claims, false when
// there is none (a member or element that is absent, or a step into a
// scalar).
func (p pointer) lookup(tok *verifier.Token) (json.RawMessage, bool) {
	if len(p) == 0 {
		b, err := json.Marshal(tok.Claims())
		return b, err == nil
	}
	var raw json.RawMessage
	if ok, err := tok.Claim(p[0], &raw); !ok || err != nil {
		return nil, false
	}
	for _, step := range p[1:] {
		next, ok := child(raw, step)
		if !ok {
			return nil, false
		}
		raw = next
	}
	return raw, true
}

// child returns the member named step of an object, or the element indexed
// by step of an array.
func child(raw json.RawMessage, step string) (json.RawMessage, bool) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return nil, false
	}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil, false
		}
		v, ok := m[step]
		return v, ok
	case '[':
		// RFC 6901 §4: an index is "0" or digits without a leading zero;
		// "-" (past the end) designates nothing.
		if step == "" || len(step) > 1 && step[0] == '0' || strings.Trim(step, "0123456789") != "" {
			return nil, false
		}
		i, err := strconv.Atoi(step)
		var a []json.RawMessage
		if err != nil || json.Unmarshal(raw, &a) != nil || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	return nil, false
}

// headerValue renders a claim value as a header value: a string as is,
// a number or boolean in its JSON form, an array of scalars joined with sep,
// anything else (an object, an array holding one) as compact JSON. null and
// the empty string give no value. The second result is false, too, for a
// value that holds a byte a header value cannot (CR, LF, NUL, other
// controls but HTAB): such a value is never put in a header.
func headerValue(raw json.RawMessage, sep string) (v string, ok, invalid bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false, false
	}
	switch raw[0] {
	case '"':
		if json.Unmarshal(raw, &v) != nil {
			return "", false, false
		}
	case 'n':
		return "", false, false
	case '[':
		v = joinScalars(raw, sep)
	case '{':
		var b bytes.Buffer
		if json.Compact(&b, raw) != nil {
			return "", false, false
		}
		v = b.String()
	default: // a number, true or false: the JSON text is the value
		v = string(raw)
	}
	if v == "" {
		return "", false, false
	}
	if !validHeaderValue(v) {
		return "", false, true
	}
	return v, true, false
}

// joinScalars joins the elements of an array of scalars with sep (strings
// unquoted, null elements skipped); an array holding an array or an object
// is rendered as compact JSON instead.
func joinScalars(raw json.RawMessage, sep string) string {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return ""
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		switch e[0] {
		case '{', '[':
			var b bytes.Buffer
			_ = json.Compact(&b, raw) // raw was unmarshalled: it is valid JSON
			return b.String()
		case 'n':
			continue
		case '"':
			var s string
			_ = json.Unmarshal(e, &s)
			out = append(out, s)
		default:
			out = append(out, string(e))
		}
	}
	return strings.Join(out, sep)
}

// validHeaderValue reports whether v can be sent as a header field value
// (RFC 9110 §5.5): no control characters but HTAB, no DEL. Bytes above
// 0x7F (UTF-8) are obs-text, which net/http sends as they are.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
