// Command apiseed creates benchmark data through the public REST API of
// any ZenML-compatible server (the reference ZenML server or zengo):
// pipelines with tags, a snapshot and runs each, spread over a few users.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"zengo/bench/internal/zenapi"
)

func main() {
	fs := flag.NewFlagSet("apiseed", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	admin := fs.String("admin", "default", "admin user")
	password := fs.String("password", "", "admin password")
	var spec zenapi.SeedSpec
	fs.IntVar(&spec.Pipelines, "pipelines", 2000, "pipelines to create")
	fs.IntVar(&spec.Tags, "tags", 3, "tags per pipeline")
	fs.IntVar(&spec.TagPool, "tag-pool", 0, "distinct tags (default 4 × tags)")
	fs.IntVar(&spec.Runs, "runs", 5, "runs per pipeline")
	fs.IntVar(&spec.Users, "users", 4, "users the data is spread over")
	fs.StringVar(&spec.Prefix, "prefix", "pipeline", "name prefix (pipelines are PREFIX-NNNNNNN)")
	fs.IntVar(&spec.Concurrency, "c", 8, "parallel requests")
	idsOut := fs.String("ids-out", "", "write the created pipeline ids to this JSON file")
	fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	spec.Progress = func(done int) { fmt.Fprintf(os.Stderr, "\r%d/%d pipelines", done, spec.Pipelines) }
	res, err := zenapi.Seed(ctx, zenapi.New(*url, spec.Concurrency), *admin, *password, spec)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiseed:", err)
		os.Exit(1)
	}
	fmt.Printf("seeded %d pipelines (%d tags, %d runs each) in %.1fs: %d requests (%.0f/s), %d retries\n",
		spec.Pipelines, spec.Tags, spec.Runs, res.Duration.Seconds(), res.Requests, float64(res.Requests)/res.Duration.Seconds(), res.Retries)
	if *idsOut != "" {
		b, _ := json.Marshal(res.PipelineIDs)
		if err := os.WriteFile(*idsOut, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "apiseed:", err)
			os.Exit(1)
		}
	}
}
