package main

import (
	"strings"
	"testing"

	"zengo/bench/internal/runreplay"
)

func side(name string, steps, p99, rss float64) *Side {
	return &Side{Target: name, Replicas: 1, PeakRSSMiB: rss, Load: runreplay.Summary{StepsPerSec: steps, All: runreplay.KindStats{P99Ms: p99},
		Kinds: []runreplay.KindStats{{Kind: "step_create", Count: 10, P50Ms: 1, P99Ms: p99}}},
		Profile: map[string]runreplay.Cost{"step_create": {Count: 10, Statements: 320, CPUSeconds: 0.02}}}
}

// The summary lines compare each zengo target with the reference; the
// line for the first zengo target comes last, as the make target's last
// line.
func TestSummaries(t *testing.T) {
	sides := []*Side{side("reference", 2.5, 900, 300), side("sqlite", 75, 30, 40), side("postgres", 100, 20, 25)}
	got := summaries(sides)
	want := []string{
		"bench-runs summary (postgres): steps=40.0x p99=45.0x rss=12.0x",
		"bench-runs summary: steps=30.0x p99=30.0x rss=7.5x",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if summaries(sides[1:]) != nil {
		t.Fatal("a summary without the reference")
	}
}

func TestRunsMarkdown(t *testing.T) {
	rep := &Report{Date: "today", Config: map[string]any{"concurrency": 16, "steps": 20}, Kinds: []string{"step_create", "run_metadata"},
		Sides: []*Side{side("reference", 2.5, 900, 300), side("sqlite", 75, 30, 40)}}
	rep.Summary = summaries(rep.Sides)
	var b strings.Builder
	writeRunsMarkdown(&b, rep)
	md := b.String()
	for _, want := range []string{"| sqlite | 0.00 | 75.0 |", "| step_create | 1.00 / 900.00 | 1.00 / 30.00 |", "| run_metadata | - | - |", "| step_create | 2.00 / 32.0 | 2.00 / 32.0 |", "`bench-runs summary: steps=30.0x p99=30.0x rss=7.5x`"} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
}
