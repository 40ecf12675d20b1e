package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func durs(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	cases := []struct {
		vals []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{durs(7), 50, 7 * time.Millisecond},
		{durs(7), 99, 7 * time.Millisecond},
		{durs(1, 2), 50, 1 * time.Millisecond},
		{durs(1, 2), 51, 2 * time.Millisecond},
		{durs(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{durs(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{durs(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{durs(1, 2, 3, 4), 0, 1 * time.Millisecond},
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 90, 90 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond},
		{hundred, 99.5, 100 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(c.vals, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.vals, c.p, got, c.want)
		}
	}
}

func TestComputeStats(t *testing.T) {
	lat := durs(4, 1, 3, 2) // unsorted on purpose
	s := computeStats(lat, map[string]int64{"200": 4}, 1, 2*time.Second)
	if s.Requests != 4 || s.Errors != 1 || s.RPS != 2 {
		t.Fatalf("counts: %+v", s)
	}
	if s.P50Ms != 2 || s.P90Ms != 4 || s.P99Ms != 4 || s.MaxMs != 4 || s.MeanMs != 2.5 {
		t.Fatalf("latencies: %+v", s)
	}
}

func TestParseFlag(t *testing.T) {
	cases := []struct {
		in                 string
		name, method, path string
		weight             int
		body               string
	}{
		{"list=/api/v1/pipelines?size=20", "list", "", "/api/v1/pipelines?size=20", 0, ""},
		{"list*3=GET /api/v1/pipelines", "list", "GET", "/api/v1/pipelines", 3, ""},
		{`create=POST /api/v1/pipelines {"name": "p-{{.Seq}}"}`, "create", "POST", "/api/v1/pipelines", 0, `{"name": "p-{{.Seq}}"}`},
	}
	for _, c := range cases {
		r, err := ParseFlag(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		var body string
		if len(r.Body) > 0 {
			json.Unmarshal(r.Body, &body)
		}
		if r.Name != c.name || r.Method != c.method || r.Path != c.path || r.Weight != c.weight || body != c.body {
			t.Errorf("%s: got %+v (body %q)", c.in, r, body)
		}
	}
	for _, bad := range []string{"", "noequals", "=/x", "a*0=/x", "a*x=/x", "a=POST", "a=relative/path", "a=FETCH /x"} {
		if _, err := ParseFlag(bad); err == nil {
			t.Errorf("ParseFlag(%q) accepted", bad)
		}
	}
}

func TestParseSpecJSON(t *testing.T) {
	s, err := ParseSpecJSON([]byte(`{
		"headers": {"Authorization": "Bearer x"},
		"vars": {"ids": ["a", "b"]},
		"requests": [
			{"name": "get", "weight": 2, "path": "/p/{{pick \"ids\"}}"},
			{"name": "put", "method": "put", "path": "/p/a", "body": {"add_tags": ["t"]}}
		]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Requests) != 2 || s.Requests[0].Weight != 2 {
		t.Fatalf("%+v", s)
	}
	ch, err := s.compile()
	if err != nil {
		t.Fatal(err)
	}
	if ch.total != 3 || ch.reqs[1].method != "PUT" || string(ch.reqs[1].body) != `{"add_tags": ["t"]}` {
		t.Fatalf("compiled: %+v", ch)
	}
	for _, bad := range []string{
		`{}`,
		`{"requests": [{"name": "a", "path": "/x"}, {"name": "a", "path": "/y"}]}`,
		`{"requests": [{"name": "a", "path": "/{{nope}}"}]}`,
		`{"requests": [{"name": "a", "path": "/x", "weight": -1}]}`,
		`{"requests": [{"name": "a", "path": "/x"}], "unknown": 1}`,
	} {
		if _, err := ParseSpecJSON([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestChooserFollowsWeights(t *testing.T) {
	s := &Spec{Requests: []RequestSpec{{Name: "a", Path: "/a", Weight: 1}, {Name: "b", Path: "/b", Weight: 3}, {Name: "c", Path: "/c"}}}
	ch, err := s.compile()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for r := 0; r < ch.total; r++ {
		counts[ch.reqs[ch.choose(r)].name]++
	}
	if counts["a"] != 1 || counts["b"] != 3 || counts["c"] != 1 {
		t.Fatalf("counts %v", counts)
	}
}

func TestRunAgainstServer(t *testing.T) {
	var mu sync.Mutex
	names := map[string]bool{}
	paths := map[string]int{}
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		paths[r.URL.Path]++
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		switch {
		case r.URL.Path == "/fail":
			w.WriteHeader(500)
		case r.Method == "POST":
			var body struct{ Name string }
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &body); err != nil || r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(422)
				return
			}
			mu.Lock()
			dup := names[body.Name]
			names[body.Name] = true
			mu.Unlock()
			if dup {
				w.WriteHeader(409)
				return
			}
			w.Write([]byte(`{}`))
		default:
			w.Write([]byte(strings.Repeat("x", 2000)))
		}
	}))
	defer srv.Close()

	spec := &Spec{
		Headers: map[string]string{"Authorization": "Bearer tok"},
		Vars:    map[string][]string{"ids": {"one", "two"}},
		Requests: []RequestSpec{
			{Name: "get", Weight: 5, Path: `/items/{{pick "ids"}}`},
			{Name: "create", Weight: 2, Method: "POST", Path: "/items", Body: json.RawMessage(`"{\"name\": \"n-{{.Run}}-{{.Seq}}\"}"`)},
			{Name: "fail", Weight: 1, Path: "/fail"},
		},
	}
	res, err := Run(context.Background(), Config{BaseURL: srv.URL, Spec: spec, Concurrency: 4, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Requests < 50 {
		t.Fatalf("only %d requests", res.Total.Requests)
	}
	get, create, fail := res.ByRequest["get"], res.ByRequest["create"], res.ByRequest["fail"]
	if get.Requests == 0 || create.Requests == 0 || get.Errors != 0 || create.Errors != 0 {
		t.Fatalf("unexpected errors: get %+v create %+v samples %v", get, create, res.ErrorSamples)
	}
	if fail.Errors != fail.Requests || fail.Requests == 0 || fail.Status["500"] != fail.Requests {
		t.Fatalf("fail: %+v", fail)
	}
	if res.Total.Errors != fail.Errors {
		t.Fatalf("total errors %d, want %d", res.Total.Errors, fail.Errors)
	}
	if get.Requests+create.Requests+fail.Requests != res.Total.Requests {
		t.Fatal("per-request counts do not add up")
	}
	if res.Total.P50Ms <= 0 || res.Total.P99Ms < res.Total.P50Ms || res.Total.RPS <= 0 {
		t.Fatalf("figures: %+v", res.Total)
	}
	if len(res.ErrorSamples) != 1 || !strings.Contains(res.ErrorSamples[0], "HTTP 500") {
		t.Fatalf("error samples: %v", res.ErrorSamples)
	}
	mu.Lock()
	defer mu.Unlock()
	if paths["/items/one"] == 0 || paths["/items/two"] == 0 {
		t.Fatalf("pick did not spread: %v", paths)
	}
	// Keep-alive: 4 workers make a handful of connections, not one per request.
	if len(conns) > 8 {
		t.Fatalf("%d connections for 4 workers", len(conns))
	}
	var sb strings.Builder
	res.WriteText(&sb)
	if !strings.Contains(sb.String(), "total") || !strings.Contains(sb.String(), "create") {
		t.Fatalf("text report:\n%s", sb.String())
	}
	sb.Reset()
	if err := res.WriteJSON(&sb); err != nil || !json.Valid([]byte(sb.String())) {
		t.Fatalf("JSON report: %v", err)
	}
}

func TestRunStopsAtMaxRequestsAndCountsTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	spec := &Spec{Requests: []RequestSpec{{Name: "x", Path: "/"}}}
	res, err := Run(context.Background(), Config{BaseURL: url, Spec: spec, Concurrency: 2, Duration: 10 * time.Second, MaxRequests: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Requests < 20 || res.Total.Requests > 22 || res.DurationSec > 5 {
		t.Fatalf("max requests: %+v", res)
	}
	srv.Close()
	res, err = Run(context.Background(), Config{BaseURL: url, Spec: spec, Concurrency: 1, Duration: 100 * time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Requests == 0 || res.Total.Errors != res.Total.Requests || res.Total.Status["0"] != res.Total.Requests {
		t.Fatalf("transport errors: %+v", res.Total)
	}
}

func TestTemplatesSeeWorkerSequence(t *testing.T) {
	s := &Spec{Vars: map[string][]string{"ids": {"a", "b", "c"}}, Requests: []RequestSpec{{
		Name: "u", Method: "PUT", Path: `/p/{{pickAt "ids" (hash .Worker (div .WSeq 2))}}`,
		Body: json.RawMessage(`"{{if even .WSeq}}add{{else}}remove{{end}}"`),
	}}}
	ch, err := s.compile()
	if err != nil {
		t.Fatal(err)
	}
	var paths, bodies []string
	for wseq := uint64(0); wseq < 4; wseq++ {
		req, err := ch.reqs[0].build(context.Background(), "http://h", Vars{Worker: 3, WSeq: wseq}, new(bytesBuffer))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(req.Body)
		paths = append(paths, req.URL.Path)
		bodies = append(bodies, string(b))
	}
	if paths[0] != paths[1] || paths[2] != paths[3] {
		t.Fatalf("add and remove should hit the same pipeline: %v", paths)
	}
	for _, p := range paths {
		if p != "/p/a" && p != "/p/b" && p != "/p/c" {
			t.Fatalf("path %q does not pick one of the ids", p)
		}
	}
	if strings.Join(bodies, ",") != "add,remove,add,remove" {
		t.Fatalf("bodies %v", bodies)
	}
}

func TestMinRequestsStretchesTheWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(60 * time.Millisecond)
	}))
	defer srv.Close()
	spec := &Spec{Requests: []RequestSpec{{Name: "slow", Path: "/"}}}
	res, err := Run(context.Background(), Config{BaseURL: srv.URL, Spec: spec, Concurrency: 1, Duration: 10 * time.Millisecond, MinRequests: 3, MaxDuration: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Requests < 3 || res.DurationSec < 0.15 || res.Total.P50Ms < 60 {
		t.Fatalf("%+v %+v", res, res.Total)
	}
	// Without it, a window shorter than one request counts nothing, and
	// says a request was left unanswered.
	res, err = Run(context.Background(), Config{BaseURL: srv.URL, Spec: spec, Concurrency: 1, Duration: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Requests != 0 || res.InFlightAtEnd != 1 {
		t.Fatalf("%+v", res)
	}
}
