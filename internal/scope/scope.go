// Package scope is the one reading of OAuth 2.0 scopes (RFC 6749 §3.3) that
// the verifier (a token's "scope" and "scp" claims), the bearer middleware
// (RequireScopes), the development issuer (the scope request parameter) and
// the program's configuration (REQUIRED_SCOPES) share:
//
//	scope       = scope-token *( SP scope-token )
//	scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
//
// A scope-token is printable ASCII but the quote and the backslash, and the
// only separator is the space, U+0020.
//
// A string that holds any other byte (a tab, a line break, a no-break space
// U+00A0, an em space U+2003, any other non-ASCII character) is not a list
// of scopes, and Parse refuses all of it. Splitting on "white space" as
// strings.Fields does made "api:read<U+00A0>api:write" grant api:write.
// Dropping only the odd item would fail closed too, but would let an
// issuer, this verifier and every other party reading the same token
// silently disagree on what it grants; refusing the token makes the
// disagreement visible, with an error that names the offending character
// and its position (never the value itself).
//
// Extra spaces (leading, trailing, or several between two scopes) are read
// as empty items and ignored. The grammar has none, but a space can neither
// join two scope-tokens nor split one, so a string with extra spaces grants
// exactly what its strict form grants; software that builds the string by
// concatenation does produce them (a client's "openid  email", an issuer's
// trailing space), and refusing a token for them would buy nothing.
//
// The package is internal: its rule is part of what bearer and verifier
// promise, not an API of its own.
package scope

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Syntax describes the rule for error messages; it holds neither a quote nor
// a backslash, so it can stand in an RFC 6750 error_description.
const Syntax = "scopes are printable ASCII without quote or backslash, separated by spaces (RFC 6749 section 3.3)"

// ErrEmpty is Check's error for the empty string.
var ErrEmpty = errors.New("an empty string is not a scope")

// SyntaxError reports a character that no scope may hold.
type SyntaxError struct {
	// Offset is the byte offset of the character in the string checked.
	Offset int
	// Char is the character, utf8.RuneError for a byte that is not UTF-8
	// (then Byte holds it).
	Char rune
	// Byte is the byte at Offset.
	Byte byte
}

// Error names the character by its code point (or its byte value when it is
// not UTF-8) and its offset; it never repeats the string checked.
func (e *SyntaxError) Error() string {
	if e.Char == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02X (not UTF-8) at byte %d is not allowed in a scope", e.Byte, e.Offset)
	}
	return fmt.Sprintf("character %U at byte %d is not allowed in a scope", e.Char, e.Offset)
}

// tokenByte reports whether c may appear in a scope-token.
func tokenByte(c byte) bool {
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\'
}

// invalidAt returns the offset of the first byte of s that is neither a
// scope-token byte nor, when spaces is true, a space; -1 when there is none.
func invalidAt(s string, spaces bool) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !tokenByte(c) && (!spaces || c != ' ') {
			return i
		}
	}
	return -1
}

func syntaxError(s string, i int) *SyntaxError {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return &SyntaxError{Offset: i, Char: r, Byte: s[i]}
}

// Valid reports whether token is one scope-token.
func Valid(token string) bool {
	return token != "" && invalidAt(token, false) < 0
}

// Check returns nil when token is one scope-token, ErrEmpty when it is
// empty, and otherwise a *SyntaxError naming the first character that is
// not allowed (a space included: a scope-token holds none).
func Check(token string) error {
	if token == "" {
		return ErrEmpty
	}
	if i := invalidAt(token, false); i >= 0 {
		return syntaxError(token, i)
	}
	return nil
}

// Parse returns the scopes of a space-separated scope string, in order,
// duplicates kept; nil when it holds none. When s holds a byte that is
// neither a space nor allowed in a scope-token, Parse returns no scopes and
// a *SyntaxError naming the first such byte. It allocates the result only.
func Parse(s string) ([]string, error) {
	if i := invalidAt(s, true); i >= 0 {
		return nil, syntaxError(s, i)
	}
	return Fields(s), nil
}

// Fields splits s around runs of spaces (U+0020 only, unlike
// strings.Fields), ignoring empty items; nil when there are none. It does
// not check the items: Parse does. It serves lists read "like a scope"
// whose items are not scopes, such as a string claim asserted with
// ".includes".
func Fields(s string) []string {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && (i == 0 || s[i-1] == ' ') {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	start := -1
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != ' ' && start < 0:
			start = i
		case s[i] == ' ' && start >= 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}
