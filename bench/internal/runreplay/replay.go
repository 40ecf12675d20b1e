package runreplay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"zengo/bench/loadgen"
)

// Target is one server and the admin token the replay sends.
type Target struct {
	URL   string
	Token string
	HTTP  *http.Client
}

// Recorder collects the latency and errors of each kind of request; it is
// safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	lat       map[string][]time.Duration
	all       []time.Duration // every request in the order they ended
	errs      map[string]int64
	locked    int64 // answers or errors mentioning "database is locked"
	deadlocks int64 // ... mentioning a deadlock
	samples   []string
	steps     int64
	runs      int64
	// Probe, if set, is read before and after every request (at one
	// request at a time): the server's statement count (-1 if unknown)
	// and CPU seconds, to charge each kind of request its cost.
	Probe func() (statements int64, cpu float64)
	cost  map[string]*Cost
}

// Cost is what the requests of one kind cost the server, measured with
// Recorder.Probe.
type Cost struct {
	Count      int64   `json:"count"`
	Statements int64   `json:"statements"`
	CPUSeconds float64 `json:"cpu_s"`
}

// Costs returns the measured cost per kind.
func (r *Recorder) Costs() map[string]Cost {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]Cost{}
	for k, c := range r.cost {
		out[k] = *c
	}
	return out
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{lat: map[string][]time.Duration{}, errs: map[string]int64{}, cost: map[string]*Cost{}}
}

func (r *Recorder) add(kind string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat[kind] = append(r.lat[kind], d)
	r.all = append(r.all, d)
	if err == nil {
		return
	}
	r.errs[kind]++
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "database is locked") || strings.Contains(msg, "database table is locked") || strings.Contains(msg, "sqlite_busy") {
		r.locked++
	}
	if strings.Contains(msg, "deadlock") {
		r.deadlocks++
	}
	if len(r.samples) < 10 {
		s := err.Error()
		if len(s) > 400 {
			s = s[:400] + "..."
		}
		r.samples = append(r.samples, kind+": "+s)
	}
}

// KindStats are the figures of one kind of request.
type KindStats struct {
	Kind   string  `json:"kind"`
	Count  int     `json:"count"`
	Errors int64   `json:"errors"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// Summary is what a replay measured.
type Summary struct {
	Seconds         float64     `json:"seconds"`
	Runs            int64       `json:"runs"`
	Steps           int64       `json:"steps"`
	Requests        int         `json:"requests"`
	RunsPerSec      float64     `json:"runs_per_s"`
	StepsPerSec     float64     `json:"steps_per_s"`
	RequestsPerSec  float64     `json:"requests_per_s"`
	Errors          int64       `json:"errors"`
	DatabaseLocked  int64       `json:"database_locked_errors"`
	Deadlocks       int64       `json:"deadlock_errors"`
	ErrorSamples    []string    `json:"error_samples,omitempty"`
	All             KindStats   `json:"all"`
	Kinds           []KindStats `json:"kinds"`
	MaxKindP99Ms    float64     `json:"max_kind_p99_ms"`
	MaxKindP99Label string      `json:"max_kind_p99_kind"`
}

// Summarize computes the figures over elapsed, with the kinds in order
// (kinds not in order come after, sorted).
func (r *Recorder) Summarize(elapsed time.Duration, order []string) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{Seconds: round3(elapsed.Seconds()), Runs: r.runs, Steps: r.steps, DatabaseLocked: r.locked, Deadlocks: r.deadlocks,
		ErrorSamples: append([]string(nil), r.samples...)}
	kinds := append([]string(nil), order...)
	var extra []string
	for k := range r.lat {
		found := false
		for _, o := range order {
			found = found || o == k
		}
		if !found {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	var all []time.Duration
	for _, k := range append(kinds, extra...) {
		lat := r.lat[k]
		if len(lat) == 0 {
			continue
		}
		ks := kindStats(k, lat, r.errs[k])
		s.Kinds = append(s.Kinds, ks)
		s.Errors += ks.Errors
		all = append(all, lat...)
		if ks.P99Ms > s.MaxKindP99Ms {
			s.MaxKindP99Ms, s.MaxKindP99Label = ks.P99Ms, k
		}
	}
	s.All = kindStats("all", all, s.Errors)
	s.Requests = len(all)
	if sec := elapsed.Seconds(); sec > 0 {
		s.RunsPerSec = round3(float64(r.runs) / sec)
		s.StepsPerSec = round3(float64(r.steps) / sec)
		s.RequestsPerSec = round3(float64(len(all)) / sec)
	}
	return s
}

func kindStats(kind string, lat []time.Duration, errs int64) KindStats {
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return KindStats{Kind: kind, Count: len(sorted), Errors: errs, MeanMs: msf(sum / time.Duration(len(sorted))),
		P50Ms: msf(loadgen.Percentile(sorted, 50)), P99Ms: msf(loadgen.Percentile(sorted, 99)), MaxMs: msf(sorted[len(sorted)-1])}
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// RunSpec names one run of the replay.
type RunSpec struct {
	Pipeline string // pipeline name (runs of the same pipeline share it)
	Name     string // run name, unique
	Steps    int
}

// NewID is a random UUID (version 4), as the client makes for log entries.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Replay replays one run: the run part once, then each step in turn. base
// holds the server's ids (project, stack, artifact_store). A failed
// request ends the run; the error is returned (and recorded).
func (t *Template) Replay(ctx context.Context, tg Target, base map[string]string, spec RunSpec, rec *Recorder, onStep func(i int, vars *Vars)) error {
	v := NewVars()
	for k, x := range base {
		v.Text[k] = x
	}
	v.Text["pipeline_name"] = spec.Pipeline
	v.Text["run_name"] = spec.Name
	v.Text["client_log"] = NewID()
	v.Text["orchestrator_run_id"] = NewID()
	for _, r := range t.Run {
		if r.Kind == "snapshot_create" {
			v.Text["now"] = now()
			snap, err := t.BuildSnapshot(spec.Steps, v)
			if err != nil {
				return err
			}
			v.JSON["snapshot_body"] = snap
		}
		if err := t.send(ctx, tg, r, v, rec); err != nil {
			return err
		}
	}
	for i := 1; i <= spec.Steps; i++ {
		v.Text["step"] = StepName(i)
		v.Text["prev"] = StepName(max(i-1, 1))
		v.Text["prepare_log"] = NewID()
		v.Text["step_log"] = NewID()
		v.Text["cache_key"] = randHex(32)
		v.Text["content_hash"] = randHex(32)
		v.Text["short"] = randHex(8)
		if i == 1 {
			v.JSON["inputs"] = []byte(`{}`)
		} else {
			v.JSON["inputs"] = []byte(fmt.Sprintf(`{"x": [%q]}`, v.Text["output"]))
		}
		for _, r := range t.Step {
			if r.NotFirst && i == 1 {
				continue
			}
			if err := t.send(ctx, tg, r, v, rec); err != nil {
				return err
			}
		}
		rec.mu.Lock()
		rec.steps++
		rec.mu.Unlock()
		if onStep != nil {
			onStep(i, v)
		}
	}
	rec.mu.Lock()
	rec.runs++
	rec.mu.Unlock()
	return nil
}

func now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000") }

// send expands and sends one request, records it and applies its captures.
func (t *Template) send(ctx context.Context, tg Target, r Request, v *Vars, rec *Recorder) error {
	if r.Unless != "" && v.Text[r.Unless] != "" {
		return nil
	}
	v.Text["now"] = now()
	path, err := v.Expand(r.Path, false)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Kind, err)
	}
	var body io.Reader
	if len(r.Body) > 0 {
		b, err := v.Expand(string(r.Body), true)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Kind, err)
		}
		body = strings.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, tg.URL+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tg.Token)
	var st0 int64
	var cpu0 float64
	if rec.Probe != nil {
		st0, cpu0 = rec.Probe()
	}
	began := time.Now()
	resp, err := tg.HTTP.Do(req)
	var answer []byte
	if err == nil {
		answer, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
			a := answer
			if len(a) > 300 {
				a = a[:300]
			}
			err = fmt.Errorf("%s %s: HTTP %d: %s", r.Method, path, resp.StatusCode, bytes.TrimSpace(a))
		}
	}
	elapsed := time.Since(began)
	if rec.Probe != nil {
		st1, cpu1 := rec.Probe()
		rec.mu.Lock()
		c := rec.cost[r.Kind]
		if c == nil {
			c = &Cost{}
			rec.cost[r.Kind] = c
		}
		c.Count++
		if st0 >= 0 && st1 >= 0 {
			c.Statements += st1 - st0
		} else {
			c.Statements = -1
		}
		c.CPUSeconds += cpu1 - cpu0
		rec.mu.Unlock()
	}
	rec.add(r.Kind, elapsed, err)
	if err != nil {
		return err
	}
	for name, p := range r.Capture {
		optional := strings.HasSuffix(p, "?")
		val, ok := Lookup(answer, strings.TrimSuffix(p, "?"))
		if !ok {
			if optional {
				continue
			}
			return fmt.Errorf("%s: no %s in the answer", r.Kind, p)
		}
		v.Text[name] = val
	}
	return nil
}

// Latencies are all requests' latencies so far in the order they ended
// (a window of a running recorder is a slice from an earlier length).
func (r *Recorder) Latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.all...)
}
