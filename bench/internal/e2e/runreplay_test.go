package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"zengo/bench/internal/runreplay"
	"zengo/bench/internal/zenapi"
)

// The recorded run sequence replays against a real zengo: two concurrent
// runs of 4 steps, no error, every step completed, each run's DAG a chain
// of 4 steps, and zengo's statement counter readable on /metrics.
func TestRecordedRunsReplay(t *testing.T) {
	s := startZengo(t, "")
	ctx := context.Background()
	cl := zenapi.New(s.URL, 4)
	token, err := cl.Login(ctx, "default", password)
	if err != nil {
		t.Fatal(err)
	}
	project, stack, err := cl.ProjectAndStack(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Metadata struct {
			Components map[string][]zenapi.Entity `json:"components"`
		} `json:"metadata"`
	}
	if err := cl.Do(ctx, token, "GET", "/api/v1/stacks/"+stack+"?hydrate=true", nil, &st); err != nil {
		t.Fatal(err)
	}
	tmpl, err := runreplay.Load("../../runs/sequence.json")
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"project": project, "stack": stack, "artifact_store": st.Metadata.Components["artifact_store"][0].ID}
	tg := runreplay.Target{URL: s.URL, Token: token, HTTP: cl.HTTP}
	rec := runreplay.NewRecorder()
	// The pipeline exists before the parallel runs, as the benchmark's warm-up makes sure.
	if err := tmpl.Replay(ctx, tg, base, runreplay.RunSpec{Pipeline: "e2e_runs", Name: "e2e-warmup", Steps: 1}, rec, nil); err != nil {
		t.Fatal(err)
	}
	runs := make([]string, 2)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := tmpl.Replay(ctx, tg, base, runreplay.RunSpec{Pipeline: "e2e_runs", Name: "e2e-run-" + runreplay.NewID(), Steps: 4}, rec,
				func(_ int, v *runreplay.Vars) { runs[i] = v.Text["run"] })
			if err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	sum := rec.Summarize(1e9, tmpl.Kinds())
	if sum.Errors != 0 || sum.Runs != 3 || sum.Steps != 9 {
		t.Fatalf("replay: %d errors %v, %d runs, %d steps", sum.Errors, sum.ErrorSamples, sum.Runs, sum.Steps)
	}
	for _, run := range runs {
		var r struct {
			Body struct {
				Status string `json:"status"`
			} `json:"body"`
		}
		if err := cl.Do(ctx, token, "GET", "/api/v1/runs/"+run, nil, &r); err != nil || r.Body.Status != "completed" {
			t.Fatalf("run %s: %q %v", run, r.Body.Status, err)
		}
		var dag struct {
			Nodes []struct {
				Type string `json:"type"`
			} `json:"nodes"`
			Edges []json.RawMessage `json:"edges"`
		}
		if err := cl.Do(ctx, token, "GET", "/api/v1/runs/"+run+"/dag", nil, &dag); err != nil {
			t.Fatal(err)
		}
		steps := 0
		for _, n := range dag.Nodes {
			if n.Type == "step" {
				steps++
			}
		}
		// 4 steps, 4 artifacts; each step → its artifact, 3 artifacts → the next step.
		if steps != 4 || len(dag.Nodes) != 8 || len(dag.Edges) != 7 {
			t.Fatalf("DAG: %d step nodes, %d nodes, %d edges", steps, len(dag.Nodes), len(dag.Edges))
		}
	}
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var n int64
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "zengo_db_statements_total "); ok {
			n, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if n < int64(sum.Requests) {
		t.Fatalf("zengo_db_statements_total %d after %d requests", n, sum.Requests)
	}
}
