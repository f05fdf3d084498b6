package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
	cfg, err := checkConfig(Config{
		Issuer: "https://issuer.example.com", Audiences: []string{"api://default"}, Logger: fuzzLog,
		HTTPClient:         &http.Client{Transport: noNetwork{}},
		MinRefetchInterval: time.Hour, RefreshInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	key := func(kid string) *publicKey {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return &publicKey{kid: kid, alg: "ES256", key: &priv.PublicKey}
	}
	a, b := key("a"), key("b")
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
