package main

import (
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"zengo/internal/storetest"
)

// Concurrent creates of one pipeline name through two processes: exactly
// one succeeds, the other gets the 409.
func TestConcurrentCreateThroughTwoProcesses(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"ZENML_STORE_URL": dbURL}
		a := login(t, startServer(t, env), "default", "secret")
		b := &client{t: t, base: startServer(t, env), token: a.token}
		project := a.json("GET", "/api/v1/projects/default", nil, 200)["id"]
		for round := 0; round < 5; round++ {
			name := "race-" + string(rune('a'+round))
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			for i, c := range []*client{a, b} {
				wg.Add(1)
				go func(i int, c *client) {
					defer wg.Done()
					statuses[i], _ = c.do("POST", "/api/v1/pipelines", map[string]any{"name": name, "project": project})
				}(i, c)
			}
			wg.Wait()
			if t.Failed() { // a request failed in its goroutine: its message says why
				t.FailNow()
			}
			if !(statuses[0] == 200 && statuses[1] == 409 || statuses[0] == 409 && statuses[1] == 200) {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, statuses)
			}
		}
	})
}

// Replicas that start at the same moment on an empty database set it up
// once: one admin, one project, one default stack, one signing secret.
func TestReplicasBootstrapOnce(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"ZENML_STORE_URL": dbURL}
		bases := make([]string, 3)
		var wg sync.WaitGroup
		for i := range bases {
			wg.Add(1)
			go func(i int) { defer wg.Done(); bases[i] = startServer(t, env) }(i)
		}
		wg.Wait()
		if t.Failed() { // a replica did not start: its message says why
			t.FailNow()
		}
		c := login(t, bases[0], "default", "secret")
		for _, base := range bases[1:] {
			(&client{t: t, base: base, token: c.token}).json("GET", "/api/v1/current-user", nil, 200)
		}
		for path, want := range map[string]float64{"/api/v1/users": 1, "/api/v1/projects": 1, "/api/v1/stacks": 1, "/api/v1/components": 3} {
			if got := c.json("GET", path, nil, 200)["total"].(float64); got != want {
				t.Errorf("%s: %v, want %v", path, got, want)
			}
		}
	})
}

// With the database gone, requests fail fast with a ZenML-shaped 503,
// /ready says not ready while /health stays up, and zengo recovers without
// a restart once the database is back. The outage is a proxy in front of
// PostgreSQL that stops accepting and cuts its connections.
func TestDatabaseOutage(t *testing.T) {
	base := os.Getenv("ZENGO_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("ZENGO_TEST_POSTGRES_URL is not set")
	}
	var dbURL string
	for _, e := range storetest.Engines() {
		if e.Name == "postgres" {
			dbURL = e.Fresh(t)
		}
	}
	u, _ := url.Parse(dbURL)
	proxy := startProxy(t, u.Host)
	u.Host = proxy.addr
	server := startServer(t, map[string]string{"ZENML_STORE_URL": u.String()})
	c := login(t, server, "default", "secret")
	c.json("GET", "/api/v1/pipelines", nil, 200)

	proxy.stop()
	start := time.Now()
	status, body := c.do("GET", "/api/v1/pipelines", nil)
	if status != 503 || !strings.Contains(string(body), `["RuntimeError","The database is unavailable`) {
		t.Errorf("during the outage: %d %s", status, body)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("failing took %v; it should be fast", took)
	}
	if status, _ := c.do("GET", "/health", nil); status != 200 {
		t.Errorf("/health during the outage: %d", status)
	}
	if status, _ := c.do("GET", "/ready", nil); status != 503 {
		t.Errorf("/ready during the outage: %d", status)
	}

	proxy.restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body = c.do("GET", "/api/v1/pipelines", nil)
		if status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != 200 {
		t.Fatalf("after the outage: %d %s", status, body)
	}
	if status, _ := c.do("GET", "/ready", nil); status != 200 {
		t.Errorf("/ready after the outage: %d", status)
	}
}

// tcpProxy forwards a local port to a database server and can cut it off.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func startProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{addr: ln.Addr().String(), target: target}
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) restart(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("reopen proxy: %v", err)
	}
	p.serve(ln)
}
