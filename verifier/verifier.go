package verifier

import (
	"context"
)

// Verifier verifies tokens of one issuer. It is safe for concurrent use and
// meant to be built once and shared: it holds the issuer's key set.
type Verifier struct {
	cfg  Config
	keys *keySet
}

// New checks cfg and returns a Verifier. It does not contact the issuer:
// keys are fetched on first use, or by Refresh.
func New(cfg Config) (*Verifier, error) {
	cfg, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.InsecureAllowHTTP {
		cfg.Logger.Warn("verifier: InsecureAllowHTTP is set: keys may be fetched over plain http; never use this in production", "issuer", cfg.Issuer)
	}
	return &Verifier{cfg: cfg, keys: newKeySet(cfg)}, nil
}

// Issuer returns the configured issuer.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// VerifyAccessToken verifies an access token and returns it. The token's
// "aud" must hold one of audiences, or, when none are given, one of
// Config.Audiences. The error, when not nil, is a *ValidationError.
func (v *Verifier) VerifyAccessToken(ctx context.Context, token string, audiences ...string) (*Token, error) {
	panic("not yet")
}

// VerifyIDToken verifies an OpenID Connect ID token issued to clientID
// (Config.ClientID when empty). When nonce is not empty the token's "nonce"
// must equal it.
func (v *Verifier) VerifyIDToken(ctx context.Context, token, clientID, nonce string) (*Token, error) {
	panic("not yet")
}

// Refresh fetches the issuer's keys now (discovery, then JWKS). The program
// calls it at start-up so that readiness can tell whether keys are held.
func (v *Verifier) Refresh(ctx context.Context) error {
	return v.keys.refresh(ctx)
}

// Ready reports whether the verifier holds the issuer's keys.
func (v *Verifier) Ready() bool { return v.keys.loaded() }
