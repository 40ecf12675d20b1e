package api

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// GET /metrics answers in Prometheus' text format: per route (the route
// table's pattern, so the label set is bounded), requests by status and a
// latency histogram; the database pools; the Go runtime. Recording a
// request is a map read and a few atomic adds.

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type routeMetrics struct {
	buckets  []atomic.Uint64 // per latencyBuckets, then +Inf
	sumMicro atomic.Uint64
	count    atomic.Uint64
	statusMu sync.RWMutex
	statuses map[int]*atomic.Uint64
}

type metrics struct {
	mu     sync.RWMutex
	routes map[string]*routeMetrics
}

func newMetrics() *metrics { return &metrics{routes: map[string]*routeMetrics{}} }

func (m *metrics) route(name string) *routeMetrics {
	m.mu.RLock()
	rm := m.routes[name]
	m.mu.RUnlock()
	if rm != nil {
		return rm
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if rm = m.routes[name]; rm == nil {
		rm = &routeMetrics{buckets: make([]atomic.Uint64, len(latencyBuckets)+1), statuses: map[int]*atomic.Uint64{}}
		m.routes[name] = rm
	}
	return rm
}

// observe records one finished request.
func (m *metrics) observe(route string, status int, d time.Duration) {
	rm := m.route(route)
	secs := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, secs)
	rm.buckets[i].Add(1)
	rm.sumMicro.Add(uint64(d.Microseconds()))
	rm.count.Add(1)
	rm.statusMu.RLock()
	c := rm.statuses[status]
	rm.statusMu.RUnlock()
	if c == nil {
		rm.statusMu.Lock()
		if c = rm.statuses[status]; c == nil {
			c = &atomic.Uint64{}
			rm.statuses[status] = c
		}
		rm.statusMu.Unlock()
	}
	c.Add(1)
}

// routeLabel is where the router writes the pattern a request matched.
type routeLabel struct{ pattern string }

func setRoute(r *http.Request, pattern string) {
	if l, ok := r.Context().Value(routeKey).(*routeLabel); ok {
		l.pattern = pattern
	}
}

// write renders every metric.
func (m *metrics) write(w io.Writer, pools map[string]poolStats) {
	m.mu.RLock()
	names := make([]string, 0, len(m.routes))
	for name := range m.routes {
		names = append(names, name)
	}
	m.mu.RUnlock()
	sort.Strings(names)

	fmt.Fprintln(w, "# HELP zengo_http_requests_total Requests answered, by route and status.")
	fmt.Fprintln(w, "# TYPE zengo_http_requests_total counter")
	for _, name := range names {
		rm := m.route(name)
		rm.statusMu.RLock()
		codes := make([]int, 0, len(rm.statuses))
		for code := range rm.statuses {
			codes = append(codes, code)
		}
		sort.Ints(codes)
		for _, code := range codes {
			fmt.Fprintf(w, "zengo_http_requests_total{route=%s,status=\"%d\"} %d\n", quoteLabel(name), code, rm.statuses[code].Load())
		}
		rm.statusMu.RUnlock()
	}
	fmt.Fprintln(w, "# HELP zengo_http_request_duration_seconds Time from a request's arrival to the end of its answer.")
	fmt.Fprintln(w, "# TYPE zengo_http_request_duration_seconds histogram")
	for _, name := range names {
		rm := m.route(name)
		label := quoteLabel(name)
		var cum uint64
		for i, le := range latencyBuckets {
			cum += rm.buckets[i].Load()
			fmt.Fprintf(w, "zengo_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", label, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		cum += rm.buckets[len(latencyBuckets)].Load()
		fmt.Fprintf(w, "zengo_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", label, cum)
		fmt.Fprintf(w, "zengo_http_request_duration_seconds_sum{route=%s} %s\n", label, strconv.FormatFloat(float64(rm.sumMicro.Load())/1e6, 'g', -1, 64))
		fmt.Fprintf(w, "zengo_http_request_duration_seconds_count{route=%s} %d\n", label, rm.count.Load())
	}

	poolNames := make([]string, 0, len(pools))
	for name := range pools {
		poolNames = append(poolNames, name)
	}
	sort.Strings(poolNames)
	for _, g := range []struct {
		name, typ, help string
		value           func(poolStats) string
	}{
		{"zengo_db_connections_open", "gauge", "Open database connections.", func(p poolStats) string { return strconv.Itoa(p.OpenConnections) }},
		{"zengo_db_connections_in_use", "gauge", "Database connections in use.", func(p poolStats) string { return strconv.Itoa(p.InUse) }},
		{"zengo_db_connections_idle", "gauge", "Idle database connections.", func(p poolStats) string { return strconv.Itoa(p.Idle) }},
		{"zengo_db_connections_max", "gauge", "Most database connections the pool opens.", func(p poolStats) string { return strconv.Itoa(p.MaxOpenConnections) }},
		{"zengo_db_connection_waits_total", "counter", "Times a request waited for a database connection.", func(p poolStats) string { return strconv.FormatInt(p.WaitCount, 10) }},
		{"zengo_db_connection_wait_seconds_total", "counter", "Time spent waiting for database connections.", func(p poolStats) string {
			return strconv.FormatFloat(p.WaitDuration.Seconds(), 'g', -1, 64)
		}},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", g.name, g.help, g.name, g.typ)
		for _, name := range poolNames {
			fmt.Fprintf(w, "%s{pool=%q} %s\n", g.name, name, g.value(pools[name]))
		}
	}

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, g := range []struct {
		name, typ, help string
		value           string
	}{
		{"go_goroutines", "gauge", "Goroutines that currently exist.", strconv.Itoa(runtime.NumGoroutine())},
		{"go_memstats_heap_alloc_bytes", "gauge", "Heap bytes allocated and in use.", strconv.FormatUint(ms.HeapAlloc, 10)},
		{"go_memstats_sys_bytes", "gauge", "Bytes obtained from the system.", strconv.FormatUint(ms.Sys, 10)},
		{"go_gc_cycles_total", "counter", "Completed GC cycles.", strconv.FormatUint(uint64(ms.NumGC), 10)},
		{"go_gc_pause_seconds_total", "counter", "Time the GC stopped the world.", strconv.FormatFloat(float64(ms.PauseTotalNs)/1e9, 'g', -1, 64)},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", g.name, g.help, g.name, g.typ, g.name, g.value)
	}
}

type poolStats = sql.DBStats

// quoteLabel writes a label value as the text format escapes it.
func quoteLabel(v string) string { return strconv.Quote(v) }

// serveMetrics answers GET /metrics.
func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	pools := s.db.PoolStats()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, pools)
	// The store's statement count: bench/cmd/benchruns reads it around
	// each request to report statements per kind of request.
	fmt.Fprintf(w, "# HELP zengo_db_statements_total SQL statements run.\n# TYPE zengo_db_statements_total counter\nzengo_db_statements_total %d\n", s.db.Statements())
}
