package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rathaus/rathaus/internal/platform/jobs"
)

// opsCollector exposes what an operator alerts on besides HTTP and blobs:
// the job queue (dead jobs, the wait of the oldest due job) and the
// database connection pools. Read at scrape time.
type opsCollector struct {
	e        *env
	jobs     *prometheus.Desc
	jobWait  *prometheus.Desc
	dbOpen   *prometheus.Desc
	dbInUse  *prometheus.Desc
	dbWaits  *prometheus.Desc
	dbWaited *prometheus.Desc
	up       *prometheus.Desc
}

func newOpsCollector(e *env) *opsCollector {
	return &opsCollector{e: e,
		jobs:     prometheus.NewDesc("rathaus_jobs", "Jobs in the queue by status (shared by every instance).", []string{"status"}, nil),
		jobWait:  prometheus.NewDesc("rathaus_jobs_oldest_due_seconds", "How long the oldest due, unclaimed job has waited (0: none).", nil, nil),
		dbOpen:   prometheus.NewDesc("rathaus_db_open_connections", "Open database connections of this instance by pool (writer, reader).", []string{"pool"}, nil),
		dbInUse:  prometheus.NewDesc("rathaus_db_in_use_connections", "Database connections in use by pool.", []string{"pool"}, nil),
		dbWaits:  prometheus.NewDesc("rathaus_db_wait_count_total", "Times a request waited for a free database connection, by pool.", []string{"pool"}, nil),
		dbWaited: prometheus.NewDesc("rathaus_db_wait_seconds_total", "Time spent waiting for a free database connection, by pool.", []string{"pool"}, nil),
		up:       prometheus.NewDesc("rathaus_db_up", "1 when the last scrape could query the database.", nil, nil),
	}
}

func (c *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.jobs, c.jobWait, c.dbOpen, c.dbInUse, c.dbWaits, c.dbWaited, c.up} {
		ch <- d
	}
}

func (c *opsCollector) Collect(ch chan<- prometheus.Metric) {
	pools := []struct {
		name string
		st   func() (open, inUse int, waits int64, waited time.Duration)
	}{
		{"writer", func() (int, int, int64, time.Duration) {
			s := c.e.db.W.Stats()
			return s.OpenConnections, s.InUse, s.WaitCount, s.WaitDuration
		}},
		{"reader", func() (int, int, int64, time.Duration) {
			s := c.e.db.R.Stats()
			return s.OpenConnections, s.InUse, s.WaitCount, s.WaitDuration
		}},
	}
	for _, p := range pools {
		open, inUse, waits, waited := p.st()
		ch <- prometheus.MustNewConstMetric(c.dbOpen, prometheus.GaugeValue, float64(open), p.name)
		ch <- prometheus.MustNewConstMetric(c.dbInUse, prometheus.GaugeValue, float64(inUse), p.name)
		ch <- prometheus.MustNewConstMetric(c.dbWaits, prometheus.CounterValue, float64(waits), p.name)
		ch <- prometheus.MustNewConstMetric(c.dbWaited, prometheus.CounterValue, waited.Seconds(), p.name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := jobs.Stat(ctx, c.e.db)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for status, n := range st.ByStatus {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n), status)
	}
	ch <- prometheus.MustNewConstMetric(c.jobWait, prometheus.GaugeValue, st.OldestDue.Seconds())
}
