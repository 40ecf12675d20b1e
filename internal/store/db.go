// Package store keeps zengo's resources in an SQL database: opening by URL,
// embedded migrations, one file per resource, and the rendering of list
// filters to parameterized SQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"zengo/internal/secretbox"
	"zengo/internal/zen"
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	// writer takes every transaction that changes data. On SQLite it is a
	// single connection, so concurrent writers queue in Go instead of
	// failing with "database is locked".
	writer *sql.DB
	// group batches the writer's transactions on SQLite (groupcommit.go);
	// nil on server engines.
	group *groupCommit
	// reader serves read-only transactions; on SQLite a pool of WAL readers.
	reader  *sql.DB
	dialect *dialect
	url     string

	// Now is the clock for created/updated stamps; tests may replace it.
	Now func() time.Time

	statements atomic.Int64
	// stop ends the SQLite statistics upkeep.
	stop     chan struct{}
	stopOnce sync.Once

	// secrets seals and opens secret values.
	secrets *secretbox.Box
}

// Options tune how a store is opened.
type Options struct {
	// MaxConns caps the connection pool (for SQLite: the read pool); 0
	// means a default for the engine.
	MaxConns int
	// ConnectTimeout bounds opening a connection to a server engine.
	ConnectTimeout time.Duration
	// TLS settings for server engines (ZenML's ZENML_STORE_SSL_* names).
	TLS TLSOptions
	// SecretsKey encrypts secret values (ZENML_SECRETS_STORE_ENCRYPTION_KEY);
	// empty stores them unencrypted, as the reference does.
	SecretsKey string
}

// Open opens the database named by url ("sqlite:///abs/path.db", or a bare
// file path) and brings its schema up to date.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	db, err := open(rawURL, opts)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.keepStatistics(ctx)
	return db, nil
}

// keepStatistics gives SQLite's planner the table statistics PostgreSQL and
// MySQL keep by themselves. Without them it cannot tell that a project
// holds a million artifact versions and one artifact ten, and reads the
// million to find the ten. `PRAGMA optimize` (with a bounded sample, see
// the analysis_limit in the DSN) runs at start and every hour; it only
// re-analyzes tables that changed enough.
func (db *DB) keepStatistics(ctx context.Context) {
	if db.dialect != sqliteDialect {
		return
	}
	run := func() {
		if _, err := db.writer.ExecContext(context.WithoutCancel(ctx), `PRAGMA optimize=0x10002`); err != nil {
			slog.Default().Warn("sqlite statistics", "err", err)
		}
	}
	run()
	db.stop = make(chan struct{})
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-db.stop:
				return
			case <-t.C:
				run()
			}
		}
	}()
}

// OpenNoMigrate opens without touching the schema (used by `zengo migrate`
// to report what it does, and by tests of the version check).
func OpenNoMigrate(rawURL string, opts Options) (*DB, error) { return open(rawURL, opts) }

func open(rawURL string, opts Options) (*DB, error) {
	db, err := openEngine(rawURL, opts)
	if err != nil {
		return nil, err
	}
	db.secrets = secretbox.New(opts.SecretsKey)
	return db, nil
}

func openEngine(rawURL string, opts Options) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"), strings.HasPrefix(rawURL, "postgresql+"):
		return openPostgres(rawURL, opts)
	case strings.HasPrefix(rawURL, "mysql://"), strings.HasPrefix(rawURL, "mysql+"), strings.HasPrefix(rawURL, "mariadb://"):
		return openMySQL(rawURL, opts)
	}
	return openSQLite(rawURL, opts)
}

func openSQLite(rawURL string, opts Options) (*DB, error) {
	path, err := sqlitePath(rawURL)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// Pragmas go in the DSN so that every connection the pools open gets
	// them, not only the first one.
	// synchronous(FULL): an acknowledged commit survives a power cut, not
	// only a process kill.
	common := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
	writer, err := openSQLitePool("file:" + path + "?" + common + "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=analysis_limit(1000)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	// Readers keep a small page cache each (512 KiB instead of SQLite's
	// 2 MiB): every connection caches its own copy of the same hot pages,
	// while the kernel's page cache holds the file once for all of them.
	reader, err := openSQLitePool("file:" + path + "?" + common + "&mode=ro&_pragma=cache_size(-512)")
	if err != nil {
		writer.Close()
		return nil, err
	}
	readers := opts.MaxConns
	if readers <= 0 {
		// Reads of a database in memory are CPU work: more connections
		// than twice the cores add memory (each has its schema, page
		// cache and statements), not throughput.
		readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	db := &DB{writer: writer, reader: reader, dialect: sqliteDialect, url: rawURL, Now: time.Now}
	db.group = &groupCommit{db: db, maxWork: groupMaxWork}
	// The first writer connection creates the file and switches it to WAL
	// before a read-only connection may look at it. Switching the journal
	// mode does not wait on SQLite's busy handler: when other processes
	// open the same new file at that moment, it fails at once with
	// SQLITE_BUSY, and trying again after a pause succeeds.
	deadline := time.Now().Add(10 * time.Second)
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 500*time.Millisecond) {
		err := writer.Ping()
		if err == nil {
			return db, nil
		}
		if !sqliteDialect.isRetryable(err) || time.Now().After(deadline) {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		time.Sleep(pause)
	}
}

// openSQLitePool opens a pool of SQLite connections that keep their
// prepared statements (stmtcache.go).
func openSQLitePool(dsn string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(stmtCacheConnector{base: c, size: stmtCacheSize}), nil
}

// sqlitePath extracts the file path from the forms ZenML users write.
func sqlitePath(rawURL string) (string, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite:///"):
		// SQLAlchemy's form: three slashes, then the path, so an absolute
		// path gives four ("sqlite:////var/lib/zengo.db").
		path, _, _ := strings.Cut(strings.TrimPrefix(rawURL, "sqlite:///"), "?")
		if path == "" {
			return "", fmt.Errorf("invalid store URL %q: no file path", rawURL)
		}
		return path, nil
	case strings.Contains(rawURL, "://"):
		scheme, _, _ := strings.Cut(rawURL, "://")
		return "", fmt.Errorf("unsupported store URL scheme %q (use sqlite:///path, postgresql://... or mysql://...)", scheme)
	case rawURL == "":
		return "", errors.New("empty store URL")
	}
	return rawURL, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stopOnce.Do(func() {
		if db.stop != nil {
			close(db.stop)
		}
	})
	return errors.Join(db.writer.Close(), db.reader.Close())
}

// Engine names the database engine ("sqlite", ...).
func (db *DB) Engine() string { return db.dialect.name }

// Statements is the number of SQL statements run so far; tests use it to
// show that a request costs a constant number of them.
func (db *DB) Statements() int64 { return db.statements.Load() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.reader.PingContext(ctx)
}

// Tx is a transaction with the store's query helpers. Every statement goes
// through them, so each is rebound for the dialect and counted.
type Tx struct {
	// tx is the transaction, or the read pool itself for a single
	// statement (readOne).
	tx runner
	db *DB
	// now is fixed once per transaction so that every row it writes carries
	// the same stamp.
	now zen.Time
}

// runner runs statements: a *sql.Tx, or a *sql.DB for readOne.
type runner interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// tick moves the transaction's clock on by a microsecond, for a write
// that makes rows one after another as the reference does in sessions of
// their own: each gets its own stamp, and lists by creation keep the
// reference's order.
func (t *Tx) tick() {
	t.now = zen.TimeFromMicros(t.now.Micros() + 1)
}

func (t *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	t.db.statements.Add(1)
	return t.tx.QueryContext(ctx, t.db.dialect.rebind(q), args...)
}

// each runs a query and calls scan once per row, closing the rows
// whatever happens.
func (t *Tx) each(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	t.db.statements.Add(1)
	return t.tx.QueryRowContext(ctx, t.db.dialect.rebind(q), args...)
}

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	t.db.statements.Add(1)
	return t.tx.ExecContext(ctx, t.db.dialect.rebind(q), args...)
}

// read runs fn in a read-only transaction: one consistent snapshot, so a
// list's count and its page agree.
func (db *DB) read(ctx context.Context, fn func(*Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect.name != "sqlite" {
		// One snapshot for all statements (SQLite transactions are).
		opts.Isolation = sql.LevelRepeatableRead
	}
	return db.inTx(ctx, db.reader, opts, fn)
}

// readOne runs fn, which must run exactly one read statement, without a
// transaction around it: one statement reads one consistent snapshot on
// every engine, and the BEGIN and COMMIT cost more than a lookup by key
// (on a server engine three round trips instead of one). Authentication
// reads the caller's account this way on every request.
func (db *DB) readOne(ctx context.Context, fn func(*Tx) error) error {
	return db.wrapErr(fn(&Tx{tx: db.reader, db: db, now: zen.NewTime(db.Now())}))
}

// write runs fn in a read-write transaction and commits it when fn
// succeeds. A transaction the engine aborted to break a deadlock (or, on
// SQLite, one that found the file locked) is run again from the start, a
// few times, so that concurrent writers queue instead of failing. On
// SQLite, writers that wait share one transaction and its commit
// (groupcommit.go); each function still succeeds or fails alone.
func (db *DB) write(ctx context.Context, fn func(*Tx) error) error {
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		if attempt > 0 {
			wait := time.Duration(attempt*attempt) * 5 * time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait + time.Duration(rand.Int64N(int64(wait)))):
			}
		}
		if db.group != nil {
			err = db.group.do(ctx, fn)
		} else {
			err = db.inTx(ctx, db.writer, nil, fn)
		}
		if !db.dialect.isRetryable(err) && !errors.Is(err, errBatchRolledBack) {
			return err
		}
	}
	return &zen.Error{Code: zen.EUnavailable, Message: err.Error()}
}

func (db *DB) inTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(*Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return db.wrapErr(err)
	}
	tx := &Tx{tx: sqlTx, db: db, now: zen.NewTime(db.Now())}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return db.wrapErr(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return db.wrapErr(err)
	}
	return nil
}

// wrapErr turns driver failures that mean "the database is not there" into
// a 503-class application error; application errors pass through.
func (db *DB) wrapErr(err error) error {
	var ze *zen.Error
	if errors.As(err, &ze) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if db.dialect.isRetryable(err) {
		return &retryableError{err}
	}
	if db.dialect.isUnavailable(err) {
		return &zen.Error{Code: zen.EUnavailable, Message: "The database is unavailable: " + err.Error()}
	}
	return err
}

// retryableError is a transaction the engine aborted (deadlock, lock
// timeout, busy file). write retries it; if it keeps failing the caller
// gets a 503, which the client retries too.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return "the database is busy, try again: " + e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// PoolStats are the connection pools' figures, named "writer" and
// "reader" (one pool named "pool" on a database server).
func (db *DB) PoolStats() map[string]sql.DBStats {
	if db.writer == db.reader {
		return map[string]sql.DBStats{"pool": db.writer.Stats()}
	}
	return map[string]sql.DBStats{"writer": db.writer.Stats(), "reader": db.reader.Stats()}
}
