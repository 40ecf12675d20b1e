package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"zengo/internal/storetest"
)

// startServer runs the whole program (`zengo serve`) on port 0 with a
// temporary database and returns its base URL. The server stops when the
// test ends, through the same graceful path as SIGTERM.
func startServer(t *testing.T, env map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	base, stop := serveUntilStopped(t, func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		switch k {
		case "ZENGO_DATA_DIR":
			return dir
		case "ZENML_DEFAULT_USER_PASSWORD":
			return "secret"
		case "ZENGO_LOG_LEVEL":
			return "error"
		}
		return ""
	}, testLog())
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("server stopped with an error: %v", err)
		}
	})
	return base
}

// serveUntilStopped runs `zengo serve` on port 0 with getenv, logging to
// logW, and returns its base URL and the function that stops it (and
// reports how serve ended).
func serveUntilStopped(t *testing.T, getenv func(string) string, logW io.Writer) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0"}, getenv, outW, logW)
		outW.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("server did not start: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	_, rest, _ := strings.Cut(line, "http://")
	addr, _, _ := strings.Cut(rest, " ")
	base := "http://" + addr
	waitHealthy(t, base)
	var once sync.Once
	var stopErr error
	return base, func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never became healthy")
}

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	if body == nil {
		return c.raw(method, path, nil)
	}
	b, _ := json.Marshal(body)
	return c.raw(method, path, b)
}

// raw sends body as it is, JSON or not (nil: no body).
func (c *client) raw(method, path string, body []byte) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// json sends a request, checks the status and decodes the answer.
func (c *client) json(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	status, b := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	var out map[string]any
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &out); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q", method, path, b)
		}
	}
	return out
}

func login(t *testing.T, base, user, password string) *client {
	t.Helper()
	resp, err := http.PostForm(base+"/api/v1/login", url.Values{"username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if resp.StatusCode != 200 || tok.AccessToken == "" || tok.TokenType != "bearer" {
		t.Fatalf("login: status %d, token %q", resp.StatusCode, tok.AccessToken)
	}
	return &client{t: t, base: base, token: tok.AccessToken}
}

func TestServeEndToEnd(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		testServeEndToEnd(t, startServer(t, map[string]string{"ZENML_STORE_URL": url}), strings.SplitN(url, ":", 2)[0])
	})
}

func testServeEndToEnd(t *testing.T, base, scheme string) {
	anon := &client{t: t, base: base}

	info := anon.json("GET", "/api/v1/info", nil, 200)
	wantDB := map[string]string{"sqlite": "sqlite", "mysql": "mysql"}[scheme]
	if wantDB == "" {
		wantDB = "other"
	}
	if info["version"] != "0.98.0" || info["auth_scheme"] != "OAUTH2_PASSWORD_BEARER" || info["database_type"] != wantDB {
		t.Errorf("info: %v", info)
	}
	if status, body := anon.do("GET", "/api/v1/current-user", nil); status != 401 || !strings.Contains(string(body), "Not authenticated") {
		t.Errorf("anonymous current-user: %d %s", status, body)
	}
	if status, body := (&client{t: t, base: base, token: "garbage"}).do("GET", "/api/v1/current-user", nil); status != 401 ||
		!strings.Contains(string(body), `["CredentialsNotValid","Authentication error: error decoding access token: Invalid JWT token: Not enough segments."]`) {
		t.Errorf("garbage token: %d %s", status, body)
	}

	c := login(t, base, "default", "secret")
	me := c.json("GET", "/api/v1/current-user", nil, 200)
	if me["name"] != "default" || me["body"].(map[string]any)["is_admin"] != true {
		t.Errorf("current user: %v", me)
	}
	project := c.json("GET", "/api/v1/projects/default", nil, 200)
	projectID := project["id"].(string)
	stacks := c.json("GET", "/api/v1/stacks?name=default&hydrate=True", nil, 200)
	if stacks["total"].(float64) != 1 {
		t.Fatalf("default stack: %v", stacks)
	}
	comps := stacks["items"].([]any)[0].(map[string]any)["metadata"].(map[string]any)["components"].(map[string]any)
	for _, typ := range []string{"orchestrator", "artifact_store", "deployer"} {
		if len(comps[typ].([]any)) != 1 {
			t.Errorf("default stack has no %s: %v", typ, comps)
		}
	}

	// A pipeline's life: create with tags, find, update, delete.
	p := c.json("POST", "/api/v1/pipelines", map[string]any{"name": "train", "project": projectID, "description": "d", "tags": []string{"prod", "nlp"}}, 200)
	pid := p["id"].(string)
	tags := p["resources"].(map[string]any)["tags"].([]any)
	if len(tags) != 2 || tags[0].(map[string]any)["name"] != "nlp" {
		t.Errorf("tags on create, sorted by name: %v", tags)
	}
	dup := c.json("POST", "/api/v1/pipelines", map[string]any{"name": "train", "project": projectID}, 409)
	if want := fmt.Sprintf("Unable to create pipeline in project '%s': A pipeline with the name train already exists.", projectID); dup["detail"].([]any)[1] != want {
		t.Errorf("duplicate: %v", dup)
	}
	page := c.json("GET", "/api/v1/pipelines?name=contains:RAI&tags=prod", nil, 200)
	if page["total"].(float64) != 1 || page["items"].([]any)[0].(map[string]any)["metadata"] != nil {
		t.Errorf("filtered list: %v", page)
	}
	up := c.json("PUT", "/api/v1/pipelines/"+pid, map[string]any{"add_tags": []string{"fresh"}, "remove_tags": []string{"prod"}}, 200)
	names := []string{}
	for _, tg := range up["resources"].(map[string]any)["tags"].([]any) {
		names = append(names, tg.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "fresh,nlp" || up["metadata"].(map[string]any)["description"] != "d" {
		t.Errorf("after update: tags %v, metadata %v", names, up["metadata"])
	}
	if status, _ := c.do("DELETE", "/api/v1/pipelines/"+pid, nil); status != 200 {
		t.Errorf("delete: %d", status)
	}
	c.json("GET", "/api/v1/pipelines/"+pid, nil, 404)
	c.json("DELETE", "/api/v1/pipelines/"+pid, nil, 404)

	// Errors keep the reference's shapes.
	if status, body := c.do("GET", "/api/v1/pipelines?page=0", nil); status != 422 || !strings.HasPrefix(string(body), `["ValueError",`) {
		t.Errorf("page=0: %d %s", status, body)
	}
	if status, body := c.do("GET", "/api/v1/pipelines/not-a-uuid", nil); status != 422 || !strings.Contains(string(body), "uuid_parsing") {
		t.Errorf("bad uuid: %d %s", status, body)
	}
	if status, body := c.do("GET", "/api/v1/nope", nil); status != 404 || string(body) != `{"detail":"Not Found"}` {
		t.Errorf("unknown route: %d %s", status, body)
	}
	if status, body := c.do("PATCH", "/api/v1/projects", map[string]any{}); status != 405 || string(body) != `{"detail":"Method Not Allowed"}` {
		t.Errorf("wrong method: %d %s", status, body)
	}
}

// Two processes on one database share everything: a token issued by one
// works on the other, and a write through one is visible through the other.
func TestTwoProcessesShareOneDatabase(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		env := map[string]string{"ZENML_STORE_URL": url}
		a := login(t, startServer(t, env), "default", "secret")
		b := &client{t: t, base: startServer(t, env), token: a.token}
		b.json("GET", "/api/v1/current-user", nil, 200)
		project := a.json("GET", "/api/v1/projects/default", nil, 200)["id"]
		created := a.json("POST", "/api/v1/pipelines", map[string]any{"name": "shared", "project": project}, 200)
		got := b.json("GET", "/api/v1/pipelines/"+created["id"].(string), nil, 200)
		if got["name"] != "shared" {
			t.Fatalf("write through one process not visible through the other: %v", got)
		}
	})
}

func TestEmptyAdminPasswordOnlyOnLoopback(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "ZENGO_DATA_DIR" {
			return dir
		}
		return ""
	}
	err := run(context.Background(), []string{"serve", "--listen", "0.0.0.0:0"}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ZENML_DEFAULT_USER_PASSWORD") {
		t.Fatalf("want a refusal naming ZENML_DEFAULT_USER_PASSWORD, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "zengo.db")); err != nil {
		t.Fatalf("the database should exist (migrated) even when refused: %v", err)
	}
}

func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "ZENGO_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"user", "create", "alice", "--password", "pw1", "--admin"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"user", "list"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "alice") {
		t.Fatalf("user list: %s", out.String())
	}
	if err := run(context.Background(), []string{"user", "set-password", "alice", "--password", "pw2"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ZENGO_DATA_DIR": dir}
	base := startServer(t, env)
	login(t, base, "alice", "pw2").json("GET", "/api/v1/current-user", nil, 200)
}

// Every variable the program's settings name (in config.go and serve.go)
// is listed by serve --help.
func TestHelpListsEveryVariable(t *testing.T) {
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, func(string) string { return "" }, io.Discard, &errOut); err != nil && !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	variable := regexp.MustCompile(`"((?:ZENGO|ZENML)_[A-Z0-9_]+)"`)
	var named []string
	for _, file := range []string{"config.go", "serve.go", "limits.go", "dashboard.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range variable.FindAllStringSubmatch(string(src), -1) {
			named = append(named, m[1])
		}
	}
	if len(named) < 10 {
		t.Fatalf("found only %d variables in the sources: %v", len(named), named)
	}
	for _, v := range named {
		if !strings.Contains(errOut.String(), v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

// testLog is where servers under test log: nowhere, unless ZENGO_TEST_LOG
// names a file (for debugging a failing test).
func testLog() io.Writer {
	if path := os.Getenv("ZENGO_TEST_LOG"); path != "" {
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			return f
		}
	}
	return io.Discard
}
