package verifier

import (
	"errors"
	"strconv"
	"strings"
)

// checkHTU compares a proof's "htu" with the request's URL after
// normalizing both (RFC 9449 §4.3 check 9): peers that compare the strings
// exactly refuse proofs of clients that wrote "HTTPS://Host:443/a/./b" for
// https://host/a/b, and behind a proxy the scheme and port the server sees
// are rarely those the client used, which is why the caller passes its
// public URL.
func checkHTU(htu, requestURL string) error {
	got, err := normalizeHTU(htu)
	if err != nil {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "htu", Found: brief(htu), Detail: "not an absolute http(s) URL: " + err.Error()}
	}
	want, err := normalizeHTU(requestURL)
	if err != nil {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "htu", Expected: brief(requestURL),
			Detail: "the request's own URL cannot be normalized: " + err.Error()}
	}
	if got != want {
		return &ValidationError{Kind: ErrInvalidProof, Claim: "htu", Found: brief(htu), Expected: brief(want),
			Detail: "compared without query and fragment, after RFC 3986 section 6 normalization"}
	}
	return nil
}

var (
	errNotHTTP   = errors.New("the scheme is not http or https")
	errNoHost    = errors.New("no host")
	errUserinfo  = errors.New("it holds user information")
	errBadPort   = errors.New("the port is not a number")
	errBadEscape = errors.New("a '%' is not followed by two hexadecimal digits")
)

// normalizeHTU returns the normal form of an http(s) URL for comparing
// "htu" (RFC 3986 §6.2.2 and §6.2.3): query and fragment dropped (RFC 9449
// §4.2 leaves them out), scheme and host lower-cased, the scheme's default
// port and an empty port dropped, percent-encodings of unreserved
// characters decoded and the others upper-cased, bytes that cannot stand
// in a path percent-encoded (a client that signed "/é" meant "/%C3%A9"),
// dot segments removed and an empty path made "/". A URL with user
// information is refused: no client sends one, and "host@evil" must not
// compare equal to anything.
func normalizeHTU(s string) (string, error) {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	scheme, rest, ok := strings.Cut(s, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return "", errNotHTTP
	}
	authority, path := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	host, err := normalizeAuthority(scheme, authority)
	if err != nil {
		return "", err
	}
	path, err = normalizePath(path)
	if err != nil {
		return "", err
	}
	return scheme + "://" + host + path, nil
}

// normalizeAuthority lower-cases the host and drops the default port.
func normalizeAuthority(scheme, authority string) (string, error) {
	if strings.IndexByte(authority, '@') >= 0 {
		return "", errUserinfo
	}
	host, port := authority, ""
	// The port follows the last ':' after any IPv6 literal's ']'.
	if i := strings.LastIndexByte(authority, ':'); i > strings.LastIndexByte(authority, ']') {
		host, port = authority[:i], authority[i+1:]
	}
	if !validHost(host) {
		return "", errNoHost
	}
	host = strings.ToLower(host)
	if port == "" {
		return host, nil
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || strings.TrimLeft(port, "0123456789") != "" {
		return "", errBadPort
	}
	if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
		return host, nil
	}
	return host + ":" + strconv.FormatUint(n, 10), nil
}

// normalizePath normalizes percent-encoding (RFC 3986 §6.2.2.2), then
// removes dot segments (§6.2.2.3, by §5.2.4), in that order, so that
// "/%2E%2E/x" is "/x" as a server resolving it would see it.
func normalizePath(p string) (string, error) {
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return "", errBadEscape
			}
			v := unhex(p[i+1])<<4 | unhex(p[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				writeEscape(&b, v)
			}
			i += 2
		case isPathChar(c):
			b.WriteByte(c)
		default:
			writeEscape(&b, c)
		}
	}
	return removeDotSegments(b.String()), nil
}

// removeDotSegments is RFC 3986 §5.2.4 for an absolute path.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p // the usual path, without a dot segment to remove
	}
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "") // "/a/." is "/a/"
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// validHost accepts a reg-name or IPv4 address of unreserved and
// sub-delims characters (RFC 3986 §3.2.2, without percent-encoding, which
// no DNS name needs), or an IPv6 literal in brackets.
func validHost(h string) bool {
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		for i := 1; i < len(h)-1; i++ {
			if c := h[i]; !isHex(c) && c != ':' && c != '.' {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !isUnreserved(c) && strings.IndexByte("!$&'()*+,;=", c) < 0 {
			return false
		}
	}
	return h != ""
}

func writeEscape(b *strings.Builder, c byte) {
	const digits = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(digits[c>>4])
	b.WriteByte(digits[c&15])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// isUnreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3).
func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// isPathChar: what a path may hold unescaped, pchar and "/" (RFC 3986
// §3.3), '%' aside.
func isPathChar(c byte) bool {
	return isUnreserved(c) || strings.IndexByte("!$&'()*+,;=:@/", c) >= 0
}
