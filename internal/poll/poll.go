// Package poll is how the project's tests wait for something the code under
// test makes true in its own time: a server ready, a log line written, a
// port free again, the goroutines of a finished test gone. A test polls
// what it can observe, with a deadline, rather than sleeping for a guessed
// time: it goes on as soon as the condition holds, and a deadline missed is
// a failure the test names.
package poll

import "time"

// Until calls cond until it returns true or within has passed, and reports
// whether it returned true. cond is called at once, then after pauses that
// grow from 1 ms to 20 ms; it is called once more at the deadline.
func Until(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	pause := time.Millisecond
	for !cond() {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, 20*time.Millisecond)
	}
	return true
}
