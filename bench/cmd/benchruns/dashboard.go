package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/runreplay"
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
	d.pages = flagenv.String(fs, "pages", "BENCH_DASH_PAGES", "50,100,200,400,800,1600,3200,6400", "open run pages at each step of the ramp")
	d.stepDur = flagenv.Duration(fs, "page-step", "BENCH_DASH_STEP_DURATION", 20*time.Second, "time per step of the ramp")
	d.runWorkers = flagenv.Int(fs, "dash-runs", "BENCH_DASH_RUN_CONCURRENCY", 4, "runs recorded meanwhile")
	d.bigSteps = flagenv.Int(fs, "big-steps", "BENCH_DASH_BIG_STEPS", 500, "steps of the big run whose DAG some pages show")
	d.bigShare = fs.Float64("big-share", 0.1, "share of the pages showing the big run")
	d.maxP99 = fs.Float64("max-p99", 50, "the ramp stops after the step whose DAG p99 exceeds this (ms)")
	d.pollEvery = flagenv.Duration(fs, "poll-every", "BENCH_DASH_POLL", 3*time.Second, "how often an open run page polls its DAG (the dashboard's 3 s)")
}

func runDashboard(ctx context.Context, c *config, tmpl *runreplay.Template, work string) error {
	return fmt.Errorf("not yet")
}
