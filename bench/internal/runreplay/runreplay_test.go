package runreplay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestExpand(t *testing.T) {
	v := NewVars()
	v.Text["name"] = `a "quoted" name`
	v.Text["id"] = "42"
	v.JSON["inputs"] = json.RawMessage(`{"x": ["1"]}`)
	got, err := v.Expand(`{"n": "${name}", "path": "/x/${id}", "inputs": "${json:inputs}"}`, true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"n": "a \"quoted\" name", "path": "/x/42", "inputs": {"x": ["1"]}}`
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if p, _ := v.Expand("/runs/${id}?name=${name}", false); p != `/runs/42?name=a "quoted" name` {
		t.Fatalf("path: %s", p)
	}
	if _, err := v.Expand(`${nope} "${json:nada}"`, true); err == nil || !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), "json:nada") {
		t.Fatalf("missing variables: %v", err)
	}
}

func TestLookup(t *testing.T) {
	answer := []byte(`[{"id": "run-1", "body": {"index": 3}}, true]`)
	for path, want := range map[string]string{"0.id": "run-1", "0.body.index": "3", "1": "true"} {
		if got, ok := Lookup(answer, path); !ok || got != want {
			t.Errorf("%s: got %q %v, want %q", path, got, ok, want)
		}
	}
	for _, path := range []string{"2.id", "0.nope", "x", "0.id.deeper"} {
		if _, ok := Lookup(answer, path); ok {
			t.Errorf("%s: found", path)
		}
	}
	if _, ok := Lookup([]byte(`{"items": []}`), "items.0.id"); ok {
		t.Error("empty page: found")
	}
}

// The checked-in template parses, and its snapshot for S steps is valid
// JSON with every placeholder filled: S step configurations, the first
// without inputs, the others each reading the step before.
func TestCheckedInTemplateSnapshot(t *testing.T) {
	tmpl, err := Load("../../runs/sequence.json")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVars()
	for _, k := range []string{"project", "stack", "artifact_store", "pipeline", "pipeline_name", "now"} {
		v.Text[k] = k + "-value"
	}
	body, err := tmpl.BuildSnapshot(5, v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "${") {
		t.Fatalf("placeholder left in the snapshot")
	}
	var snap struct {
		Pipeline string `json:"pipeline"`
		Configs  map[string]struct {
			Spec struct {
				Upstream []string       `json:"upstream_steps"`
				Inputs   map[string]any `json:"inputs"`
			} `json:"spec"`
			Config struct {
				Name string `json:"name"`
			} `json:"config"`
		} `json:"step_configurations"`
		Spec struct {
			Steps []struct {
				Invocation string   `json:"invocation_id"`
				Upstream   []string `json:"upstream_steps"`
			} `json:"steps"`
		} `json:"pipeline_spec"`
	}
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Configs) != 5 || len(snap.Spec.Steps) != 5 || snap.Pipeline != "pipeline-value" {
		t.Fatalf("snapshot: %d configurations, %d spec steps, pipeline %q", len(snap.Configs), len(snap.Spec.Steps), snap.Pipeline)
	}
	first := snap.Configs[StepName(1)]
	if len(first.Spec.Upstream) != 0 || len(first.Spec.Inputs) != 0 || first.Config.Name != StepName(1) {
		t.Fatalf("first step: %+v", first)
	}
	third := snap.Configs[StepName(3)]
	if len(third.Spec.Upstream) != 1 || third.Spec.Upstream[0] != StepName(2) || third.Spec.Inputs["x"] == nil {
		t.Fatalf("third step: %+v", third)
	}
	if snap.Spec.Steps[4].Invocation != StepName(5) || snap.Spec.Steps[0].Upstream == nil || len(snap.Spec.Steps[0].Upstream) != 0 {
		t.Fatalf("spec steps: %+v", snap.Spec.Steps)
	}
	kinds := strings.Join(tmpl.Kinds(), ",")
	for _, k := range []string{"snapshot_create", "run_placeholder", "cache_lookup", "run_get_or_create", "step_create", "run_metadata", "artifact_batch", "step_update", "logs_step"} {
		if !strings.Contains(kinds, k) {
			t.Errorf("template has no %s: %s", k, kinds)
		}
	}
}

// A replay against a stand-in server sends the run part once and the step
// part per step (skipping not_first requests for step 1), fills captured
// ids into later requests, skips "unless" requests, and counts errors,
// with "database is locked" and deadlocks apart.
func TestReplay(t *testing.T) {
	tmpl, err := Parse([]byte(`{
	  "run": [
	    {"kind": "lookup", "method": "GET", "path": "/api/v1/pipelines?name=${pipeline_name}", "capture": {"pipeline": "items.0.id?"}},
	    {"kind": "create", "method": "POST", "path": "/api/v1/pipelines", "body": {"name": "${pipeline_name}"}, "capture": {"pipeline": "id"}, "unless": "pipeline"},
	    {"kind": "snapshot_create", "method": "POST", "path": "/api/v1/pipeline_snapshots", "body": "${json:snapshot_body}", "capture": {"snapshot": "id"}},
	    {"kind": "run", "method": "POST", "path": "/api/v1/runs", "body": {"snapshot": "${snapshot}", "name": "${run_name}"}, "capture": {"run": "0.id"}}
	  ],
	  "step": [
	    {"kind": "upstream", "method": "GET", "path": "/api/v1/steps?name=${prev}&run=${run}", "not_first": true},
	    {"kind": "step_create", "method": "POST", "path": "/api/v1/steps", "body": {"name": "${step}", "run": "${run}", "inputs": "${json:inputs}"}, "capture": {"step_id": "id"}},
	    {"kind": "artifact_batch", "method": "POST", "path": "/api/v1/artifact_versions/batch", "body": [{"name": "${pipeline_name}::${step}::output"}], "capture": {"output": "0.id"}},
	    {"kind": "step_update", "method": "PUT", "path": "/api/v1/steps/${step_id}", "body": {"outputs": {"output": ["${output}"]}}}
	  ],
	  "snapshot_body": {"pipeline": "${pipeline}", "step_configurations": "${json:step_configurations}", "pipeline_spec": {"steps": "${json:spec_steps}"}},
	  "step_configuration": {"spec": {"upstream_steps": ["${prev}"], "inputs": {"x": "${prev}"}}, "config": {"name": "${step}"}},
	  "spec_step": {"invocation_id": "${step}", "upstream_steps": ["${prev}"], "inputs": {}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	n := 0
	locked := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		n++
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+string(body))
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		switch {
		case r.URL.Path == "/api/v1/pipelines" && r.Method == "GET":
			fmt.Fprint(w, `{"items": []}`)
		case r.URL.Path == "/api/v1/pipelines":
			fmt.Fprint(w, `{"id": "pipe-1"}`)
		case r.URL.Path == "/api/v1/pipeline_snapshots":
			if !json.Valid(body) || !strings.Contains(string(body), `"pipeline":"pipe-1"`) && !strings.Contains(string(body), `"pipeline": "pipe-1"`) {
				w.WriteHeader(422)
				return
			}
			fmt.Fprint(w, `{"id": "snap-1"}`)
		case r.URL.Path == "/api/v1/runs":
			fmt.Fprint(w, `[{"id": "run-1"}, true]`)
		case r.URL.Path == "/api/v1/steps" && r.Method == "POST":
			fmt.Fprintf(w, `{"id": "step-%d"}`, n)
		case r.URL.Path == "/api/v1/artifact_versions/batch":
			if locked {
				locked = false
				w.WriteHeader(500)
				fmt.Fprint(w, `{"detail": "(sqlite3.OperationalError) database is locked"}`)
				return
			}
			fmt.Fprintf(w, `[{"id": "av-%d"}]`, n)
		default:
			fmt.Fprint(w, `{}`)
		}
	}))
	defer srv.Close()
	tg := Target{URL: srv.URL, Token: "tok", HTTP: srv.Client()}
	rec := NewRecorder()
	base := map[string]string{"project": "p"}
	spec := RunSpec{Pipeline: "pl", Name: "r1", Steps: 3}
	err = tmpl.Replay(context.Background(), tg, base, spec, rec, nil)
	if err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("first run: want the locked error, got %v", err)
	}
	seen = nil
	var steps []int
	if err := tmpl.Replay(context.Background(), tg, base, spec, rec, func(i int, v *Vars) { steps = append(steps, i) }); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(seen, "\n")
	if strings.Count(all, "POST /api/v1/pipelines ") != 1 || strings.Count(all, "GET /api/v1/steps") != 2 || strings.Count(all, "PUT /api/v1/steps/step-") != 3 {
		t.Fatalf("requests:\n%s", all)
	}
	for _, want := range []string{`"inputs": {}`, `"name": "step_002", "run": "run-1", "inputs": {"x": ["av-`, `GET /api/v1/steps?name=step_001&run=run-1`, `"name": "pl::step_003::output"`} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in\n%s", want, all)
		}
	}
	if fmt.Sprint(steps) != "[1 2 3]" {
		t.Errorf("steps seen: %v", steps)
	}
	s := rec.Summarize(1e9, tmpl.Kinds())
	if s.Runs != 1 || s.Steps != 3 || s.Errors != 1 || s.DatabaseLocked != 1 || s.Deadlocks != 0 || len(s.ErrorSamples) != 1 {
		t.Fatalf("summary: %+v", s)
	}
	if s.Kinds[0].Kind != "lookup" || s.StepsPerSec != 3 {
		t.Fatalf("kinds: %+v, steps/s %v", s.Kinds, s.StepsPerSec)
	}
}
