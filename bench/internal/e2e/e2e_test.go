// Package e2e tests the seeders and the request mix against a real zengo
// built from ./cmd/zengo and started on a free port.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zengo/bench/internal/mix"
	"zengo/bench/internal/proc"
	"zengo/bench/internal/storeseed"
	"zengo/bench/internal/zenapi"
	"zengo/bench/loadgen"
	"zengo/internal/store"
)

const password = "e2e-Pa55word"

var zengoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bench-e2e-")
	if err != nil {
		panic(err)
	}
	zengoBin = filepath.Join(dir, "zengo")
	root := strings.TrimSpace(output("go", "env", "GOMOD"))
	cmd := exec.Command("go", "build", "-o", zengoBin, "./cmd/zengo")
	cmd.Dir = filepath.Dir(root)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/zengo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func output(name string, args ...string) string {
	b, _ := exec.Command(name, args...).Output()
	return string(b)
}

func startZengo(t *testing.T, storeURL string) *proc.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := proc.StartZengo(ctx, zengoBin, t.TempDir(), storeURL, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func TestAPISeederMakesTheData(t *testing.T) {
	s := startZengo(t, "")
	ctx := context.Background()
	c := zenapi.New(s.URL, 4)
	res, err := zenapi.Seed(ctx, c, "default", password, zenapi.SeedSpec{Pipelines: 12, Tags: 2, Runs: 3, Users: 2, Concurrency: 4, Prefix: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range res.PipelineIDs {
		if id == "" || seen[id] {
			t.Fatalf("ids %v", res.PipelineIDs)
		}
		seen[id] = true
	}
	// 2 users + 2 logins are not counted; 8 tags, 12 × (pipeline + snapshot + 3 runs).
	if want := int64(2 + 8 + 12*5); res.Requests != want {
		t.Errorf("requests %d, want %d", res.Requests, want)
	}
	token, err := c.Login(ctx, "default", password)
	if err != nil {
		t.Fatal(err)
	}
	var page zenapi.Page
	if err := c.Do(ctx, token, "GET", "/api/v1/pipelines?size=50&name=startswith:e2e-", nil, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 12 {
		t.Fatalf("pipelines total %d", page.Total)
	}
	var p struct {
		Name      string   `json:"name"`
		Body      struct{} `json:"body"`
		Resources struct {
			User *struct{ Name string }  `json:"user"`
			Tags []struct{ Name string } `json:"tags"`
		} `json:"resources"`
	}
	if err := c.Do(ctx, token, "GET", "/api/v1/pipelines/"+res.PipelineIDs[5], nil, &p); err != nil {
		t.Fatal(err)
	}
	if p.Name != "e2e-0000005" || len(p.Resources.Tags) != 2 {
		t.Fatalf("pipeline 5: %+v", p)
	}
	if p.Resources.User == nil || p.Resources.User.Name != "e2e-user-1" {
		t.Fatalf("pipeline 5 should belong to e2e-user-1: %+v", p.Resources.User)
	}
	var runs zenapi.Page
	if err := c.Do(ctx, token, "GET", "/api/v1/runs?pipeline_id="+res.PipelineIDs[5], nil, &runs); err != nil {
		t.Fatal(err)
	}
	if runs.Total != 3 {
		t.Fatalf("runs of pipeline 5: %d", runs.Total)
	}
	// The seeding users can log in.
	if _, err := c.Login(ctx, "e2e-user-0", "bench-Pa55word"); err != nil {
		t.Fatal(err)
	}
}

func TestStoreSeederAndTheMix(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:///" + filepath.Join(dir, "zengo.db")
	ctx := context.Background()
	res, err := storeseed.Run(ctx, storeseed.Options{StoreURL: url, AdminPassword: password, Spec: store.SeedSpec{
		Pipelines: 1100, TagsPerPipeline: 3, TagPool: 12, RunsPerPipeline: 5, Users: 3, NamePrefix: "pipeline",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 1100*10 || res.Pipelines != 1100 {
		t.Fatalf("result %+v", res)
	}
	s := startZengo(t, url)
	c := zenapi.New(s.URL, 1)
	token, err := c.Login(ctx, "default", password)
	if err != nil {
		t.Fatal(err)
	}
	project, _, err := c.ProjectAndStack(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	var page zenapi.Page
	if err := c.Do(ctx, token, "GET", "/api/v1/pipelines?size=100&page=3&hydrate=false", nil, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 1100 || len(page.Items) != 100 {
		t.Fatalf("total %d, %d items", page.Total, len(page.Items))
	}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	var runs zenapi.Page
	if err := c.Do(ctx, token, "GET", "/api/v1/runs?pipeline_id="+ids[0], nil, &runs); err != nil || runs.Total != 5 {
		t.Fatalf("runs of a seeded pipeline: %d, %v", runs.Total, err)
	}
	// The filtered list matches ten pipelines.
	frag := mix.FilterFragment("pipeline", 1100)
	if err := c.Do(ctx, token, "GET", "/api/v1/pipelines?name=contains:"+frag, nil, &page); err != nil || page.Total != 10 {
		t.Fatalf("filter %s: %d matches, %v", frag, page.Total, err)
	}
	// Every endpoint of the mix answers 2xx.
	eps := mix.Endpoints(mix.Params{Token: token, ProjectID: project, PipelineIDs: ids, Prefix: "pipeline", Pipelines: 1100, DeepPage: 55}, nil)
	if len(eps) != 7 {
		t.Fatalf("%d endpoints", len(eps))
	}
	for _, ep := range eps {
		r, err := loadgen.Run(ctx, loadgen.Config{BaseURL: s.URL, Spec: ep.Spec, Concurrency: 2, Duration: 5 * time.Second, MaxRequests: 20})
		if err != nil {
			t.Fatal(err)
		}
		if r.Total.Errors != 0 || r.Total.Requests < 20 {
			t.Errorf("%s: %+v %v", ep.Name, r.Total, r.ErrorSamples)
		}
	}
	// The memory sampler sees the server.
	if m := proc.TreeMemory(s.Pid()); m.RSSKiB <= 0 || m.HWMKiB < m.RSSKiB {
		t.Errorf("memory %+v", m)
	}
}
