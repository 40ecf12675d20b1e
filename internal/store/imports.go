package store

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// The entry points of `zengo import` (internal/importer): it translates a
// ZenML database's rows into zengo's tables and hands them here in
// batches. Each batch is one transaction that also moves the import's
// checkpoint, so that an interrupted import continues exactly where the
// last committed batch ended.

// ImportRow is one row for one zengo table.
type ImportRow struct {
	Table  string
	Values []any
}

// ImportRecord is what one source row becomes: zero or more zengo rows,
// written together or not at all.
type ImportRecord struct {
	Key  string // the source row's key, as a reject names it
	Rows []ImportRow
}

// ImportReject is a source row that could not be imported, and why.
type ImportReject struct {
	Table, Key, Reason string
}

// ImportBatch is one transaction of an import: the records of a run of
// source rows and the checkpoint after them.
type ImportBatch struct {
	Source string // the source table
	// Columns names each target table's columns, in the order of Values.
	Columns map[string][]string
	Records []ImportRecord
	// Rejects are rows the importer could not translate.
	Rejects []ImportReject
	LastKey string // the JSON key of the last source row read
	Read    int    // source rows read in this batch
	Done    bool   // the source table is finished
}

// ImportCheckpoint is where one source table stands.
type ImportCheckpoint struct {
	LastKey string
	Read    int64
	Done    bool
}

// ImportState is what the target holds of an import.
type ImportState struct {
	// SourceID is the server id of the source an unfinished import reads
	// ("" when none has started).
	SourceID    string
	Checkpoints map[string]ImportCheckpoint
	// Initialised: the store has server settings.
	Initialised bool
	// Content names the first table that holds more than a fresh store
	// does ("" when the store is empty in that sense).
	Content string
}

// importBootstrapTables are the tables `Initialise` fills; a store whose
// rows in them are only the bootstrap's is empty for an import.
var importDataTables = []string{
	"api_keys", "service_connectors", "secrets", "code_repositories", "auth_devices", "tags", "tag_resources",
	"pipelines", "pipeline_builds", "schedules", "pipeline_snapshots", "run_templates", "deployments", "pipeline_runs",
	"step_runs", "artifacts", "artifact_versions", "artifact_visualizations", "curated_visualizations", "models",
	"model_versions", "model_version_artifacts", "model_version_runs", "run_metadata", "logs", "hook_invocations",
	"run_wait_conditions", "services", "webhooks", "triggers",
}

// ImportState reads the checkpoints and whether the store is empty: at
// most the bootstrap's rows (one project, one user, the stack and
// components named default, built-in flavors) and nothing in any other
// table.
func (db *DB) ImportState(ctx context.Context) (*ImportState, error) {
	st := &ImportState{Checkpoints: map[string]ImportCheckpoint{}}
	err := db.read(ctx, func(tx *Tx) error {
		err := tx.each(ctx, `SELECT source_table, last_key, rows_read, done FROM import_progress`, nil, func(r *sql.Rows) error {
			var name, key string
			var cp ImportCheckpoint
			if err := r.Scan(&name, &key, &cp.Read, &cp.Done); err != nil {
				return err
			}
			cp.LastKey = key
			if name == "#source" {
				st.SourceID = key
			} else if !strings.HasPrefix(name, importIndexRow) {
				st.Checkpoints[name] = cp
			}
			return nil
		})
		if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM server_settings`).Scan(&n); err != nil {
			return err
		}
		st.Initialised = n > 0
		checks := []struct{ table, query string }{
			{"projects", `SELECT COUNT(*) - 1 FROM projects`},
			{"users", `SELECT COUNT(*) - 1 FROM users`},
			{"stacks", `SELECT COUNT(*) FROM stacks WHERE name <> 'default'`},
			{"components", `SELECT COUNT(*) FROM components WHERE name <> 'default'`},
			{"flavors", `SELECT COUNT(*) FROM flavors WHERE is_custom = TRUE`},
		}
		for _, t := range importDataTables {
			checks = append(checks, struct{ table, query string }{t, `SELECT COUNT(*) FROM ` + t})
		}
		for _, c := range checks {
			if err := tx.queryRow(ctx, c.query).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				st.Content = c.table
				return nil
			}
		}
		return nil
	})
	return st, err
}

// ImportSettings are the server settings an import writes.
type ImportSettings struct {
	// ServerID and JWTSecret: empty keeps the target's (or makes new ones
	// on an uninitialised store).
	ServerID, JWTSecret                  string
	ServerName                           string
	LogoURL                              *string
	Active, EnableAnalytics              bool
	DisplayAnnouncements, DisplayUpdates *bool
	OnboardingState                      string
	LastUserActivity, Created, Updated   int64
	NewServerID, NewJWTSecret            string // used when the store has none
	// ReplaceBootstrap removes the rows a first start made.
	ReplaceBootstrap bool
	// KeepSettings leaves an initialised target's settings as they are
	// (a merge), but for the server id and JWT key when they are set.
	KeepSettings bool
	SourceID     string
}

// ImportBegin starts an import in one transaction: it removes the
// bootstrap's rows when asked (the source brings its own default project,
// admin, stack and flavors, with their ids), writes the server settings
// and records which source is read.
func (db *DB) ImportBegin(ctx context.Context, s ImportSettings) error {
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.importSettings(ctx, s); err != nil {
			return err
		}
		return tx.deferIndexes(ctx)
	})
}

// importBulkTables are the tables an import fills by the million; their
// secondary indexes are built once at the end rather than row by row.
var importBulkTables = []string{"pipeline_snapshots", "pipeline_runs", "step_runs", "step_run_artifacts", "artifact_versions",
	"artifact_visualizations", "run_metadata", "tag_resources", "logs", "model_version_artifacts", "model_version_runs"}

// deferIndexes drops the bulk tables' secondary indexes for the import and
// records the statements that make them again as '#index:NAME' rows of
// import_progress, in the import's first transaction: an interrupted
// import still knows them, and ImportFinish builds them.
func (tx *Tx) deferIndexes(ctx context.Context) error {
	names, defs, err := tx.secondaryIndexes(ctx, importBulkTables)
	if err != nil {
		return err
	}
	for i, n := range names {
		if _, err := tx.exec(ctx, `INSERT INTO import_progress (source_table, last_key, rows_read, done) VALUES (?, ?, 0, FALSE)`, importIndexRow+n, defs[i]); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DROP INDEX "+n); err != nil {
			return err
		}
	}
	return nil
}

// importIndexRow prefixes the import_progress rows of deferred indexes.
const importIndexRow = "#index:"

// buildDeferredIndexes makes the indexes deferIndexes dropped, each in a
// transaction that also forgets its row (a rerun builds what is left).
func (db *DB) buildDeferredIndexes(ctx context.Context) error {
	var names, defs []string
	err := db.read(ctx, func(tx *Tx) error {
		return tx.each(ctx, `SELECT source_table, last_key FROM import_progress WHERE source_table LIKE '#index:%' ORDER BY source_table`, nil,
			func(r *sql.Rows) error {
				var n, d string
				if err := r.Scan(&n, &d); err != nil {
					return err
				}
				names, defs = append(names, n), append(defs, d)
				return nil
			})
	})
	if err != nil {
		return err
	}
	for i, n := range names {
		if err := db.write(ctx, func(tx *Tx) error {
			if _, err := tx.exec(ctx, defs[i]); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `DELETE FROM import_progress WHERE source_table = ?`, n)
			return err
		}); err != nil {
			return fmt.Errorf("build index %s: %w", strings.TrimPrefix(n, importIndexRow), err)
		}
	}
	return nil
}

// importSettings removes the bootstrap's rows when asked and writes the
// server settings and the source's id (ImportBegin's first part).
func (tx *Tx) importSettings(ctx context.Context, s ImportSettings) error {
	if s.ReplaceBootstrap {
		for _, t := range []string{"stack_components", "stacks", "components", "flavors", "users", "projects"} {
			if _, err := tx.exec(ctx, `DELETE FROM `+t); err != nil {
				return err
			}
		}
	}
	var serverID, secret string
	if s.KeepSettings {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM server_settings`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			if s.ServerID != "" {
				if _, err := tx.exec(ctx, `UPDATE server_settings SET server_id = ? WHERE id = 1`, s.ServerID); err != nil {
					return err
				}
			}
			if s.JWTSecret != "" {
				if _, err := tx.exec(ctx, `UPDATE server_settings SET jwt_secret = ? WHERE id = 1`, s.JWTSecret); err != nil {
					return err
				}
			}
			_, err := tx.exec(ctx, `INSERT INTO import_progress (source_table, last_key, rows_read, done) VALUES ('#source', ?, 0, FALSE)`, s.SourceID)
			return err
		}
	}
	err := tx.queryRow(ctx, `SELECT server_id, jwt_secret FROM server_settings WHERE id = 1`).Scan(&serverID, &secret)
	if errors.Is(err, sql.ErrNoRows) {
		serverID, secret = s.NewServerID, s.NewJWTSecret
	} else if err != nil {
		return err
	}
	if s.ServerID != "" {
		serverID = s.ServerID
	}
	if s.JWTSecret != "" {
		secret = s.JWTSecret
	}
	if _, err := tx.exec(ctx, `DELETE FROM server_settings`); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO server_settings (id, server_id, jwt_secret, server_name, logo_url, active, enable_analytics,
		display_announcements, display_updates, onboarding_state, last_user_activity, created, updated)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, serverID, secret, s.ServerName, s.LogoURL, s.Active, s.EnableAnalytics,
		s.DisplayAnnouncements, s.DisplayUpdates, s.OnboardingState, s.LastUserActivity, s.Created, s.Updated); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO import_progress (source_table, last_key, rows_read, done) VALUES ('#source', ?, 0, FALSE)`, s.SourceID)
	return err
}

// ImportBatch writes one batch and its checkpoint in one transaction,
// with one multi-row INSERT per target table. When that fails (a row
// breaks a constraint), the batch is written again record by record, each
// in a savepoint, and the records that fail are kept as rejects with the
// database's reason.
func (db *DB) ImportBatch(ctx context.Context, b *ImportBatch) (rejected int, err error) {
	err = db.write(ctx, func(tx *Tx) error {
		rejected = 0
		bulkErr := tx.importBulk(ctx, b)
		if bulkErr == nil {
			return tx.importCheckpoint(ctx, b, b.Rejects)
		}
		if tx.db.dialect.isRetryable(bulkErr) {
			return bulkErr
		}
		return errRetryByRecord
	})
	if !errors.Is(err, errRetryByRecord) {
		return len(b.Rejects), err
	}
	err = db.write(ctx, func(tx *Tx) error {
		rejects := append([]ImportReject(nil), b.Rejects...)
		for i, rec := range b.Records {
			sp := fmt.Sprintf("rec%d", i)
			if _, err := tx.exec(ctx, `SAVEPOINT `+sp); err != nil {
				return err
			}
			one := &ImportBatch{Columns: b.Columns, Records: []ImportRecord{rec}}
			if err := tx.importBulk(ctx, one); err != nil {
				if _, rerr := tx.exec(ctx, `ROLLBACK TO SAVEPOINT `+sp); rerr != nil {
					return rerr
				}
				rejects = append(rejects, ImportReject{Table: b.Source, Key: rec.Key, Reason: err.Error()})
			}
			if _, err := tx.exec(ctx, `RELEASE SAVEPOINT `+sp); err != nil {
				return err
			}
		}
		rejected = len(rejects)
		return tx.importCheckpoint(ctx, b, rejects)
	})
	return rejected, err
}

var errRetryByRecord = errors.New("retry the batch record by record")

func (tx *Tx) importBulk(ctx context.Context, b *ImportBatch) error {
	var order []string
	rows := map[string]*rowsBuilder{}
	for _, rec := range b.Records {
		for _, r := range rec.Rows {
			cols, ok := b.Columns[r.Table]
			if !ok {
				return fmt.Errorf("import: no columns for table %s", r.Table)
			}
			rb := rows[r.Table]
			if rb == nil {
				rb = &rowsBuilder{}
				rows[r.Table] = rb
				order = append(order, r.Table)
			}
			rb.add(len(cols), r.Values...)
		}
	}
	for _, t := range order {
		cols := b.Columns[t]
		target := t + " (" + strings.Join(cols, ", ") + ")"
		for _, c := range rows[t].chunks(max(1, 30000/len(cols)/2)) {
			if _, err := tx.exec(ctx, "INSERT INTO "+target+" VALUES "+c.sql, c.args...); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tx *Tx) importCheckpoint(ctx context.Context, b *ImportBatch, rejects []ImportReject) error {
	for _, r := range rejects {
		if _, err := tx.exec(ctx, `DELETE FROM import_rejects WHERE source_table = ? AND source_key = ?`, r.Table, r.Key); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO import_rejects (source_table, source_key, reason) VALUES (?, ?, ?)`, r.Table, r.Key, r.Reason); err != nil {
			return err
		}
	}
	res, err := tx.exec(ctx, `UPDATE import_progress SET last_key = ?, rows_read = rows_read + ?, done = ? WHERE source_table = ?`,
		b.LastKey, b.Read, b.Done, b.Source)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = tx.exec(ctx, `INSERT INTO import_progress (source_table, last_key, rows_read, done) VALUES (?, ?, ?, ?)`,
			b.Source, b.LastKey, b.Read, b.Done)
	}
	return err
}

// ImportFinish computes what zengo maintains on writes (counters, the
// latest run, version and activity columns) from the imported rows, and
// clears the checkpoints: the import is complete.
func (db *DB) ImportFinish(ctx context.Context) error {
	if err := db.buildDeferredIndexes(ctx); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		for _, q := range []string{
			`UPDATE projects SET pipeline_count = (SELECT COUNT(*) FROM pipelines p WHERE p.project_id = projects.id),
				artifact_count = (SELECT COUNT(*) FROM artifacts a WHERE a.project_id = projects.id),
				artifact_version_count = (SELECT COUNT(*) FROM artifact_versions av WHERE av.project_id = projects.id),
				run_count = (SELECT COUNT(*) FROM pipeline_runs r WHERE r.project_id = projects.id)`,
			`UPDATE pipelines SET run_total = (SELECT COUNT(*) FROM pipeline_runs r WHERE r.pipeline_id = pipelines.id)`,
			`UPDATE pipelines SET latest_run_id = (SELECT r.id FROM pipeline_runs r WHERE r.pipeline_id = pipelines.id ORDER BY r.created DESC, r.id DESC LIMIT 1)`,
			`UPDATE pipelines SET latest_run_created = (SELECT r.created FROM pipeline_runs r WHERE r.id = pipelines.latest_run_id)`,
			`UPDATE pipelines SET latest_activity = COALESCE(latest_run_created, created)`,
			`UPDATE artifacts SET latest_version_id = (SELECT av.id FROM artifact_versions av WHERE av.artifact_id = artifacts.id ORDER BY av.created DESC, av.id DESC LIMIT 1)`,
			`UPDATE artifacts SET latest_activity = COALESCE((SELECT MAX(av.created) FROM artifact_versions av WHERE av.artifact_id = artifacts.id), created)`,
			`UPDATE models SET latest_version_id = (SELECT mv.id FROM model_versions mv WHERE mv.model_id = models.id ORDER BY mv.number DESC, mv.id DESC LIMIT 1)`,
			`UPDATE models SET latest_activity = COALESCE((SELECT MAX(mv.created) FROM model_versions mv WHERE mv.model_id = models.id), created)`,
			visualizationPositions(tx.db.dialect),
			`DELETE FROM import_progress`,
		} {
			if _, err := tx.exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// visualizationPositions numbers imported visualizations (position -1)
// within their version in creation order. MySQL cannot read the table an
// UPDATE writes in a subquery, but can join it to a derived table.
func visualizationPositions(d *dialect) string {
	if d.name == "mysql" {
		return `UPDATE artifact_visualizations v JOIN (SELECT id, ROW_NUMBER() OVER (PARTITION BY artifact_version_id ORDER BY created, id) - 1 AS pos
			FROM artifact_visualizations) r ON r.id = v.id SET v.position = r.pos WHERE v.position < 0`
	}
	return `UPDATE artifact_visualizations SET position = (SELECT COUNT(*) FROM artifact_visualizations v2
		WHERE v2.artifact_version_id = artifact_visualizations.artifact_version_id
		AND (v2.created < artifact_visualizations.created OR (v2.created = artifact_visualizations.created AND v2.id < artifact_visualizations.id)))
		WHERE position < 0`
}

// ImportCount counts a target table's rows (the verification pass).
func (db *DB) ImportCount(ctx context.Context, table, where string) (int64, error) {
	var n int64
	q := `SELECT COUNT(*) FROM ` + table
	if where != "" {
		q += " WHERE " + where
	}
	err := db.read(ctx, func(tx *Tx) error { return tx.queryRow(ctx, q).Scan(&n) })
	return n, err
}

// ImportRejects lists the rows an import could not write.
func (db *DB) ImportRejects(ctx context.Context) ([]ImportReject, error) {
	var out []ImportReject
	err := db.read(ctx, func(tx *Tx) error {
		return tx.each(ctx, `SELECT source_table, source_key, reason FROM import_rejects ORDER BY source_table, source_key`, nil, func(r *sql.Rows) error {
			var x ImportReject
			if err := r.Scan(&x.Table, &x.Key, &x.Reason); err != nil {
				return err
			}
			out = append(out, x)
			return nil
		})
	})
	return out, err
}

// SealImportedSecret seals a secret's values given as a JSON object of
// strings (ZenML's plaintext form) with the store's key.
func (db *DB) SealImportedSecret(id uuid.UUID, plain []byte) (string, error) {
	var v SecretValues
	if err := v.unmarshal(plain); err != nil {
		return "", fmt.Errorf("secret %s: values are not a JSON object of strings: %w", id, err)
	}
	return db.sealSecretValues(id, v)
}

// TLSConfig is the TLS configuration of the options for host (nil when
// TLS is off), for connections the store does not open itself (the
// source of an import).
func (o TLSOptions) TLSConfig(host string) (*tls.Config, error) { return o.config(host) }

// BulkWriterCache gives SQLite's one writer connection a page cache of mib
// MiB for bulk writes (the seeder, an import), until restore: rows with
// random ids land all over their indexes, and with SQLite's default 2 MiB
// cache every batch spills and re-reads most index pages. Other engines
// are left as they are.
func (db *DB) BulkWriterCache(ctx context.Context, mib int) (restore func(), err error) {
	if db.dialect.name != "sqlite" {
		return func() {}, nil
	}
	if _, err := db.writer.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(-mib*1024)); err != nil {
		return nil, err
	}
	return func() { db.writer.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -2000") }, nil
}
