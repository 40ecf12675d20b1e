// Package floor starts and measures the floor server (bench/cmd/floor):
// a bare read of one row by id from SQLite over HTTP, the least a request
// costs on the machine.
package floor

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"zengo/bench/internal/proc"
	"zengo/bench/loadgen"
)

var namespace = uuid.MustParse("6ba7b811-9dad-11d1-80b4-00c04fd430c8")

// ID is the id of row i (both the server and the load know them).
func ID(i int) string { return uuid.NewSHA1(namespace, []byte(fmt.Sprint(i))).String() }

// HexID is an id as zengo stores it: the UUID's 32 hex digits.
func HexID(id string) string { return strings.ReplaceAll(id, "-", "") }

// Spec is the load: GET /items/{id} with an id of the n rows at random,
// as zengo's `get` draws a seeded pipeline.
func Spec(n int) *loadgen.Spec {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = ID(i)
	}
	return &loadgen.Spec{Vars: map[string][]string{"ids": ids},
		Requests: []loadgen.RequestSpec{{Name: "get", Path: `/items/{{pick "ids"}}`}}}
}

// Start runs `binary serve` with a database of n rows in dir.
func Start(ctx context.Context, binary, dir string, n int) (*proc.Server, error) {
	return proc.StartCommand(ctx, "floor", dir, binary, "serve", "-db", filepath.Join(dir, "floor.db"), "-rows", fmt.Sprint(n), "-listen", "127.0.0.1:{port}")
}

// Measure starts the floor server, loads it with cfg (its URL and spec
// filled in) and stops it; it answers the result and the peak RSS in KiB.
// around, if not nil, is called with the server's pid just before the load
// (running true) and just after it (false).
func Measure(ctx context.Context, binary, dir string, n int, cfg loadgen.Config, around func(pid int, running bool)) (*loadgen.Result, int64, error) {
	s, err := Start(ctx, binary, dir, n)
	if err != nil {
		return nil, 0, err
	}
	defer s.Stop()
	sampler := proc.NewSampler(s.Pid(), 100*time.Millisecond)
	defer sampler.Stop()
	cfg.BaseURL, cfg.Spec = s.URL, Spec(n)
	if cfg.MinRequests == 0 {
		cfg.MinRequests = int64(2 * max(cfg.Concurrency, 1))
	}
	if around != nil {
		around(s.Pid(), true)
	}
	res, err := loadgen.Run(ctx, cfg)
	if around != nil {
		around(s.Pid(), false)
	}
	if err != nil {
		return nil, 0, err
	}
	if res.Total.Errors > 0 {
		return res, sampler.Peak(), fmt.Errorf("floor server answered %d errors: %v", res.Total.Errors, res.ErrorSamples)
	}
	return res, sampler.Peak(), nil
}

// Summary is the last line of a floor measurement.
func Summary(t loadgen.Stats) string {
	return fmt.Sprintf("bench-floor summary: get=%.1f req/s p50=%.2f ms p99=%.2f ms", t.RPS, t.P50Ms, t.P99Ms)
}
