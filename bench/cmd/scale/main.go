// Command scale measures zengo alone at large sizes (by default 100k and
// 1M pipelines, 5 runs and 3 tags each) on SQLite, and on PostgreSQL when
// ZENGO_BENCH_POSTGRES_URL is set. It seeds each database straight
// through the store (bench/internal/storeseed), starts `zengo serve` on
// it, runs the comparison's request mix plus a deep page, samples the
// server's memory, and writes a Markdown and a JSON report.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"zengo/bench/internal/report"

	"github.com/jackc/pgx/v5"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/mix"
	"zengo/bench/internal/proc"
	"zengo/bench/internal/storeseed"
	"zengo/bench/internal/zenapi"
	"zengo/bench/loadgen"
	"zengo/internal/store"
)

const password = "bench-Admin-Pa55"

// EndpointResult is one endpoint at one size.
type EndpointResult struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Stats       loadgen.Stats `json:"stats"`
	PeakRSSMiB  float64       `json:"peak_rss_mib"`
	Errors      []string      `json:"error_samples,omitempty"`
	Seconds     float64       `json:"measured_s"`
	Unanswered  int64         `json:"unanswered_at_end"`
}

// Case is one engine at one size.
type Case struct {
	Engine    string            `json:"engine"`
	Pipelines int               `json:"pipelines"`
	Seeding   *storeseed.Result `json:"seeding"`
	Reused    bool              `json:"reused"` // seeded by an earlier run (Seeding is that run's)
	DBSizeMiB float64           `json:"db_size_mib"`
	// Endpoints at the configured concurrency, then the latency pass.
	Endpoints  []EndpointResult `json:"endpoints"`
	Latency    []EndpointResult `json:"latency_c1"`
	PeakRSSMiB float64          `json:"peak_rss_mib"` // under load
	StartMs    float64          `json:"start_ms"`     // zengo serve start until healthy
	// Runs is the number of runs seeded (plus the DAG run), RunLists the
	// dashboard's run-scale requests at each worker count.
	Runs             int64       `json:"runs"`
	MiBPerMillionRun float64     `json:"db_mib_per_million_runs,omitempty"`
	RunLists         []RunResult `json:"run_lists,omitempty"`
}

// RunResult is one of the dashboard's requests at one worker count.
type RunResult struct {
	Name        string        `json:"name"`
	Path        string        `json:"path"`
	Concurrency int           `json:"concurrency"`
	Total       int           `json:"total_in_answer"`
	Stats       loadgen.Stats `json:"stats"`
}

// Report is the whole run.
type Report struct {
	Date     string            `json:"date"`
	Machine  proc.Machine      `json:"machine"`
	Versions map[string]string `json:"versions"`
	Config   map[string]any    `json:"config"`
	Cases    []*Case           `json:"cases"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-scale:", err)
		os.Exit(1)
	}
}

type config struct {
	sizes                      []int
	tags, runs, users, conc    int
	dur, warm, latDur          time.Duration
	deepPage                   int
	zengoBin, workdir, out, pg string
	keep, reuse                bool
	only                       []string
	totalRuns                  int64
	dagSteps                   int
	runEndpoints               []string
	runWorkers                 []int
}

func run() error {
	fs := flag.NewFlagSet("scale", flag.ExitOnError)
	sizes := flagenv.String(fs, "sizes", "SCALE_SIZES", "100000,1000000", "pipeline counts (100000, 100k, 1M)")
	engines := flagenv.String(fs, "engines", "SCALE_ENGINES", "", "sqlite and/or postgres (default: sqlite, and postgres when ZENGO_BENCH_POSTGRES_URL is set)")
	var c config
	fs.IntVar(&c.tags, "tags", 3, "tags per pipeline")
	fs.IntVar(&c.runs, "runs", 5, "runs per pipeline")
	fs.IntVar(&c.users, "users", 4, "users")
	conc := flagenv.Int(fs, "c", "SCALE_CONCURRENCY", 8, "load concurrency")
	dur := flagenv.Duration(fs, "d", "SCALE_DURATION", 10*time.Second, "measured time per endpoint")
	warm := flagenv.Duration(fs, "warmup", "SCALE_WARMUP", 2*time.Second, "warm-up per endpoint")
	latDur := flagenv.Duration(fs, "latency-d", "SCALE_LATENCY_DURATION", 5*time.Second, "measured time of the single-client latency pass of list and get (0: skip)")
	deep := flagenv.Int(fs, "deep-page", "SCALE_DEEP_PAGE", 2500, "page number (size 20) of the deep-page list")
	only := flagenv.String(fs, "endpoints", "SCALE_ENDPOINTS", "", "subset of list,list_filtered,list_page50,list_deep,get,update,create")
	zengoBin := flagenv.String(fs, "zengo-bin", "ZENGO_BIN", "", "zengo binary (default: built from ./cmd/zengo)")
	workdir := flagenv.String(fs, "workdir", "SCALE_WORKDIR", "", "where the SQLite databases go (default: a temporary directory, removed after)")
	keep := flagenv.String(fs, "keep", "SCALE_KEEP", "", "1: keep the databases (SQLite files; PostgreSQL databases zengo_bench_N) after the run")
	reuse := flagenv.String(fs, "reuse", "SCALE_REUSE", "", "1: reuse a database seeded by an earlier run with SCALE_KEEP=1 and the same SCALE_WORKDIR")
	out := flagenv.String(fs, "out", "BENCH_OUT", "bench/results", "directory of the reports")
	name := flagenv.String(fs, "name", "SCALE_NAME", "", "report file name without extension (default scale-DATE)")
	pg := flagenv.String(fs, "postgres", "ZENGO_BENCH_POSTGRES_URL", "", "PostgreSQL URL of a database whose user may create databases")
	totalRuns := flagenv.String(fs, "total-runs", "SCALE_RUNS", "", "runs in all (e.g. 10M), spread evenly over the pipelines; default: -runs per pipeline")
	dagSteps := flagenv.Int(fs, "dag-steps", "SCALE_DAG_STEPS", 500, "steps of the one run whose DAG is measured (0: none)")
	runEndpoints := flagenv.String(fs, "run-endpoints", "SCALE_RUN_ENDPOINTS", "", "subset of runs_list,pipeline_runs,pipelines_latest,dag,artifact_versions (default all; none: skip)")
	runWorkers := flagenv.String(fs, "run-workers", "SCALE_RUN_WORKERS", "1,8", "worker counts of the run-scale requests")
	fs.Parse(os.Args[1:])
	if *totalRuns != "" {
		n, err := flagenv.Ints(*totalRuns)
		if err != nil || len(n) != 1 {
			return fmt.Errorf("SCALE_RUNS: %q", *totalRuns)
		}
		c.totalRuns = int64(n[0])
	}
	c.dagSteps = *dagSteps
	c.runEndpoints = flagenv.List(*runEndpoints)
	if len(c.runEndpoints) == 0 {
		c.runEndpoints = []string{"runs_list", "pipeline_runs", "pipelines_latest", "dag", "artifact_versions"}
	}
	if ws, err := flagenv.Ints(*runWorkers); err == nil {
		c.runWorkers = ws
	} else {
		return err
	}

	var err error
	if c.sizes, err = flagenv.Ints(*sizes); err != nil {
		return err
	}
	c.conc, c.dur, c.warm, c.latDur, c.deepPage = *conc, *dur, *warm, *latDur, *deep
	c.zengoBin, c.pg, c.out = *zengoBin, *pg, *out
	c.keep, c.reuse = *keep == "1" || *keep == "true", *reuse == "1" || *reuse == "true"
	c.only = flagenv.List(*only)
	engs := flagenv.List(*engines)
	if len(engs) == 0 {
		engs = []string{"sqlite"}
		if c.pg != "" {
			engs = append(engs, "postgres")
		}
	}
	for _, e := range engs {
		if e == "postgres" && c.pg == "" {
			return fmt.Errorf("engine postgres needs ZENGO_BENCH_POSTGRES_URL")
		}
		if e != "postgres" && e != "sqlite" {
			return fmt.Errorf("unknown engine %q", e)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "zengo-bench-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	c.workdir = *workdir
	if c.workdir == "" {
		c.workdir = filepath.Join(tmp, "data")
	}
	if c.workdir, err = filepath.Abs(c.workdir); err != nil {
		return err
	}
	if c.zengoBin == "" {
		c.zengoBin = filepath.Join(tmp, "zengo")
		logf("building zengo")
		if o, err := exec.Command("go", "build", "-o", c.zengoBin, "./cmd/zengo").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, o)
		}
	}

	rep := &Report{
		Date:    time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Machine: proc.DescribeMachine(),
		Versions: map[string]string{
			"go":            strings.TrimPrefix(proc.Output("", "go", "version"), "go version "),
			"zengo_commit":  commit(),
			"zengo_version": proc.Output("", c.zengoBin, "version"),
		},
		Config: map[string]any{
			"tags_per_pipeline": c.tags, "runs_per_pipeline": c.runs, "total_runs": c.totalRuns, "dag_steps": c.dagSteps, "users": c.users, "concurrency": c.conc,
			"duration_s": c.dur.Seconds(), "warmup_s": c.warm.Seconds(), "latency_duration_s": c.latDur.Seconds(), "deep_page": c.deepPage,
		},
	}
	if c.pg != "" {
		rep.Versions["postgres"] = pgVersion(ctx, c.pg)
	}
	for _, eng := range engs {
		for _, size := range c.sizes {
			cs, err := runCase(ctx, c, eng, size)
			if err != nil {
				return fmt.Errorf("%s at %d pipelines: %w", eng, size, err)
			}
			rep.Cases = append(rep.Cases, cs)
		}
	}

	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	base := *name
	if base == "" {
		base = "scale-" + time.Now().UTC().Format("2006-01-02")
	}
	var md strings.Builder
	writeMarkdown(&md, rep)
	return report.Write(c.out, base, md.String(), rep)
}

func runCase(ctx context.Context, c config, engine string, size int) (*Case, error) {
	cs := &Case{Engine: engine, Pipelines: size}
	runsPer := c.runs
	if c.totalRuns > 0 {
		runsPer = int(max(1, c.totalRuns/int64(size)))
	}
	dir := filepath.Join(c.workdir, fmt.Sprintf("%s-%d-r%d", engine, size, runsPer))
	marker := filepath.Join(dir, "seeded.json")
	var storeURL string
	var dbName string
	switch engine {
	case "sqlite":
		storeURL = "sqlite:///" + filepath.Join(dir, "zengo.db")
	case "postgres":
		dbName = fmt.Sprintf("zengo_bench_%d_r%d", size, runsPer)
		u, err := withDatabase(c.pg, dbName)
		if err != nil {
			return nil, err
		}
		storeURL = u
	}
	reuse := false
	if c.reuse {
		if _, err := os.Stat(marker); err == nil {
			reuse = true
		}
	}
	if !reuse {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if engine == "postgres" {
			if err := recreateDatabase(ctx, c.pg, dbName); err != nil {
				return nil, err
			}
		}
		logf("%s %d: seeding through the store (%d tags, 1 snapshot, %d runs per pipeline)", engine, size, c.tags, runsPer)
		began := time.Now()
		res, err := storeseed.Run(ctx, storeseed.Options{StoreURL: storeURL, AdminPassword: password, DAGSteps: c.dagSteps, Spec: store.SeedSpec{
			Pipelines: size, TagsPerPipeline: c.tags, TagPool: 4 * c.tags, RunsPerPipeline: runsPer, Users: c.users, NamePrefix: "pipeline",
			Progress: func(done int) {
				if done%20000 == 0 || done == size {
					el := time.Since(began).Seconds()
					fmt.Fprintf(os.Stderr, "\r  %d/%d pipelines, %.0fs, %.0f/s   ", done, size, el, float64(done)/el)
				}
			},
		}})
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		cs.Seeding = res
		logf("  seeded in %.1fs (%.0f pipelines/s, %.0f rows/s)", res.Seconds, res.PipelinesPS, res.RowsPS)
		b, _ := json.Marshal(res)
		os.WriteFile(marker, b, 0o644)
	} else {
		logf("%s %d: reusing the database seeded earlier in %s", engine, size, dir)
		cs.Reused = true
		if b, err := os.ReadFile(marker); err == nil {
			var r storeseed.Result
			if json.Unmarshal(b, &r) == nil {
				cs.Seeding = &r
			}
		}
	}
	if !c.keep {
		defer func() {
			os.RemoveAll(dir)
			if engine == "postgres" {
				dropDatabase(context.Background(), c.pg, dbName)
			}
		}()
	}

	began := time.Now()
	srvStore := storeURL
	s, err := proc.StartZengo(ctx, c.zengoBin, dir, srvStore, password, nil)
	if err != nil {
		return nil, err
	}
	defer s.Stop()
	cs.StartMs = round1(float64(time.Since(began).Microseconds()) / 1000)
	sampler := proc.NewSampler(s.Pid(), 100*time.Millisecond)
	defer sampler.Stop()

	cl := zenapi.New(s.URL, 1)
	token, err := cl.Login(ctx, "default", password)
	if err != nil {
		return nil, err
	}
	project, _, err := cl.ProjectAndStack(ctx, token)
	if err != nil {
		return nil, err
	}
	ids, err := sampleIDs(ctx, cl, token, size, 10, 100)
	if err != nil {
		return nil, err
	}
	deep := c.deepPage
	if pages := size / 20; deep > pages {
		deep = pages
	}
	p := mix.Params{Token: token, ProjectID: project, PipelineIDs: ids, Prefix: "pipeline", Pipelines: size, DeepPage: deep}
	var peak int64
	for _, ep := range mix.Endpoints(p, c.only) {
		logf("%s %d: %-13s %d workers, %s + %s warm-up", engine, size, ep.Name, c.conc, c.dur, c.warm)
		sampler.Reset()
		res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: s.URL, Spec: ep.Spec, Concurrency: c.conc, Duration: c.dur, Warmup: c.warm,
			MinRequests: int64(2 * c.conc), Timeout: 5 * time.Minute})
		if err != nil {
			return nil, err
		}
		pk := sampler.Peak()
		peak = max(peak, pk)
		cs.Endpoints = append(cs.Endpoints, EndpointResult{Name: ep.Name, Description: ep.Description, Stats: res.Total, PeakRSSMiB: mib(pk), Errors: res.ErrorSamples,
			Seconds: res.DurationSec, Unanswered: res.InFlightAtEnd})
		logf("  %.1f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, peak RSS %.0f MiB", res.Total.RPS, res.Total.P50Ms, res.Total.P99Ms, res.Total.Errors, mib(pk))
		for _, e := range res.ErrorSamples {
			logf("    %s", e)
		}
	}
	if cs.Seeding != nil {
		cs.Runs = cs.Seeding.Runs
		if cs.Seeding.DAGRunID != "" {
			cs.Runs++
		}
	}
	if len(c.runEndpoints) > 0 && c.runEndpoints[0] != "none" {
		rl, err := runLists(ctx, c, s.URL, cl, token, ids, cs)
		if err != nil {
			return nil, err
		}
		cs.RunLists = rl
	}
	if c.latDur > 0 {
		for _, ep := range mix.Endpoints(p, []string{"list", "list_filtered", "get"}) {
			logf("%s %d: %-13s 1 worker (latency), %s", engine, size, ep.Name, c.latDur)
			res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: s.URL, Spec: ep.Spec, Concurrency: 1, Duration: c.latDur, Warmup: time.Second,
				MinRequests: 5, Timeout: 5 * time.Minute})
			if err != nil {
				return nil, err
			}
			cs.Latency = append(cs.Latency, EndpointResult{Name: ep.Name, Description: ep.Description, Stats: res.Total, Seconds: res.DurationSec, Unanswered: res.InFlightAtEnd})
			logf("  %.1f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", res.Total.RPS, res.Total.P50Ms, res.Total.P99Ms, res.Total.Errors)
		}
	}
	cs.PeakRSSMiB = mib(peak)
	switch engine {
	case "sqlite":
		cs.DBSizeMiB = round1(float64(proc.DirSize(dir)-fileSize(filepath.Join(dir, "zengo.log"))-fileSize(marker)) / (1 << 20))
	case "postgres":
		cs.DBSizeMiB = round1(float64(pgDatabaseSize(ctx, storeURL)) / (1 << 20))
	}
	if cs.Runs > 0 {
		cs.MiBPerMillionRun = round1(cs.DBSizeMiB / (float64(cs.Runs) / 1e6))
	}
	logf("%s %d: database %.0f MiB, peak RSS under load %.0f MiB", engine, size, cs.DBSizeMiB, cs.PeakRSSMiB)
	return cs, nil
}

// runLists measures the dashboard's requests where runs are many: the
// runs page (page 1 with its exact total, sorted by last update, as the
// dashboard asks), a pipeline's runs page, the pipelines page by latest
// run, the DAG of the seeded many-step run and the artifact versions page,
// each at every worker count of c.runWorkers.
func runLists(ctx context.Context, c config, base string, cl *zenapi.Client, token string, ids []string, cs *Case) ([]RunResult, error) {
	dag := ""
	if cs.Seeding != nil {
		dag = cs.Seeding.DAGRunID
	}
	all := []struct{ name, path string }{
		{"runs_list", "/api/v1/runs?page=1&sort_by=desc:updated"},
		{"pipeline_runs", `/api/v1/runs?pipeline_id={{pick "ids"}}&page=1&sort_by=desc:updated`},
		{"pipelines_latest", "/api/v1/pipelines?page=1&sort_by=desc:latest_run"},
		{"dag", "/api/v1/runs/" + dag + "/dag"},
		{"artifact_versions", "/api/v1/artifact_versions?page=1&size=20&sort_by=desc:created"},
	}
	var out []RunResult
	for _, ep := range all {
		if !slices.Contains(c.runEndpoints, ep.name) || (ep.name == "dag" && dag == "") {
			continue
		}
		var page struct {
			Total int `json:"total"`
		}
		first := strings.ReplaceAll(ep.path, `{{pick "ids"}}`, ids[0])
		if err := cl.Do(ctx, token, "GET", first, nil, &page); err != nil {
			return nil, fmt.Errorf("%s: %w", first, err)
		}
		for _, w := range c.runWorkers {
			logf("%s %d: %-17s %d workers, %s + %s warm-up", cs.Engine, cs.Pipelines, ep.name, w, c.dur, c.warm)
			spec := &loadgen.Spec{Headers: map[string]string{"Authorization": "Bearer " + token}, Vars: map[string][]string{"ids": ids},
				Requests: []loadgen.RequestSpec{{Name: ep.name, Path: ep.path}}}
			res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: base, Spec: spec, Concurrency: w, Duration: c.dur, Warmup: c.warm,
				MinRequests: int64(2 * w), Timeout: 5 * time.Minute})
			if err != nil {
				return nil, err
			}
			logf("  total %d: %.1f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", page.Total, res.Total.RPS, res.Total.P50Ms, res.Total.P99Ms, res.Total.Errors)
			for _, e := range res.ErrorSamples {
				logf("    %s", e)
			}
			out = append(out, RunResult{Name: ep.name, Path: ep.path, Concurrency: w, Total: page.Total, Stats: res.Total})
		}
	}
	return out, nil
}

// sampleIDs reads n random pages of the pipeline list (without
// hydration) to get ids to get and update.
func sampleIDs(ctx context.Context, cl *zenapi.Client, token string, total, n, size int) ([]string, error) {
	pages := max(1, total/size)
	var ids []string
	for i := 0; i < n; i++ {
		var page zenapi.Page
		if err := cl.Do(ctx, token, "GET", fmt.Sprintf("/api/v1/pipelines?hydrate=false&size=%d&page=%d", size, 1+rand.IntN(pages)), nil, &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no pipelines listed")
	}
	return ids, nil
}

func writeMarkdown(w io.Writer, r *Report) {
	c := r.Config
	fmt.Fprintf(w, "# zengo at scale: %s\n\n", r.Date)
	fmt.Fprintf(w, "Machine: %s, %d cores, %.1f GiB memory, Linux %s. Server, load generator and database share the machine.\n\n", r.Machine.CPUModel, r.Machine.Cores, r.Machine.MemGiB, r.Machine.Kernel)
	fmt.Fprintf(w, "Versions: zengo %s (commit %s); %s", r.Versions["zengo_version"], r.Versions["zengo_commit"], r.Versions["go"])
	if v := r.Versions["postgres"]; v != "" {
		fmt.Fprintf(w, "; %s", v)
	}
	fmt.Fprintf(w, ".\n\nData, seeded straight through the store (`store.DB.Seed`): N pipelines, %v tags, 1 snapshot and %v runs each, over %v users. Load: closed loop, %v workers on kept-alive connections, %vs measured after %vs warm-up per endpoint (stretched, up to 6×, until 2 requests per worker completed); then one worker for %vs (at least 5 requests) on list, list_filtered and get (latency). Peak RSS is zengo's only (not PostgreSQL's).\n\n",
		c["tags_per_pipeline"], c["runs_per_pipeline"], c["users"], c["concurrency"], c["duration_s"], c["warmup_s"], c["latency_duration_s"])
	for _, cs := range r.Cases {
		fmt.Fprintf(w, "## %s, %d pipelines\n\n", cs.Engine, cs.Pipelines)
		if cs.Seeding != nil {
			fmt.Fprintf(w, "Seeding: %.1f s (%.0f pipelines/s, %.0f rows/s, %d rows)", cs.Seeding.Seconds, cs.Seeding.PipelinesPS, cs.Seeding.RowsPS, cs.Seeding.Rows)
		}
		if cs.Reused {
			fmt.Fprintf(w, ", by an earlier run whose database was reused (it also holds the pipelines that run's `create` made)")
		}
		fmt.Fprintf(w, ". ")
		fmt.Fprintf(w, "Database size after the run: %.0f MiB. zengo start to healthy: %.0f ms. Peak RSS under load: **%.0f MiB**.\n\n", cs.DBSizeMiB, cs.StartMs, cs.PeakRSSMiB)
		fmt.Fprintf(w, "| endpoint | workers | requests | s | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, e := range cs.Endpoints {
			fmt.Fprintf(w, "| %s | %v | %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %d | %.0f |\n", e.Name, c["concurrency"], e.Stats.Requests, e.Seconds, e.Stats.RPS, e.Stats.P50Ms, e.Stats.P90Ms, e.Stats.P99Ms, e.Stats.MaxMs, e.Stats.Errors, e.PeakRSSMiB)
		}
		for _, e := range cs.Latency {
			fmt.Fprintf(w, "| %s | 1 | %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %d | |\n", e.Name, e.Stats.Requests, e.Seconds, e.Stats.RPS, e.Stats.P50Ms, e.Stats.P90Ms, e.Stats.P99Ms, e.Stats.MaxMs, e.Stats.Errors)
		}
		fmt.Fprintln(w)
		for _, e := range cs.Endpoints {
			fmt.Fprintf(w, "- `%s`: %s\n", e.Name, e.Description)
		}
		fmt.Fprintln(w)
		if len(cs.RunLists) > 0 {
			fmt.Fprintf(w, "Runs: %d (database %.0f MiB per million runs).\n\n", cs.Runs, cs.MiBPerMillionRun)
			fmt.Fprintf(w, "| request | workers | total in answer | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, e := range cs.RunLists {
				fmt.Fprintf(w, "| %s | %d | %d | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %d |\n", e.Name, e.Concurrency, e.Total, e.Stats.Requests, e.Stats.RPS, e.Stats.P50Ms, e.Stats.P90Ms, e.Stats.P99Ms, e.Stats.MaxMs, e.Stats.Errors)
			}
			fmt.Fprintln(w)
			for _, e := range cs.RunLists {
				if e.Concurrency == cs.RunLists[0].Concurrency {
					fmt.Fprintf(w, "- `%s`: `GET %s`\n", e.Name, e.Path)
				}
			}
			fmt.Fprintln(w)
		}
	}
}

// withDatabase returns the URL naming another database.
func withDatabase(raw, db string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("ZENGO_BENCH_POSTGRES_URL: %w", err)
	}
	u.Path = "/" + db
	return u.String(), nil
}

func pgConnect(ctx context.Context, raw string) (*pgx.Conn, error) {
	// pgx does not know the postgresql+driver forms SQLAlchemy users write.
	if i := strings.Index(raw, "://"); i > 0 {
		raw = "postgres" + raw[i:]
	}
	return pgx.Connect(ctx, raw)
}

func recreateDatabase(ctx context.Context, admin, name string) error {
	conn, err := pgConnect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

func dropDatabase(ctx context.Context, admin, name string) {
	conn, err := pgConnect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize())
}

func pgDatabaseSize(ctx context.Context, raw string) int64 {
	conn, err := pgConnect(ctx, raw)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var n int64
	conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n
}

func pgVersion(ctx context.Context, raw string) string {
	conn, err := pgConnect(ctx, raw)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var v string
	conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return "PostgreSQL " + v
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
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

func mib(kib int64) float64 { return round1(float64(kib) / 1024) }

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
