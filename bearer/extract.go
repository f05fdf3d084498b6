package bearer

import (
	"net/http"
	"net/url"
	"strings"
)

// TokenFromRequest returns the bearer token of r's Authorization header
// (RFC 6750 §2.1), checked but not verified. It is the extraction step of
// Middleware, for callers that need it alone.
//
// The header is read as RFC 6750 §2.1 writes it, credentials = "Bearer" 1*SP
// b64token: the scheme, compared case-insensitively, then one or more spaces
// (a tab is not a separator) and a token matching [A-Za-z0-9-._~+/]+=*.
// Leading and trailing spaces and tabs around the whole value are ignored:
// RFC 9110 §5.5 excludes them from a field value, net/http's HTTP/1 reader
// strips them, and stripping them here gives a value set by code or received
// over HTTP/2 (which keeps them) the same answer.
//
// The error is an *Error: Status 401 with an empty Code when r carries no
// bearer credentials (no Authorization header, an empty one, or another
// scheme); Status 400 with Code invalid_request when the Bearer credentials
// are malformed, when r has several Authorization headers, or when an
// access_token parameter is in the URL query (or in a form body that was
// already parsed; the body is never read).
func TokenFromRequest(r *http.Request) (string, error) {
	tok, e := extract(r)
	if e != nil {
		return "", e
	}
	return tok, nil
}

var (
	errNoCredentials = Error{Status: http.StatusUnauthorized,
		Description: "this resource needs a bearer token"}
	errOtherScheme = Error{Status: http.StatusUnauthorized,
		Description: "this resource needs a bearer token; the Authorization header uses another scheme"}
	errSeveralHeaders = Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
		Description: "the request has more than one Authorization header"}
	errTokenInURL = Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
		Description: "access tokens in the URL are not accepted; send the token in the Authorization header"}
	errTokenInBody = Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
		Description: "access tokens in the request body are not accepted; send the token in the Authorization header"}
	errEmptyToken = Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
		Description: "the Authorization header holds the Bearer scheme but no token"}
	errSeparator = Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
		Description: "the Bearer scheme must be followed by one or more spaces and the token; found a tab"}
	errTokenSyntax = Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
		Description: "the bearer token holds a character outside the RFC 6750 token syntax [A-Za-z0-9-._~+/]+=*"}
)

// refusal returns a copy of a template, so that callers may not change the
// templates.
func refusal(e Error) *Error { return &e }

// schemeRefusals are the refusals of malformed credentials of one scheme,
// worded for it.
type schemeRefusals struct {
	other, empty, separator, syntax Error
}

var bearerRefusals = schemeRefusals{other: errOtherScheme, empty: errEmptyToken, separator: errSeparator, syntax: errTokenSyntax}

// extract is TokenFromRequest without the interface conversion. On a bearer
// header with bad syntax it returns the header's remainder along with the
// error, so that the refusal can be logged with the token's fingerprint.
// It does not allocate on success.
func extract(r *http.Request) (string, *Error) {
	return extractScheme(r, "Bearer", &bearerRefusals)
}

// extractScheme is extract for the credentials of scheme, "Bearer" or
// "DPoP" (RFC 9449 §7.1, whose token68 is RFC 6750's b64token).
func extractScheme(r *http.Request, scheme string, re *schemeRefusals) (string, *Error) {
	// Header keys are canonical in requests read by net/http and in headers
	// set through Header.Set/Add, so a direct lookup sees them all.
	values := r.Header["Authorization"]
	if len(values) > 1 {
		return "", refusal(errSeveralHeaders)
	}
	if r.URL != nil && r.URL.RawQuery != "" && queryHasKey(r.URL.RawQuery, "access_token") {
		return "", refusal(errTokenInURL)
	}
	if r.PostForm != nil && r.PostForm.Has("access_token") {
		return "", refusal(errTokenInBody)
	}
	var h string
	if len(values) > 0 {
		h = trimOWS(values[0])
	}
	if h == "" {
		return "", refusal(errNoCredentials)
	}

	// The scheme runs up to the first space or tab.
	n := len(scheme)
	if len(h) < n || !strings.EqualFold(h[:n], scheme) || (len(h) > n && h[n] != ' ' && h[n] != '\t') {
		return "", refusal(re.other)
	}
	// scheme 1*SP b64token. h ends in neither a space nor a tab, so
	// whatever follows the scheme ends in something else.
	rest := h[n:]
	if rest == "" {
		return "", refusal(re.empty)
	}
	tok := rest[1:]
	if tok[0] == ' ' {
		tok = strings.TrimLeft(tok, " ")
	}
	if rest[0] != ' ' || tok[0] == '\t' {
		return strings.TrimLeft(rest, " \t"), refusal(re.separator)
	}
	if !validToken(tok) {
		return tok, refusal(re.syntax)
	}
	return tok, nil
}

// trimOWS strips the optional white space (SP and HTAB, RFC 9110 §5.6.3)
// that RFC 9110 §5.5 excludes from a field value.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
var tokenChar = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~+/" {
		t[c] = true
	}
	return t
}()

// tokenByte is tokenChar as 0 and 1, for validToken's branch-free scan.
var tokenByte = func() (t [256]byte) {
	for c, ok := range tokenChar {
		if ok {
			t[c] = 1
		}
	}
	return t
}()

// validToken reports whether s matches RFC 6750's b64token. It runs on
// every request, over the whole token: the characters are tested eight at
// a time without a branch each, the "=" padding at the end one by one.
func validToken(s string) bool {
	end := len(s)
	for end > 0 && s[end-1] == '=' {
		end--
	}
	i := 0
	for ; i+8 <= end; i += 8 {
		b := s[i : i+8]
		if tokenByte[b[0]]&tokenByte[b[1]]&tokenByte[b[2]]&tokenByte[b[3]]&
			tokenByte[b[4]]&tokenByte[b[5]]&tokenByte[b[6]]&tokenByte[b[7]] == 0 {
			return false
		}
	}
	for i < end && tokenChar[s[i]] {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// queryHasKey reports whether the raw query string has a parameter named key,
// decoding percent-escapes in names only when they hold any. Both '&' and ';'
// count as separators, so that no parser down the line sees a parameter that
// this one missed.
func queryHasKey(raw, key string) bool {
	for raw != "" {
		var seg string
		if i := strings.IndexAny(raw, "&;"); i >= 0 {
			seg, raw = raw[:i], raw[i+1:]
		} else {
			seg, raw = raw, ""
		}
		name, _, _ := strings.Cut(seg, "=")
		if name == key {
			return true
		}
		if strings.ContainsAny(name, "%+") {
			if k, err := url.QueryUnescape(name); err == nil && k == key {
				return true
			}
		}
	}
	return false
}
