package bearer

import (
	"sync/atomic"
	"time"
)

// DefaultLogRate is how many refusal records per second a middleware writes
// by default. A flood of forged or expired tokens would otherwise cost a log
// line each: disk, CPU and the attention of whoever reads the log.
const DefaultLogRate = 100

// logLimiter admits at most perSecond records in each wall-clock second and
// counts the rest, so that the next record admitted can say how many were
// dropped. Lock-free: the hot path is two atomic adds.
type logLimiter struct {
	perSecond  int64
	now        func() time.Time
	second     atomic.Int64 // the Unix second being counted
	admitted   atomic.Int64 // records admitted in that second
	suppressed atomic.Int64 // records dropped since the last one admitted
}

func newLogLimiter(perSecond int, now func() time.Time) *logLimiter {
	if perSecond == 0 {
		perSecond = DefaultLogRate
	}
	return &logLimiter{perSecond: int64(perSecond), now: now}
}

// admit reports whether a record may be written now and, when it may, how
// many records were dropped before it. A negative rate admits everything.
func (l *logLimiter) admit() (ok bool, dropped int64) {
	if l.perSecond < 0 {
		return true, 0
	}
	sec := l.now().Unix()
	if cur := l.second.Load(); cur != sec && l.second.CompareAndSwap(cur, sec) {
		l.admitted.Store(0)
	}
	if l.admitted.Add(1) > l.perSecond {
		l.suppressed.Add(1)
		return false, 0
	}
	return true, l.suppressed.Swap(0)
}
