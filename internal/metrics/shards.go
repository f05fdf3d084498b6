package metrics

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// numShards spreads each route's counters over cache lines: a request adds
// to the shard a cheap per-thread random number picks, so that two cores
// seldom write one line at the same moment (a single shared counter is
// fought over on every request under load), and a scrape adds the shards
// up. A line still moves between cores when the other one wrote it last:
// a per-core index would avoid that.
const numShards = 8

// durationBuckets are the request-duration histogram's upper bounds, in
// seconds: from 100 µs (a cached verification and its answer) to 10 s.
var durationBuckets = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// durationBucketsNS are durationBuckets in nanoseconds.
var durationBucketsNS = func() (ns [len(durationBuckets)]int64) {
	for i, s := range durationBuckets {
		ns[i] = int64(s * 1e9)
	}
	return ns
}()

// shard is one of a route's numShards sets of counters.
type shard struct {
	// buckets[i] counts the durations in (bound i-1, bound i]; the last
	// one those above every bound.
	buckets [len(durationBuckets) + 1]atomic.Uint64
	sumNS   atomic.Uint64
	// decisions[issuer*numReasons+reason] counts decisions; its array is
	// allocated apart, padded.
	decisions []atomic.Uint64
	_         [64]byte // keeps the next shard's counters off this one's lines
}

// pick returns the shard of the current request.
func (rs *routeStats) pick() *shard { return &rs.shards[rand.Uint32()%numShards] }

// observe counts one request of duration d.
func (s *shard) observe(d time.Duration) {
	ns := int64(d)
	i := 0
	for i < len(durationBucketsNS) && ns > durationBucketsNS[i] {
		i++
	}
	s.buckets[i].Add(1)
	s.sumNS.Add(uint64(max(ns, 0)))
}

// histogram adds the shards' durations up as a Prometheus histogram.
func (rs *routeStats) histogram(desc *prometheus.Desc) prometheus.Metric {
	var counts [len(durationBuckets) + 1]uint64
	var sumNS uint64
	for i := range rs.shards {
		s := &rs.shards[i]
		for j := range s.buckets {
			counts[j] += s.buckets[j].Load()
		}
		sumNS += s.sumNS.Load()
	}
	cumulative := make(map[float64]uint64, len(durationBuckets))
	var n uint64
	for j, bound := range durationBuckets {
		n += counts[j]
		cumulative[bound] = n
	}
	n += counts[len(durationBuckets)]
	return prometheus.MustNewConstHistogram(desc, n, float64(sumNS)/1e9, cumulative, rs.label)
}

// decisionCount adds the shards' counts of decision i up.
func (rs *routeStats) decisionCount(i int) uint64 {
	var n uint64
	for s := range rs.shards {
		n += rs.shards[s].decisions[i].Load()
	}
	return n
}
