package devissuer_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/resource-server/resource-server/devissuer"
	"github.com/resource-server/resource-server/devissuer/devissuertest"
)

// fakeClock is an Options.Now that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// verifiesWith reports whether token's signature verifies with a key of set.
func verifiesWith(set jose.JSONWebKeySet, token string) bool {
	jws, err := jose.ParseSignedCompact(token, allAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return false
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		return false
	}
	_, err = jws.Verify(keys[0].Key)
	return err == nil
}

// TestRotatedKeyLeavesAfterTokenLifetime: a key replaced by RotateKey stays
// in the JWKS, so its tokens verify, for the token lifetime plus a minute of
// leeway, and leaves it then, without another rotation.
func TestRotatedKeyLeavesAfterTokenLifetime(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	const lifetime = 10 * time.Minute
	s := devissuertest.Start(t, devissuer.Options{Now: clock.Now, TokenLifetime: lifetime, Algorithm: "EdDSA"})
	iss := s.Issuer
	first := iss.CurrentKeyID()
	clock.Advance(5 * time.Minute)
	lastOfFirst := must(iss.MintAccessToken(nil)) // the last token the first key signs
	second, err := iss.RotateKey()
	if err != nil {
		t.Fatal(err)
	}

	clock.Advance(lifetime + time.Minute - time.Second)
	set := fetchJWKS(t, s)
	if got := kids(set); !slices.Equal(got, []string{first, second}) {
		t.Fatalf("JWKS 1 s before the grace period ends = %v, want [%s %s]", got, first, second)
	}
	if !verifiesWith(set, lastOfFirst) {
		t.Error("a token of the replaced key does not verify with the JWKS during the grace period")
	}

	clock.Advance(time.Second)
	set = fetchJWKS(t, s)
	if got := kids(set); !slices.Equal(got, []string{second}) {
		t.Errorf("JWKS once the grace period ended = %v, want [%s]", got, second)
	}
	if verifiesWith(set, lastOfFirst) {
		t.Error("a token of the retired key still verifies with the JWKS")
	}
	// Like a key retired with RetireKey, it still signs, so tests can show
	// that verifiers refuse its tokens.
	if _, err := iss.SignWith(first, nil, iss.AccessTokenClaims()); err != nil {
		t.Errorf("SignWith(retired key) = %v, want a token", err)
	}
}

// TestRotationKeepsJWKSBounded rotates in a loop without the clock moving:
// the JWKS holds the current key, the three keys before it and keys added
// with AddKey, never more; the issuer forgets the oldest rotated-out keys
// beyond eight; a key retired with RetireKey is never forgotten.
func TestRotationKeepsJWKSBounded(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	s := devissuertest.Start(t, devissuer.Options{Now: clock.Now, Algorithm: "EdDSA"})
	iss := s.Issuer
	added, err := iss.AddKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	retired, err := iss.AddKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	if err := iss.RetireKey(retired); err != nil {
		t.Fatal(err)
	}
	rotation := []string{iss.CurrentKeyID()}
	for n := 0; n < 12; n++ {
		kid, err := iss.RotateKey()
		if err != nil {
			t.Fatal(err)
		}
		rotation = append(rotation, kid)
		if got, max := len(fetchJWKS(t, s).Keys), 1+min(len(rotation), 4); got > max {
			t.Fatalf("after %d rotations the JWKS holds %d keys, want at most %d", n+1, got, max)
		}
	}
	want := append([]string{added}, rotation[len(rotation)-4:]...)
	if got := kids(fetchJWKS(t, s)); !slices.Equal(got, want) {
		t.Errorf("JWKS after 12 rotations = %v, want the added key and the last four %v", got, want)
	}
	// 13 rotation keys: 4 published, 9 rotated out, of which the oldest
	// is forgotten.
	if _, err := iss.SignWith(rotation[0], nil, iss.AccessTokenClaims()); !errors.Is(err, devissuer.ErrUnknownKey) {
		t.Errorf("SignWith(oldest rotated-out key) = %v, want ErrUnknownKey", err)
	}
	for _, kid := range append([]string{retired, added}, rotation[1:]...) {
		if _, err := iss.SignWith(kid, nil, iss.AccessTokenClaims()); err != nil {
			t.Errorf("SignWith(%s) = %v, want a token", kid, err)
		}
	}
}
