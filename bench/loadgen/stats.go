package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Stats are the figures of a set of requests. Latencies are in
// milliseconds.
type Stats struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"` // transport errors and non-2xx answers
	RPS      float64 `json:"rps"`
	MeanMs   float64 `json:"mean_ms"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	// Status counts answers by HTTP status ("0" for transport errors).
	Status map[string]int64 `json:"status"`
}

// Result is what Run reports: the whole run and each request of the mix.
type Result struct {
	Concurrency  int               `json:"concurrency"`
	DurationSec  float64           `json:"duration_s"`
	Total        Stats             `json:"total"`
	ByRequest    map[string]*Stats `json:"by_request"`
	ErrorSamples []string          `json:"error_samples,omitempty"`
	// InFlightAtEnd counts requests still unanswered when the measured
	// time ended; they are not in the figures.
	InFlightAtEnd int64 `json:"in_flight_at_end"`
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted values
// by the nearest-rank method: the smallest value such that at least p% of
// the values are at most it. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// computeStats sorts lat in place.
func computeStats(lat []time.Duration, statuses map[string]int64, errors int64, elapsed time.Duration) Stats {
	slices.Sort(lat)
	s := Stats{Requests: int64(len(lat)), Errors: errors, Status: statuses}
	if elapsed > 0 {
		s.RPS = math.Round(float64(len(lat))/elapsed.Seconds()*10) / 10
	}
	if len(lat) > 0 {
		var sum time.Duration
		for _, l := range lat {
			sum += l
		}
		s.MeanMs = ms(sum / time.Duration(len(lat)))
		s.P50Ms = ms(Percentile(lat, 50))
		s.P90Ms = ms(Percentile(lat, 90))
		s.P99Ms = ms(Percentile(lat, 99))
		s.MaxMs = ms(lat[len(lat)-1])
	}
	return s
}

func summarize(names []string, perWorker [][]sample, elapsed time.Duration, concurrency int) *Result {
	res := &Result{Concurrency: concurrency, DurationSec: math.Round(elapsed.Seconds()*1000) / 1000, ByRequest: map[string]*Stats{}}
	var all []time.Duration
	allStatus := map[string]int64{}
	var allErr int64
	byReq := make([][]time.Duration, len(names))
	reqStatus := make([]map[string]int64, len(names))
	reqErr := make([]int64, len(names))
	for i := range names {
		reqStatus[i] = map[string]int64{}
	}
	for _, samples := range perWorker {
		for _, s := range samples {
			all = append(all, s.latency)
			byReq[s.req] = append(byReq[s.req], s.latency)
			code := fmt.Sprint(s.status)
			allStatus[code]++
			reqStatus[s.req][code]++
			if s.status < 200 || s.status > 299 {
				allErr++
				reqErr[s.req]++
			}
		}
	}
	res.Total = computeStats(all, allStatus, allErr, elapsed)
	for i, n := range names {
		st := computeStats(byReq[i], reqStatus[i], reqErr[i], elapsed)
		res.ByRequest[n] = &st
	}
	return res
}

// WriteText prints the result as a small table.
func (r *Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "concurrency %d, %.1fs measured, %d requests unanswered at the end (not counted)\n", r.Concurrency, r.DurationSec, r.InFlightAtEnd)
	fmt.Fprintf(w, "%-16s %9s %7s %10s %8s %8s %8s %8s %8s\n", "request", "requests", "errors", "req/s", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms")
	names := make([]string, 0, len(r.ByRequest))
	for n := range r.ByRequest {
		names = append(names, n)
	}
	sort.Strings(names)
	line := func(name string, s *Stats) {
		fmt.Fprintf(w, "%-16s %9d %7d %10.1f %8.2f %8.2f %8.2f %8.2f %8.2f\n", name, s.Requests, s.Errors, s.RPS, s.MeanMs, s.P50Ms, s.P90Ms, s.P99Ms, s.MaxMs)
	}
	if len(names) > 1 {
		for _, n := range names {
			line(n, r.ByRequest[n])
		}
	}
	line("total", &r.Total)
	if len(r.ErrorSamples) > 0 {
		fmt.Fprintf(w, "error samples:\n  %s\n", strings.Join(r.ErrorSamples, "\n  "))
	}
}

// WriteJSON prints the result as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
