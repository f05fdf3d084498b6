package verifier

import (
	"context"
	"errors"
	"net"
	"time"
)

// outage is a run of failed fetches. It is logged when it starts, when the
// cause of the failures changes, and when it ends, not at each retry: an
// issuer down for an hour would otherwise write a line per retry.
type outage struct {
	since    time.Time // first failure; zero when the last fetch succeeded
	failures int
	cause    string // failureCause of the failure last logged
}

// attrs are the log attributes that say how long the outage has lasted at
// now.
func (o *outage) attrs(now time.Time) []any {
	return []any{"outage_for", now.Sub(o.since).Round(time.Second).String(), "failed_fetches", o.failures}
}

// endOutageLocked logs the end of the outage under way, if any: a fetch
// succeeded.
func (k *keySet) endOutageLocked() {
	if k.outage.since.IsZero() {
		return
	}
	k.log.Info("verifier: the issuer's keys are fetched again",
		append([]any{"issuer", k.cfg.Issuer}, k.outage.attrs(k.cfg.Now())...)...)
	k.outage = outage{}
}

// logFailureLocked logs a failed fetch if it starts an outage or changes
// its cause, saying what the failure means for tokens: whether keys are
// still held, and how long they remain usable.
func (k *keySet) logFailureLocked(err error) {
	now := k.cfg.Now()
	o := &k.outage
	o.failures++
	cause := failureCause(err)
	if !o.since.IsZero() && cause == o.cause {
		return
	}
	attrs := []any{"issuer", k.cfg.Issuer}
	if o.since.IsZero() {
		o.since = now
	} else {
		attrs = append(attrs, o.attrs(now)...)
	}
	o.cause = cause
	snap := k.current.Load()
	msg := "verifier: could not fetch the issuer's keys; keeping the last good ones"
	switch {
	case snap == nil:
		msg = "verifier: could not fetch the issuer's keys; no keys are held: tokens are refused with ErrKeysUnavailable (HTTP 503) until the issuer answers"
	case !k.fresh(snap, now.UnixNano()):
		msg = "verifier: could not fetch the issuer's keys; the keys held are past MaxKeyAge: tokens are refused with ErrKeysUnavailable (HTTP 503) until the issuer answers"
	case k.cfg.MaxKeyAge > 0:
		attrs = append(attrs, "usable_for", (k.cfg.MaxKeyAge - now.Sub(snap.fetched)).Round(time.Second).String())
	}
	attrs = append(attrs, "keys_held", snap != nil, "error", err)
	k.log.Warn(msg, attrs...)
}

// failureCause is what tells the failures of an outage apart: the innermost
// error. For an issuer that does not answer, that is the network's error,
// the same whether the JWKS or a discovery document was asked for, so that
// one unreachable issuer is one log line; an answer refused is told apart
// by the document it came from.
func failureCause(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}

// warnStale logs, once per snapshot, that the keys held (snap) are past
// MaxKeyAge at now and tokens are refused.
func (k *keySet) warnStale(snap *keySnapshot, now time.Time) {
	if k.staleWarned.Swap(snap) != snap {
		k.log.Error("verifier: the issuer's keys are older than MaxKeyAge; refusing tokens until the issuer answers",
			"issuer", k.cfg.Issuer, "fetched_ago", now.Sub(snap.fetched).Round(time.Second).String(),
			"max_key_age", k.cfg.MaxKeyAge.String(), "last_error", k.lastError())
	}
}

func (k *keySet) lastError() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lastErr == nil {
		return ""
	}
	return k.lastErr.Error()
}
