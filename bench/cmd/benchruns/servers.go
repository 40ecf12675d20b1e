package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"zengo/bench/internal/proc"
	"zengo/bench/internal/zenapi"
)

// target is one server under test: the reference, or zengo on one engine
// with one or more replicas on the same database.
type target struct {
	Name     string // "reference", "sqlite", "postgres", "mysql", "postgres-2x"
	Engine   string
	Replicas int
	procs    []*proc.Server
	samplers []*proc.Sampler
	http     *http.Client
	url      string // first replica; the transport spreads requests
	storeURL string // postgres/mysql: the database the replicas share
	cleanup  []func()
}

// roundRobin sends each request to the next replica in turn, as a load
// balancer in front of K zengo processes would.
type roundRobin struct {
	hosts []string
	next  atomic.Uint64
	base  http.RoundTripper
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(rr.hosts) > 1 {
		r2 := req.Clone(req.Context())
		r2.URL.Host = rr.hosts[rr.next.Add(1)%uint64(len(rr.hosts))]
		r2.Host = r2.URL.Host
		req = r2
	}
	return rr.base.RoundTrip(req)
}

func newHTTP(hosts []string, conns int) *http.Client {
	return &http.Client{Timeout: 5 * time.Minute, Transport: &roundRobin{hosts: hosts, base: &http.Transport{
		Proxy: nil, MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: 90 * time.Second,
	}}}
}

// startTarget starts the servers of one target in work.
func startTarget(ctx context.Context, c *config, name, work string, conns int) (*target, error) {
	t := &target{Name: name, Engine: name, Replicas: 1}
	if i := strings.Index(name, "-"); i > 0 {
		t.Engine = name[:i]
		fmt.Sscanf(name[i+1:], "%dx", &t.Replicas)
	}
	dir := filepath.Join(work, name)
	switch t.Engine {
	case "reference":
		s, err := proc.StartReference(ctx, c.venv, dir, password)
		if err != nil {
			return nil, err
		}
		t.procs = append(t.procs, s)
	case "sqlite", "postgres", "mysql":
		if t.Engine == "postgres" || t.Engine == "mysql" {
			admin := c.pgURL
			if t.Engine == "mysql" {
				admin = c.myURL
			}
			dbName := "benchruns_" + strings.ReplaceAll(name, "-", "_")
			u, err := recreateDatabase(ctx, t.Engine, admin, dbName)
			if err != nil {
				return nil, fmt.Errorf("%s: new database: %w", name, err)
			}
			t.storeURL = u
			t.cleanup = append(t.cleanup, func() { dropDatabase(context.Background(), t.Engine, admin, dbName) })
		}
		for i := 0; i < t.Replicas; i++ {
			// Replicas after the first start once it has made the schema.
			s, err := proc.StartZengo(ctx, c.zengoBin, filepath.Join(dir, fmt.Sprintf("replica%d", i)), t.storeURL, password, nil)
			if err != nil {
				t.stop()
				return nil, err
			}
			t.procs = append(t.procs, s)
		}
	default:
		return nil, fmt.Errorf("unknown target %q (reference, sqlite, postgres, mysql, with -Kx for replicas)", name)
	}
	var hosts []string
	for _, s := range t.procs {
		u, _ := url.Parse(s.URL)
		hosts = append(hosts, u.Host)
		t.samplers = append(t.samplers, proc.NewSampler(s.Pid(), 100*time.Millisecond))
	}
	t.url = t.procs[0].URL
	t.http = newHTTP(hosts, conns)
	return t, nil
}

func (t *target) stop() {
	for _, s := range t.samplers {
		s.Stop()
	}
	for _, s := range t.procs {
		s.Stop()
	}
	for _, f := range t.cleanup {
		f()
	}
}

// cpu is the CPU seconds of all the target's server processes so far.
func (t *target) cpu() float64 {
	var sum float64
	for _, s := range t.procs {
		sum += proc.CPUSeconds(s.Pid())
	}
	return sum
}

// resetPeak starts a new peak-RSS window; peakMiB reads it (sum over replicas).
func (t *target) resetPeak() {
	for _, s := range t.samplers {
		s.Reset()
	}
}

func (t *target) peakMiB() float64 {
	var kib int64
	for _, s := range t.samplers {
		kib += s.Peak()
	}
	return round1(float64(kib) / 1024)
}

// ids logs in and finds the ids the replay needs: project, stack,
// artifact store.
func (t *target) ids(ctx context.Context) (token string, base map[string]string, err error) {
	cl := &zenapi.Client{BaseURL: t.url, HTTP: t.http}
	if token, err = cl.Login(ctx, "default", password); err != nil {
		return "", nil, err
	}
	project, stack, err := cl.ProjectAndStack(ctx, token)
	if err != nil {
		return "", nil, err
	}
	var st struct {
		Metadata struct {
			Components map[string][]zenapi.Entity `json:"components"`
		} `json:"metadata"`
	}
	if err := cl.Do(ctx, token, "GET", "/api/v1/stacks/"+stack+"?hydrate=true", nil, &st); err != nil {
		return "", nil, err
	}
	as := st.Metadata.Components["artifact_store"]
	if len(as) == 0 {
		return "", nil, fmt.Errorf("%s: the default stack has no artifact store", t.Name)
	}
	return token, map[string]string{"project": project, "stack": stack, "artifact_store": as[0].ID}, nil
}

// statements reads zengo_db_statements_total from the first replica's
// /metrics (-1 on the reference or on failure).
func (t *target) statements() int64 {
	if t.Engine == "reference" {
		return -1
	}
	resp, err := t.http.Get(t.url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	buf := make([]byte, 64<<10)
	var all []byte
	for {
		n, err := resp.Body.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			break
		}
	}
	for _, line := range strings.Split(string(all), "\n") {
		if v, ok := strings.CutPrefix(line, "zengo_db_statements_total "); ok {
			var n int64
			fmt.Sscan(v, &n)
			return n
		}
	}
	return -1
}

// recreateDatabase makes a fresh database next to the admin URL's and
// returns zengo's store URL for it.
func recreateDatabase(ctx context.Context, engine, admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	if engine == "postgres" {
		conn, err := pgConnect(ctx, admin)
		if err != nil {
			return "", err
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
	} else {
		db, err := sql.Open("mysql", mysqlDSN(u, ""))
		if err != nil {
			return "", err
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			return "", err
		}
		if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
			return "", err
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}

func dropDatabase(ctx context.Context, engine, admin, name string) {
	if engine == "postgres" {
		if conn, err := pgConnect(ctx, admin); err == nil {
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			conn.Close(ctx)
		}
		return
	}
	u, _ := url.Parse(admin)
	if db, err := sql.Open("mysql", mysqlDSN(u, "")); err == nil {
		db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
		db.Close()
	}
}

func mysqlDSN(u *url.URL, db string) string {
	pw, _ := u.User.Password()
	return fmt.Sprintf("%s:%s@tcp(%s)/%s", u.User.Username(), pw, u.Host, db)
}

func pgConnect(ctx context.Context, raw string) (*pgx.Conn, error) {
	if i := strings.Index(raw, "://"); i > 0 {
		raw = "postgres" + raw[i:]
	}
	return pgx.Connect(ctx, raw)
}

// pgWrites reads the rows written and transactions committed in a
// PostgreSQL database so far.
func pgWrites(ctx context.Context, storeURL string) (rows, commits int64) {
	conn, err := pgConnect(ctx, storeURL)
	if err != nil {
		return -1, -1
	}
	defer conn.Close(ctx)
	// The statistics are per backend until flushed; this asks for fresh ones.
	conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()")
	if err := conn.QueryRow(ctx, `SELECT tup_inserted + tup_updated + tup_deleted, xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&rows, &commits); err != nil {
		return -1, -1
	}
	return rows, commits
}
