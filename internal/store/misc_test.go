package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

// dynamicRun makes a run of a dynamic pipeline, the only kind that waits.
func (f *fixture) dynamicRun(t *testing.T, name string) *zen.Run {
	t.Helper()
	p := f.pipeline(t, name)
	s, err := f.db.CreateSnapshot(context.Background(), zen.Snapshot{ProjectID: f.project.ID, PipelineID: p.ID, StackID: &f.stackID,
		UserID: &f.admin.ID, RunNameTemplate: "r", PipelineConfiguration: []byte(`{"name":"x"}`), IsDynamic: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f.run(t, s, name+"-run", zen.StatusRunning)
}

func (f *fixture) waitCondition(t *testing.T, run *zen.Run, name string) *RunWaitCondition {
	t.Helper()
	c, err := f.db.CreateRunWaitCondition(context.Background(), NewRunWaitCondition{RunWaitCondition: RunWaitCondition{ProjectID: f.project.ID,
		UserID: &f.admin.ID, RunID: run.ID, Name: name, Type: "external_input"}, Metadata: map[string]json.RawMessage{"k": []byte("1")},
		MetadataTypes: map[string]string{"k": "int"}, ProjectLabel: f.project.ID.String()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func noResult(schema, result json.RawMessage) (json.RawMessage, error) { return nil, nil }

// Wait conditions: dynamic runs only, one pending at a time, an abort stops
// the run, and lists and the DAG cost the same statements for any number.
func TestRunWaitConditions(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		static := f.run(t, f.snapshot(t, f.pipeline(t, "static")), "static-run", zen.StatusRunning)
		_, err := f.db.CreateRunWaitCondition(ctx, NewRunWaitCondition{RunWaitCondition: RunWaitCondition{ProjectID: f.project.ID, RunID: static.ID,
			Name: "w", Type: "external_input"}})
		if zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("wait condition of a static run: %v", err)
		}
		run := f.dynamicRun(t, "dyn")
		first := f.waitCondition(t, run, "w0")
		if again := f.waitCondition(t, run, "w0"); again.ID != first.ID {
			t.Fatalf("the same create made a second condition")
		}
		if _, err := f.db.CreateRunWaitCondition(ctx, NewRunWaitCondition{RunWaitCondition: RunWaitCondition{ProjectID: f.project.ID, RunID: run.ID,
			Name: "w1", Type: "external_input"}}); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("second pending condition: %v", err)
		}
		got, err := f.db.GetRun(ctx, run.ID)
		if err != nil || got.ActiveWaitCondition == nil || got.ActiveWaitCondition.ID != first.ID {
			t.Fatalf("active wait condition: %+v %v", got, err)
		}
		if _, err := f.db.ResolveRunWaitCondition(ctx, first.ID, ResolutionContinue, nil, &f.admin.ID, noResult); err != nil {
			t.Fatal(err)
		}
		if got, _ = f.db.GetRun(ctx, run.ID); got.Status != zen.StatusPaused || got.ActiveWaitCondition != nil {
			t.Fatalf("after continue without a poller: %s, %v", got.Status, got.ActiveWaitCondition)
		}
		dagStatements := func() int64 {
			before := f.db.Statements()
			if _, err := f.db.GetRunDAG(ctx, run.ID, nil); err != nil {
				t.Fatal(err)
			}
			return f.db.Statements() - before
		}
		small := dagStatements()
		for i := 1; i < 40; i++ {
			c := f.waitCondition(t, run, fmt.Sprintf("w%d", i))
			if _, err := f.db.ResolveRunWaitCondition(ctx, c.ID, ResolutionContinue, nil, &f.admin.ID, noResult); err != nil {
				t.Fatal(err)
			}
		}
		d, err := f.db.GetRunDAG(ctx, run.ID, nil)
		if err != nil || len(d.WaitConditions) != 40 {
			t.Fatalf("%d wait conditions in the DAG: %v", len(d.WaitConditions), err)
		}
		if large := dagStatements(); large != small {
			t.Fatalf("DAG statements: %d with 1 wait condition, %d with 40", small, large)
		}
		list := func(query string) (*zen.Page[*RunWaitCondition], int64) {
			before := f.db.Statements()
			p, err := f.db.ListRunWaitConditions(ctx, mustList(t, filter.RunWaitConditions, query), ProjectScope{ProjectID: f.project.ID})
			if err != nil {
				t.Fatal(err)
			}
			return p, f.db.Statements() - before
		}
		if _, a := list("size=1&hydrate=true"); a == 0 {
			t.Fatal("no statements counted")
		} else if _, b := list("size=1000&hydrate=true"); a != b {
			t.Fatalf("list statements: %d for 1, %d for 1000", a, b)
		}
		for query, want := range map[string]int{"pipeline_run=dyn-run": 40, "resolved_by=default": 40, "run_metadata=k:1": 40,
			"name=w7": 1, "resolution=abort": 0, "pipeline_run=" + static.ID.String(): 0} {
			if p, _ := list(query); p.Total != want {
				t.Errorf("%s: %d, want %d", query, p.Total, want)
			}
		}
		last := f.waitCondition(t, run, "last")
		if _, err := f.db.ResolveRunWaitCondition(ctx, last.ID, ResolutionAbort, nil, &f.admin.ID, noResult); err != nil {
			t.Fatal(err)
		}
		if got, _ = f.db.GetRun(ctx, run.ID); got.Status != zen.StatusStopped {
			t.Fatalf("after abort: %s", got.Status)
		}
		if err := f.db.DeleteRun(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		var left int
		f.db.reader.QueryRow(`SELECT COUNT(*) FROM run_wait_conditions`).Scan(&left)
		if left != 0 {
			t.Fatalf("%d wait conditions outlived their run", left)
		}
	})
}

// Hook invocations keep their outputs in order, link logs, and lists cost
// the same statements for any page.
func TestHookInvocations(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		run := f.run(t, f.snapshot(t, f.pipeline(t, "hooks")), "hooks-run", zen.StatusRunning)
		var versions []uuid.UUID
		for i := 0; i < 3; i++ {
			av, err := f.db.CreateArtifactVersions(ctx, []NewArtifactVersion{{ArtifactVersion: ArtifactVersion{ProjectID: f.project.ID,
				ArtifactName: fmt.Sprintf("hook-out-%d", i), Type: "DataArtifact", URI: "/x", Materializer: []byte(`{}`), DataType: []byte(`{}`),
				SaveType: "step_output"}}})
			if err != nil {
				t.Fatal(err)
			}
			versions = append(versions, av[0].ID)
		}
		logs, err := f.db.CreateLogs(ctx, Logs{ProjectID: f.project.ID, Source: "hook"})
		if err != nil {
			t.Fatal(err)
		}
		var first *HookInvocation
		for i := 0; i < 30; i++ {
			n := NewHookInvocation{HookInvocation: HookInvocation{ProjectID: f.project.ID, UserID: &f.admin.ID, PipelineRunID: run.ID,
				HookType: "run_end", Status: "completed", StartTime: zen.NewTime(f.db.Now())},
				OutputIDs:    []NamedIDs{{Name: "zeta", IDs: []uuid.UUID{versions[2], versions[0]}}, {Name: "alpha", IDs: []uuid.UUID{versions[1]}}},
				ProjectLabel: f.project.ID.String()}
			if i == 0 {
				n.LogsID = &logs.ID
			}
			h, err := f.db.CreateHookInvocation(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = h
			}
		}
		if len(first.Outputs) != 2 || first.Outputs[0].Name != "zeta" || first.Outputs[0].Versions[0].ID != versions[2] || len(first.Logs) != 1 {
			t.Fatalf("outputs %+v, logs %d", first.Outputs, len(first.Logs))
		}
		list := func(size int) int64 {
			before := f.db.Statements()
			if _, err := f.db.ListHookInvocations(ctx, mustList(t, filter.HookInvocations, fmt.Sprintf("size=%d&hydrate=true", size)),
				ProjectScope{ProjectID: f.project.ID}); err != nil {
				t.Fatal(err)
			}
			return f.db.Statements() - before
		}
		if a, b := list(1), list(1000); a == 0 || a != b {
			t.Fatalf("list statements: %d for 1, %d for 1000", a, b)
		}
		if err := f.db.DeleteHookInvocation(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		if l, err := f.db.GetLogs(ctx, logs.ID); err != nil || l.HookInvocationID != nil {
			t.Fatalf("logs after their hook went: %+v %v", l, err)
		}
		if err := f.db.DeleteRun(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		var hooks, outputs int
		f.db.reader.QueryRow(`SELECT COUNT(*) FROM hook_invocations`).Scan(&hooks)
		f.db.reader.QueryRow(`SELECT COUNT(*) FROM hook_invocation_outputs`).Scan(&outputs)
		if hooks != 0 || outputs != 0 {
			t.Fatalf("%d hook invocations and %d outputs outlived their run", hooks, outputs)
		}
	})
}
