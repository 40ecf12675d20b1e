package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

// fixture is a fresh, initialised database with its admin and default
// project and stack.
type fixture struct {
	db      *DB
	admin   *zen.User
	project *zen.Project
	stackID uuid.UUID
}

func newFixture(t *testing.T, url string) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Initialise(ctx, Bootstrap{AdminName: "default", AdminPasswordHash: "x", ProjectName: "default"}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	if f.admin, err = db.GetUser(ctx, "default", HumanAccount); err != nil {
		t.Fatal(err)
	}
	if f.project, err = db.GetProject(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	stacks, err := db.ListStacks(ctx, mustList(t, filter.Stacks, "name=default"), nil, false)
	if err != nil || len(stacks.Items) != 1 {
		t.Fatalf("default stack: %v %v", stacks, err)
	}
	f.stackID = stacks.Items[0].ID
	return f
}

func mustList(t *testing.T, r *filter.Resource, query string) *filter.List {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	l, err := filter.Parse(q, r, filter.ParseOptions{})
	if err != nil {
		t.Fatalf("parse %q: %v", query, err)
	}
	return l
}

func (f *fixture) pipeline(t *testing.T, name string, tags ...string) *zen.Pipeline {
	t.Helper()
	p, err := f.db.CreatePipeline(context.Background(), zen.Pipeline{Name: name, ProjectID: f.project.ID, UserID: &f.admin.ID}, tags)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) snapshot(t *testing.T, p *zen.Pipeline) *zen.Snapshot {
	t.Helper()
	s, err := f.db.CreateSnapshot(context.Background(), zen.Snapshot{ProjectID: f.project.ID, PipelineID: p.ID, StackID: &f.stackID,
		UserID: &f.admin.ID, RunNameTemplate: "r", PipelineConfiguration: []byte(`{"name":"x"}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) run(t *testing.T, s *zen.Snapshot, name, status string) *zen.Run {
	t.Helper()
	r, created, err := f.db.GetOrCreateRun(context.Background(), zen.Run{Name: name, ProjectID: f.project.ID, SnapshotID: s.ID,
		UserID: &f.admin.ID, Status: status}, nil)
	if err != nil || !created {
		t.Fatalf("run %s: created=%v err=%v", name, created, err)
	}
	return r
}

func (f *fixture) names(t *testing.T, query string) []string {
	t.Helper()
	page, err := f.db.ListPipelines(context.Background(), mustList(t, filter.Pipelines, query), ProjectScope{ProjectID: f.project.ID})
	if err != nil {
		t.Fatalf("list %q: %v", query, err)
	}
	var out []string
	for _, p := range page.Items {
		out = append(out, p.Name)
	}
	return out
}

// A list costs the same number of statements for a page of 1 and a page of
// 1,000, relations included.
func TestListStatementsDoNotGrowWithPageSize(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		for i := 0; i < 60; i++ {
			p := f.pipeline(t, fmt.Sprintf("p%03d", i), "a", fmt.Sprintf("t%d", i%7))
			run := f.run(t, f.snapshot(t, p), fmt.Sprintf("run-%d", i), zen.StatusRunning)
			f.service(t, fmt.Sprintf("s%d", i), fmt.Sprintf(`{"i": %d}`, i), run, nil)
		}
		count := func(query string) int64 {
			before := f.db.Statements()
			f.names(t, query)
			return f.db.Statements() - before
		}
		small := count("size=1&hydrate=true&sort_by=desc:latest_run")
		large := count("size=1000&hydrate=true&sort_by=desc:latest_run")
		if small == 0 || small != large {
			t.Fatalf("statements: page of 1 took %d, page of 1000 took %d", small, large)
		}
		runs := func(size int) int64 {
			before := f.db.Statements()
			if _, err := f.db.ListRuns(context.Background(), mustList(t, filter.Runs, fmt.Sprintf("size=%d", size)), RunScope{ProjectID: f.project.ID}); err != nil {
				t.Fatal(err)
			}
			return f.db.Statements() - before
		}
		if a, b := runs(1), runs(1000); a != b {
			t.Fatalf("run list statements: %d vs %d", a, b)
		}
		services := func(size int) int64 {
			before := f.db.Statements()
			if _, err := f.db.ListServices(context.Background(), mustList(t, filter.Services, fmt.Sprintf("size=%d&hydrate=true", size)), ProjectScope{ProjectID: f.project.ID}); err != nil {
				t.Fatal(err)
			}
			return f.db.Statements() - before
		}
		if a, b := services(1), services(1000); a != b {
			t.Fatalf("service list statements: %d vs %d", a, b)
		}
		// Run statistics read every run they aggregate in one statement.
		everything := RunStatsQuery{MaxGroups: 1000, Groupings: []StatsGrouping{{Type: "tag"}, {Type: "stack"}, {Type: "time", Granularity: "week"},
			{Type: "metadata", MetadataKey: "k"}}, Metrics: []StatsMetric{{Source: "duration", Aggregation: "avg"}, {Source: "step_count", Aggregation: "sum"},
			{Source: "cached_step_count", Aggregation: "max"}, {Source: "output_artifact_count", Aggregation: "min"}, {Source: "metadata", MetadataKey: "m", Aggregation: "sum"}}}
		stats := func(query string) int64 {
			before := f.db.Statements()
			if _, err := f.db.RunStatistics(context.Background(), mustList(t, filter.Runs, query), RunScope{ProjectID: f.project.ID}, everything); err != nil {
				t.Fatal(err)
			}
			return f.db.Statements() - before
		}
		if a, b := stats("name=run-1"), stats("tags=a"); a != 1 || b != 1 {
			t.Fatalf("run statistics statements: %d for one run, %d for 60", a, b)
		}

	})
}

func TestPipelineFiltersAndSorts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		alpha := f.pipeline(t, "Alpha", "prod")
		f.pipeline(t, "beta", "dev", "prod")
		f.pipeline(t, "gamma")
		f.run(t, f.snapshot(t, alpha), "a-1", zen.StatusRunning)

		cases := []struct{ query, want string }{
			{"", "Alpha,beta,gamma"},
			{"name=alpha", ""},              // equality is case-sensitive
			{"name=contains:ALPH", "Alpha"}, // pattern matching is not
			{"name=startswith:b&name=endswith:a", "beta"},
			{"name=alpha&name=beta&logical_operator=or", "beta"},
			{"name=oneof:[\"gamma\",\"beta\"]", "beta,gamma"},
			{"tags=prod", "Alpha,beta"},
			{"tags=prod&tags=dev", "beta"},
			{"tags=isnull:", "gamma"},
			{"latest_run_status=running", "Alpha"},
			{"latest_run_status=running&name=beta&logical_operator=or", ""}, // the latest-run filter is always AND-ed
			{"user=default", "Alpha,beta,gamma"},
			{"sort_by=desc:name", "gamma,beta,Alpha"},
			{"sort_by=desc:latest_run", "Alpha,gamma,beta"},
			{"sort_by=tags", "gamma,beta,Alpha"},
		}
		for _, c := range cases {
			if got := strings.Join(f.names(t, c.query), ","); got != c.want {
				t.Errorf("%s: got %q, want %q", c.query, got, c.want)
			}
		}

	})
}

func TestLatestRunFollowsRuns(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		p := f.pipeline(t, "p")
		s := f.snapshot(t, p)
		first := f.run(t, s, "one", zen.StatusRunning)
		second := f.run(t, s, "two", zen.StatusInitializing)
		if second.Index != 2 || first.Index != 1 {
			t.Fatalf("indexes %d, %d", first.Index, second.Index)
		}
		got, _ := f.db.GetPipeline(ctx, p.ID)
		if *got.LatestRunID != second.ID || *got.LatestRunStatus != zen.StatusInitializing {
			t.Fatalf("latest run should be the newest: %v", got.LatestRunID)
		}
		if err := f.db.DeleteRun(ctx, second.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = f.db.GetPipeline(ctx, p.ID)
		if got.LatestRunID == nil || *got.LatestRunID != first.ID {
			t.Fatalf("after deleting the newest run the latest should be the first: %v", got.LatestRunID)
		}
		if err := f.db.DeleteRun(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = f.db.GetPipeline(ctx, p.ID)
		if got.LatestRunID != nil {
			t.Fatalf("no runs left, latest run should be empty: %v", got.LatestRunID)
		}

	})
}

func TestDeletePipelineCascades(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		p := f.pipeline(t, "p", "keep-me")
		s := f.snapshot(t, p)
		r := f.run(t, s, "r", zen.StatusRunning)
		if _, err := f.db.UpdateRun(ctx, r.ID, RunUpdate{AddTags: []TagRef{"run-tag"}}, &f.admin.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeletePipeline(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.GetSnapshot(ctx, s.ID); !zen.IsNotFound(err) {
			t.Errorf("snapshot should be gone: %v", err)
		}
		if _, err := f.db.GetRun(ctx, r.ID); !zen.IsNotFound(err) {
			t.Errorf("run should be gone: %v", err)
		}
		tags, err := f.db.ListTags(ctx, mustList(t, filter.Tags, ""), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range tags.Items {
			if tg.TaggedCount != 0 {
				t.Errorf("tag %s still has %d links", tg.Name, tg.TaggedCount)
			}
		}
		if len(tags.Items) != 2 {
			t.Errorf("tags themselves stay: %d", len(tags.Items))
		}
		if err := f.db.DeletePipeline(ctx, p.ID); !zen.IsNotFound(err) {
			t.Errorf("second delete: %v", err)
		}

	})
}

func TestExclusiveTagRules(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		if _, err := f.db.CreateTag(ctx, zen.Tag{Name: "best", Color: "red", Exclusive: true}); err != nil {
			t.Fatal(err)
		}
		p := f.pipeline(t, "p")
		_, err := f.db.UpdatePipeline(ctx, p.ID, PipelineUpdate{SetDescription: true, Description: ptr("new"), AddTags: []TagRef{"best"}}, nil)
		if zen.ErrorCode(err) != zen.EInvalid || !strings.Contains(err.Error(), "Can not attach exclusive tag to resource of type pipeline") {
			t.Fatalf("exclusive tag on a pipeline: %v", err)
		}
		got, _ := f.db.GetPipeline(ctx, p.ID)
		if got.Description != nil {
			t.Errorf("a refused update changes nothing, description is %q", *got.Description)
		}
		// On runs the tag moves to the newest tagged run of the pipeline.
		s := f.snapshot(t, p)
		r1 := f.run(t, s, "r1", zen.StatusRunning)
		r2 := f.run(t, s, "r2", zen.StatusRunning)
		for _, r := range []*zen.Run{r1, r2} {
			if _, err := f.db.UpdateRun(ctx, r.ID, RunUpdate{AddTags: []TagRef{"best"}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		a, _ := f.db.GetRun(ctx, r1.ID)
		b, _ := f.db.GetRun(ctx, r2.ID)
		if len(a.Tags) != 0 || len(b.Tags) != 1 {
			t.Errorf("exclusive tag should have moved: r1 %d tags, r2 %d tags", len(a.Tags), len(b.Tags))
		}

	})
}

func TestPlaceholderRunIsTakenOver(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		s := f.snapshot(t, f.pipeline(t, "p"))
		placeholder := f.run(t, s, "planned", zen.StatusInitializing)
		orch := "o-1"
		got, created, err := f.db.GetOrCreateRun(ctx, zen.Run{Name: "other-name", ProjectID: f.project.ID, SnapshotID: s.ID, Status: zen.StatusRunning, OrchestratorRunID: &orch}, nil)
		if err != nil || !created || got.ID != placeholder.ID || got.Name != "planned" || got.Status != zen.StatusRunning {
			t.Fatalf("takeover: created=%v err=%v run=%+v", created, err, got)
		}
		again, created, err := f.db.GetOrCreateRun(ctx, zen.Run{Name: "third", ProjectID: f.project.ID, SnapshotID: s.ID, Status: zen.StatusRunning, OrchestratorRunID: &orch}, nil)
		if err != nil || created || again.ID != placeholder.ID {
			t.Fatalf("same orchestrator run id returns the run: created=%v err=%v", created, err)
		}
		if _, err := f.db.UpdateRun(ctx, got.ID, RunUpdate{Status: ptr(zen.StatusCompleted)}, nil); err != nil {
			t.Fatal(err)
		}
		done, _ := f.db.GetRun(ctx, got.ID)
		if done.Status != zen.StatusCompleted || done.InProgress || done.EndTime == nil {
			t.Fatalf("completed run: %+v", done)
		}
		// A late "provisioning" does not move a finished run back.
		if _, err := f.db.UpdateRun(ctx, got.ID, RunUpdate{Status: ptr(zen.StatusProvisioning)}, nil); err != nil {
			t.Fatal(err)
		}
		if after, err := f.db.GetRun(ctx, got.ID); err != nil || after.Status != zen.StatusCompleted || after.InProgress ||
			after.EndTime == nil || after.EndTime.Micros() != done.EndTime.Micros() {
			t.Fatalf("a late provisioning moved the finished run: %+v %v", after, err)
		}
		if _, err := f.db.UpdateRun(ctx, got.ID, RunUpdate{Status: ptr(zen.StatusFailed)}, nil); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("finished run moved back: %v", err)
		}

	})
}

func TestConcurrentWritersQueue(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := f.db.CreatePipeline(context.Background(), zen.Pipeline{Name: fmt.Sprintf("c%d", i), ProjectID: f.project.ID}, []TagRef{"shared", fmt.Sprint(i)})
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := len(f.names(t, "size=100")); n != 40 {
			t.Fatalf("%d pipelines, want 40", n)
		}

	})
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:///"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO zengo_schema (version) VALUES (999)`)
		return err
	})
	db.Close()
	if _, err := Open(ctx, "sqlite:///"+path, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this zengo binary") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestInitialiseOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		created, err := f.db.Initialise(context.Background(), Bootstrap{AdminName: "other", AdminPasswordHash: "x", ProjectName: "other"})
		if err != nil || created {
			t.Fatalf("second initialise: created=%v err=%v", created, err)
		}
		n, _ := f.db.CountAccounts(context.Background())
		if n != 1 {
			t.Fatalf("%d accounts after two initialisations", n)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestSeedMakesListablePipelines(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		if _, err := f.db.Seed(context.Background(), SeedSpec{Pipelines: 1200, TagsPerPipeline: 3, TagPool: 10, RunsPerPipeline: 5, Users: 3}); err != nil {
			t.Fatal(err)
		}
		page, err := f.db.ListPipelines(context.Background(), mustList(t, filter.Pipelines, "sort_by=desc:latest_run&size=5&hydrate=true&tags=pipeline-tag-1"), ProjectScope{ProjectID: f.project.ID})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 360 || len(page.Items) != 5 || len(page.Items[0].Tags) != 3 || page.Items[0].LatestRunStatus == nil {
			t.Fatalf("seeded list: total %d, first %+v", page.Total, page.Items[0])
		}
		runs, err := f.db.ListRuns(context.Background(), mustList(t, filter.Runs, "size=1"), RunScope{ProjectID: f.project.ID})
		if err != nil || runs.Total != 6000 {
			t.Fatalf("runs: %v %v", runs.Total, err)
		}
	})
}

// Deep pages (read ids first, then rows) and the maintained count agree
// with a plain read of everything.
func TestDeepPagesAndCounts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		if _, err := f.db.Seed(ctx, SeedSpec{Pipelines: 1500, TagsPerPipeline: 1, TagPool: 4, RunsPerPipeline: 1}); err != nil {
			t.Fatal(err)
		}
		extra := f.pipeline(t, "extra")
		if err := f.db.DeletePipeline(ctx, extra.ID); err != nil {
			t.Fatal(err)
		}
		for _, sort := range []string{"created", "desc:latest_run", "desc:name", "tags"} {
			all := f.names(t, "size=2000&sort_by="+sort)
			if len(all) != 1500 {
				t.Fatalf("%s: %d pipelines", sort, len(all))
			}
			deep := f.names(t, "size=20&page=40&sort_by="+sort)
			if strings.Join(deep, ",") != strings.Join(all[780:800], ",") {
				t.Errorf("%s: deep page differs:\n%v\n%v", sort, deep, all[780:800])
			}
		}
		page, err := f.db.ListPipelines(ctx, mustList(t, filter.Pipelines, "size=1"), ProjectScope{ProjectID: f.project.ID})
		if err != nil || page.Total != 1500 {
			t.Fatalf("maintained count: %d %v", page.Total, err)
		}
	})
}

// A static pipeline's run follows its steps: running while a step runs,
// completed when every step of the snapshot finished, failed when one did.
func TestRunStatusFollowsSteps(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		p := f.pipeline(t, "p")
		steps := `{"a":{"spec":{"upstream_steps":[]},"config":{"name":"a"}},"b":{"spec":{"upstream_steps":["a"]},"config":{"name":"b"}}}`
		s, err := f.db.CreateSnapshot(ctx, zen.Snapshot{ProjectID: f.project.ID, PipelineID: p.ID, StackID: &f.stackID, RunNameTemplate: "r",
			PipelineConfiguration: []byte(`{"name":"p"}`), StepConfigurations: []byte(steps), StepCount: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		run := f.run(t, s, "r1", zen.StatusInitializing)
		avs, err := f.db.CreateArtifactVersions(ctx, []NewArtifactVersion{{ArtifactVersion: ArtifactVersion{ProjectID: f.project.ID,
			ArtifactName: "p::a::output", Type: "DataArtifact", URI: "/tmp/x", Materializer: []byte(`{"module":"m"}`), DataType: []byte(`{"module":"d"}`),
			SaveType: "step_output"}, Metadata: map[string]json.RawMessage{"size": []byte("2")}}})
		if size, _ := avs[0].RunMetadata.Get("size"); err != nil || avs[0].Version != "1" || string(size) != "2" {
			t.Fatalf("artifact version: %+v %v", avs, err)
		}
		status := func() string {
			r, err := f.db.GetRun(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r.Status
		}
		a, err := f.db.CreateStep(ctx, NewStepRun{StepRun: StepRun{Name: "a", PipelineRunID: run.ID, Status: zen.StatusRunning}})
		if err != nil {
			t.Fatal(err)
		}
		if got := status(); got != zen.StatusRunning {
			t.Fatalf("with a running step: %s", got)
		}
		if _, err := f.db.UpdateStep(ctx, a.ID, StepUpdate{Status: ptr(zen.StatusCompleted), Outputs: map[string][]uuid.UUID{"output": {avs[0].ID}}}); err != nil {
			t.Fatal(err)
		}
		if got := status(); got != zen.StatusRunning {
			t.Fatalf("one of two steps done: %s", got)
		}
		b, err := f.db.CreateStep(ctx, NewStepRun{StepRun: StepRun{Name: "b", PipelineRunID: run.ID, Status: zen.StatusRunning},
			Inputs: map[string][]uuid.UUID{"x": {avs[0].ID}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.ParentStepIDs) != 1 || b.ParentStepIDs[0] != a.ID || len(b.Inputs["x"]) != 1 {
			t.Fatalf("step b: parents %v inputs %v", b.ParentStepIDs, b.Inputs)
		}
		// An unknown input version is named in a 404 and nothing is written.
		unknown := uuid.New()
		_, err = f.db.CreateStep(ctx, NewStepRun{StepRun: StepRun{Name: "c", PipelineRunID: run.ID, Status: zen.StatusRunning},
			Inputs: map[string][]uuid.UUID{"x": {avs[0].ID}, "y": {unknown}}})
		if !zen.IsNotFound(err) || !strings.Contains(err.Error(), unknown.String()) {
			t.Fatalf("step with an unknown input: %v", err)
		}
		refused, err := f.db.ListSteps(ctx, mustList(t, filter.Steps, "name=c"), StepScope{ProjectID: f.project.ID})
		if err != nil || refused.Total != 0 {
			t.Fatalf("the refused step was written: %+v %v", refused, err)
		}
		if _, err := f.db.UpdateStep(ctx, b.ID, StepUpdate{Status: ptr(zen.StatusFailed)}); err != nil {
			t.Fatal(err)
		}
		if got := status(); got != zen.StatusFailed {
			t.Fatalf("a step failed: %s", got)
		}
	})
}
