package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

// A token names a key that a fetch brings in just after lookup read the
// key set, while the unknown-kid refetch is rate-limited: lookup must see
// the key the verifier now holds rather than refuse the token. The clock,
// which lookup reads between loading the key set and refetching, stands in
// for the concurrent fetch landing at that moment.
func TestLookupSeesKeysFetchedMeanwhile(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := raceConfig(t)
	a, b := raceKey("a"), raceKey("b")
	old := &keySnapshot{byKID: map[string][]*publicKey{"a": {a}}, count: 1, fetched: now}
	fresh := &keySnapshot{byKID: map[string][]*publicKey{"a": {a}, "b": {b}}, count: 2, fetched: now}

	k := newKeySet(cfg)
	k.current.Store(old)
	k.lastKidMiss = now // the fetch that brings b was itself caused by an unknown kid
	var once sync.Once
	k.cfg.Now = func() time.Time {
		once.Do(func() { k.current.Store(fresh) })
		return now
	}
	keys, err := k.lookup(context.Background(), "b")
	if err != nil || len(keys) != 1 || keys[0] != b {
		t.Fatalf("lookup of a key the verifier holds: %v %v", keys, err)
	}
	if _, err := k.lookup(context.Background(), "c"); err == nil {
		t.Fatal("lookup of a key nobody has succeeded")
	}
}

// The first requests of a verifier that holds no keys yet arrive together:
// one fetches, and another, finding no keys before that fetch landed, is
// then turned away by the rate limit. It must use the keys now held, not
// answer 503.
func TestLookupWithoutKeysSeesKeysFetchedMeanwhile(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	a := raceKey("a")
	fresh := &keySnapshot{byKID: map[string][]*publicKey{"a": {a}}, count: 1, fetched: now}
	k := newKeySet(raceConfig(t))
	k.lastAttempt = now // the other caller's fetch
	var once sync.Once
	k.cfg.Now = func() time.Time {
		once.Do(func() { k.current.Store(fresh) }) // it lands once lookup found no keys
		return now
	}
	keys, err := k.lookup(context.Background(), "a")
	if err != nil || len(keys) != 1 || keys[0] != a {
		t.Fatalf("lookup of a key the verifier holds: %v %v", keys, err)
	}
	k2 := newKeySet(raceConfig(t))
	k2.lastAttempt, k2.cfg.Now = now, func() time.Time { return now }
	if _, err := k2.lookup(context.Background(), "a"); !errors.Is(err, ErrKeysUnavailable) || !errors.Is(err, errTooSoon) {
		t.Fatalf("lookup with no keys and none fetched: %v, want ErrKeysUnavailable (rate-limited)", err)
	}
}

// raceConfig is a verifier's configuration that never reaches a network and
// refetches at most once an hour.
func raceConfig(t *testing.T) Config {
	cfg, err := checkConfig(Config{
		Issuer: "https://issuer.example.com", Audiences: []string{"api://default"}, Logger: fuzzLog,
		HTTPClient:         &http.Client{Transport: noNetwork{}},
		MinRefetchInterval: time.Hour, RefreshInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func raceKey(kid string) *publicKey {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return &publicKey{kid: kid, alg: "ES256", key: &priv.PublicKey}
}
