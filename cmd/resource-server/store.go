package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/resource-server/resource-server/internal/config"
	"github.com/resource-server/resource-server/store"
	"github.com/resource-server/resource-server/verifier"
)

// newStore opens the store STORE names: memory (one instance), or Redis,
// which is dialled on first use, so that an unreachable Redis is a 503
// for the requests that need it, not a failed start.
func newStore(cfg config.Config, log *slog.Logger) (store.Store, error) {
	if cfg.Store == "" || cfg.Store == config.StoreMemory {
		return store.NewMemory(nil), nil
	}
	st, err := store.NewRedis(cfg.Store, store.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("config: STORE %s: %w", cfg.StoreDisplay(), err)
	}
	return st, nil
}

// revokedForOpaque is how long a revoked token that is no JWT (and so
// carries no readable "exp") stays refused.
const revokedForOpaque = 24 * time.Hour

// revoker is the admin listener's POST /revoke: the token is refused by
// every instance until it expires (its unverified "exp": a later one only
// keeps it refused longer), or for revokedForOpaque.
func revoker(st store.Store, now func() time.Time) func(ctx context.Context, token string) error {
	return func(ctx context.Context, token string) error {
		until := now().Add(revokedForOpaque)
		if exp, ok := unverifiedExpiry(token); ok && exp.After(now()) {
			until = exp
		}
		return st.Revoke(ctx, verifier.Digest(token), until)
	}
}

// unverifiedExpiry reads a JWS's "exp" without verifying anything.
func unverifiedExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	return time.Unix(int64(*claims.Exp), 0), true
}

// publishInactive tells every instance, through the store, of a token the
// issuer answered inactive, so that none keeps its earlier active answer
// cached. It does not hold up the request that found it.
func publishInactive(st store.Store, log *slog.Logger) func(digest [32]byte, until time.Time) {
	return func(digest [32]byte, until time.Time) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := st.Revoke(ctx, digest, until); err != nil {
				log.Warn("cannot tell the other instances of a token found inactive", "error", err)
			}
		}()
	}
}
