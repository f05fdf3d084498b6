package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/resource-server/resource-server/store"
	"github.com/resource-server/resource-server/store/storetest"
)

// BenchmarkRemember is one Remember of a new key: for Redis, one round
// trip on loopback.
func BenchmarkRemember(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchmarkRemember(b, store.NewMemory(nil)) })
	b.Run("redis", func(b *testing.B) {
		url, _ := storetest.StartRedis(b)
		r, err := store.NewRedis(url)
		if err != nil {
			b.Fatal(err)
		}
		benchmarkRemember(b, r)
	})
}

func benchmarkRemember(b *testing.B, s store.Store) {
	defer s.Close()
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	i := 0
	for b.Loop() {
		i++
		if first, err := s.Remember(ctx, strconv.Itoa(i), until); err != nil || !first {
			b.Fatalf("Remember = %v, %v", first, err)
		}
	}
}
