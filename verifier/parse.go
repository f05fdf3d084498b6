package verifier

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Member names whose case variants are refused: "AUD" beside "aud" is how a
// lenient decoder is made to read the attacker's value.
var (
	headerNames = []string{"alg", "kid", "typ", "cty", "crit", "b64", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256"}
	claimNames  = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cid", "client_id", "scp", "scope", "nonce", "azp"}
)

// compactJWS is a token split into its three segments, the first two decoded.
type compactJWS struct {
	header       []byte // decoded JOSE header
	payload      []byte // decoded claims
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
	for i, s := range segs {
		if s == "" {
			return nil, malformed("the " + names[i] + " segment is empty")
		}
		if !isBase64URL(s) {
			return nil, malformed("the " + names[i] + " segment is not unpadded base64url")
		}
	}
	header, err := decodeSegment(segs[0])
	if err != nil {
		return nil, malformed("the header segment: " + err.Error())
	}
	payload, err := decodeSegment(segs[1])
	if err != nil {
		return nil, malformed("the payload segment: " + err.Error())
	}
	if _, err := decodeSegment(segs[2]); err != nil {
		return nil, malformed("the signature segment: " + err.Error())
	}
	return &compactJWS{header: header, payload: payload, signingInput: token[:last]}, nil
}

func malformed(detail string) error {
	return &ValidationError{Kind: ErrMalformed, Detail: detail}
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

// parseObject reads a JSON object's top-level members, refusing invalid
// UTF-8, duplicate members, case variants of the names given, and trailing
// data.
func parseObject(data []byte, registered []string) (map[string]json.RawMessage, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	members := make(map[string]json.RawMessage, 16)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("invalid JSON")
		}
		name := tok.(string) // object keys are always strings
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("duplicate member %s", brief(name))
		}
		for _, r := range registered {
			if name != r && strings.EqualFold(name, r) {
				return nil, fmt.Errorf("member %s is a case variant of %q", brief(name), r)
			}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("invalid JSON")
		}
		members[name] = raw
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errors.New("invalid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return members, nil
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
