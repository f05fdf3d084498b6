package logtest_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/resource-server/resource-server/internal/logtest"
)

func TestBufferConcurrentWriters(t *testing.T) {
	var buf logtest.Buffer
	log := logtest.TextLogger(&buf)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				log.Debug("line")
				_ = buf.String()
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "msg=line"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
}
