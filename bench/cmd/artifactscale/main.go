// Command artifactscale measures the artifact versions list at scale: it
// seeds BENCH_ARTIFACTS artifacts with BENCH_VERSIONS_PER_ARTIFACT versions
// each (default 100,000 × 10 = 1M versions, each tagged and with one
// metadata value) straight into a SQLite store, starts `zengo serve` on it
// and measures page 1 with the exact total as the client and the dashboard
// ask for it, at 1 and 8 workers, and writes a Markdown and a JSON report.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/proc"
	"zengo/bench/internal/storeseed"
	"zengo/bench/internal/zenapi"
	"zengo/bench/loadgen"
	"zengo/internal/store"
)

const password = "bench-Admin-Pa55"

// Row is one endpoint at one concurrency.
type Row struct {
	Name        string        `json:"name"`
	Path        string        `json:"path"`
	Concurrency int           `json:"concurrency"`
	Stats       loadgen.Stats `json:"stats"`
	Total       int           `json:"total_in_answer"`
}

func main() {
	fs := flag.NewFlagSet("artifactscale", flag.ExitOnError)
	bin := flagenv.String(fs, "zengo", "ZENGO_BIN", "bin/zengo", "zengo binary (absolute path)")
	artifacts := flagenv.Int(fs, "artifacts", "BENCH_ARTIFACTS", 100000, "artifacts to seed")
	perArtifact := flagenv.Int(fs, "versions", "BENCH_VERSIONS_PER_ARTIFACT", 10, "versions per artifact")
	dur := flagenv.Duration(fs, "duration", "BENCH_DURATION", 20*time.Second, "measured time per endpoint and concurrency")
	dataDir := flagenv.String(fs, "data", "BENCH_DATA_DIR", "", "keep the seeded store here and reuse it (default: a temporary directory)")
	out := flagenv.String(fs, "out", "BENCH_OUT", "bench/results", "results directory")
	fs.Parse(os.Args[1:])
	if err := run(*bin, *artifacts, *perArtifact, *dur, *dataDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "artifactscale:", err)
		os.Exit(1)
	}
}

func run(bin string, artifacts, perArtifact int, dur time.Duration, dataDir, out string) error {
	ctx := context.Background()
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "zengo-artscale-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	dbPath := filepath.Join(dataDir, "zengo.db")
	var seeded time.Duration
	if _, err := os.Stat(dbPath); err != nil {
		db, err := store.Open(ctx, "sqlite:///"+dbPath, store.Options{})
		if err != nil {
			return err
		}
		if err := storeseed.Initialise(ctx, db, "default", password); err != nil {
			return err
		}
		start := time.Now()
		_, err = db.SeedArtifacts(ctx, store.ArtifactSeedSpec{Artifacts: artifacts, VersionsPerArtifact: perArtifact, Progress: func(done int) {
			if done%20000 == 0 {
				fmt.Printf("seeded %d artifacts (%d versions) in %s\n", done, done*perArtifact, time.Since(start).Round(time.Second))
			}
		}})
		db.Close()
		if err != nil {
			return err
		}
		seeded = time.Since(start)
	}
	srv, err := proc.StartZengo(ctx, bin, dataDir, "", password, nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	cl := zenapi.New(srv.URL, 8)
	token, err := cl.Login(ctx, "default", password)
	if err != nil {
		return err
	}
	endpoints := []struct{ name, path string }{
		{"page 1 (the client's list)", "/api/v1/artifact_versions?page=1&size=20&sort_by=desc:created"},
		{"page 1 hydrated", "/api/v1/artifact_versions?page=1&size=20&hydrate=true&sort_by=desc:created"},
		{"one artifact's versions", "/api/v1/artifact_versions?page=1&size=20&artifact=bench-artifact-0050000&sort_by=desc:version_number"},
		{"artifacts page 1, latest version first", "/api/v1/artifacts?page=1&size=20&sort_by=desc:latest_version"},
	}
	var rows []Row
	for _, ep := range endpoints {
		var page struct {
			Total int `json:"total"`
		}
		if err := cl.Do(ctx, token, "GET", ep.path, nil, &page); err != nil {
			return fmt.Errorf("%s: %w", ep.path, err)
		}
		for _, conc := range []int{1, 8} {
			spec := &loadgen.Spec{Headers: map[string]string{"Authorization": "Bearer " + token}, Requests: []loadgen.RequestSpec{{Name: ep.name, Path: ep.path}}}
			res, err := loadgen.Run(ctx, loadgen.Config{BaseURL: srv.URL, Spec: spec, Concurrency: conc, Duration: dur, Warmup: 2 * time.Second})
			if err != nil {
				return err
			}
			rows = append(rows, Row{Name: ep.name, Path: ep.path, Concurrency: conc, Stats: res.Total, Total: page.Total})
			fmt.Printf("%-40s c=%d  total=%d  %.0f req/s  p50 %.2f ms  p99 %.2f ms  errors %d\n", ep.name, conc, page.Total,
				res.Total.RPS, res.Total.P50Ms, res.Total.P99Ms, res.Total.Errors)
		}
	}
	m := proc.DescribeMachine()
	stamp := time.Now().Format("2006-01-02")
	os.MkdirAll(out, 0o755)
	size := proc.DirSize(dataDir)
	b, _ := json.MarshalIndent(map[string]any{"machine": m, "artifacts": artifacts, "versions_per_artifact": perArtifact,
		"seed_seconds": seeded.Seconds(), "db_bytes": size, "rows": rows}, "", "  ")
	os.WriteFile(filepath.Join(out, "artifactscale-"+stamp+".json"), b, 0o644)
	var md strings.Builder
	fmt.Fprintf(&md, "# Artifact versions at scale, %s\n\nMachine: %s, %d cores, %.1f GiB. SQLite, %d artifacts × %d versions (%d versions, each tagged, one metadata value); store %.0f MiB; seeded in %s.\n\n",
		stamp, m.CPUModel, m.Cores, m.MemGiB, artifacts, perArtifact, artifacts*perArtifact, float64(size)/(1<<20), seeded.Round(time.Second))
	md.WriteString("| request | workers | total in answer | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %d | %d | %.0f | %.2f | %.2f |\n", r.Name, r.Concurrency, r.Total, r.Stats.RPS, r.Stats.P50Ms, r.Stats.P99Ms)
	}
	return os.WriteFile(filepath.Join(out, "artifactscale-"+stamp+".md"), []byte(md.String()), 0o644)
}
