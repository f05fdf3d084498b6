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

// The registries of the member names each reader knows, in their registered
// spelling: a member that equals one of them under case folding without
// being it ("AUD" beside "aud", "x5t#s256" for "x5t#S256") is refused,
// because a lenient decoder elsewhere would read it as the registered one.
var (
	// RFC 7515 §4.1, RFC 7797 (b64), and the JWE-only parameters of
	// RFC 7516 §4.1, which mark an encrypted token (see findHeaderMembers).
	headerNames = registry("alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64",
		"enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c")
	claimNames = registry("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cid", "client_id", "scp", "scope", "nonce", "azp", "token_use", "tid", "cnf")
	// confirmationNames are the members of "cnf" read (RFC 7800, RFC 9449
	// §6.1): a case variant of "jkt" could be read by another party as the
	// binding.
	confirmationNames = registry("jkt", "jwk", "x5t#S256")
	// RFC 8414 §2 and OpenID Connect Discovery 1.0 §3: only "issuer" and
	// "jwks_uri" are read, but a variant of any registered name is a
	// document that other readers understand differently.
	discoveryNames = registry("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint",
		"scopes_supported", "response_types_supported", "response_modes_supported", "grant_types_supported",
		"token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
		"service_documentation", "ui_locales_supported", "op_policy_uri", "op_tos_uri",
		"revocation_endpoint", "revocation_endpoint_auth_methods_supported", "revocation_endpoint_auth_signing_alg_values_supported",
		"introspection_endpoint", "introspection_endpoint_auth_methods_supported", "introspection_endpoint_auth_signing_alg_values_supported",
		"code_challenge_methods_supported", "userinfo_endpoint", "end_session_endpoint", "acr_values_supported",
		"subject_types_supported", "id_token_signing_alg_values_supported", "claims_supported", "claims_parameter_supported")
	// RFC 7517 §5.
	jwksNames = registry("keys")
	// RFC 7517 §4 and RFC 7518 §6, plus "pub" and "priv", which go-jose
	// reads too (AKP keys).
	jwkNames = registry("kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t", "x5t#S256",
		"n", "e", "crv", "x", "y", "d", "p", "q", "dp", "dq", "qi", "k", "oth", "pub", "priv")
)

// maxRegisteredName bounds the length of a registered name, so that the
// case-folding check works in a stack buffer.
const maxRegisteredName = 64

// nameRegistry is a list of registered member names, indexed for the
// case-variant check that runs on every member of every token.
type nameRegistry struct {
	list   []string          // the names as registered
	folded map[string]string // ASCII lower case → the registered spelling
	mixed  []string          // lower-case forms of names that hold upper case: "x5t#s256"
	maxLen int               // the longest name, in bytes
}

func registry(list ...string) *nameRegistry {
	r := &nameRegistry{list: list, folded: make(map[string]string, len(list))}
	for _, n := range list {
		if len(n) > maxRegisteredName {
			panic("verifier: registered name longer than maxRegisteredName: " + n)
		}
		lower := strings.ToLower(n)
		r.folded[lower] = n
		if lower != n {
			r.mixed = append(r.mixed, lower)
		}
		r.maxLen = max(r.maxLen, len(n))
	}
	return r
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

// The refusals of parseObject that mean the text is not JSON at all, as
// opposed to JSON whose members are ambiguous.
var (
	errInvalidUTF8 = errors.New("invalid UTF-8")
	errInvalidJSON = errors.New("invalid JSON")
)

// parseObject is the one reader of JSON objects that come from outside:
// token headers and claims, discovery documents, the JWKS and each of its
// keys all go through it, each with the registry of its member names, and
// so must any later reader (an introspection response). It refuses invalid
// JSON or UTF-8, duplicate members, and case variants of registered names
// (RFC 8259 §8.3: member names compare exactly; encoding/json would match
// them case-insensitively and let the last duplicate win). registered may be
// nil: duplicates are still refused. encoding/json validates the whole text
// first; the walk that follows then only has to find where members begin
// and end.
//
// members is how many members to make room for: a token's header has about
// 4, its claims about a dozen; more only costs a reallocation.
func parseObject(data []byte, registered *nameRegistry, members int) (jsonObject, error) {
	if !utf8.Valid(data) {
		return nil, errInvalidUTF8
	}
	if !json.Valid(data) {
		return nil, errInvalidJSON
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	obj := make(jsonObject, 0, members)
	var seen map[string]bool // past linearMembers, duplicates are found in a map
	i = skipSpace(data, i+1)
	for data[i] != '}' {
		end := skipString(data, i)
		name, err := unquote(data[i:end])
		if err != nil {
			return nil, errInvalidJSON
		}
		if len(obj) < linearMembers {
			if _, dup := obj.get(name); dup {
				return nil, fmt.Errorf("duplicate member %s", brief(name))
			}
		} else if seenBefore(&seen, obj, name) {
			return nil, fmt.Errorf("duplicate member %s", brief(name))
		}
		if canonical, variant := registered.caseVariant(name); variant {
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

// linearMembers is how many members are searched linearly for duplicates:
// a token's dozen quickly, while a megabyte of members in a hostile
// document does not cost a quadratic search.
const linearMembers = 32

// seenBefore reports whether obj holds name, by the map *seen, which it
// builds on first use and to which it adds name.
func seenBefore(seen *map[string]bool, obj jsonObject, name string) bool {
	if *seen == nil {
		*seen = make(map[string]bool, 2*len(obj))
		for _, m := range obj {
			(*seen)[m.name] = true
		}
	}
	if (*seen)[name] {
		return true
	}
	(*seen)[name] = true
	return false
}

// caseVariant reports whether name equals a registered name under case
// folding without being it, and returns that name. A nil registry knows
// no names. It runs on every member of every token: the usual name, all
// lower-case ASCII, costs one pass over its bytes.
func (r *nameRegistry) caseVariant(name string) (string, bool) {
	// A rune that folds to an ASCII letter ('ſ', the Kelvin sign) takes at
	// most 3 bytes.
	if r == nil || len(name) > 3*r.maxLen {
		return "", false
	}
	upper := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf {
			// 'ſ' and the Kelvin sign fold to s and k, and encoding/json
			// matches field names by that folding ("ſub" would fill Sub).
			return r.foldVariant(name)
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if !upper {
		// All lower case: a variant only of a name registered with upper
		// case in it.
		for _, m := range r.mixed {
			if name == m {
				return r.folded[m], true
			}
		}
		return "", false
	}
	if len(name) > r.maxLen {
		return "", false
	}
	var buf [maxRegisteredName]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	canonical, ok := r.folded[string(buf[:len(name)])]
	if !ok || canonical == name {
		return "", false
	}
	return canonical, true
}

// foldVariant is caseVariant for names outside ASCII, by Unicode simple
// folding as encoding/json applies it.
func (r *nameRegistry) foldVariant(name string) (string, bool) {
	for _, n := range r.list {
		if name != n && strings.EqualFold(name, n) {
			return n, true
		}
	}
	return "", false
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

// arrayElements returns the elements of a JSON array value that
// parseObject returned (so already validated), and false when raw is not an
// array.
func arrayElements(raw []byte) ([]json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var elems []json.RawMessage
	i := skipSpace(raw, 1)
	for raw[i] != ']' {
		end := skipValue(raw, i)
		elems = append(elems, raw[i:end])
		i = skipSpace(raw, end)
		if raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return elems, true
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
