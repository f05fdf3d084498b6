package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/poll"
	"github.com/resource-server/resource-server/store"
	"github.com/resource-server/resource-server/store/storetest"
)

// fixture is two instances' view of one shared store (for Memory, the
// same store twice), the store's clock, and after, which reports whether
// cond holds once d has passed on that clock.
type fixture struct {
	a, b  store.Store
	now   func() time.Time
	after func(d time.Duration, cond func() bool) bool
}

// impls are the implementations every behaviour test runs against.
var impls = []struct {
	name string
	open func(t *testing.T) fixture
}{
	{"memory", openMemory},
	{"redis", openRedis},
}

func openMemory(t *testing.T) fixture {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	m := store.NewMemory(clock.Now)
	t.Cleanup(func() { _ = m.Close() })
	return fixture{a: m, b: m, now: clock.Now, after: func(d time.Duration, cond func() bool) bool {
		clock.Advance(d)
		return cond()
	}}
}

func openRedis(t *testing.T) fixture {
	url, _ := storetest.StartRedis(t)
	return fixture{a: newRedis(t, url), b: newRedis(t, url), now: time.Now,
		after: func(d time.Duration, cond func() bool) bool { return poll.Until(d+5*time.Second, cond) }}
}

func newRedis(t *testing.T, url string, opts ...store.RedisOption) *store.Redis {
	t.Helper()
	r, err := store.NewRedis(url, opts...)
	if err != nil {
		t.Fatalf("NewRedis(%q): %v", url, err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

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
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRemember(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			f := impl.open(t)
			ctx := context.Background()
			hour := f.now().Add(time.Hour).Truncate(time.Millisecond)
			steps := []struct {
				name  string
				s     store.Store
				key   string
				until time.Time
				first bool
			}{
				{"first", f.a, "k1", hour, true},
				{"replay on the same instance", f.a, "k1", hour, false},
				{"replay on the other instance", f.b, "k1", hour, false},
				{"another key", f.b, "k2", hour, true},
				{"until passed: not recorded", f.a, "k3", f.now().Add(-time.Second), true},
				{"so the key is new", f.a, "k3", hour, true},
				{"short", f.a, "k4", f.now().Add(100 * time.Millisecond), true},
				{"short, replayed", f.b, "k4", hour, false},
			}
			for _, s := range steps {
				first, err := s.s.Remember(ctx, s.key, s.until)
				if err != nil || first != s.first {
					t.Fatalf("%s: Remember(%q) = %v, %v; want %v, nil", s.name, s.key, first, err, s.first)
				}
			}
			if !f.after(101*time.Millisecond, func() bool {
				first, err := f.b.Remember(ctx, "k4", hour)
				return err == nil && first
			}) {
				t.Fatal("k4 was still recorded after its until")
			}
			if first, err := f.a.Remember(ctx, "k4", hour); err != nil || first {
				t.Fatalf("k4 recorded again, then Remember = %v, %v; want false, nil", first, err)
			}
		})
	}
}

type revocation struct {
	digest [32]byte
	until  time.Time
}

// collect subscribes s until the test ends, into a channel.
func collect(t *testing.T, s store.Store) <-chan revocation {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch := make(chan revocation, 64)
	s.Subscribe(ctx, func(d [32]byte, until time.Time) { ch <- revocation{d, until} })
	return ch
}

// expect waits within d for want on ch, skipping others; it returns the
// revocations skipped.
func expect(t *testing.T, ch <-chan revocation, want revocation, d time.Duration) []revocation {
	t.Helper()
	var skipped []revocation
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		select {
		case got := <-ch:
			if got.digest != want.digest {
				skipped = append(skipped, got)
				continue
			}
			if !got.until.Equal(want.until) {
				t.Fatalf("revocation %x until %v; want %v", want.digest[:4], got.until, want.until)
			}
			return skipped
		case <-deadline.C:
			t.Fatalf("revocation %x not delivered within %v", want.digest[:4], d)
			return nil
		}
	}
}

func digest(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func TestRevokeReachesEverySubscriber(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			f := impl.open(t)
			ctx := context.Background()
			toA, toB := collect(t, f.a), collect(t, f.b)
			until := f.now().Add(time.Hour).Truncate(time.Millisecond)
			// The first is delivered by the subscriptions' SCAN or by their
			// message; once both have it, both are subscribed.
			first := revocation{digest("first"), until}
			if err := f.a.Revoke(ctx, first.digest, until); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			expect(t, toA, first, 5*time.Second)
			expect(t, toB, first, 5*time.Second)
			second := revocation{digest("second"), until}
			if err := f.b.Revoke(ctx, second.digest, until); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			expect(t, toA, second, time.Second)
			expect(t, toB, second, time.Second)
		})
	}
}

func TestSubscribeDeliversRevocationsInForce(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			f := impl.open(t)
			ctx := context.Background()
			inForce := revocation{digest("in force"), f.now().Add(time.Hour).Truncate(time.Millisecond)}
			short := revocation{digest("short"), f.now().Add(100 * time.Millisecond).Truncate(time.Millisecond)}
			for _, r := range []revocation{inForce, short} {
				if err := f.a.Revoke(ctx, r.digest, r.until); err != nil {
					t.Fatalf("Revoke: %v", err)
				}
			}
			if !f.after(101*time.Millisecond, func() bool { return f.now().After(short.until) }) {
				t.Fatal("the clock did not pass the short revocation's until")
			}
			ch := collect(t, f.b)
			skipped := expect(t, ch, inForce, 5*time.Second)
			// A revocation published now arrives after the SCAN: whatever
			// the SCAN delivered has arrived by then.
			marker := revocation{digest("marker"), inForce.until}
			if err := f.a.Revoke(ctx, marker.digest, marker.until); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			skipped = append(skipped, expect(t, ch, marker, 5*time.Second)...)
			for _, r := range skipped {
				if r.digest == short.digest {
					t.Errorf("an expired revocation was delivered at Subscribe")
				}
			}
		})
	}
}

func TestSubscribeEndsWithItsContext(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			f := impl.open(t)
			ctx, cancel := context.WithCancel(context.Background())
			var mu sync.Mutex
			var got [][32]byte
			f.b.Subscribe(ctx, func(d [32]byte, _ time.Time) { mu.Lock(); got = append(got, d); mu.Unlock() })
			live := collect(t, f.b)
			until := f.now().Add(time.Hour).Truncate(time.Millisecond)
			first := revocation{digest("first"), until}
			if err := f.a.Revoke(context.Background(), first.digest, until); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			expect(t, live, first, 5*time.Second)
			if !poll.Until(5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 0 }) {
				t.Fatal("the first subscriber did not get the first revocation")
			}
			cancel()
			after := revocation{digest("after"), until}
			if err := f.a.Revoke(context.Background(), after.digest, until); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			expect(t, live, after, time.Second)
			// A Redis subscription ends at once but not synchronously: Close
			// waits for it, so f has returned for good once it is done.
			_ = f.b.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, d := range got {
				if d == after.digest {
					t.Error("a subscription received a revocation after its context ended")
				}
			}
		})
	}
}

func TestClose(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			f := impl.open(t)
			ctx := context.Background()
			if err := f.a.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if err := f.a.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := f.a.Close(); err != nil {
				t.Errorf("a second Close: %v", err)
			}
			until := f.now().Add(time.Hour)
			if first, err := f.a.Remember(ctx, "k", until); !errors.Is(err, store.ErrClosed) || first {
				t.Errorf("Remember after Close = %v, %v; want false, ErrClosed", first, err)
			}
			if err := f.a.Revoke(ctx, digest("d"), until); !errors.Is(err, store.ErrClosed) {
				t.Errorf("Revoke after Close: %v; want ErrClosed", err)
			}
			if err := f.a.Ping(ctx); !errors.Is(err, store.ErrClosed) {
				t.Errorf("Ping after Close: %v; want ErrClosed", err)
			}
			f.a.Subscribe(ctx, func([32]byte, time.Time) { t.Error("f called after Close") })
		})
	}
}
