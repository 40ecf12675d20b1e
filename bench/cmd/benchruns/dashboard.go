package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/proc"
	"zengo/bench/internal/runreplay"
	"zengo/bench/loadgen"
)

type dashConfig struct {
	pages      *string
	stepDur    *time.Duration
	runWorkers *int
	bigSteps   *int
	bigShare   *float64
	maxP99     *float64
	pollEvery  *time.Duration
}

func (d *dashConfig) register(fs *flag.FlagSet) {
	d.pages = flagenv.String(fs, "pages", "BENCH_DASH_PAGES", "100,200,400,800,1600,3200,6400", "open run pages at each step of the ramp")
	d.stepDur = flagenv.Duration(fs, "page-step", "BENCH_DASH_STEP_DURATION", 20*time.Second, "time per step of the ramp")
	d.runWorkers = flagenv.Int(fs, "dash-runs", "BENCH_DASH_RUN_CONCURRENCY", 4, "runs being recorded meanwhile")
	d.bigSteps = flagenv.Int(fs, "big-steps", "BENCH_DASH_BIG_STEPS", 500, "steps of the big run whose DAG some pages show")
	d.bigShare = fs.Float64("big-share", 0.1, "share of the pages showing the big run")
	d.maxP99 = fs.Float64("max-p99", 50, "the ramp stops after the step whose DAG p99 exceeds this (ms)")
	d.pollEvery = flagenv.Duration(fs, "poll-every", "BENCH_DASH_POLL", 3*time.Second, "how often an open run page polls its DAG (the dashboard's 3 s)")
}

// DashStep is one step of the ramp.
type DashStep struct {
	Pages        int     `json:"pages"`
	HomePages    int     `json:"home_pages"`
	Seconds      float64 `json:"seconds"`
	DAGPolls     int     `json:"dag_polls"`
	DAGPerSec    float64 `json:"dag_polls_per_s"`
	DAGP50Ms     float64 `json:"dag_p50_ms"`
	DAGP99Ms     float64 `json:"dag_p99_ms"`
	BigPolls     int     `json:"big_dag_polls"`
	BigP50Ms     float64 `json:"big_dag_p50_ms"`
	BigP99Ms     float64 `json:"big_dag_p99_ms"`
	HomeRequests int     `json:"home_requests"`
	Errors       int64   `json:"errors"`
	ServerCPU    float64 `json:"server_cpu_s"`
	CoresUsed    float64 `json:"server_cores_used"`
	// CPU seconds per 1,000 DAG polls, after taking off what recording the
	// runs cost (measured in the step with no pages).
	NetCPUPer1000 float64 `json:"net_cpu_s_per_1000_dag_polls"`
	StepsPerSec   float64 `json:"recorded_steps_per_s"`
	RecordP99Ms   float64 `json:"recording_p99_ms"`
	PeakRSSMiB    float64 `json:"peak_rss_mib"`
}

// DashTarget is one zengo target's dashboard figures.
type DashTarget struct {
	Target   string `json:"target"`
	BigSteps int    `json:"big_run_steps"`
	// The big run's DAG alone, one request at a time.
	BigAlone     loadgen.Stats `json:"big_dag_alone"`
	BigAloneCPU  float64       `json:"big_dag_alone_cpu_ms_per_poll"`
	SmallAlone   loadgen.Stats `json:"small_dag_alone"`
	SmallCPU     float64       `json:"small_dag_alone_cpu_ms_per_poll"`
	Ramp         []DashStep    `json:"ramp"`
	MaxPagesOK   int           `json:"max_pages_p99_ok"`
	CoresAtMax   float64       `json:"server_cores_at_max"`
	PagesPerCore float64       `json:"pages_per_core"` // from the CPU per poll alone, with the ramp's share of big runs
	// PagesPerCoreSmall: the same with pages on runs of the recorded size only.
	PagesPerCoreSmall float64 `json:"pages_per_core_small_runs"`
	Limit             string  `json:"limit"`
}

// DashReport is the dashboard benchmark's report.
type DashReport struct {
	Date     string            `json:"date"`
	Machine  proc.Machine      `json:"machine"`
	Versions map[string]string `json:"versions"`
	Config   map[string]any    `json:"config"`
	Targets  []*DashTarget     `json:"targets"`
	Summary  []string          `json:"summary"`
}

// activeRuns is the set of runs being recorded, which open pages show.
type activeRuns struct {
	mu  sync.Mutex
	ids map[int]string // worker → its current run
}

func (a *activeRuns) set(w int, id string) {
	a.mu.Lock()
	a.ids[w] = id
	a.mu.Unlock()
}

func (a *activeRuns) pick() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ids []string
	for _, id := range a.ids {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return ""
	}
	sort.Strings(ids)
	return ids[rand.IntN(len(ids))]
}

func runDashboard(ctx context.Context, c *config, tmpl *runreplay.Template, work string) error {
	d := c.dash
	pages, err := flagenv.Ints(*d.pages)
	if err != nil {
		return err
	}
	rep := &DashReport{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Machine: proc.DescribeMachine(), Versions: versions(c),
		Config: map[string]any{"pages": pages, "step_s": d.stepDur.Seconds(), "recording_runs": *d.runWorkers, "steps_per_run": c.steps,
			"big_steps": *d.bigSteps, "big_share": *d.bigShare, "max_p99_ms": *d.maxP99, "poll_s": d.pollEvery.Seconds(), "targets": c.targets}}
	for _, name := range c.targets {
		dt, err := dashTarget(ctx, c, tmpl, work, name, pages)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rep.Targets = append(rep.Targets, dt)
		rep.Summary = append(rep.Summary, fmt.Sprintf("bench-dashboard summary (%s): dag%d_p99=%.1fms dag%d_cpu=%.2fms dag%d_cpu=%.2fms pages_per_core=%.0f (with %.0f%% on the big run: %.0f) pages_p99_ok=%d",
			name, dt.BigSteps, dt.BigAlone.P99Ms, c.steps, dt.SmallCPU, dt.BigSteps, dt.BigAloneCPU, dt.PagesPerCoreSmall, *d.bigShare*100, dt.PagesPerCore, dt.MaxPagesOK))
	}
	return writeReport(c, rep, "dashboard", func(w *strings.Builder) { writeDashMarkdown(w, rep) }, rep.Summary)
}

func dashTarget(ctx context.Context, c *config, tmpl *runreplay.Template, work, name string, pages []int) (*DashTarget, error) {
	d := c.dash
	logf("%s: starting", name)
	conns := *d.runWorkers + 64
	t, err := startTarget(ctx, c, name, work, conns)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	token, base, err := t.ids(ctx)
	if err != nil {
		return nil, err
	}
	tg := runreplay.Target{URL: t.url, Token: token, HTTP: t.http}
	dt := &DashTarget{Target: name, BigSteps: *d.bigSteps}

	if err := warmUp(ctx, tmpl, tg, base); err != nil {
		return nil, err
	}
	logf("%s: recording a run of %d steps", name, *d.bigSteps)
	var bigRun, smallRun string
	rec := runreplay.NewRecorder()
	if err := tmpl.Replay(ctx, tg, base, runreplay.RunSpec{Pipeline: "bench_dash_big", Name: "big-" + runreplay.NewID(), Steps: *d.bigSteps}, rec,
		func(_ int, v *runreplay.Vars) { bigRun = v.Text["run"] }); err != nil {
		return nil, fmt.Errorf("big run: %w", err)
	}
	if err := tmpl.Replay(ctx, tg, base, runreplay.RunSpec{Pipeline: "bench_dash_big", Name: "small-" + runreplay.NewID(), Steps: c.steps}, rec,
		func(_ int, v *runreplay.Vars) { smallRun = v.Text["run"] }); err != nil {
		return nil, fmt.Errorf("small run: %w", err)
	}
	// Each DAG alone, one request at a time: latency and CPU per poll.
	alone := func(run string, n int) (loadgen.Stats, float64) {
		var lat []time.Duration
		cpu0 := t.cpu()
		for i := 0; i < n; i++ {
			began := time.Now()
			if err := getOK(ctx, t.http, t.url+"/api/v1/runs/"+run+"/dag", token); err == nil {
				lat = append(lat, time.Since(began))
			}
		}
		cpu := t.cpu() - cpu0
		return statsOf(lat), round3(cpu * 1000 / float64(n))
	}
	dt.BigAlone, dt.BigAloneCPU = alone(bigRun, 200)
	dt.SmallAlone, dt.SmallCPU = alone(smallRun, 500)
	logf("%s: DAG alone: %d steps p50 %.2f p99 %.2f ms, %.2f ms CPU; %d steps p50 %.2f p99 %.2f ms, %.2f ms CPU", name, *d.bigSteps, dt.BigAlone.P50Ms, dt.BigAlone.P99Ms, dt.BigAloneCPU,
		c.steps, dt.SmallAlone.P50Ms, dt.SmallAlone.P99Ms, dt.SmallCPU)

	// Runs being recorded for the whole ramp.
	active := &activeRuns{ids: map[int]string{}}
	stopRec := make(chan struct{})
	recCtx, cancelRec := context.WithCancel(ctx)
	defer cancelRec()
	loadRec := runreplay.NewRecorder()
	var recWG sync.WaitGroup
	recWG.Add(1)
	go func() {
		defer recWG.Done()
		replayLoad(recCtx, tmpl, tg, base, *d.runWorkers, c.steps, 1, 0, loadRec, stopRec, func(w, step int, v *runreplay.Vars) { active.set(w, v.Text["run"]) })
	}()
	defer func() { close(stopRec); cancelRec(); recWG.Wait() }()
	for active.pick() == "" && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}

	var baselineRate float64 // server CPU seconds per second for the recording alone
	for _, w := range append([]int{0}, pages...) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		st := dashStep(ctx, t, token, w, *d.stepDur, *d.pollEvery, *d.bigShare, bigRun, active, loadRec)
		if w == 0 {
			baselineRate = st.ServerCPU / st.Seconds
		} else if st.DAGPolls+st.BigPolls > 0 {
			st.NetCPUPer1000 = round3((st.ServerCPU - baselineRate*st.Seconds) * 1000 / float64(st.DAGPolls+st.BigPolls))
		}
		logf("%s: %d pages: %.0f DAG polls/s, p50 %.2f p99 %.2f ms; big DAG p99 %.2f ms; %d errors; server %.2f cores, net %.2f CPU s / 1000 polls; recording %.1f steps/s p99 %.1f ms",
			name, w, st.DAGPerSec, st.DAGP50Ms, st.DAGP99Ms, st.BigP99Ms, st.Errors, st.CoresUsed, st.NetCPUPer1000, st.StepsPerSec, st.RecordP99Ms)
		dt.Ramp = append(dt.Ramp, st)
		worst := max(st.DAGP99Ms, st.BigP99Ms)
		if w > 0 {
			if worst <= *d.maxP99 && st.Errors == 0 {
				dt.MaxPagesOK, dt.CoresAtMax = w, st.CoresUsed
			} else {
				dt.Limit = fmt.Sprintf("at %d pages the DAG p99 was %.1f ms (big run %.1f ms), %d errors, server at %.2f cores", w, st.DAGP99Ms, st.BigP99Ms, st.Errors, st.CoresUsed)
				break
			}
		}
	}
	// From the CPU per poll measured alone: a page polls 1/poll times a
	// second; a core gives one CPU-second a second. (The net CPU of the
	// ramp is smaller than it is when the recording slows down under the
	// pages, so it is reported, not used.)
	if dt.SmallCPU > 0 {
		dt.PagesPerCoreSmall = round1(d.pollEvery.Seconds() * 1000 / dt.SmallCPU)
		mix := (1-*d.bigShare)*dt.SmallCPU + *d.bigShare*dt.BigAloneCPU
		dt.PagesPerCore = round1(d.pollEvery.Seconds() * 1000 / mix)
	}
	return dt, nil
}

// dashStep opens w run pages (a share of them on the big run) and w/10
// home pages for dur, and measures them and the server.
func dashStep(ctx context.Context, t *target, token string, w int, dur, every time.Duration, bigShare float64, bigRun string, active *activeRuns, loadRec *runreplay.Recorder) DashStep {
	st := DashStep{Pages: w, HomePages: w / 10}
	var mu sync.Mutex
	var small, big []time.Duration
	var errs int64
	var home int
	stepCtx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	t.resetPeak()
	steps0 := loadRec.Summarize(time.Second, nil).Steps
	loadLat0 := len(allLat(loadRec))
	cpu0 := t.cpu()
	began := time.Now()
	var wg sync.WaitGroup
	poll := func(offset time.Duration, period time.Duration, fn func()) {
		defer wg.Done()
		select {
		case <-stepCtx.Done():
			return
		case <-time.After(offset):
		}
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			fn()
			select {
			case <-stepCtx.Done():
				return
			case <-tick.C:
			}
		}
	}
	for i := 0; i < w; i++ {
		onBig := float64(i) < bigShare*float64(w)
		wg.Add(1)
		go poll(time.Duration(rand.Int64N(int64(every))), every, func() {
			run := bigRun
			if !onBig {
				run = active.pick()
			}
			t0 := time.Now()
			err := getOK(stepCtx, t.http, t.url+"/api/v1/runs/"+run+"/dag", token)
			d := time.Since(t0)
			if stepCtx.Err() != nil {
				return // cut off by the end of the step
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				return
			}
			if onBig {
				big = append(big, d)
			} else {
				small = append(small, d)
			}
		})
	}
	// Home pages: the onboarding state every 60 s and the pipelines list
	// every 30 s, as the dashboard's home page asks for them.
	for i := 0; i < st.HomePages; i++ {
		for _, hp := range []struct {
			path   string
			period time.Duration
		}{{"/api/v1/onboarding_state", 60 * time.Second}, {"/api/v1/pipelines?hydrate=true&sort_by=desc:latest_run&page=1&size=20", 30 * time.Second}} {
			wg.Add(1)
			go poll(time.Duration(rand.Int64N(int64(hp.period))), hp.period, func() {
				err := getOK(stepCtx, t.http, t.url+hp.path, token)
				if stepCtx.Err() != nil {
					return
				}
				mu.Lock()
				home++
				if err != nil {
					errs++
				}
				mu.Unlock()
			})
		}
	}
	<-stepCtx.Done()
	wg.Wait()
	elapsed := time.Since(began)
	st.Seconds = round3(elapsed.Seconds())
	st.ServerCPU = round3(t.cpu() - cpu0)
	st.CoresUsed = round3(st.ServerCPU / elapsed.Seconds())
	st.PeakRSSMiB = t.peakMiB()
	ss, bs := statsOf(small), statsOf(big)
	st.DAGPolls, st.DAGP50Ms, st.DAGP99Ms = len(small), ss.P50Ms, ss.P99Ms
	st.BigPolls, st.BigP50Ms, st.BigP99Ms = len(big), bs.P50Ms, bs.P99Ms
	st.DAGPerSec = round1(float64(len(small)+len(big)) / elapsed.Seconds())
	st.HomeRequests, st.Errors = home, errs
	st.StepsPerSec = round1(float64(loadRec.Summarize(time.Second, nil).Steps-steps0) / elapsed.Seconds())
	if lat := allLat(loadRec); len(lat) > loadLat0 {
		st.RecordP99Ms = statsOf(lat[loadLat0:]).P99Ms
	}
	return st
}

func allLat(r *runreplay.Recorder) []time.Duration { return r.Latencies() }

func getOK(ctx context.Context, cl *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

func statsOf(lat []time.Duration) loadgen.Stats {
	if len(lat) == 0 {
		return loadgen.Stats{}
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return loadgen.Stats{Requests: int64(len(s)), P50Ms: ms(loadgen.Percentile(s, 50)), P90Ms: ms(loadgen.Percentile(s, 90)), P99Ms: ms(loadgen.Percentile(s, 99)), MaxMs: ms(s[len(s)-1])}
}

func writeDashMarkdown(w *strings.Builder, r *DashReport) {
	fmt.Fprintf(w, "# bench-dashboard: %s\n\n", r.Date)
	machine(w, r.Machine, r.Versions)
	c := r.Config
	fmt.Fprintf(w, "Load: while %v runs of %v steps are recorded back to back (bench-runs' replay), W open run pages each poll `GET /api/v1/runs/{id}/dag` every %vs (as the dashboard's run page does while a run is running), %v of them on a finished run of %v steps and the others on a run being recorded (picked at each poll), and W/10 home pages poll `GET /onboarding_state` every 60 s and the pipelines list every 30 s. W ramps through %v, %vs per step, and stops after the first step whose DAG p99 passes %v ms. CPU is the server's (/proc); the net figure takes off the CPU of the recording alone (the step with W=0).\n\n",
		c["recording_runs"], c["steps_per_run"], c["poll_s"], c["big_share"], c["big_steps"], c["pages"], c["step_s"], c["max_p99_ms"])
	for _, t := range r.Targets {
		fmt.Fprintf(w, "## %s\n\nDAG alone, one request at a time: %d steps p50 %.2f / p99 %.2f ms, %.2f ms CPU per poll; %v steps p50 %.2f / p99 %.2f ms, %.2f ms CPU per poll.\n\n",
			t.Target, t.BigSteps, t.BigAlone.P50Ms, t.BigAlone.P99Ms, t.BigAloneCPU, c["steps_per_run"], t.SmallAlone.P50Ms, t.SmallAlone.P99Ms, t.SmallCPU)
		fmt.Fprintln(w, "| pages | DAG polls/s | DAG p50 / p99 ms | big DAG p50 / p99 ms | errors | server cores | net CPU s / 1000 polls | recording steps/s | recording p99 ms | peak RSS MiB |")
		fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, s := range t.Ramp {
			fmt.Fprintf(w, "| %d | %.1f | %.2f / %.2f | %.2f / %.2f | %d | %.2f | %s | %.1f | %.1f | %.0f |\n", s.Pages, s.DAGPerSec, s.DAGP50Ms, s.DAGP99Ms, s.BigP50Ms, s.BigP99Ms, s.Errors, s.CoresUsed, opt(s.NetCPUPer1000), s.StepsPerSec, s.RecordP99Ms, s.PeakRSSMiB)
		}
		fmt.Fprintf(w, "\nMost pages with DAG p99 ≤ %v ms: **%d** (server at %.2f cores). From the CPU per poll alone: **%.0f open pages per core** on runs of %v steps, %.0f with %v of the pages on the big run. %s\n\n",
			c["max_p99_ms"], t.MaxPagesOK, t.CoresAtMax, t.PagesPerCoreSmall, c["steps_per_run"], t.PagesPerCore, c["big_share"], t.Limit)
	}
	for _, s := range r.Summary {
		fmt.Fprintf(w, "`%s`\n\n", s)
	}
}
