package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// discoveryURLs lists where the issuer's metadata may be, in the order
// tried: OpenID Connect discovery (appended to the issuer), then RFC 8414
// as Okta serves it (appended to the issuer) and, for an issuer with a
// path, as the RFC places it (inserted before the path).
func discoveryURLs(issuer string) []string {
	trimmed := strings.TrimSuffix(issuer, "/")
	urls := []string{
		trimmed + "/.well-known/openid-configuration",
		trimmed + "/.well-known/oauth-authorization-server",
	}
	if u, err := url.Parse(issuer); err == nil && strings.Trim(u.Path, "/") != "" {
		urls = append(urls, u.Scheme+"://"+u.Host+"/.well-known/oauth-authorization-server"+strings.TrimSuffix(u.Path, "/"))
	}
	return urls
}

// discover finds the JWKS URL in the first metadata document found. When
// none is, the error names the first failure only: the others are mostly
// the same failure at another URL, and three of them make a log line
// nobody reads.
func (k *keySet) discover(ctx context.Context) (string, error) {
	urls := discoveryURLs(k.cfg.Issuer)
	var first error
	tried := 0
	for _, docURL := range urls {
		body, err := k.get(ctx, docURL)
		tried++
		if err == nil {
			return parseDiscovery(body, docURL, k.cfg.Issuer, k.cfg.InsecureAllowHTTP)
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	others := ""
	switch {
	case tried < len(urls):
		others = fmt.Sprintf(" (%d of %d metadata URLs tried before the time ran out)", tried, len(urls))
	case tried > 1:
		others = fmt.Sprintf(" (the other %d metadata URLs failed too)", tried-1)
	}
	return "", fmt.Errorf("discovery failed for issuer %s: %w%s", k.cfg.Issuer, first, others)
}

// parseDiscovery reads the jwks_uri of a metadata document, which must name
// our issuer exactly: a document for another issuer would hand us its keys.
// The document is read as strictly as a token (parseObject): a "JWKS_URI"
// beside "jwks_uri" is how a lenient reader is pointed at other keys.
func parseDiscovery(body []byte, docURL, issuer string, allowHTTP bool) (string, error) {
	doc, err := parseObject(body, discoveryNames, 32)
	if errors.Is(err, errInvalidJSON) || errors.Is(err, errInvalidUTF8) {
		return "", fmt.Errorf("discovery document at %s is not valid JSON (%v)", docURL, err)
	}
	if err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	found, ok, err := stringMember(doc, "issuer")
	if err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	if !ok || found != issuer {
		return "", issuerMismatch(docURL, issuer, found, ok)
	}
	jwksURI, ok, err := stringMember(doc, "jwks_uri")
	if err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	if !ok || jwksURI == "" {
		return "", fmt.Errorf("discovery document at %s has no jwks_uri: set the JWKS URL (Config.JWKSURL) explicitly", docURL)
	}
	if err := checkURL("jwks_uri", jwksURI, allowHTTP, true); err != nil {
		return "", fmt.Errorf("discovery document at %s: %w", docURL, err)
	}
	return jwksURI, nil
}

// issuerMismatch says that a discovery document names another issuer. When
// the two differ only by a trailing slash, the configuration is what is
// wrong (issuers publish either form, and tokens carry the published one
// exactly): the error is then a *ConfigError naming the field and the value
// to set.
func issuerMismatch(docURL, issuer, found string, present bool) error {
	if !present {
		return fmt.Errorf("discovery document at %s names no issuer, expected %q", docURL, issuer)
	}
	if strings.TrimSuffix(found, "/") == strings.TrimSuffix(issuer, "/") {
		return &ConfigError{Field: "Issuer", Value: issuer,
			Problem: fmt.Sprintf("differs only by a trailing slash from %s, the issuer named by the discovery document at %s", brief(found), docURL),
			Fix:     fmt.Sprintf("write the issuer exactly as it publishes itself: %s", brief(found))}
	}
	return fmt.Errorf("discovery document at %s names issuer %s, expected %q", docURL, brief(found), issuer)
}

// stringMember returns the named member of doc, which must be a string
// when present.
func stringMember(doc jsonObject, name string) (string, bool, error) {
	raw, ok := doc.get(name)
	if !ok {
		return "", false, nil
	}
	s, err := jsonString(raw)
	if err != nil {
		return "", true, fmt.Errorf("%s is %s, not a string", name, brief(string(raw)))
	}
	return s, true, nil
}
