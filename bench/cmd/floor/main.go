// Command floor measures the least a Go HTTP server can do per request on
// this machine: read one row by id from a SQLite file, with the driver and
// pragmas zengo uses, and answer it as JSON. Its throughput, under the same
// load generator and load as zengo's `get`, is the floor zengo's figures
// are a fraction of.
//
//	floor serve -listen ADDR -db FILE -rows N   the server (creates the file)
//	floor [-rows N -c 8 -d 10s ...]             starts `floor serve` and measures it
//
// The last line of a measurement is
// `bench-floor summary: get=NNNN.N req/s p50=N.NN ms p99=N.NN ms`.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"zengo/bench/internal/flagenv"
	"zengo/bench/internal/floor"
	"zengo/bench/loadgen"
)

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		err = serve(os.Args[2:])
	} else {
		err = measure(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func measure(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	rows := flagenv.Int(fs, "rows", "BENCH_FLOOR_ROWS", 2000, "rows in the table (ids drawn at random)")
	conc := flagenv.Int(fs, "c", "BENCH_CONCURRENCY", 8, "load workers")
	dur := flagenv.Duration(fs, "d", "BENCH_DURATION", 10*time.Second, "measured time")
	warm := flagenv.Duration(fs, "warmup", "BENCH_WARMUP", 2*time.Second, "warm-up")
	fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "zengo-bench-floor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	res, peak, err := floor.Measure(ctx, self, work, *rows, loadgen.Config{Concurrency: *conc, Duration: *dur, Warmup: *warm}, nil)
	if err != nil {
		return err
	}
	t := res.Total
	fmt.Printf("floor: %d rows, %d workers, %s after %s warm-up: %d requests, %.1f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, peak RSS %.0f MiB\n",
		*rows, *conc, *dur, *warm, t.Requests, t.RPS, t.P50Ms, t.P99Ms, t.Errors, float64(peak)/1024)
	fmt.Println(floor.Summary(t))
	return nil
}

func serve(args []string) error {
	fs := flag.NewFlagSet("floor serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	path := fs.String("db", "", "SQLite file (created and filled when absent)")
	rows := fs.Int("rows", 2000, "rows to create")
	fs.Parse(args)
	if *path == "" {
		return fmt.Errorf("-db is required")
	}
	abs, _ := filepath.Abs(*path)
	if err := create(abs, *rows); err != nil {
		return err
	}
	// zengo's read pool: the same pragmas, read-only, 8 connections.
	db, err := sql.Open("sqlite", "file:"+abs+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&mode=ro")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	// Prepared once: each pooled connection keeps it, as zengo's do.
	get, err := db.Prepare(`SELECT id, name, description, created, updated FROM items WHERE id = ?`)
	if err != nil {
		return err
	}
	type item struct {
		ID          string  `json:"id"`
		Name        string  `json:"name"`
		Description *string `json:"description"`
		Created     int64   `json:"created"`
		Updated     int64   `json:"updated"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`"OK"`)) })
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		var it item
		err := get.QueryRowContext(r.Context(), floor.HexID(r.PathValue("id"))).Scan(&it.ID, &it.Name, &it.Description, &it.Created, &it.Updated)
		if err == sql.ErrNoRows {
			http.Error(w, `{"detail":"not found"}`, http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(&it)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("floor listening on http://%s\n", ln.Addr())
	return (&http.Server{Handler: mux, IdleTimeout: 5 * time.Second}).Serve(ln)
}

// create makes the table of n rows (ids as zengo stores them: 32 hex
// digits) unless the file exists.
func create(path string, n int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TABLE items (id CHAR(32) PRIMARY KEY, name VARCHAR(255) NOT NULL, description TEXT, created BIGINT NOT NULL, updated BIGINT NOT NULL)`); err != nil {
		return err
	}
	now := time.Now().UnixMicro()
	for i := 0; i < n; i++ {
		if _, err := tx.Exec(`INSERT INTO items VALUES (?, ?, ?, ?, ?)`, floor.HexID(floor.ID(i)), fmt.Sprintf("item-%07d", i), "a row to read", now, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}
