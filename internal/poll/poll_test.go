package poll_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/resource-server/resource-server/internal/poll"
)

func TestUntil(t *testing.T) {
	var calls atomic.Int64
	if !poll.Until(time.Second, func() bool { return calls.Add(1) == 3 }) || calls.Load() != 3 {
		t.Errorf("a condition true at the third call: %d calls", calls.Load())
	}
	begin := time.Now()
	if poll.Until(30*time.Millisecond, func() bool { return false }) {
		t.Error("a condition never true was reported true")
	}
	if took := time.Since(begin); took < 30*time.Millisecond || took > 2*time.Second {
		t.Errorf("Until returned after %v; the deadline was 30ms", took)
	}
}
