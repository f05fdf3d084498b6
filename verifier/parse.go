package verifier

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Member names whose case variants are refused: "AUD" beside "aud" is how a
// lenient decoder is made to read the attacker's value.
var (
	headerNames = names("alg", "kid", "typ", "cty", "crit", "b64", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#s256")
	claimNames  = names("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cid", "client_id", "scp", "scope", "nonce", "azp", "token_use")
)

func names(list ...string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, n := range list {
		m[n] = true
	}
	return m
}

// compactJWS is a token split into its three segments, the first two decoded.
type compactJWS struct {
	header       []byte // decoded JOSE header
	payload      []byte // decoded claims
	signature    []byte // decoded signature
	signingInput string // header.payload as sent
}

// splitCompact checks the token's shape before anything costly: its size,
// exactly three non-empty segments, and canonical base64url in each.
func splitCompact(token string, maxBytes int) (*compactJWS, error) {
	if token == "" {
		return nil, malformed("the token is empty")
	}
	if len(token) > maxBytes {
		return nil, malformed(fmt.Sprintf("the token is %d bytes, more than the limit of %d", len(token), maxBytes))
	}
	first := strings.IndexByte(token, '.')
	last := strings.LastIndexByte(token, '.')
	if first < 0 || first == last {
		return nil, malformed("a signed token has 3 dot-separated segments; this one has " + strconv.Itoa(strings.Count(token, ".")+1))
	}
	if dots := strings.Count(token, "."); dots != 2 {
		if dots == 4 {
			return nil, malformed("the token has 5 segments, an encrypted token (JWE): only signed tokens (JWS) are accepted")
		}
		return nil, malformed("a signed token has 3 dot-separated segments; this one has " + strconv.Itoa(dots+1))
	}
	segs := [3]string{token[:first], token[first+1 : last], token[last+1:]}
	names := [3]string{"header", "payload", "signature"}
	var decoded [3][]byte
	for i, s := range segs {
		if s == "" {
			return nil, malformed("the " + names[i] + " segment is empty")
		}
		// The strict decoder refuses every byte outside the alphabet but
		// \r and \n, which it skips: those are looked for first (IndexByte
		// is vectorised), and the byte-by-byte scan that names the problem
		// runs only when decoding fails.
		if strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0 {
			return nil, malformed("the " + names[i] + " segment is not unpadded base64url")
		}
		b, err := decodeSegment(s)
		if err != nil {
			if !isBase64URL(s) {
				return nil, malformed("the " + names[i] + " segment is not unpadded base64url")
			}
			return nil, malformed("the " + names[i] + " segment: " + err.Error())
		}
		decoded[i] = b
	}
	return &compactJWS{header: decoded[0], payload: decoded[1], signature: decoded[2], signingInput: token[:last]}, nil
}

func malformed(detail string) error {
	return &ValidationError{Kind: ErrMalformed, Detail: detail}
}

// stringBytes views s as bytes without copying, for functions that only
// read their input (hashes, signature checks). The bytes must not be changed.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// isBase64URL accepts the URL-safe alphabet only: no padding, no white space
// (Go's decoder would silently skip \r and \n).
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// decodeSegment decodes strictly: unused trailing bits must be zero, so each
// token has exactly one spelling.
func decodeSegment(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("non-canonical base64url")
	}
	return b, nil
}

// jsonObject is a JSON object's top-level members in order. Tokens carry a
// dozen claims, so a slice searched linearly beats a map.
type jsonObject []jsonMember

type jsonMember struct {
	name string
	raw  json.RawMessage // the member's value, as written
}

// get returns the raw value of the named member.
func (o jsonObject) get(name string) (json.RawMessage, bool) {
	for i := range o {
		if o[i].name == name {
			return o[i].raw, true
		}
	}
	return nil, false
}

// parseObject reads a JSON object's top-level members, refusing invalid
// JSON or UTF-8, duplicate members, and case variants of the registered
// names (lower-case names). encoding/json validates the whole text first;
// the walk that follows then only has to find where members begin and end.
//
// members is how many members to make room for: a token's header has about
// 4, its claims about a dozen; more only costs a reallocation.
func parseObject(data []byte, registered map[string]bool, members int) (jsonObject, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8")
	}
	if !json.Valid(data) {
		return nil, errors.New("invalid JSON")
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	obj := make(jsonObject, 0, members)
	i = skipSpace(data, i+1)
	for data[i] != '}' {
		end := skipString(data, i)
		name, err := unquote(data[i:end])
		if err != nil {
			return nil, errors.New("invalid JSON")
		}
		if _, dup := obj.get(name); dup {
			return nil, fmt.Errorf("duplicate member %s", brief(name))
		}
		if canonical, variant := caseVariant(name, registered); variant {
			return nil, fmt.Errorf("member %s is a case variant of %q", brief(name), canonical)
		}
		i = skipSpace(data, end) // at ':'
		i = skipSpace(data, i+1) // at the value
		valueEnd := skipValue(data, i)
		obj = append(obj, jsonMember{name: name, raw: data[i:valueEnd]})
		i = skipSpace(data, valueEnd)
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return obj, nil
}

// caseVariant reports whether name differs from a registered name only in
// case. registered holds lower-case names, none longer than 16 bytes.
func caseVariant(name string, registered map[string]bool) (string, bool) {
	if len(name) > 16 || len(registered) == 0 {
		return "", false
	}
	var buf [16]byte
	lower := buf[:len(name)]
	upper := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			upper = true
		}
		if c >= utf8.RuneSelf {
			// 'ſ' and the Kelvin sign fold to s and k, and encoding/json
			// matches field names by that folding ("ſub" would fill Sub).
			for r := range registered {
				if strings.EqualFold(name, r) {
					return r, true
				}
			}
			return "", false
		}
		lower[i] = c
	}
	if !upper || !registered[string(lower)] {
		return "", false
	}
	return string(lower), true
}

// The walkers below run on text json.Valid accepted, so they need not
// check what they skip.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at data[i].
func skipString(data []byte, i int) int {
	for i++; data[i] != '"'; i++ {
		if data[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// skipValue returns the index just past the value starting at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	default: // a number, true, false or null
		for i < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[i])) {
			i++
		}
		return i
	}
}

// jsonString decodes a JSON value that must be a string.
func jsonString(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", errors.New("not a string")
	}
	return unquote(raw)
}

// unquote decodes a JSON string, without encoding/json when it holds no
// escapes (the common case: claim values are plain ASCII).
func unquote(raw []byte) (string, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// brief quotes an untrusted value for an error message, cut to a length that
// keeps messages and WWW-Authenticate headers small.
func brief(s string) string {
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
