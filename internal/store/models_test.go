package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

// The artifact and model lists cost the same number of statements for a
// page of 1 and a page of 1,000, relations included.
func TestArtifactAndModelListStatementsDoNotGrow(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		w := f.world(t, "counted")
		m, err := f.db.CreateModel(ctx, zen.Model{ProjectID: w.project.ID, Name: "m", SaveModelsToRegistry: true}, []TagRef{"mt"})
		if err != nil {
			t.Fatal(err)
		}
		var avs []NewArtifactVersion
		for i := 0; i < 40; i++ {
			avs = append(avs, NewArtifactVersion{ArtifactVersion: ArtifactVersion{ProjectID: w.project.ID, ArtifactName: fmt.Sprintf("a%d", i%8),
				Type: "DataArtifact", URI: "/x", Materializer: []byte(`{}`), DataType: []byte(`{}`), SaveType: "manual"},
				Tags: []TagRef{"t"}, Metadata: map[string]json.RawMessage{"k": []byte("1")}})
		}
		created, err := f.db.CreateArtifactVersions(ctx, avs)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			v, err := f.db.CreateModelVersion(ctx, NewModelVersion{ModelID: m.ID, ProjectID: w.project.ID, Tags: []TagRef{"vt"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.db.LinkArtifactVersion(ctx, v.ID, created[i].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.db.LinkRun(ctx, v.ID, w.run.ID); err != nil {
				t.Fatal(err)
			}
		}
		scope := ProjectScope{ProjectID: w.project.ID}
		lists := map[string]func(size int) error{
			"artifacts": func(size int) error {
				_, err := f.db.ListArtifacts(ctx, mustList(t, filter.Artifacts, fmt.Sprintf("size=%d&hydrate=true&sort_by=desc:latest_version", size)), scope)
				return err
			},
			"artifact versions": func(size int) error {
				_, err := f.db.ListArtifactVersions(ctx, mustList(t, filter.ArtifactVersions, fmt.Sprintf("size=%d&hydrate=true&tags=t", size)), scope, false)
				return err
			},
			"models": func(size int) error {
				_, err := f.db.ListModels(ctx, mustList(t, filter.Models, fmt.Sprintf("size=%d", size)), scope)
				return err
			},
			"model versions": func(size int) error {
				_, err := f.db.ListModelVersions(ctx, mustList(t, filter.ModelVersions, fmt.Sprintf("size=%d&sort_by=desc:number", size)), scope)
				return err
			},
			"artifact links": func(size int) error {
				_, err := f.db.ListModelVersionLinks(ctx, false, mustList(t, filter.ModelVersionArtifacts, fmt.Sprintf("size=%d", size)), nil)
				return err
			},
			"run links": func(size int) error {
				_, err := f.db.ListModelVersionLinks(ctx, true, mustList(t, filter.ModelVersionRuns, fmt.Sprintf("size=%d", size)), nil)
				return err
			},
		}
		checkListStatements(t, f.db, lists)
	})
}

// checkListStatements fails the test when a list costs more statements
// for a page of 1,000 than for a page of 1.
func checkListStatements(t *testing.T, db *DB, lists map[string]func(size int) error) {
	t.Helper()
	for name, list := range lists {
		count := func(size int) int64 {
			before := db.Statements()
			if err := list(size); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return db.Statements() - before
		}
		if small, large := count(1), count(1000); small == 0 || small != large {
			t.Errorf("%s: a page of 1 took %d statements, a page of 1000 took %d", name, small, large)
		}
	}
}

// Parallel steps create versions of the same artifact and of the same
// model at once: every version gets its own number, none is lost.
func TestConcurrentVersionsGetDistinctNumbers(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		m, err := f.db.CreateModel(ctx, zen.Model{ProjectID: f.project.ID, Name: "m", SaveModelsToRegistry: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		const writers, batch = 8, 5
		var wg sync.WaitGroup
		errs := make(chan error, 2*writers)
		for w := 0; w < writers; w++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				reqs := make([]NewArtifactVersion, batch)
				for i := range reqs {
					reqs[i] = NewArtifactVersion{ArtifactVersion: ArtifactVersion{ProjectID: f.project.ID, ArtifactName: "shared",
						Type: "DataArtifact", URI: "/x", Materializer: []byte(`{}`), DataType: []byte(`{}`), SaveType: "step_output"}}
				}
				_, err := f.db.CreateArtifactVersions(ctx, reqs)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := f.db.CreateModelVersion(ctx, NewModelVersion{ModelID: m.ID, ProjectID: f.project.ID})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("a concurrent create failed: %v", err)
			}
		}
		page, err := f.db.ListArtifactVersions(ctx, mustList(t, filter.ArtifactVersions, "artifact=shared&size=1000"), ProjectScope{ProjectID: f.project.ID}, false)
		if err != nil {
			t.Fatal(err)
		}
		var numbers []int
		for _, av := range page.Items {
			var n int
			fmt.Sscan(av.Version, &n)
			numbers = append(numbers, n)
		}
		sort.Ints(numbers)
		for i, n := range numbers {
			if n != i+1 {
				t.Fatalf("artifact version numbers %v, want 1..%d", numbers, writers*batch)
			}
		}
		if len(numbers) != writers*batch || page.Total != writers*batch {
			t.Fatalf("%d versions (total %d), want %d", len(numbers), page.Total, writers*batch)
		}
		mvs, err := f.db.ListModelVersions(ctx, mustList(t, filter.ModelVersions, "size=100&sort_by=asc:number"), ProjectScope{ProjectID: f.project.ID})
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range mvs.Items {
			if v.Number != i+1 || v.Name != fmt.Sprint(i+1) {
				t.Fatalf("model version %d: number %d name %q", i, v.Number, v.Name)
			}
		}
		if len(mvs.Items) != writers {
			t.Fatalf("%d model versions, want %d", len(mvs.Items), writers)
		}
		got, err := f.db.GetModel(ctx, m.ID)
		if err != nil || got.LatestVersionName == nil || *got.LatestVersionName != fmt.Sprint(writers) {
			t.Fatalf("latest version: %v %v", got, err)
		}
	})
}

// The DAG of a run costs the same statements for 2 steps and for 60.
func TestRunDAGStatementsDoNotGrow(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		count := func(steps int) int64 {
			p := f.pipeline(t, fmt.Sprintf("dag-%d", steps))
			s := f.snapshot(t, p)
			r := f.run(t, s, fmt.Sprintf("dag-run-%d", steps), zen.StatusRunning)
			for i := 0; i < steps; i++ {
				av, err := f.db.CreateArtifactVersions(ctx, []NewArtifactVersion{{ArtifactVersion: ArtifactVersion{ProjectID: f.project.ID,
					ArtifactName: fmt.Sprintf("dag-%d-%d", steps, i), Type: "DataArtifact", URI: "/x", Materializer: []byte(`{}`), DataType: []byte(`{}`),
					SaveType: "step_output"}, Metadata: map[string]json.RawMessage{"k": []byte("1")}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.db.CreateStep(ctx, NewStepRun{StepRun: StepRun{Name: fmt.Sprintf("s%d", i), PipelineRunID: r.ID, Status: zen.StatusCompleted},
					Outputs: map[string][]uuid.UUID{"output": {av[0].ID}}}); err != nil {
					t.Fatal(err)
				}
			}
			before := f.db.Statements()
			d, err := f.db.GetRunDAG(ctx, r.ID, []string{"k"})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Steps) != steps || len(d.IO) != steps {
				t.Fatalf("%d steps and %d artifacts, want %d", len(d.Steps), len(d.IO), steps)
			}
			return f.db.Statements() - before
		}
		if small, large := count(2), count(60); small == 0 || small != large {
			t.Fatalf("a DAG of 2 steps took %d statements, one of 60 took %d", small, large)
		}
	})
}

// The maintained counts (artifacts, artifact versions) answer the same
// totals as counting, after creates, deletes and a prune.
func TestMaintainedArtifactCounts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		scope := ProjectScope{ProjectID: f.project.ID}
		totals := func() (artifacts, counted, versions, countedVersions int) {
			for _, q := range []struct {
				dst   *int
				query string
			}{{&artifacts, ""}, {&counted, "name=contains:"}} {
				p, err := f.db.ListArtifacts(ctx, mustList(t, filter.Artifacts, q.query), scope)
				if err != nil {
					t.Fatal(err)
				}
				*q.dst = p.Total
			}
			for _, q := range []struct {
				dst   *int
				query string
			}{{&versions, ""}, {&countedVersions, "uri=contains:"}} {
				p, err := f.db.ListArtifactVersions(ctx, mustList(t, filter.ArtifactVersions, q.query), scope, false)
				if err != nil {
					t.Fatal(err)
				}
				*q.dst = p.Total
			}
			return
		}
		check := func(when string, wantArtifacts, wantVersions int) {
			a, ca, v, cv := totals()
			if a != wantArtifacts || ca != wantArtifacts || v != wantVersions || cv != wantVersions {
				t.Fatalf("%s: artifacts %d (counted %d), versions %d (counted %d); want %d and %d", when, a, ca, v, cv, wantArtifacts, wantVersions)
			}
		}
		if _, err := f.db.CreateArtifact(ctx, Artifact{ProjectID: f.project.ID, Name: "empty"}, nil); err != nil {
			t.Fatal(err)
		}
		var reqs []NewArtifactVersion
		for i := 0; i < 6; i++ {
			reqs = append(reqs, NewArtifactVersion{ArtifactVersion: ArtifactVersion{ProjectID: f.project.ID, ArtifactName: fmt.Sprintf("c%d", i%3),
				Type: "DataArtifact", URI: "/x", Materializer: []byte(`{}`), DataType: []byte(`{}`), SaveType: "manual"}})
		}
		avs, err := f.db.CreateArtifactVersions(ctx, reqs)
		if err != nil {
			t.Fatal(err)
		}
		check("after creates", 4, 6)
		if err := f.db.DeleteArtifactVersion(ctx, avs[0].ID); err != nil {
			t.Fatal(err)
		}
		check("after a version delete", 4, 5)
		if err := f.db.DeleteArtifact(ctx, avs[1].ArtifactID); err != nil {
			t.Fatal(err)
		}
		check("after an artifact delete", 3, 3)
		if err := f.db.PruneArtifactVersions(ctx, f.project.ID, false); err != nil {
			t.Fatal(err)
		}
		check("after a prune", 0, 0)
	})
}
