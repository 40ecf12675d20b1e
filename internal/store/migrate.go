package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one numbered schema step of one dialect.
type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + db.dialect.name
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad number", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion is the newest migration this binary knows.
func (db *DB) SchemaVersion() int {
	ms, _ := db.migrations()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// CurrentVersion reads the version the database is at (0 when empty).
func (db *DB) CurrentVersion(ctx context.Context) (int, error) {
	var v int
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS zengo_schema (version INTEGER NOT NULL)`); err != nil {
			return err
		}
		return tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM zengo_schema`).Scan(&v)
	})
	return v, err
}

// migrate applies every pending migration, each in its own transaction, and
// refuses a database that a newer zengo has already moved past us.
func (db *DB) migrate(ctx context.Context) error {
	return db.withSchemaLock(ctx, func() error { return db.migrateLocked(ctx) })
}

// withSchemaLock runs fn while holding the schema lock, on a connection of
// its own.
func (db *DB) withSchemaLock(ctx context.Context, fn func() error) error {
	lock, unlock := db.dialect.schemaLock()
	if lock == "" {
		return fn()
	}
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return db.wrapErr(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, lock); err != nil {
		return db.wrapErr(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), unlock)
	return fn()
}

func (db *DB) migrateLocked(ctx context.Context) error {
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	current, err := db.CurrentVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	if current > known {
		return fmt.Errorf("the database schema is at version %d, newer than this zengo binary knows (%d): run a newer zengo against it", current, known)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		err := db.write(ctx, func(tx *Tx) error {
			// A replica that started at the same moment may have applied it.
			var done int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM zengo_schema WHERE version >= ?`, m.version).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				return nil
			}
			for _, stmt := range splitStatements(m.sql) {
				if _, err := tx.exec(ctx, stmt); err != nil {
					return fmt.Errorf("%w\nin statement:\n%s", err, stmt)
				}
			}
			_, err := tx.exec(ctx, `INSERT INTO zengo_schema (version) VALUES (?)`, m.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// splitStatements splits a migration file on semicolons that end a line.
// Our migrations hold no procedural bodies, so this is enough.
func splitStatements(sqlText string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sqlText, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
