// Command benchruns replays the zenml client's requests of pipeline runs
// (bench/runs/sequence.json, recorded from a real run against the
// reference server) for N concurrent runs of S steps against the
// reference server and zengo (SQLite; PostgreSQL and MySQL when
// configured; K replicas on one database), side by side on the same data,
// and reports runs/s, steps/s, latency per kind of request, peak RSS,
// errors, and the cost of each kind (CPU, SQL statements). With
// -dashboard it measures the dashboard's polling of run DAGs while runs
// are being recorded (bench/README.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"zengo/bench/internal/report"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/proc"
	"zengo/bench/internal/runreplay"
)

const password = "bench-Admin-Pa55"

type config struct {
	concurrency, steps, perWorker, profileRuns, replicas int
	minDuration                                          time.Duration
	targets                                              []string
	template, zengoBin, venv, out, name                  string
	pgURL, myURL                                         string
	dashboard                                            bool
	dash                                                 dashConfig
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-runs:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("benchruns", flag.ExitOnError)
	var c config
	conc := flagenv.Int(fs, "concurrency", "BENCH_RUNS_CONCURRENCY", 16, "concurrent runs")
	steps := flagenv.Int(fs, "steps", "BENCH_RUNS_STEPS", 20, "steps per run")
	perWorker := flagenv.Int(fs, "runs-per-worker", "BENCH_RUNS_PER_WORKER", 1, "runs each worker completes at least")
	minDur := flagenv.Duration(fs, "min-duration", "BENCH_RUNS_MIN_DURATION", 20*time.Second, "workers start new runs until this much time passed")
	profile := flagenv.Int(fs, "profile-runs", "BENCH_RUNS_PROFILE_RUNS", 2, "runs replayed one request at a time first, to measure CPU and statements per kind (0 skips)")
	targets := flagenv.String(fs, "targets", "BENCH_RUNS_TARGETS", "", "servers in order (default: reference,sqlite, + postgres and mysql if their URLs are set, + postgres-Kx with BENCH_ZENGO_REPLICAS=K)")
	replicas := flagenv.Int(fs, "replicas", "BENCH_ZENGO_REPLICAS", 1, "zengo replicas on one PostgreSQL (adds target postgres-Kx when > 1)")
	tpl := flagenv.String(fs, "template", "BENCH_RUNS_TEMPLATE", "bench/runs/sequence.json", "recorded request sequence")
	zengoBin := flagenv.String(fs, "zengo-bin", "ZENGO_BIN", "bin/zengo", "zengo binary")
	venv := flagenv.String(fs, "venv", "BENCH_VENV", ".venv", "virtualenv with zenml[server]==0.98.0")
	out := flagenv.String(fs, "out", "BENCH_OUT", "bench/results", "directory of the reports")
	name := flagenv.String(fs, "name", "BENCH_RUNS_NAME", "", "report file name (default runs-DATE or dashboard-DATE)")
	pg := flagenv.String(fs, "postgres", "ZENGO_BENCH_POSTGRES_URL", "", "PostgreSQL URL whose user may create databases")
	my := flagenv.String(fs, "mysql", "ZENGO_BENCH_MYSQL_URL", "", "MySQL/MariaDB URL whose user may create databases")
	dash := flagenv.String(fs, "dashboard", "BENCH_DASHBOARD", "", "1: measure the dashboard's DAG polling instead")
	c.dash.register(fs)
	fs.Parse(os.Args[1:])
	c.concurrency, c.steps, c.perWorker, c.minDuration, c.profileRuns, c.replicas = *conc, *steps, *perWorker, *minDur, *profile, *replicas
	c.template, c.venv, c.out, c.name, c.pgURL, c.myURL = *tpl, *venv, *out, *name, *pg, *my
	c.dashboard = *dash == "1" || *dash == "true"
	c.zengoBin, _ = filepath.Abs(*zengoBin)
	c.venv, _ = filepath.Abs(c.venv)
	if _, err := os.Stat(c.zengoBin); err != nil {
		return fmt.Errorf("zengo binary: %v (make build, or ZENGO_BIN)", err)
	}
	if *targets != "" {
		c.targets = flagenv.List(*targets)
	} else {
		if !c.dashboard {
			c.targets = append(c.targets, "reference")
		}
		c.targets = append(c.targets, "sqlite")
		if c.pgURL != "" {
			c.targets = append(c.targets, "postgres")
			if c.replicas > 1 {
				c.targets = append(c.targets, fmt.Sprintf("postgres-%dx", c.replicas))
			}
		}
		if c.myURL != "" {
			c.targets = append(c.targets, "mysql")
		}
	}
	tmpl, err := runreplay.Load(c.template)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, err := os.MkdirTemp("", "zengo-bench-runs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if c.dashboard {
		return runDashboard(ctx, &c, tmpl, work)
	}
	return runRuns(ctx, &c, tmpl, work)
}

// Side is one target's figures.
type Side struct {
	Target     string                    `json:"target"`
	Replicas   int                       `json:"replicas"`
	Load       runreplay.Summary         `json:"load"`
	PeakRSSMiB float64                   `json:"peak_rss_mib"`
	CPUSeconds float64                   `json:"cpu_s"` // server CPU during the load
	CPUPerStep float64                   `json:"cpu_ms_per_step"`
	Profile    map[string]runreplay.Cost `json:"profile,omitempty"`
	// Per step of the load, on PostgreSQL: rows written and transactions.
	RowsPerStep    float64 `json:"pg_rows_written_per_step,omitempty"`
	CommitsPerStep float64 `json:"pg_commits_per_step,omitempty"`
	StmtsPerStep   float64 `json:"statements_per_step,omitempty"`
}

// Report is the whole run.
type Report struct {
	Date     string            `json:"date"`
	Machine  proc.Machine      `json:"machine"`
	Versions map[string]string `json:"versions"`
	Config   map[string]any    `json:"config"`
	Kinds    []string          `json:"kinds"`
	Sides    []*Side           `json:"sides"`
	Summary  []string          `json:"summary"`
}

func runRuns(ctx context.Context, c *config, tmpl *runreplay.Template, work string) error {
	rep := &Report{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Machine: proc.DescribeMachine(), Versions: versions(c),
		Config: map[string]any{"concurrency": c.concurrency, "steps": c.steps, "runs_per_worker": c.perWorker, "min_duration_s": c.minDuration.Seconds(),
			"profile_runs": c.profileRuns, "targets": c.targets, "template": c.template},
		Kinds: tmpl.Kinds()}
	for _, name := range c.targets {
		side, err := measureTarget(ctx, c, tmpl, work, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rep.Sides = append(rep.Sides, side)
	}
	rep.Summary = summaries(rep.Sides)
	return writeReport(c, rep, "runs", func(w *strings.Builder) { writeRunsMarkdown(w, rep) }, rep.Summary)
}

func measureTarget(ctx context.Context, c *config, tmpl *runreplay.Template, work, name string) (*Side, error) {
	logf("%s: starting", name)
	t, err := startTarget(ctx, c, name, work, c.concurrency)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	token, base, err := t.ids(ctx)
	if err != nil {
		return nil, err
	}
	tg := runreplay.Target{URL: t.url, Token: token, HTTP: t.http}
	side := &Side{Target: name, Replicas: t.Replicas}
	// Warm-up, not counted: a run of 2 steps of each pipeline the load
	// uses, so that the pipelines exist (parallel first runs of a new
	// pipeline race to create it: the client then fetches it again).
	if err := warmUp(ctx, tmpl, tg, base); err != nil {
		return nil, err
	}
	if c.profileRuns > 0 {
		logf("%s: %d run(s) of %d steps one request at a time (CPU and statements per kind)", name, c.profileRuns, c.steps)
		rec := runreplay.NewRecorder()
		rec.Probe = func() (int64, float64) { return t.statements(), t.cpu() }
		for i := 0; i < c.profileRuns; i++ {
			if err := tmpl.Replay(ctx, tg, base, runreplay.RunSpec{Pipeline: "bench_runs_profile", Name: "profile-" + runreplay.NewID(), Steps: c.steps}, rec, nil); err != nil {
				return nil, fmt.Errorf("profile run: %w", err)
			}
		}
		side.Profile = rec.Costs()
	}
	logf("%s: %d concurrent runs of %d steps (each worker ≥ %d run(s), new runs until %s)", name, c.concurrency, c.steps, c.perWorker, c.minDuration)
	t.resetPeak()
	rec := runreplay.NewRecorder()
	stmt0, cpu0 := t.statements(), t.cpu()
	var rows0, commits0 int64
	if t.Engine == "postgres" {
		rows0, commits0 = pgWrites(ctx, t.storeURL)
	}
	elapsed := replayLoad(ctx, tmpl, tg, base, c.concurrency, c.steps, c.perWorker, c.minDuration, rec, nil, nil)
	side.CPUSeconds = round3(t.cpu() - cpu0)
	stmt1 := t.statements()
	side.PeakRSSMiB = t.peakMiB()
	side.Load = rec.Summarize(elapsed, tmpl.Kinds())
	if n := float64(side.Load.Steps); n > 0 {
		side.CPUPerStep = round3(side.CPUSeconds * 1000 / n)
		if stmt0 >= 0 && stmt1 >= 0 && t.Replicas == 1 {
			side.StmtsPerStep = round1(float64(stmt1-stmt0) / n)
		}
		if t.Engine == "postgres" {
			rows1, commits1 := pgWrites(ctx, t.storeURL)
			if rows0 >= 0 && rows1 >= 0 {
				side.RowsPerStep, side.CommitsPerStep = round1(float64(rows1-rows0)/n), round1(float64(commits1-commits0)/n)
			}
		}
	}
	l := side.Load
	logf("%s: %.2f runs/s, %.1f steps/s, %.0f req/s, p50 %.2f ms, p99 %.2f ms (worst kind %s %.2f ms), %d errors (%d locked, %d deadlocks), peak RSS %.0f MiB, CPU %.1f ms/step",
		name, l.RunsPerSec, l.StepsPerSec, l.RequestsPerSec, l.All.P50Ms, l.All.P99Ms, l.MaxKindP99Label, l.MaxKindP99Ms, l.Errors, l.DatabaseLocked, l.Deadlocks, side.PeakRSSMiB, side.CPUPerStep)
	for _, e := range l.ErrorSamples {
		logf("    %s", e)
	}
	return side, nil
}

// replayLoad runs workers that each replay runs back to back: every
// worker completes at least perWorker runs and starts new ones until
// minDur has passed. runStarted/runEnded, if set, see each run's id.
func replayLoad(ctx context.Context, tmpl *runreplay.Template, tg runreplay.Target, base map[string]string, workers, steps, perWorker int, minDur time.Duration,
	rec *runreplay.Recorder, stopEarly <-chan struct{}, onStep func(worker, step int, v *runreplay.Vars)) time.Duration {
	began := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				if ctx.Err() != nil {
					return
				}
				if stopEarly != nil {
					select {
					case <-stopEarly:
						return
					default:
					}
				} else if n >= perWorker && time.Since(began) >= minDur {
					return
				}
				spec := runreplay.RunSpec{Pipeline: pipelineName(w % pipelinesUsed), Name: fmt.Sprintf("bench-run-w%02d-%04d-%s", w, n, runreplay.NewID()[:8]), Steps: steps}
				var cb func(int, *runreplay.Vars)
				if onStep != nil {
					cb = func(i int, v *runreplay.Vars) { onStep(w, i, v) }
				}
				if err := tmpl.Replay(ctx, tg, base, spec, rec, cb); err != nil && ctx.Err() == nil {
					time.Sleep(100 * time.Millisecond) // counted; go on with a new run
				}
			}
		}(w)
	}
	wg.Wait()
	return time.Since(began)
}

// pipelinesUsed is how many pipelines the runs of the load belong to.
const pipelinesUsed = 4

func pipelineName(i int) string { return fmt.Sprintf("bench_runs_%02d", i) }

// warmUp replays a run of 2 steps of each pipeline the load uses.
func warmUp(ctx context.Context, tmpl *runreplay.Template, tg runreplay.Target, base map[string]string) error {
	for p := 0; p < pipelinesUsed; p++ {
		if err := tmpl.Replay(ctx, tg, base, runreplay.RunSpec{Pipeline: pipelineName(p), Name: "warmup-" + runreplay.NewID(), Steps: 2}, runreplay.NewRecorder(), nil); err != nil {
			return fmt.Errorf("warm-up run: %w", err)
		}
	}
	return nil
}

// summaries: one line per zengo target against the reference; the one
// for the first zengo target (SQLite by default) last.
func summaries(sides []*Side) []string {
	var ref *Side
	for _, s := range sides {
		if s.Target == "reference" {
			ref = s
		}
	}
	if ref == nil {
		return nil
	}
	var first string
	var out []string
	for _, s := range sides {
		if s == ref || s.Load.StepsPerSec == 0 {
			continue
		}
		line := fmt.Sprintf("steps=%.1fx p99=%.1fx rss=%.1fx", ratio(s.Load.StepsPerSec, ref.Load.StepsPerSec), ratio(ref.Load.All.P99Ms, s.Load.All.P99Ms), ratio(ref.PeakRSSMiB, s.PeakRSSMiB))
		if first == "" {
			first = "bench-runs summary: " + line
			continue
		}
		out = append(out, fmt.Sprintf("bench-runs summary (%s): %s", s.Target, line))
	}
	if first != "" {
		out = append(out, first)
	}
	return out
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return round1(a / b)
}

func writeRunsMarkdown(w *strings.Builder, r *Report) {
	fmt.Fprintf(w, "# bench-runs: %s\n\n", r.Date)
	machine(w, r.Machine, r.Versions)
	c := r.Config
	fmt.Fprintf(w, "Load: %v concurrent runs of %v steps, each worker replaying runs back to back (at least %v each, new ones until %vs had passed), the request sequence of `%v` (recorded from a real zenml 0.98.0 pipeline run; a step in a process of its own). Fresh database per server; warm-up: a run of 2 steps of each of the 4 pipelines the runs belong to. Profile: %v run(s) one request at a time, reading the server's CPU time (/proc) and zengo's statement counter (/metrics) around each request.\n\n",
		c["concurrency"], c["steps"], c["runs_per_worker"], c["min_duration_s"], c["template"], c["profile_runs"])
	fmt.Fprintln(w, "| server | runs/s | steps/s | req/s | p50 ms | p99 ms | worst kind p99 ms | errors | db locked | deadlocks | peak RSS MiB | CPU ms/step | statements/step | pg rows/step | pg commits/step |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.Sides {
		l := s.Load
		fmt.Fprintf(w, "| %s | %.2f | %.1f | %.0f | %.2f | %.2f | %.2f (%s) | %d | %d | %d | %.0f | %.1f | %s | %s | %s |\n", s.Target, l.RunsPerSec, l.StepsPerSec, l.RequestsPerSec, l.All.P50Ms, l.All.P99Ms,
			l.MaxKindP99Ms, l.MaxKindP99Label, l.Errors, l.DatabaseLocked, l.Deadlocks, s.PeakRSSMiB, s.CPUPerStep, opt(s.StmtsPerStep), opt(s.RowsPerStep), opt(s.CommitsPerStep))
	}
	fmt.Fprintf(w, "\n## Latency per kind of request under load (p50 / p99 ms)\n\n| kind |")
	for _, s := range r.Sides {
		fmt.Fprintf(w, " %s |", s.Target)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(r.Sides)))
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "| %s |", k)
		for _, s := range r.Sides {
			cell := "-"
			for _, ks := range s.Load.Kinds {
				if ks.Kind == k {
					cell = fmt.Sprintf("%.2f / %.2f", ks.P50Ms, ks.P99Ms)
					if ks.Errors > 0 {
						cell += fmt.Sprintf(" (%d err)", ks.Errors)
					}
				}
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n## Cost per kind of request, one request at a time (CPU ms of the server / SQL statements, per request)\n\n| kind |")
	for _, s := range r.Sides {
		fmt.Fprintf(w, " %s |", s.Target)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(r.Sides)))
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "| %s |", k)
		for _, s := range r.Sides {
			cell := "-"
			if pc, ok := s.Profile[k]; ok && pc.Count > 0 {
				cell = fmt.Sprintf("%.2f", pc.CPUSeconds*1000/float64(pc.Count))
				if pc.Statements >= 0 && s.Replicas == 1 {
					cell += fmt.Sprintf(" / %.1f", float64(pc.Statements)/float64(pc.Count))
				}
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nCPU per request is sampled from /proc in clock ticks (10 ms) around each request, so single figures are statistical; the sums over a kind are right on average.")
	for _, s := range r.Sides {
		for _, e := range s.Load.ErrorSamples {
			fmt.Fprintf(w, "\n- %s error: `%s`", s.Target, strings.ReplaceAll(e, "`", "'"))
		}
	}
	fmt.Fprintln(w)
	for _, line := range r.Summary {
		fmt.Fprintf(w, "\n`%s`\n", line)
	}
}

func opt(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", x)
}

func machine(w *strings.Builder, m proc.Machine, v map[string]string) {
	fmt.Fprintf(w, "Machine: %s, %d cores, %.1f GiB memory, Linux %s; servers, databases and the load generator share it.\n\n", m.CPUModel, m.Cores, m.MemGiB, m.Kernel)
	fmt.Fprintf(w, "Versions: reference ZenML %s (uvicorn, one process, SQLite); zengo %s (commit %s); %s; %s.\n\n", v["zenml"], v["zengo_version"], v["zengo_commit"], v["go"], v["postgres"])
}

func versions(c *config) map[string]string {
	v := map[string]string{
		"go":            strings.TrimPrefix(proc.Output("", "go", "version"), "go version "),
		"zenml":         proc.Output("", filepath.Join(c.venv, "bin", "python"), "-c", "import zenml; print(zenml.__version__)"),
		"zengo_commit":  commit(),
		"zengo_version": proc.Output("", c.zengoBin, "version"),
	}
	if c.pgURL != "" {
		if conn, err := pgConnect(context.Background(), c.pgURL); err == nil {
			var s string
			conn.QueryRow(context.Background(), "SHOW server_version").Scan(&s)
			v["postgres"] = "PostgreSQL " + s
			conn.Close(context.Background())
		}
	}
	return v
}

func writeReport(c *config, rep any, kind string, md func(*strings.Builder), summary []string) error {
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	name := c.name
	if name == "" {
		name = kind + "-" + time.Now().UTC().Format("2006-01-02")
	}
	var b strings.Builder
	md(&b)
	if err := report.Write(c.out, name, b.String(), rep); err != nil {
		return err
	}
	for _, s := range summary {
		fmt.Println(s)
	}
	return nil
}

func commit() string {
	c := proc.Output("", "git", "rev-parse", "--short", "HEAD")
	if c == "" {
		return "unknown"
	}
	if proc.Output("", "git", "status", "--porcelain", "--", "internal", "cmd", "go.mod", "go.sum") != "" {
		c += "+uncommitted"
	}
	return c
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
