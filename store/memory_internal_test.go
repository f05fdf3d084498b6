package store

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestMemoryBounded inserts 50 rounds of 1,000 keys that expire before the
// next round: the map never holds more than twice a round (or minSweep).
func TestMemoryBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := NewMemory(func() time.Time { return now })
	ctx := context.Background()
	const round = 1000
	most := 0
	for r := range 50 {
		for i := range round {
			if first, err := m.Remember(ctx, strconv.Itoa(r*round+i), now.Add(time.Second)); err != nil || !first {
				t.Fatalf("Remember = %v, %v", first, err)
			}
			most = max(most, len(m.keys.m))
		}
		now = now.Add(2 * time.Second)
	}
	if limit := max(2*round, minSweep); most > limit {
		t.Errorf("the map held %d keys; want at most %d", most, limit)
	}
}
