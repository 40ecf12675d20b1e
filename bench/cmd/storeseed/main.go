// Command storeseed fills a zengo database straight through the store
// (store.DB.Seed) with the same shape of data as apiseed makes through the
// API, at sizes (a million pipelines) the API would take hours to reach.
// It initialises a new database the way `zengo serve` does on first start.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"zengo/bench/internal/storeseed"
	"zengo/internal/store"
)

func main() {
	fs := flag.NewFlagSet("storeseed", flag.ExitOnError)
	storeURL := fs.String("store", "", "database URL (sqlite:////abs/path.db, postgresql://...); default: zengo.db in -data-dir")
	dataDir := fs.String("data-dir", "", "zengo data directory (for the default SQLite file)")
	password := fs.String("admin-password", "", "password of the admin user 'default' if the database is new")
	var spec store.SeedSpec
	fs.IntVar(&spec.Pipelines, "pipelines", 100000, "pipelines to create")
	fs.IntVar(&spec.TagsPerPipeline, "tags", 3, "tags per pipeline")
	fs.IntVar(&spec.TagPool, "tag-pool", 12, "distinct tags")
	fs.IntVar(&spec.RunsPerPipeline, "runs", 5, "runs per pipeline")
	fs.IntVar(&spec.Users, "users", 4, "users the data is spread over")
	fs.StringVar(&spec.NamePrefix, "prefix", "pipeline", "name prefix (pipelines are PREFIX-NNNNNNN; users and tags PREFIX-user-N, PREFIX-tag-N, so use a new prefix to seed the same database twice)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Parse(os.Args[1:])

	if *storeURL == "" {
		if *dataDir == "" {
			fmt.Fprintln(os.Stderr, "storeseed: give -store or -data-dir")
			os.Exit(2)
		}
		abs, _ := filepath.Abs(*dataDir)
		os.MkdirAll(abs, 0o755)
		*storeURL = "sqlite:///" + filepath.Join(abs, "zengo.db")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	spec.Progress = func(done int) {
		if done%10000 == 0 || done == spec.Pipelines {
			el := time.Since(began).Seconds()
			fmt.Fprintf(os.Stderr, "\r%d/%d pipelines, %.0fs, %.0f/s   ", done, spec.Pipelines, el, float64(done)/el)
		}
	}
	res, err := storeseed.Run(ctx, storeseed.Options{StoreURL: *storeURL, AdminPassword: *password, Spec: spec})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "storeseed:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("seeded %d pipelines (%d rows) in %.1fs: %.0f pipelines/s, %.0f rows/s\n", res.Pipelines, res.Rows, res.Seconds, res.PipelinesPS, res.RowsPS)
}
