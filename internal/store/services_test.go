package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

func (f *fixture) service(t *testing.T, name, config string, run *zen.Run, mv *zen.ModelVersion) *Service {
	t.Helper()
	s := Service{ProjectID: f.project.ID, UserID: &f.admin.ID, Name: name, ServiceType: json.RawMessage(`{"type":"t","flavor":"f"}`),
		Type: "t", Flavor: "f", Config: json.RawMessage(config), Labels: json.RawMessage(`{}`), Status: json.RawMessage(`{"state":"active"}`)}
	if run != nil {
		s.PipelineRunID = &run.ID
	}
	if mv != nil {
		s.ModelVersionID = &mv.ID
	}
	out, err := f.db.CreateService(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isCode(err error, code zen.Code) bool {
	var ze *zen.Error
	return errors.As(err, &ze) && ze.Code == code
}

// A configuration is used once, compared as Python's json.dumps text: the
// same keys in another order are another configuration. A bad state is
// refused before anything is written.
func TestServiceConfigUniquenessAndState(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		f.service(t, "a", `{"x": 1, "y": "é"}`, nil, nil)
		dup := Service{ProjectID: f.project.ID, Name: "b", ServiceType: json.RawMessage(`{}`), Config: json.RawMessage(`{"x":1,"y":"\u00e9"}`)}
		if _, err := f.db.CreateService(ctx, dup); !isCode(err, zen.EConflict) {
			t.Fatalf("same configuration: %v", err)
		}
		dup.Config = json.RawMessage(`{"y":"é","x":1}`)
		if _, err := f.db.CreateService(ctx, dup); err != nil {
			t.Fatalf("keys in another order: %v", err)
		}
		bad := Service{ProjectID: f.project.ID, Name: "c", ServiceType: json.RawMessage(`{}`), Config: json.RawMessage(`{"z":1}`),
			Status: json.RawMessage(`{"state":"bogus"}`)}
		if _, err := f.db.CreateService(ctx, bad); !isCode(err, zen.EUnprocessable) {
			t.Fatalf("bad state: %v", err)
		}
		page, err := f.db.ListServices(ctx, mustList(t, filter.Services, "size=10"), ProjectScope{ProjectID: f.project.ID})
		if err != nil || page.Total != 2 {
			t.Fatalf("services after refusals: %v %v", page, err)
		}
	})
}

// Deleting a run or a model version unlinks their services; deleting the
// project deletes them.
func TestServiceReferencesFollowDeletes(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		run := f.run(t, f.snapshot(t, f.pipeline(t, "p")), "r", zen.StatusRunning)
		m, err := f.db.CreateModel(ctx, zen.Model{ProjectID: f.project.ID, Name: "m"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		mv, err := f.db.CreateModelVersion(ctx, NewModelVersion{ModelID: m.ID, ProjectID: f.project.ID})
		if err != nil {
			t.Fatal(err)
		}
		s := f.service(t, "s", `{"k": 1}`, run, mv)
		if s.PipelineRun == nil || s.ModelVersion == nil || s.User == nil {
			t.Fatalf("relations not loaded: %+v", s)
		}
		if err := f.db.DeleteRun(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeleteModelVersion(ctx, mv.ID); err != nil {
			t.Fatal(err)
		}
		got, err := f.db.GetService(ctx, s.ID)
		if err != nil || got.PipelineRunID != nil || got.ModelVersionID != nil {
			t.Fatalf("after deletes: %+v %v", got, err)
		}
		other, err := f.db.CreateProject(ctx, zen.Project{Name: "other"})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := f.db.CreateService(ctx, Service{ProjectID: other.ID, Name: "g", ServiceType: json.RawMessage(`{}`), Config: json.RawMessage(`{"g":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeleteProject(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.GetService(ctx, gone.ID); !isCode(err, zen.ENotFound) {
			t.Fatalf("service of a deleted project: %v", err)
		}
	})
}

// statsWorld is the differential scenario's data: r1 10:00:00-10:00:30
// tagged t1 with steps s1 (completed) and s2 (cached) and metadata acc=0.5
// (float), env="prod"; r2 11:30-11:31 tagged t1, t2 with acc=1 (int),
// env="dev"; r3 running since 2026-01-05 09:00.
func (f *fixture) statsWorld(t *testing.T) *zen.Pipeline {
	t.Helper()
	ctx := context.Background()
	p := f.pipeline(t, "stats")
	snap, err := f.db.CreateSnapshot(ctx, zen.Snapshot{ProjectID: f.project.ID, PipelineID: p.ID, StackID: &f.stackID, UserID: &f.admin.ID,
		RunNameTemplate: "r", PipelineConfiguration: []byte(`{"name":"stats"}`), StepCount: 2,
		StepConfigurations: []byte(`{"s1":{"spec":{"upstream_steps":[]},"config":{"name":"s1"}},"s2":{"spec":{"upstream_steps":["s1"]},"config":{"name":"s2"}}}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) *zen.Time {
		tm, err := zen.ParseTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return &tm
	}
	runs := map[string]*zen.Run{}
	for _, r := range []struct {
		name, start, end string
		tags             []TagRef
	}{{"r1", "2026-01-01T10:00:00", "2026-01-01T10:00:30", []TagRef{"t1"}}, {"r2", "2026-01-01T11:30:00", "2026-01-01T11:31:00", []TagRef{"t1", "t2"}},
		{"r3", "2026-01-05T09:00:00", "", nil}} {
		run := zen.Run{Name: r.name, ProjectID: f.project.ID, SnapshotID: snap.ID, UserID: &f.admin.ID, Status: zen.StatusRunning, StartTime: at(r.start)}
		if r.end != "" {
			run.EndTime = at(r.end)
		}
		got, _, err := f.db.GetOrCreateRun(ctx, run, r.tags)
		if err != nil {
			t.Fatal(err)
		}
		runs[r.name] = got
	}
	for _, s := range []struct{ run, name, status string }{{"r1", "s1", zen.StatusCompleted}, {"r1", "s2", "cached"},
		{"r3", "s1", zen.StatusCompleted}, {"r3", "s2", zen.StatusRunning}} {
		if _, err := f.db.CreateStep(ctx, NewStepRun{StepRun: StepRun{Name: s.name, PipelineRunID: runs[s.run].ID, Status: s.status}}); err != nil {
			t.Fatal(err)
		}
	}
	for run, values := range map[string]map[string]json.RawMessage{"r1": {"acc": []byte("0.5"), "env": []byte(`"prod"`)},
		"r2": {"acc": []byte("1"), "env": []byte(`"dev"`)}} {
		e := RunMetadataEntry{Values: values, Types: map[string]string{"acc": "float", "env": "str"}}
		if run == "r2" {
			e.Types["acc"] = "int"
		}
		e.Resources = append(e.Resources, struct {
			ID   uuid.UUID
			Type string
		}{runs[run].ID, "pipeline_run"})
		if err := f.db.AddRunMetadata(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// statsText renders an answer compactly: keys=metrics#count per group.
func statsText(st *RunStats) string {
	var parts []string
	for _, g := range st.Groups {
		var ms []string
		for _, m := range g.Metrics {
			if m == nil {
				ms = append(ms, "null")
			} else {
				ms = append(ms, fmt.Sprint(*m))
			}
		}
		var ks []string
		for _, k := range g.Keys {
			ks = append(ks, string(k))
		}
		parts = append(parts, strings.Join(ks, ",")+"="+strings.Join(ms, ",")+fmt.Sprintf("#%d", g.RunCount))
	}
	if st.Truncated {
		parts = append(parts, "truncated")
	}
	return strings.Join(parts, " ")
}

// The statistics of the differential scenario, on every engine, as the
// reference answers them on SQLite.
func TestRunStatistics(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		p := f.statsWorld(t)
		scope := RunScope{ProjectID: f.project.ID}
		l := mustList(t, filter.Runs, "pipeline_id="+p.ID.String())
		cases := []struct {
			q    RunStatsQuery
			want string
		}{
			{RunStatsQuery{Metrics: []StatsMetric{{Source: "duration", Aggregation: "avg"}, {Source: "step_count", Aggregation: "sum"},
				{Source: "cached_step_count", Aggregation: "max"}, {Source: "output_artifact_count", Aggregation: "min"}}},
				"=44.999997317790985,4,1,0#3"},
			{RunStatsQuery{Groupings: []StatsGrouping{{Type: "time", Granularity: "hour"}}, Metrics: []StatsMetric{{Source: "duration", Aggregation: "sum"}}},
				`"2026-01-01 10:00:00"=29.999998211860657#1 "2026-01-01 11:00:00"=59.99999642372131#1 "2026-01-05 09:00:00"=null#1`},
			{RunStatsQuery{Groupings: []StatsGrouping{{Type: "time", Granularity: "day"}}}, `"2026-01-01"=#2 "2026-01-05"=#1`},
			{RunStatsQuery{Groupings: []StatsGrouping{{Type: "time", Granularity: "month"}}}, `"2026-01-01"=#3`},
			{RunStatsQuery{Groupings: []StatsGrouping{{Type: "time", Granularity: "week"}}, MaxGroups: 1}, `"2026-01-05"=#1 truncated`},
			{RunStatsQuery{Groupings: []StatsGrouping{{Type: "tag"}}}, `"t1"=#2 null=#1 "t2"=#1`},
			{RunStatsQuery{Groupings: []StatsGrouping{{Type: "metadata", MetadataKey: "env"}}, Metrics: []StatsMetric{
				{Source: "metadata", MetadataKey: "acc", Aggregation: "avg"}, {Source: "metadata", MetadataKey: "env", Aggregation: "max"}}},
				`null=null,null#1 "dev"=1,null#1 "prod"=0.5,null#1`},
			{RunStatsQuery{Groupings: []StatsGrouping{{Type: "trigger"}, {Type: "stack"}}}, `null,"` + f.stackID.String() + `"=#3`},
		}
		for _, c := range cases {
			if c.q.MaxGroups == 0 {
				c.q.MaxGroups = 1000
			}
			st, err := f.db.RunStatistics(context.Background(), l, scope, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := statsText(st); got != c.want {
				t.Errorf("%+v:\n got %s\nwant %s", c.q, got, c.want)
			}
		}
		none := mustList(t, filter.Runs, "name=no-such-run")
		for q, want := range map[*RunStatsQuery]string{
			{MaxGroups: 5, Metrics: []StatsMetric{{Source: "duration", Aggregation: "avg"}}}: "=null#0",
			{MaxGroups: 5, Groupings: []StatsGrouping{{Type: "status"}}}:                     "",
		} {
			st, err := f.db.RunStatistics(context.Background(), none, scope, *q)
			if err != nil || statsText(st) != want {
				t.Errorf("no runs: %q %v, want %q", statsText(st), err, want)
			}
		}
	})
}

// SQLite's julianday arithmetic, checked against Python's sqlite3 (3.40.1,
// the reference's): (julianday(end) - julianday(start)) * 86400.0.
func TestSQLiteDuration(t *testing.T) {
	for _, c := range []struct {
		start, end int64
		want       float64
	}{
		{1767261600000000, 1767261630000000, 29.999998211860657},
		{1767267000000000, 1767267060000000, 59.99999642372131},
		{1767261600999700, 1767261630123456, 29.123036563396454},
		{1767261600999500, 1767261601000400, 0.0},
		{946684799999999, 1767261600000001, 820576799.9999866},
		{-259199876544, 5000, 259199.8819962144},
	} {
		if got := sqliteDuration(c.start, c.end); got != c.want {
			t.Errorf("duration %d..%d = %v, want %v", c.start, c.end, got, c.want)
		}
	}
	for us, want := range map[int64]string{1767261600000000: "2025-12-29", 1767603600000000: "2026-01-05", 1767225599000000: "2025-12-29", 1709164800000000: "2024-02-26"} {
		if got := timeBucket(us, "week"); got != want {
			t.Errorf("week of %d = %s, want %s", us, got, want)
		}
	}
}
