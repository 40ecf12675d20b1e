// Command compare measures zengo against the reference ZenML 0.98.0
// server side by side: it starts both on this machine, seeds both with
// the same data through the API, sends each the same requests, one
// endpoint at a time at the same concurrency, samples their memory, and
// writes a Markdown and a JSON report to bench/results/.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"zengo/bench/internal/report"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/floor"
	"zengo/bench/internal/mix"
	"zengo/bench/internal/pgdb"
	"zengo/bench/internal/proc"
	"zengo/bench/internal/zenapi"
	"zengo/bench/loadgen"
)

const password = "bench-Admin-Pa55"

// Side is one server's figures for one endpoint.
type Side struct {
	Stats      loadgen.Stats `json:"stats"`
	PeakRSSMiB float64       `json:"peak_rss_mib"`
	Errors     []string      `json:"error_samples,omitempty"`
	// CPUMsPerRequest is the server's CPU time (user + system, its process
	// tree) over the measured and warm-up requests, per request: robust
	// where throughput is not, on a machine other work shares.
	CPUMsPerRequest float64 `json:"cpu_ms_per_request"`
}

// EndpointResult compares the servers on one endpoint.
type EndpointResult struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Reference   Side    `json:"reference"`
	Zengo       Side    `json:"zengo"`
	Ratio       float64 `json:"throughput_ratio"` // zengo req/s ÷ reference req/s
	// OfFloor is zengo's req/s ÷ the floor's (bench/cmd/floor).
	OfFloor float64 `json:"zengo_of_floor,omitempty"`
}

// Floor is the floor server's figures (bench/cmd/floor): a bare read of
// one row by id from SQLite over HTTP under the same load.
type Floor struct {
	Stats           loadgen.Stats `json:"stats"`
	PeakRSSMiB      float64       `json:"peak_rss_mib"`
	CPUMsPerRequest float64       `json:"cpu_ms_per_request"`
}

// Seeding is how long a server took to seed.
type Seeding struct {
	Seconds  float64 `json:"seconds"`
	Requests int64   `json:"requests"`
	RPS      float64 `json:"requests_per_s"`
	Retries  int64   `json:"retries"`
}

// Report is the whole comparison.
type Report struct {
	Date     string            `json:"date"`
	Machine  proc.Machine      `json:"machine"`
	Versions map[string]string `json:"versions"`
	Config   map[string]any    `json:"config"`
	Seeding  map[string]Seeding
	// Endpoints in the order measured.
	Endpoints []EndpointResult `json:"endpoints"`
	// Peak RSS (sum of VmRSS over the server process and its children,
	// sampled every 100 ms) while the endpoints were measured, and over
	// the server's whole life (seeding included).
	RSS     map[string]float64 `json:"rss_mib"`
	Floor   *Floor             `json:"floor,omitempty"`
	Summary string             `json:"summary"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-compare:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	pipelines := flagenv.Int(fs, "pipelines", "BENCH_PIPELINES", 2000, "pipelines to seed")
	tags := flagenv.Int(fs, "tags", "BENCH_TAGS", 3, "tags per pipeline")
	runs := flagenv.Int(fs, "runs", "BENCH_RUNS", 5, "runs per pipeline")
	users := flagenv.Int(fs, "users", "BENCH_USERS", 4, "users the data is spread over")
	seedConc := flagenv.Int(fs, "seed-concurrency", "BENCH_SEED_CONCURRENCY", 8, "parallel requests while seeding")
	conc := flagenv.Int(fs, "c", "BENCH_CONCURRENCY", 8, "load concurrency (same for both servers)")
	dur := flagenv.Duration(fs, "d", "BENCH_DURATION", 10*time.Second, "measured time per endpoint and server")
	warm := flagenv.Duration(fs, "warmup", "BENCH_WARMUP", 2*time.Second, "warm-up per endpoint and server")
	only := flagenv.String(fs, "endpoints", "BENCH_ENDPOINTS", "", "comma-separated subset of list,list_filtered,list_page50,get,update,create")
	zengoBin := flagenv.String(fs, "zengo-bin", "ZENGO_BIN", "", "zengo binary (default: built from ./cmd/zengo)")
	venv := flagenv.String(fs, "venv", "BENCH_VENV", ".venv", "virtualenv with zenml[server]==0.98.0")
	out := flagenv.String(fs, "out", "BENCH_OUT", "bench/results", "directory of the reports")
	pgURL := flagenv.String(fs, "postgres", "BENCH_POSTGRES_URL", "", "run zengo on PostgreSQL: a database zengo_compare_PID is made next to the one in this URL (its user may create databases) and dropped after")
	withFloor := flagenv.Int(fs, "floor", "BENCH_FLOOR", 1, "1: measure the floor server (bench/cmd/floor) too; 0: not")
	name := flagenv.String(fs, "name", "BENCH_NAME", "", "report file name (default compare-DATE, compare-postgres-DATE on PostgreSQL)")
	fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, err := os.MkdirTemp("", "zengo-bench-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	venvAbs, _ := filepath.Abs(*venv)
	if _, err := os.Stat(filepath.Join(venvAbs, "bin", "uvicorn")); err != nil {
		return fmt.Errorf("no reference server in %s (%v): run `make venv` first", venvAbs, err)
	}
	engine, storeURL := "sqlite", ""
	if *pgURL != "" {
		engine = "postgres"
		dbName := fmt.Sprintf("zengo_compare_%d", os.Getpid())
		if storeURL, err = pgdb.WithDatabase(*pgURL, dbName); err != nil {
			return err
		}
		if err := pgdb.Recreate(ctx, *pgURL, dbName); err != nil {
			return fmt.Errorf("create database %s: %w", dbName, err)
		}
		defer pgdb.Drop(context.WithoutCancel(ctx), *pgURL, dbName)
	}
	if *zengoBin == "" {
		*zengoBin = filepath.Join(work, "zengo")
		logf("building zengo")
		if o, err := combined("", "go", "build", "-o", *zengoBin, "./cmd/zengo"); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, o)
		}
	}

	rep := &Report{
		Date:    time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Machine: proc.DescribeMachine(),
		Versions: map[string]string{
			"go":            strings.TrimPrefix(proc.Output("", "go", "version"), "go version "),
			"zenml":         proc.Output("", filepath.Join(venvAbs, "bin", "python"), "-c", "import zenml; print(zenml.__version__)"),
			"zengo_commit":  commit(),
			"zengo_version": proc.Output("", *zengoBin, "version"),
		},
		Config: map[string]any{
			"pipelines": *pipelines, "tags_per_pipeline": *tags, "runs_per_pipeline": *runs, "users": *users,
			"concurrency": *conc, "duration_s": dur.Seconds(), "warmup_s": warm.Seconds(), "seed_concurrency": *seedConc,
			"zengo_engine": engine,
		},
		Seeding: map[string]Seeding{},
		RSS:     map[string]float64{},
	}

	logf("starting the reference server and zengo")
	type started struct {
		s   *proc.Server
		err error
	}
	refc := make(chan started, 1)
	go func() {
		s, err := proc.StartReference(ctx, venvAbs, filepath.Join(work, "reference"), password)
		refc <- started{s, err}
	}()
	if engine == "postgres" {
		rep.Versions["postgres"] = pgdb.Version(ctx, *pgURL)
	}
	zg, err := proc.StartZengo(ctx, *zengoBin, filepath.Join(work, "zengo"), storeURL, password, nil)
	if err != nil {
		return err
	}
	defer zg.Stop()
	zgSampler := proc.NewSampler(zg.Pid(), 100*time.Millisecond)
	defer zgSampler.Stop()
	r := <-refc
	if r.err != nil {
		return r.err
	}
	ref := r.s
	defer ref.Stop()
	refSampler := proc.NewSampler(ref.Pid(), 100*time.Millisecond)
	defer refSampler.Stop()

	spec := zenapi.SeedSpec{Pipelines: *pipelines, Tags: *tags, Runs: *runs, Users: *users, Concurrency: *seedConc, Prefix: "pipeline"}
	seeded := map[string]*zenapi.SeedResult{}
	for _, s := range []*proc.Server{zg, ref} {
		logf("seeding %s through the API: %d pipelines × (%d tags, 1 snapshot, %d runs), %d users, %d parallel requests", s.Kind, *pipelines, *tags, *runs, *users, *seedConc)
		sp := spec
		began := time.Now()
		sp.Progress = func(done int) {
			fmt.Fprintf(os.Stderr, "\r  %s: %d/%d pipelines, %.0fs", s.Kind, done, sp.Pipelines, time.Since(began).Seconds())
		}
		res, err := zenapi.Seed(ctx, zenapi.New(s.URL, *seedConc), "default", password, sp)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return fmt.Errorf("seeding %s: %w\n%s", s.Kind, err, s.LogTail(2000))
		}
		seeded[s.Kind] = res
		rep.Seeding[s.Kind] = Seeding{Seconds: round1(res.Duration.Seconds()), Requests: res.Requests,
			RPS: round1(float64(res.Requests) / res.Duration.Seconds()), Retries: res.Retries}
		logf("  %s seeded in %.1fs (%d requests, %.0f/s, %d retries)", s.Kind, res.Duration.Seconds(), res.Requests, float64(res.Requests)/res.Duration.Seconds(), res.Retries)
	}

	params := map[string]mix.Params{}
	for _, s := range []*proc.Server{ref, zg} {
		token, err := zenapi.New(s.URL, 1).Login(ctx, "default", password)
		if err != nil {
			return err
		}
		params[s.Kind] = mix.Params{Token: token, ProjectID: seeded[s.Kind].ProjectID, PipelineIDs: seeded[s.Kind].PipelineIDs,
			Prefix: "pipeline", Pipelines: *pipelines}
	}
	peakLoad := map[string]int64{}
	refEps := mix.Endpoints(params["reference"], flagenv.List(*only))
	zgEps := mix.Endpoints(params["zengo"], flagenv.List(*only))
	for i := range refEps {
		er := EndpointResult{Name: refEps[i].Name, Description: refEps[i].Description}
		for _, side := range []struct {
			s       *proc.Server
			sampler *proc.Sampler
			ep      mix.Endpoint
			into    *Side
		}{{ref, refSampler, refEps[i], &er.Reference}, {zg, zgSampler, zgEps[i], &er.Zengo}} {
			logf("%-13s %-9s %d workers, %s + %s warm-up", side.ep.Name, side.s.Kind, *conc, *dur, *warm)
			side.sampler.Reset()
			cpu0 := proc.CPUSeconds(side.s.Pid())
			res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: side.s.URL, Spec: side.ep.Spec, Concurrency: *conc, Duration: *dur, Warmup: *warm,
				MinRequests: int64(2 * *conc), Timeout: 5 * time.Minute})
			if err != nil {
				return err
			}
			cpu := proc.CPUSeconds(side.s.Pid()) - cpu0
			peak := side.sampler.Peak()
			peakLoad[side.s.Kind] = max(peakLoad[side.s.Kind], peak)
			*side.into = Side{Stats: res.Total, PeakRSSMiB: mib(peak), Errors: res.ErrorSamples, CPUMsPerRequest: cpuPerRequest(cpu, res, *warm)}
			logf("  %.1f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, peak RSS %.0f MiB, %.3f ms CPU per request", res.Total.RPS, res.Total.P50Ms, res.Total.P99Ms, res.Total.Errors, mib(peak), side.into.CPUMsPerRequest)
			for _, e := range res.ErrorSamples {
				logf("    %s", e)
			}
		}
		if er.Reference.Stats.RPS > 0 {
			er.Ratio = round1(er.Zengo.Stats.RPS / er.Reference.Stats.RPS)
		}
		rep.Endpoints = append(rep.Endpoints, er)
	}
	if *withFloor != 0 {
		// The floor, loaded like `get`: the least a request costs here.
		floorBin := filepath.Join(work, "floor")
		logf("building and measuring the floor server (bench/cmd/floor)")
		if o, err := combined("", "go", "build", "-o", floorBin, "./bench/cmd/floor"); err != nil {
			return fmt.Errorf("go build floor: %v\n%s", err, o)
		}
		fl, err := measureFloor(ctx, floorBin, filepath.Join(work, "floor-data"), *pipelines, loadgen.Config{Concurrency: *conc, Duration: *dur, Warmup: *warm, Timeout: time.Minute})
		if err != nil {
			return err
		}
		rep.Floor = fl
		logf("  floor %.1f req/s, p50 %.2f ms, p99 %.2f ms, %.3f ms CPU per request", fl.Stats.RPS, fl.Stats.P50Ms, fl.Stats.P99Ms, fl.CPUMsPerRequest)
		for i := range rep.Endpoints {
			if fl.Stats.RPS > 0 {
				rep.Endpoints[i].OfFloor = math.Round(rep.Endpoints[i].Zengo.Stats.RPS/fl.Stats.RPS*1000) / 1000
			}
		}
	}
	rep.RSS["reference_load_peak"] = mib(peakLoad["reference"])
	rep.RSS["zengo_load_peak"] = mib(peakLoad["zengo"])
	rep.RSS["reference_overall_peak"] = mib(refSampler.OverallPeak())
	rep.RSS["zengo_overall_peak"] = mib(zgSampler.OverallPeak())
	rssRatio := 0.0
	if peakLoad["zengo"] > 0 {
		rssRatio = float64(peakLoad["reference"]) / float64(peakLoad["zengo"])
	}
	rep.RSS["ratio"] = round1(rssRatio)

	var parts []string
	for _, e := range rep.Endpoints {
		parts = append(parts, fmt.Sprintf("%s=%.1fx", e.Name, e.Ratio))
	}
	parts = append(parts, fmt.Sprintf("rss=%.1fx", rssRatio))
	if rep.Floor != nil {
		for _, e := range rep.Endpoints {
			if e.Name == "get" {
				parts = append(parts, fmt.Sprintf("get_of_floor=%.1f%%", e.OfFloor*100))
			}
		}
	}
	rep.Summary = "bench-compare summary: " + strings.Join(parts, " ")

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("2006-01-02")
	base := *name
	if base == "" {
		base = "compare-" + stamp
		if engine == "postgres" {
			base = "compare-postgres-" + stamp
		}
	}
	var md strings.Builder
	writeMarkdown(&md, rep)
	if err := report.Write(*out, base, md.String(), rep); err != nil {
		return err
	}
	fmt.Println(rep.Summary)
	return nil
}

func writeMarkdown(w io.Writer, r *Report) {
	c := r.Config
	fmt.Fprintf(w, "# zengo vs reference ZenML: %s\n\n", r.Date)
	fmt.Fprintf(w, "Machine: %s, %d cores, %.1f GiB memory, Linux %s. Server, load generator and seeder share the machine.\n\n", r.Machine.CPUModel, r.Machine.Cores, r.Machine.MemGiB, r.Machine.Kernel)
	store := "embedded SQLite"
	if c["zengo_engine"] == "postgres" {
		store = "PostgreSQL " + r.Versions["postgres"] + " on this machine"
	}
	fmt.Fprintf(w, "Versions: reference ZenML %s (uvicorn, one process, SQLite); zengo %s (commit %s, %s); %s.\n\n", r.Versions["zenml"], r.Versions["zengo_version"], r.Versions["zengo_commit"], store, r.Versions["go"])
	fmt.Fprintf(w, "Data, seeded identically through the API on both: %v pipelines, %v tags, 1 snapshot and %v runs each, over %v users.\n", c["pipelines"], c["tags_per_pipeline"], c["runs_per_pipeline"], c["users"])
	for _, k := range []string{"reference", "zengo"} {
		if s, ok := r.Seeding[k]; ok {
			fmt.Fprintf(w, "Seeding %s: %.1f s (%d requests, %.0f requests/s, %d parallel, %d retries).\n", k, s.Seconds, s.Requests, s.RPS, c["seed_concurrency"], s.Retries)
		}
	}
	fmt.Fprintf(w, "\nLoad: closed loop, %v workers on kept-alive connections, %vs measured after %vs warm-up, per endpoint and server; admin bearer token.\n\n", c["concurrency"], c["duration_s"], c["warmup_s"])
	fmt.Fprintln(w, "| endpoint | reference req/s | zengo req/s | zengo/ref | ref p50 ms | zengo p50 ms | ref p99 ms | zengo p99 ms | CPU ms/req ref / zengo | zengo of floor | errors ref/zengo |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, e := range r.Endpoints {
		fmt.Fprintf(w, "| %s | %.1f | %.1f | **%.1f×** | %.2f | %.2f | %.2f | %.2f | %.3f / %.3f | %.1f%% | %d/%d |\n", e.Name, e.Reference.Stats.RPS, e.Zengo.Stats.RPS, e.Ratio,
			e.Reference.Stats.P50Ms, e.Zengo.Stats.P50Ms, e.Reference.Stats.P99Ms, e.Zengo.Stats.P99Ms,
			e.Reference.CPUMsPerRequest, e.Zengo.CPUMsPerRequest, e.OfFloor*100, e.Reference.Stats.Errors, e.Zengo.Stats.Errors)
	}
	if f := r.Floor; f != nil {
		fmt.Fprintf(w, "\nFloor (bench/cmd/floor: a Go HTTP server reading one row by id from a SQLite file of %v rows with zengo's driver and pragmas, a prepared statement, JSON answer; same load): %.1f req/s, p50 %.2f ms, p99 %.2f ms, %.3f ms CPU per request, peak RSS %.0f MiB. \"zengo of floor\" is zengo's req/s ÷ the floor's.\n",
			c["pipelines"], f.Stats.RPS, f.Stats.P50Ms, f.Stats.P99Ms, f.CPUMsPerRequest, f.PeakRSSMiB)
	}
	fmt.Fprintln(w)
	for _, e := range r.Endpoints {
		fmt.Fprintf(w, "- `%s`: %s\n", e.Name, e.Description)
	}
	fmt.Fprintf(w, "\nPeak RSS under load (VmRSS of the server process and its children, sampled every 100 ms): reference %.0f MiB, zengo %.0f MiB, ratio **%.1f×**. Over the servers' whole life, seeding included: reference %.0f MiB, zengo %.0f MiB.\n\n",
		r.RSS["reference_load_peak"], r.RSS["zengo_load_peak"], r.RSS["ratio"], r.RSS["reference_overall_peak"], r.RSS["zengo_overall_peak"])
	fmt.Fprintf(w, "Per endpoint peak RSS (MiB), reference / zengo: ")
	var ps []string
	for _, e := range r.Endpoints {
		ps = append(ps, fmt.Sprintf("%s %.0f / %.0f", e.Name, e.Reference.PeakRSSMiB, e.Zengo.PeakRSSMiB))
	}
	fmt.Fprintf(w, "%s.\n\n`%s`\n", strings.Join(ps, ", "), r.Summary)
}

// cpuPerRequest is the CPU seconds taken over warm-up and measured time
// per request, in ms; the requests of the warm-up (not counted by the load
// generator) are taken to have come at the measured rate.
func cpuPerRequest(cpuSeconds float64, res *loadgen.Result, warmup time.Duration) float64 {
	n := res.Total.RPS * (res.DurationSec + warmup.Seconds())
	if n <= 0 {
		return 0
	}
	return math.Round(cpuSeconds/float64(n)*1e6) / 1e3
}

func measureFloor(ctx context.Context, bin, dir string, rows int, cfg loadgen.Config) (*Floor, error) {
	var cpu float64
	res, peak, err := floor.Measure(ctx, bin, dir, rows, cfg, func(pid int, running bool) {
		if running {
			cpu = proc.CPUSeconds(pid)
		} else {
			cpu = proc.CPUSeconds(pid) - cpu
		}
	})
	if err != nil {
		return nil, err
	}
	return &Floor{Stats: res.Total, PeakRSSMiB: mib(peak), CPUMsPerRequest: cpuPerRequest(cpu, res, cfg.Warmup)}, nil
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

func combined(dir, name string, args ...string) (string, error) {
	cmd := execCommand(name, args...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	return string(b), err
}

func mib(kib int64) float64 { return round1(float64(kib) / 1024) }

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
