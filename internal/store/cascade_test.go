package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/storetest"
	"zengo/internal/zen"
)

// world is one project's worth of rows that carry polymorphic links: a
// tagged pipeline, snapshot and run, run and step metadata, and a tagged
// artifact version with metadata.
type world struct {
	project  *zen.Project
	pipeline *zen.Pipeline
	snapshot *zen.Snapshot
	run      *zen.Run
}

func (f *fixture) world(t *testing.T, projectName string) *world {
	t.Helper()
	ctx := context.Background()
	pr, err := f.db.CreateProject(ctx, zen.Project{Name: projectName})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{project: pr}
	if w.pipeline, err = f.db.CreatePipeline(ctx, zen.Pipeline{Name: "p", ProjectID: pr.ID, UserID: &f.admin.ID}, []TagRef{"t-pipeline"}); err != nil {
		t.Fatal(err)
	}
	if w.snapshot, err = f.db.CreateSnapshot(ctx, zen.Snapshot{ProjectID: pr.ID, PipelineID: w.pipeline.ID, StackID: &f.stackID,
		RunNameTemplate: "r", PipelineConfiguration: []byte(`{"name":"p"}`)}, []TagRef{"t-snapshot"}); err != nil {
		t.Fatal(err)
	}
	if w.run, _, err = f.db.GetOrCreateRun(ctx, zen.Run{Name: "r-" + projectName, ProjectID: pr.ID, SnapshotID: w.snapshot.ID,
		Status: zen.StatusRunning}, []TagRef{"t-run"}); err != nil {
		t.Fatal(err)
	}
	step, err := f.db.CreateStep(ctx, NewStepRun{StepRun: StepRun{Name: "s", PipelineRunID: w.run.ID, Status: zen.StatusRunning}})
	if err != nil {
		t.Fatal(err)
	}
	avs, err := f.db.CreateArtifactVersions(ctx, []NewArtifactVersion{{ArtifactVersion: ArtifactVersion{ProjectID: pr.ID,
		ArtifactName: "a-" + projectName, Type: "DataArtifact", URI: "/tmp/x", Materializer: []byte(`{}`), DataType: []byte(`{}`), SaveType: "manual"},
		Metadata: map[string]json.RawMessage{"size": []byte("1")}, Tags: []TagRef{"t-av"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := RunMetadataEntry{Values: map[string]json.RawMessage{"k": []byte(`"v"`)}, Types: map[string]string{"k": "string"}}
	for _, r := range []struct {
		id  uuid.UUID
		typ string
	}{{w.run.ID, "pipeline_run"}, {step.ID, "step_run"}, {avs[0].ID, "artifact_version"}} {
		e.Resources = append(e.Resources, struct {
			ID   uuid.UUID
			Type string
		}{r.id, r.typ})
	}
	if err := f.db.AddRunMetadata(ctx, e); err != nil {
		t.Fatal(err)
	}
	return w
}

// dangling counts the polymorphic rows whose resource is gone, and all
// polymorphic rows, reading the tables directly.
func (f *fixture) dangling(t *testing.T) (dangling, total int) {
	t.Helper()
	ctx := context.Background()
	err := f.db.read(ctx, func(tx *Tx) error {
		for _, lt := range linkTables {
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM "+lt).Scan(&n); err != nil {
				return err
			}
			total += n
			for table, typ := range linkedTypes {
				if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM "+lt+" WHERE resource_type = ? AND resource_id NOT IN (SELECT id FROM "+table+")", typ).Scan(&n); err != nil {
					return err
				}
				dangling += n
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dangling, total
}

// Whichever parent goes, no tag link, curated visualization or metadata
// row is left pointing at a row that went with it, and the rows of another
// project are untouched.
func TestDeletesLeaveNoDanglingLinks(t *testing.T) {
	parents := map[string]func(f *fixture, w *world) error{
		"project":  func(f *fixture, w *world) error { return f.db.DeleteProject(context.Background(), w.project.ID) },
		"pipeline": func(f *fixture, w *world) error { return f.db.DeletePipeline(context.Background(), w.pipeline.ID) },
		"snapshot": func(f *fixture, w *world) error { return f.db.DeleteSnapshot(context.Background(), w.snapshot.ID) },
		"run":      func(f *fixture, w *world) error { return f.db.DeleteRun(context.Background(), w.run.ID) },
	}
	for name, del := range parents {
		t.Run(name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, url string) {
				f := newFixture(t, url)
				f.world(t, "kept")
				_, keptTotal := f.dangling(t)
				doomed := f.world(t, "doomed")
				if n, total := f.dangling(t); n != 0 || total != 2*keptTotal {
					t.Fatalf("before: %d dangling of %d (want 0 of %d)", n, total, 2*keptTotal)
				}
				if err := del(f, doomed); err != nil {
					t.Fatal(err)
				}
				n, total := f.dangling(t)
				if n != 0 {
					t.Errorf("%d polymorphic rows point at rows deleted with the %s", n, name)
				}
				if total < keptTotal {
					t.Errorf("the other project lost links: %d left, it had %d", total, keptTotal)
				}
			})
		})
	}
}

func TestCascadeGraphIsReadFromTheMigrations(t *testing.T) {
	want := map[cascadeEdge]bool{
		{"pipeline_runs", "snapshot_id", "pipeline_snapshots"}: true,
		{"step_runs", "pipeline_run_id", "pipeline_runs"}:      true,
		{"pipelines", "project_id", "projects"}:                true,
	}
	for _, e := range cascadeEdges {
		delete(want, e)
		// Devices are credentials, like API keys: they go with their user.
		if e.column == "user_id" && e.child != "auth_devices" {
			t.Errorf("%v: user references are SET NULL, not cascades", e)
		}
	}
	if len(want) > 0 {
		t.Errorf("edges not found: %v", want)
	}
}

// Metadata keys have no length limit in the reference's model: a long one
// is stored on every engine, not refused by a column's width.
func TestLongMetadataKeys(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		w := f.world(t, "long-keys")
		key := strings.Repeat("k", 1000)
		e := RunMetadataEntry{Values: map[string]json.RawMessage{key: []byte(`1`)}, Types: map[string]string{key: "int"},
			Resources: []struct {
				ID   uuid.UUID
				Type string
			}{{w.run.ID, "pipeline_run"}}}
		if err := f.db.AddRunMetadata(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		var got map[uuid.UUID]zen.Metadata
		err := f.db.read(context.Background(), func(tx *Tx) (err error) {
			got, err = tx.runMetadataOf(context.Background(), "pipeline_run", []uuid.UUID{w.run.ID})
			return err
		})
		value, _ := got[w.run.ID].Get(key)
		if err != nil || string(value) != "1" {
			t.Fatalf("long key: %v %v", err, got)
		}
	})
}
