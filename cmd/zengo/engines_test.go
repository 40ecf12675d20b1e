package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"zengo/internal/storetest"
)

// The same request sequence against zengo on every configured engine gives
// the same answers, once generated ids and timestamps are replaced by
// their order of first appearance. The sequence leans on what engines
// disagree about by default: case in equality and LIKE, LIKE wildcards,
// NULL ordering, binary string order, unicode, numeric casts of text,
// unique violations and cascades.
func TestEnginesAnswerAlike(t *testing.T) {
	engines := storetest.Engines()
	if len(engines) < 2 {
		t.Skip("only one engine configured: set ZENGO_TEST_POSTGRES_URL and/or ZENGO_TEST_MYSQL_URL")
	}
	var transcripts []string
	for _, e := range engines {
		url := e.Fresh(t)
		base := startServer(t, map[string]string{"ZENML_STORE_URL": url})
		transcripts = append(transcripts, normalizeTranscript(engineScript(t, login(t, base, "default", "secret"))))
	}
	for i := 1; i < len(engines); i++ {
		if transcripts[i] != transcripts[0] {
			a, b := strings.Split(transcripts[0], "\n"), strings.Split(transcripts[i], "\n")
			for j := range a {
				if j >= len(b) || a[j] != b[j] {
					t.Fatalf("%s and %s differ first at line %d:\n%s: %s\n%s: %s", engines[0].Name, engines[i].Name, j,
						engines[0].Name, a[j], engines[i].Name, lineAt(b, j))
				}
			}
			t.Fatalf("%s and %s differ in length", engines[0].Name, engines[i].Name)
		}
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<missing>"
}

// engineScript runs the sequence and returns "request -> status body" lines.
func engineScript(t *testing.T, c *client) string {
	var out strings.Builder
	step := func(method, path string, body any) map[string]any {
		status, b := c.do(method, path, body)
		fmt.Fprintf(&out, "%s %s -> %d %s\n", method, path, status, b)
		if status >= 500 { // every engine failing alike is still a failure
			t.Errorf("%s %s: %d %s", method, path, status, b)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		return m
	}
	project := step("GET", "/api/v1/projects/default", nil)["id"]
	names := []string{"Alpha", "alpha", "beta_1", "beta%2", "Ärger", "zeta", "10", "9", "2.5", "0"}
	var ids []string
	for i, n := range names {
		tags := []string{fmt.Sprintf("t%d", i)}
		if i%4 == 0 {
			tags = nil
		}
		p := step("POST", "/api/v1/pipelines", map[string]any{"name": n, "project": project, "tags": tags, "description": n + " desc"})
		ids = append(ids, fmt.Sprint(p["id"]))
	}
	step("POST", "/api/v1/pipelines", map[string]any{"name": "alpha", "project": project})
	stack := step("GET", "/api/v1/stacks?name=default", nil)["items"].([]any)[0].(map[string]any)["id"]
	snap := step("POST", "/api/v1/pipeline_snapshots", map[string]any{"project": project, "run_name_template": "r",
		"pipeline_configuration": map[string]any{"name": "beta_1"}, "stack": stack, "pipeline": ids[2]})
	step("POST", "/api/v1/runs", map[string]any{"project": project, "name": "run-1", "snapshot": snap["id"], "status": "running"})
	step("POST", "/api/v1/runs", map[string]any{"project": project, "name": "run-1", "snapshot": snap["id"], "status": "running"})
	for _, q := range []string{
		"name=alpha", "name=contains:ALPHA", "name=startswith:beta_", "name=contains:%", "name=endswith:%2",
		"name=contains:ärger", "name=contains:Ä", "name=gt:1", "name=lte:2.5", "name=oneof:[\"9\",\"10\"]",
		"name=notequals:zeta&name=notcontains:a", "tags=t1", "tags=isnull:", "tags=notequals:t1",
		// Sorts whose keys tie would fall back to the random ids; these do not tie.
		"sort_by=name", "sort_by=desc:name", "tags=isnotnull:&sort_by=tags", "tags=isnotnull:&sort_by=desc:tags",
		"sort_by=desc:latest_run", "latest_run_status=running", "logical_operator=or&name=zeta&tags=t2",
		"size=3&page=2&sort_by=name", "size=3&page=9",
	} {
		step("GET", "/api/v1/pipelines?hydrate=true&"+q, nil)
	}
	// Name search through the trigram index (SQLite FTS5, PostgreSQL
	// pg_trgm) and the scan (MySQL, short terms) answer alike.
	for _, n := range []string{"Train-Pipeline_one", "training%pipe", "ÄRGER-über-alles", `say "hi" pipeline`} {
		step("POST", "/api/v1/pipelines", map[string]any{"name": n, "project": project})
	}
	for _, v := range []string{"contains:pipeline", "contains:PIPE", "contains:ne_o", "contains:n_pipe", "contains:ing%pip", "contains:äRGER",
		"contains:über", "contains:ÜBER", `contains:"hi"`, "contains:pi", "startswith:train", "endswith:LINE", "contains:%pipe%"} {
		step("GET", "/api/v1/pipelines?sort_by=name&name="+url.QueryEscape(v), nil)
	}
	step("PUT", "/api/v1/pipelines/"+ids[0], map[string]any{"add_tags": []string{"new"}, "remove_tags": []string{"t0"}})
	step("GET", "/api/v1/runs?sort_by=desc:updated", nil)
	step("GET", "/api/v1/runs?sort_by=desc:updated&pipeline_id="+ids[2], nil)
	step("DELETE", "/api/v1/pipelines/"+ids[2], nil)
	step("GET", "/api/v1/runs", nil)
	step("GET", "/api/v1/runs?pipeline_id="+ids[2], nil)
	step("GET", "/api/v1/tags?sort_by=name&hydrate=true", nil)
	step("GET", "/api/v1/users?name=contains:DEF", nil)
	return out.String()
}

var (
	uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timePattern = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?`)
	colorField  = regexp.MustCompile(`"color":"[a-z]+"`)
	subsPattern = regexp.MustCompile(`"(date|time)":"[0-9_]+"`)
)

// normalizeTranscript replaces generated values: ids by their order of
// first appearance, timestamps and random colors by placeholders.
func normalizeTranscript(s string) string {
	seen := map[string]string{}
	s = uuidPattern.ReplaceAllStringFunc(s, func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		seen[id] = fmt.Sprintf("<id%d>", len(seen)+1)
		return seen[id]
	})
	s = timePattern.ReplaceAllString(s, "<time>")
	s = subsPattern.ReplaceAllString(s, `"$1":"<sub>"`)
	return colorField.ReplaceAllString(s, `"color":"<color>"`)
}
