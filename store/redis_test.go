package store_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/resource-server/resource-server/internal/poll"
	"github.com/resource-server/resource-server/store"
	"github.com/resource-server/resource-server/store/storetest"
)

func TestNewRedisRefuses(t *testing.T) {
	for _, c := range []struct {
		name, url string
		opts      []store.RedisOption
		want      string
	}{
		{"another scheme", "http://:s3cret@127.0.0.1:6379", nil, "want a redis:// or rediss:// URL"},
		{"a Unix socket", "unix://:s3cret@/run/redis.sock", nil, "want a redis:// or rediss:// URL"},
		{"not a URL", "redis://:s3cret@127.0.0.1:port/0", nil, "not a URL"},
		{"a bad database", "redis://:s3cret@127.0.0.1:6379/zero", nil, "invalid database number"},
		{"an unknown parameter", "redis://:s3cret@127.0.0.1:6379/0?pool=3", nil, "pool"},
		{"no timeout", "redis://127.0.0.1:6379/0", []store.RedisOption{store.WithTimeout(0)}, "positive duration"},
		{"TLS without rediss", "redis://:s3cret@127.0.0.1:6379/0", []store.RedisOption{store.WithTLSConfig(&tls.Config{})}, "use rediss://"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := store.NewRedis(c.url, c.opts...)
			if err == nil {
				_ = r.Close()
				t.Fatalf("NewRedis(%q) succeeded", c.url)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("NewRedis(%q): %v; want an error saying %q, without the password", c.url, err, c.want)
			}
		})
	}
}

// NewRedis does not connect; errors name the address, not the password.
func TestRedisUnreachable(t *testing.T) {
	r, err := store.NewRedis("redis://user:s3cret@127.0.0.1:1/2?pool_size=3", store.WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatalf("NewRedis: %v", err)
	}
	defer r.Close()
	if got, want := r.String(), "redis://127.0.0.1:1/2"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	err = r.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "redis://127.0.0.1:1/2") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Ping: %v; want an error naming redis://127.0.0.1:1/2, without the password", err)
	}
}

// TestRedisKeys checks the keys, their expiry and their prefix on the
// server itself.
func TestRedisKeys(t *testing.T) {
	url, _ := storetest.StartRedis(t)
	ctx := context.Background()
	s := newRedis(t, url)
	other := newRedis(t, url, store.WithPrefix("other*:"))
	raw := redis.NewClient(&redis.Options{Addr: strings.TrimSuffix(strings.TrimPrefix(url, "redis://"), "/0")})
	defer raw.Close()

	until := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	if first, err := s.Remember(ctx, "k", until); err != nil || !first {
		t.Fatalf("Remember = %v, %v", first, err)
	}
	if first, err := other.Remember(ctx, "k", until); err != nil || !first {
		t.Errorf("Remember with another prefix = %v, %v; want true: prefixes are separate", first, err)
	}
	d := digest("token")
	if err := s.Revoke(ctx, d, until); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	for _, c := range []struct{ key, value string }{
		{"rs:dpop:k", "1"},
		{"other*:dpop:k", "1"},
		{"rs:revoked:" + hex.EncodeToString(d[:]), strconv.FormatInt(until.UnixMilli(), 10)},
	} {
		if v, err := raw.Get(ctx, c.key).Result(); err != nil || v != c.value {
			t.Errorf("GET %s = %q, %v; want %q", c.key, v, err, c.value)
		}
		if at, err := raw.PExpireTime(ctx, c.key).Result(); err != nil || at != time.Duration(until.UnixMilli())*time.Millisecond {
			t.Errorf("PEXPIRETIME %s = %v, %v; want %v", c.key, at, err, until.UnixMilli())
		}
	}
	// The other prefix sees none of these revocations.
	ch := collect(t, other)
	marker := revocation{digest("marker"), until}
	if err := other.Revoke(ctx, marker.digest, until); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if skipped := expect(t, ch, marker, 5*time.Second); len(skipped) > 0 {
		t.Errorf("a subscriber with another prefix got %d revocations of rs:", len(skipped))
	}
}

// TestRedisStoppedAndRestarted kills the server under two instances and
// starts it again: while it is gone every call fails quickly and Remember
// never reports a first; once it is back the same clients work again and
// the subscription resumes.
func TestRedisStoppedAndRestarted(t *testing.T) {
	url, ctl := storetest.StartRedis(t)
	ctx := context.Background()
	const timeout = 200 * time.Millisecond
	a, b := newRedis(t, url, store.WithTimeout(timeout)), newRedis(t, url, store.WithTimeout(timeout))
	toB := collect(t, b)
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	first := revocation{digest("first"), until}
	if err := a.Revoke(ctx, first.digest, until); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	expect(t, toB, first, 5*time.Second)

	ctl.Stop()
	for i := range 20 {
		begin := time.Now()
		ok, err := a.Remember(ctx, "k"+strconv.Itoa(i), until)
		if took := time.Since(begin); err == nil || ok || took > 5*timeout {
			t.Fatalf("Remember with the server gone = %v, %v after %v; want false and an error within %v", ok, err, took, 5*timeout)
		}
		if !strings.Contains(err.Error(), ctl.Addr()) {
			t.Errorf("the error does not name the address %s: %v", ctl.Addr(), err)
		}
	}
	if err := a.Revoke(ctx, digest("lost"), until); err == nil {
		t.Error("Revoke with the server gone succeeded")
	}
	if err := a.Ping(ctx); err == nil {
		t.Error("Ping with the server gone succeeded")
	}

	ctl.Start()
	i := 0
	if !poll.Until(10*time.Second, func() bool {
		i++
		ok, err := a.Remember(ctx, "again"+strconv.Itoa(i), until)
		return err == nil && ok
	}) {
		t.Fatal("Remember did not work again within 10s of the restart")
	}
	// The restarted server has lost everything (nothing is saved). The
	// second revocation reaches b by its SCAN if b has not subscribed again
	// yet, by a message if it has; the third, once b has the second, can
	// only come as a message.
	for _, name := range []string{"second", "third"} {
		r := revocation{digest(name), until}
		if err := a.Revoke(ctx, r.digest, until); err != nil {
			t.Fatalf("Revoke %s: %v", name, err)
		}
		within := time.Second
		if name == "second" {
			within = 10 * time.Second
		}
		expect(t, toB, r, within)
	}
}
