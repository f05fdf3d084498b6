package bearer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/resource-server/resource-server/internal/jsonerror"
	"github.com/resource-server/resource-server/verifier"
)

// Error codes of RFC 6750 §3.1, and the one used when the issuer's keys are
// unavailable (RFC 6749 §4.1.2.1 names it for the authorization endpoint; it
// says the same thing here).
const (
	CodeInvalidRequest         = "invalid_request"         // 400
	CodeInvalidToken           = "invalid_token"           // 401
	CodeInsufficientScope      = "insufficient_scope"      // 403
	CodeTemporarilyUnavailable = "temporarily_unavailable" // 503, not put in the challenge
)

// maxDescription is the longest error_description the middleware sends.
const maxDescription = 200

// Error is a refusal: the HTTP status and what the challenge and the JSON
// body say. TokenFromRequest returns it; Middleware and RequireScopes answer
// with it.
type Error struct {
	// Status is the HTTP status: 400, 401, 403 or 503.
	Status int
	// Code is the RFC 6750 error code: "" (the request carried no bearer
	// credentials, so the challenge names no error), CodeInvalidRequest,
	// CodeInvalidToken or CodeInsufficientScope; or
	// CodeTemporarilyUnavailable with Status 503.
	Code string
	// Description is the human-readable error_description.
	Description string
	// Scope is the scope attribute of the challenge: the space-separated
	// scopes the resource needs. Empty except for insufficient_scope.
	Scope string

	// dpop: the refusal concerns the DPoP scheme, whose challenge carries
	// the error (Options.DPoP); nonce: the DPoP-Nonce to send with it.
	dpop  bool
	nonce string
}

// Error returns "bearer: <code>: <description>", with "unauthorized" for an
// empty Code.
func (e *Error) Error() string {
	return "bearer: " + e.bodyCode() + ": " + e.Description
}

// bodyCode is the "error" member of the JSON body.
func (e *Error) bodyCode() string {
	if e.Code == "" {
		return "unauthorized"
	}
	return e.Code
}

// challenge returns the WWW-Authenticate value for e, refusing r:
// Bearer realm="…"[, error="…", error_description="…"][, scope="…"][, resource_metadata="…"].
// resource_metadata (RFC 9728 §5.1) is in every challenge, whatever the
// status, when the options give a URL.
func (m *middleware) challenge(r *http.Request, e *Error) string {
	suffix, plain := m.suffix, m.plain
	if m.metadata != nil {
		if u := m.metadata(r); u != "" && quotable(u) {
			suffix = `, resource_metadata="` + u + `"`
			plain = m.realm + suffix
		}
	}
	// With DPoP enabled, an error of the DPoP scheme goes in its own
	// challenge (setDPoPChallenges); the Bearer one stays plain.
	inChallenge := !e.dpop && (e.Code == CodeInvalidRequest || e.Code == CodeInvalidToken || e.Code == CodeInsufficientScope)
	if e.dpop && e.Scope != "" {
		return plain
	}
	if !inChallenge && e.Scope == "" {
		return plain
	}
	var b strings.Builder
	b.Grow(len(plain) + len(e.Code) + len(e.Description) + len(e.Scope) + 48)
	b.WriteString(m.realm)
	if inChallenge {
		b.WriteString(`, error="`)
		b.WriteString(e.Code)
		b.WriteByte('"')
		if d := sanitize(e.Description); d != "" {
			b.WriteString(`, error_description="`)
			b.WriteString(d)
			b.WriteByte('"')
		}
	}
	if e.Scope != "" {
		b.WriteString(`, scope="`)
		b.WriteString(e.Scope)
		b.WriteByte('"')
	}
	b.WriteString(suffix)
	return b.String()
}

// metadataSuffix is `, resource_metadata="…"` for r, or "".
func (m *middleware) metadataSuffix(r *http.Request) string {
	if m.metadata != nil {
		if u := m.metadata(r); u != "" && quotable(u) {
			return `, resource_metadata="` + u + `"`
		}
	}
	return m.suffix
}

// refuse reports the refusal to Options.Observe, logs it and answers it.
// raw is the presented token (or ""), tok the verified token (or nil), cause
// the verifier's error (or nil); they only feed the observer and the log.
func (m *middleware) refuse(w http.ResponseWriter, r *http.Request, e *Error, raw string, tok *verifier.Token, cause error) {
	if m.observe != nil {
		m.observe(r, Decision{Status: e.Status, Err: e, Cause: cause, Token: tok, Raw: raw, DPoP: e.dpop})
	}
	m.log(r, e, raw, tok, cause)
	h := w.Header()
	if m.dpop != nil {
		m.setDPoPChallenges(h, r, e, m.challenge(r, e))
	} else {
		h.Set("WWW-Authenticate", m.challenge(r, e))
	}
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	jsonerror.Write(w, r, e.Status, e.bodyCode(), sanitize(e.Description))
}

func (m *middleware) log(r *http.Request, e *Error, raw string, tok *verifier.Token, cause error) {
	if m.logger == nil {
		return
	}
	level := slog.LevelInfo
	switch {
	case e.Status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case e.Code == "" || e.Code == CodeUseDPoPNonce:
		// No credentials, or a nonce to fetch: the protocol's first step.
		level = slog.LevelDebug
	}
	ctx := r.Context()
	if !m.logger.Enabled(ctx, level) {
		return
	}
	ok, dropped := m.logLimit.admit()
	if !ok {
		return
	}
	reason := e.Description
	if cause != nil {
		reason = cause.Error()
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.Int("status", e.Status),
		slog.String("error", e.bodyCode()),
		slog.String("reason", reason),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
	)
	if ve := (*verifier.ValidationError)(nil); errors.As(cause, &ve) && ve.Kind != nil {
		attrs = append(attrs, slog.String("kind", ve.Kind.Error()))
	}
	switch {
	case tok != nil && tok.ID() != "":
		attrs = append(attrs, slog.String("token_id", tok.ID()))
	case raw != "":
		attrs = append(attrs, slog.String("token_sha256", fingerprint(raw)))
	}
	if dropped > 0 {
		attrs = append(attrs, slog.Int64("dropped_since_last", dropped))
	}
	m.logger.LogAttrs(ctx, level, "bearer: request refused", attrs...)
}

// fingerprint returns the first 12 hex digits of the SHA-256 hash of token:
// enough to tell tokens apart in logs, useless to replay.
func fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// sanitize makes s fit RFC 6750's error_description,
// 1*( %x20-21 / %x23-5B / %x5D-7E ): '"' and '\' are dropped, other bytes
// outside printable ASCII become '?' (one per rune), and the result is cut to
// maxDescription bytes, ending in "..." when cut.
func sanitize(s string) string {
	clean := len(s) <= maxDescription
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), maxDescription+1))
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			continue
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(byte(c))
		}
		if b.Len() > maxDescription {
			break
		}
	}
	out := b.String()
	if len(out) > maxDescription {
		out = out[:maxDescription-3] + "..."
	}
	return out
}
