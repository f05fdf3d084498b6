package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The metrics read at scrape time.
var (
	durationDesc = prometheus.NewDesc("resource_server_request_duration_seconds",
		"Time from the request's arrival at the handler to the end of its answer, by ServeMux pattern.",
		[]string{"route"}, nil)
	decisionsDesc = prometheus.NewDesc("resource_server_auth_decisions_total",
		"Decisions of the bearer middleware: result allowed, denied or unavailable (the issuer's keys could not be had), reason ok, missing_token, invalid_request, insufficient_scope, keys_unavailable or the verifier's error kind.",
		[]string{"issuer", "route", "result", "reason"}, nil)
	fetchesDesc = prometheus.NewDesc("resource_server_jwks_fetches_total",
		"Fetches of an issuer's key set (discovery and JWKS), by outcome: success or failure.",
		[]string{"issuer", "outcome"}, nil)
	keyAgeDesc = prometheus.NewDesc("resource_server_issuer_keys_age_seconds",
		"Seconds since the issuer's keys were last confirmed by a successful fetch; absent before the first. Alert well before KEYS_MAX_AGE.",
		[]string{"issuer"}, nil)
	keysDesc = prometheus.NewDesc("resource_server_issuer_keys",
		"Usable keys held for the issuer.",
		[]string{"issuer"}, nil)
	readyDesc = prometheus.NewDesc("resource_server_issuer_ready",
		"1 when the issuer's tokens can be verified now (its keys are held and younger than KEYS_MAX_AGE), else 0.",
		[]string{"issuer"}, nil)
	cacheHitsDesc = prometheus.NewDesc("resource_server_token_cache_hits_total",
		"Verifications answered from the verified-token cache.", nil, nil)
	cacheMissesDesc = prometheus.NewDesc("resource_server_token_cache_misses_total",
		"Verifications the verified-token cache could not answer.", nil, nil)
	cacheEvictionsDesc = prometheus.NewDesc("resource_server_token_cache_evictions_total",
		"Entries dropped from the verified-token cache to make room (not those that expired).", nil, nil)
	cacheEntriesDesc = prometheus.NewDesc("resource_server_token_cache_entries",
		"Tokens held in the verified-token cache.", nil, nil)
)

// collector reads the decision counts and the Source when scraped.
type collector struct{ m *Metrics }

// Describe sends the descriptions of every metric the collector makes.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{durationDesc, decisionsDesc, fetchesDesc, keyAgeDesc, keysDesc, readyDesc,
		cacheHitsDesc, cacheMissesDesc, cacheEvictionsDesc, cacheEntriesDesc} {
		ch <- d
	}
}

// Collect sends each route's durations, the decisions counted so far (the series that counted at
// least one) and what the Source reports now.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	labels := m.issuers.labels
	for _, rs := range *m.routes.Load() {
		ch <- rs.histogram(durationDesc)
		for i := range len(labels) * numReasons {
			if n := rs.decisionCount(i); n > 0 {
				reason := i % numReasons
				ch <- prometheus.MustNewConstMetric(decisionsDesc, prometheus.CounterValue, float64(n),
					labels[i/numReasons], rs.label, resultOf(reason), Reasons[reason])
			}
		}
	}
	if m.src == nil {
		return
	}
	c.collectIssuers(ch)
	cs := m.src.CacheStats()
	ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(cs.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(cs.Misses))
	ch <- prometheus.MustNewConstMetric(cacheEvictionsDesc, prometheus.CounterValue, float64(cs.Evictions))
	ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(cs.Entries))
}

// collectIssuers sends each configured issuer's fetches, key age, keys and
// readiness. An issuer the Source reports that is not configured (it
// should not) is skipped, so that the labels stay those of the
// configuration.
func (c *collector) collectIssuers(ch chan<- prometheus.Metric) {
	m := c.m
	now := m.now()
	for _, s := range m.src.Status() {
		i, ok := m.issuers.exact[s.Issuer]
		if !ok {
			continue
		}
		label := m.issuers.labels[i]
		ok64 := s.Fetches - min(s.FetchFailures, s.Fetches)
		ch <- prometheus.MustNewConstMetric(fetchesDesc, prometheus.CounterValue, float64(ok64), label, "success")
		ch <- prometheus.MustNewConstMetric(fetchesDesc, prometheus.CounterValue, float64(s.FetchFailures), label, "failure")
		if !s.KeysFetched.IsZero() {
			ch <- prometheus.MustNewConstMetric(keyAgeDesc, prometheus.GaugeValue, now.Sub(s.KeysFetched).Seconds(), label)
		}
		ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.KeyCount), label)
		ready := 0.0
		if s.Ready {
			ready = 1
		}
		ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, ready, label)
	}
}
