package main

import (
	"strings"

	"github.com/resource-server/resource-server/bearer"
	"github.com/resource-server/resource-server/internal/config"
	"github.com/resource-server/resource-server/store"
	"github.com/resource-server/resource-server/verifier"
)

// dpopOptions builds DPoP (RFC 9449) from the issuers' and routes' dpop:
// modes: nil when every one is off. Proofs are checked by one verifier per
// process, whose jti records go to the store, so that a proof replayed to
// another instance sharing it is refused; nonces come from
// DPOP_NONCE_SECRET, shared by the instances.
func dpopOptions(cfg config.Config, st store.Store) (*bearer.DPoPOptions, error) {
	modes := issuerDPoPModes(cfg)
	used := false
	for _, m := range modes {
		used = used || m != bearer.DPoPOff
	}
	for _, rc := range cfg.Routes {
		used = used || rc.DPoP == config.DPoPAllowed || rc.DPoP == config.DPoPRequired
	}
	if !used {
		return nil, nil
	}
	dc := verifier.DPoPConfig{Algorithms: cfg.DPoPAlgorithms, MaxAge: cfg.DPoPMaxAge, Replay: st}
	if cfg.DPoPNonceSecret != "" {
		dc.NonceKey = []byte(cfg.DPoPNonceSecret)
	}
	dv, err := verifier.NewDPoPVerifier(dc)
	if err != nil {
		return nil, err
	}
	opts := &bearer.DPoPOptions{Verifier: dv}
	if mode, same := sameMode(modes); same && mode != bearer.DPoPOff {
		opts.Mode = mode
	} else {
		opts.ModeFor = modeFor(modes)
	}
	return opts, nil
}

// dpopMode is the bearer mode of a configured dpop: value ("" is allowed).
func dpopMode(s string) bearer.DPoPMode {
	switch s {
	case config.DPoPOff:
		return bearer.DPoPOff
	case config.DPoPRequired:
		return bearer.DPoPRequired
	}
	return bearer.DPoPAllowed
}

// issuerDPoPModes maps each configured issuer (a template keeps its
// {tenantid}) to its mode; the one-issuer shorthand's is allowed.
func issuerDPoPModes(cfg config.Config) map[string]bearer.DPoPMode {
	modes := map[string]bearer.DPoPMode{}
	if len(cfg.Issuers) == 0 {
		modes[cfg.Issuer] = bearer.DPoPAllowed
	}
	for _, ic := range cfg.Issuers {
		modes[ic.Issuer] = dpopMode(ic.DPoP)
	}
	return modes
}

func sameMode(modes map[string]bearer.DPoPMode) (bearer.DPoPMode, bool) {
	first, seen := bearer.DPoPAllowed, false
	for _, m := range modes {
		if seen && m != first {
			return 0, false
		}
		first, seen = m, true
	}
	return first, true
}

// modeFor returns the mode of a verified token's issuer: its own entry's,
// or the template's it fits.
func modeFor(modes map[string]bearer.DPoPMode) func(*verifier.Token) bearer.DPoPMode {
	return func(tok *verifier.Token) bearer.DPoPMode {
		iss := tok.Issuer()
		if m, ok := modes[iss]; ok {
			return m
		}
		for pattern, m := range modes {
			if prefix, suffix, ok := strings.Cut(pattern, "{tenantid}"); ok &&
				len(iss) > len(prefix)+len(suffix) && strings.HasPrefix(iss, prefix) && strings.HasSuffix(iss, suffix) {
				return m
			}
		}
		return bearer.DPoPAllowed
	}
}
