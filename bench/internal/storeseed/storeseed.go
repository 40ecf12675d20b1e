// Package storeseed fills a zengo database straight through the store
// (store.DB.Seed), for sizes the API would take hours to reach. The data
// has the shape the API seeder (bench/internal/zenapi) makes: pipelines
// named PREFIX-NNNNNNN with T tags each from a pool, one snapshot and R
// runs each, spread over U users. Differences from the API-seeded data:
// the runs have mixed statuses (completed, failed, running, cached) rather
// than all "running", the users have no password, and the tags' users
// differ.
package storeseed

import (
	"context"
	"fmt"
	"time"

	"zengo/internal/auth"
	"zengo/internal/store"
)

// Options of a store-level seeding.
type Options struct {
	StoreURL      string // sqlite:////abs/path.db or postgresql://...
	AdminName     string // default "default"
	AdminPassword string // admin password if the database is new
	Spec          store.SeedSpec
	// DAGSteps, when above 0, adds one run of that many steps (the
	// DAG to draw; store.DB.SeedDAGRun).
	DAGSteps int
}

// Result is how long the seeding took.
type Result struct {
	Pipelines   int           `json:"pipelines"`
	Rows        int64         `json:"rows"` // pipelines + snapshots + runs + tag links
	Runs        int64         `json:"runs,omitempty"`
	DAGRunID    string        `json:"dag_run_id,omitempty"`
	Duration    time.Duration `json:"-"`
	Seconds     float64       `json:"seconds"`
	PipelinesPS float64       `json:"pipelines_per_s"`
	RowsPS      float64       `json:"rows_per_s"`
}

// Run opens (migrating and, if new, initialising like `zengo serve` does
// on first start) the database and seeds it.
func Run(ctx context.Context, o Options) (*Result, error) {
	db, err := store.Open(ctx, o.StoreURL, store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := Initialise(ctx, db, o.AdminName, o.AdminPassword); err != nil {
		return nil, err
	}
	began := time.Now()
	if _, err := db.Seed(ctx, o.Spec); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	var dagRun string
	if o.DAGSteps > 0 {
		id, err := db.SeedDAGRun(ctx, o.DAGSteps)
		if err != nil {
			return nil, fmt.Errorf("seed the DAG run: %w", err)
		}
		dagRun = id.String()
	}
	d := time.Since(began)
	s := o.Spec
	rows := int64(s.Pipelines) * int64(2+s.RunsPerPipeline+s.TagsPerPipeline)
	return &Result{
		Pipelines: s.Pipelines, Rows: rows, Runs: int64(s.Pipelines) * int64(s.RunsPerPipeline), DAGRunID: dagRun, Duration: d, Seconds: round(d.Seconds(), 1),
		PipelinesPS: round(float64(s.Pipelines)/d.Seconds(), 0), RowsPS: round(float64(rows)/d.Seconds(), 0),
	}, nil
}

// Initialise sets up an empty database the way zengo does on first start
// (admin user, default project, default stack); on an initialised one it
// does nothing.
func Initialise(ctx context.Context, db *store.DB, adminName, adminPassword string) error {
	done, err := db.Initialised(ctx)
	if err != nil || done {
		return err
	}
	if adminName == "" {
		adminName = "default"
	}
	hash, err := auth.HashPassword(adminPassword)
	if err != nil {
		return err
	}
	_, err = db.Initialise(ctx, store.Bootstrap{AdminName: adminName, AdminPasswordHash: hash, ProjectName: "default"})
	return err
}

func round(x float64, digits int) float64 {
	p := 1.0
	for i := 0; i < digits; i++ {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}
