package importer

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zengo/internal/store"
)

func TestParseSourceURL(t *testing.T) {
	cases := []struct {
		url, engine, dsnPart, err string
	}{
		{"sqlite:////abs/zenml.db", "sqlite", "file:/abs/zenml.db?mode=ro", ""},
		{"sqlite:///rel/zenml.db", "sqlite", "file:rel/zenml.db?mode=ro", ""},
		{"sqlite:///", "", "", "no file path"},
		{"mysql://u:p@db.example:3307/zenml", "mysql", "u:p@tcp(db.example:3307)/zenml", ""},
		{"mysql+pymysql://u:p@db.example/zenml", "mysql", "u:p@tcp(db.example:3306)/zenml", ""},
		{"mysql://u:p@db.example/", "", "", "no database name"},
		{"mysql://u:p@db.example/zenml?ssl_verify_server_cert=maybe", "", "", "ssl_verify_server_cert"},
		{"mysql://u:p@db.example/zenml?ssl_ca=/nonexistent/ca.pem", "", "", "CA file"},
		{"postgresql://u@h/db", "", "", "unsupported source URL scheme"},
	}
	for _, c := range cases {
		engine, dsn, err := ParseSourceURL(c.url, SourceTLS{})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one containing %q", c.url, err, c.err)
			}
			continue
		}
		if err != nil || engine != c.engine || !strings.Contains(dsn, c.dsnPart) {
			t.Errorf("%s: %q %q %v, want %q and a DSN with %q", c.url, engine, dsn, err, c.engine, c.dsnPart)
		}
	}
	// A TLS setting turns TLS on.
	_, dsn, err := ParseSourceURL("mysql://u:p@h/db?ssl_verify_server_cert=true", SourceTLS{})
	if err != nil || !strings.Contains(dsn, "tls=zengo-import-source") {
		t.Errorf("verify flag: %q %v", dsn, err)
	}
}

// sourceDB makes a ZenML 0.98.0 SQLite database from the schema the
// reference creates, at revision rev, and returns its path.
func sourceDB(t *testing.T, rev string, fill func(exec func(q string, args ...any))) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "zenml.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema, err := os.ReadFile("testdata/zenml-0.98.0-sqlite.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(schema)); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO alembic_version (version_num) VALUES (?)`, rev)
	if fill != nil {
		fill(exec)
	}
	return path
}

const ts = "2025-01-02 03:04:05.123456"

func hexN(prefix string, n int) string { return fmt.Sprintf("%s%0*d", prefix, 32-len(prefix), n) }

// fillSmall writes a small but linked source: a project, users, a service
// account with a key, a secret, a custom flavor and a stack, a pipeline
// with runs, steps, artifacts, tags and metadata.
func fillSmall(secretValues string) func(exec func(q string, args ...any)) {
	return func(exec func(q string, args ...any)) {
		exec(`INSERT INTO server_settings (id, server_name, active, enable_analytics, display_announcements, display_updates, onboarding_state, last_user_activity, updated)
			VALUES (?, 'default', 1, 0, 1, 1, '[]', ?, ?)`, hexN("5e", 1), ts, ts)
		exec(`INSERT INTO project (id, created, updated, name, display_name, description, project_metadata) VALUES (?, ?, ?, 'default', 'default', '', '{}')`, hexN("a", 1), ts, ts)
		for i := 1; i <= 3; i++ {
			exec(`INSERT INTO user (id, created, updated, name, is_service_account, full_name, active, password, is_admin, user_metadata, default_project_id)
				VALUES (?, ?, ?, ?, ?, '', 1, '$2b$12$abcdefghijklmnopqrstuuN5e7J3Y5gqNAhMZ9bB0b4Hq0n8b8yNa', ?, '{}', ?)`,
				hexN("b", i), ts, ts, fmt.Sprintf("user%d", i), i == 3, i == 1, hexN("a", 1))
		}
		exec(`INSERT INTO api_key (id, created, updated, name, description, key, key_generation, retain_period, active, service_account_id)
			VALUES (?, ?, ?, 'k', '', '$2b$12$x', 1, 0, 1, ?)`, hexN("c", 1), ts, ts, hexN("b", 3))
		exec(`INSERT INTO secret (id, created, updated, name, private, internal, "values", user_id) VALUES (?, ?, ?, 's', 0, 0, ?, ?)`,
			hexN("d", 1), ts, ts, secretValues, hexN("b", 1))
		exec(`INSERT INTO flavor (id, created, updated, name, type, source, config_schema, is_custom) VALUES (?, ?, ?, 'mine', 'orchestrator', 'x.y', '{}', 1)`, hexN("e", 1), ts, ts)
		exec(`INSERT INTO stack_component (id, created, updated, name, type, flavor, configuration, labels, environment) VALUES (?, ?, ?, 'default', 'orchestrator', 'local', 'e30=', 'bnVsbA==', 'e30=')`, hexN("f", 1), ts, ts)
		exec(`INSERT INTO stack (id, created, updated, name, description, labels, environment) VALUES (?, ?, ?, 'default', '', 'e30=', 'e30=')`, hexN("f0", 1), ts, ts)
		exec(`INSERT INTO stack_composition (stack_id, component_id, default_for_type) VALUES (?, ?, 'orchestrator')`, hexN("f0", 1), hexN("f", 1))
		exec(`INSERT INTO tag (id, created, updated, name, color, exclusive) VALUES (?, ?, ?, 't', 'red', 0)`, hexN("1a", 1), ts, ts)
		exec(`INSERT INTO pipeline (id, created, updated, name, project_id, run_count) VALUES (?, ?, ?, 'p', ?, 5)`, hexN("2a", 1), ts, ts, hexN("a", 1))
		exec(`INSERT INTO pipeline_snapshot (id, created, updated, is_dynamic, pipeline_configuration, client_environment, run_name_template, project_id, pipeline_id, stack_id, step_count)
			VALUES (?, ?, ?, 0, '{"name":"p","settings":{"docker":{"x":1,"y":null}}}', '{}', 'r', ?, ?, ?, 1)`, hexN("3a", 1), ts, ts, hexN("a", 1), hexN("2a", 1), hexN("f0", 1))
		exec(`INSERT INTO step_configuration (id, created, updated, "index", name, config, snapshot_id) VALUES (?, ?, ?, 0, 's1', '{"spec":{},"step_config_overrides":{"settings":{"docker":{"z":2}}}}', ?)`,
			hexN("4a", 1), ts, ts, hexN("3a", 1))
		for i := 1; i <= 5; i++ {
			at := fmt.Sprintf("2025-01-02 03:04:%02d.000001", i)
			exec(`INSERT INTO pipeline_run (id, created, updated, name, in_progress, status, orchestrator_environment, "index", enable_heartbeat, snapshot_id, project_id, pipeline_id)
				VALUES (?, ?, ?, ?, 0, 'completed', '{}', ?, 1, ?, ?, ?)`, hexN("5a", i), at, at, fmt.Sprintf("run%d", i), i, hexN("3a", 1), hexN("a", 1), hexN("2a", 1))
			exec(`INSERT INTO step_run (id, created, updated, name, status, version, is_retriable, pipeline_run_id, project_id, snapshot_id)
				VALUES (?, ?, ?, 's1', 'completed', 1, 0, ?, ?, ?)`, hexN("6a", i), at, at, hexN("5a", i), hexN("a", 1), hexN("3a", 1))
			exec(`INSERT INTO artifact (id, created, updated, name, has_custom_name, project_id) VALUES (?, ?, ?, ?, 0, ?)`, hexN("7a", i), at, at, fmt.Sprintf("a%d", i), hexN("a", 1))
			exec(`INSERT INTO artifact_version (id, created, updated, version, version_number, type, uri, materializer, data_type, save_type, artifact_id, project_id)
				VALUES (?, ?, ?, '1', 1, 'DataArtifact', '/x', '{}', '{}', 'step_output', ?, ?)`, hexN("8a", i), at, at, hexN("7a", i), hexN("a", 1))
			exec(`INSERT INTO step_run_output_artifact (name, step_id, artifact_id) VALUES ('output', ?, ?)`, hexN("6a", i), hexN("8a", i))
			exec(`INSERT INTO tag_resource (id, created, updated, tag_id, resource_id, resource_type) VALUES (?, ?, ?, ?, ?, 'pipeline_run')`, hexN("9a", i), at, at, hexN("1a", 1), hexN("5a", i))
			exec(`INSERT INTO run_metadata (id, created, updated, project_id, "key", value, type) VALUES (?, ?, ?, ?, 'k', '1', 'int')`, hexN("aa", i), at, at, hexN("a", 1))
			exec(`INSERT INTO run_metadata_resource (id, resource_id, resource_type, run_metadata_id) VALUES (?, ?, 'pipeline_run', ?)`, hexN("ab", i), hexN("5a", i), hexN("aa", i))
		}
	}
}

func plainSecret(values string) string { return base64.StdEncoding.EncodeToString([]byte(values)) }

// encryptedSecret is what ZenML's AesGcmEngine writes.
func encryptedSecret(t *testing.T, key, values string) string {
	sum := sha256.Sum256([]byte(key))
	block, _ := aes.NewCipher(sum[:])
	gcm, _ := cipher.NewGCM(block)
	nonce := []byte("0123456789ab")
	sealed := gcm.Seal(nil, nonce, []byte(values), nil)
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	return base64.StdEncoding.EncodeToString(append(append(append([]byte{}, nonce...), tag...), ct...))
}

func openTarget(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:///"+path, store.Options{SecretsKey: "target-key"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRevisionAndNotZenML(t *testing.T) {
	ctx := context.Background()
	old := sourceDB(t, "0.97.0", nil)
	_, err := OpenSource(ctx, "sqlite:///"+old, SourceTLS{})
	if err == nil || !strings.Contains(err.Error(), `"0.97.0"`) || !strings.Contains(err.Error(), `"0.98.0"`) {
		t.Fatalf("old revision: %v", err)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	db, _ := sql.Open("sqlite", "file:"+other)
	db.Exec(`CREATE TABLE x (a INTEGER)`)
	db.Close()
	if _, err := OpenSource(ctx, "sqlite:///"+other, SourceTLS{}); !errors.Is(err, ErrNotZenML) {
		t.Fatalf("not ZenML: %v", err)
	}
	if _, err := OpenSource(ctx, "sqlite:///"+filepath.Join(t.TempDir(), "missing.db"), SourceTLS{}); err == nil {
		t.Fatal("a missing source file opened")
	}
}

// dump reads every table the import writes, in a stable order.
func dump(t *testing.T, path string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]string{}
	for _, tb := range []string{"server_settings", "projects", "users", "api_keys", "flavors", "components", "stacks", "stack_components",
		"tags", "tag_resources", "pipelines", "pipeline_snapshots", "pipeline_runs", "step_runs", "artifacts", "artifact_versions",
		"step_run_artifacts", "run_metadata", "import_progress", "import_rejects"} {
		rows, err := db.Query(`SELECT * FROM ` + tb)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(n))
			ptrs := make([]any, len(n))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			line := fmt.Sprint(vals...)
			if tb == "server_settings" {
				line = fmt.Sprint(vals[3:]...) // the new server id and key differ per run
			}
			out[tb] = append(out[tb], line)
		}
		rows.Close()
	}
	// The indexes: an import drops the bulk tables' secondary indexes while
	// it writes and must leave them all as a new store has them.
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n, q string
		rows.Scan(&n, &q)
		out["#indexes"] = append(out["#indexes"], n+": "+q)
	}
	rows.Close()
	for k := range out {
		sortStrings(out[k])
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// stopAfter cancels the import after n batches, as a kill would stop it
// between two commits.
type stopAfter struct {
	n      int
	cancel context.CancelFunc
}

func (s *stopAfter) Note(string) {}
func (s *stopAfter) Start(string, int64, int64) Bar {
	return s
}
func (s *stopAfter) Set(int64) {
	s.n--
	if s.n == 0 {
		s.cancel()
	}
}
func (s *stopAfter) Finish() {}

func TestImportResumesToTheSameResult(t *testing.T) {
	ctx := context.Background()
	srcPath := sourceDB(t, Revision, fillSmall(plainSecret(`{"a": "b"}`)))
	src, err := OpenSource(ctx, "sqlite:///"+srcPath, SourceTLS{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	whole := filepath.Join(t.TempDir(), "whole.db")
	res, err := Run(ctx, src, openTarget(t, whole), Config{Batch: 2})
	if err != nil {
		t.Fatalf("import: %v (%+v)", err, res)
	}

	// The same import stopped after a few batches, then run again until it
	// finishes; the target is initialised first, as `zengo serve` leaves it.
	parts := filepath.Join(t.TempDir(), "parts.db")
	target := openTarget(t, parts)
	if _, err := target.Initialise(ctx, store.Bootstrap{AdminName: "admin", AdminPasswordHash: "x", ProjectName: "default"}); err != nil {
		t.Fatal(err)
	}
	for stops := 0; ; stops++ {
		cctx, cancel := context.WithCancel(ctx)
		_, err := Run(cctx, src, target, Config{Batch: 2, Progress: &stopAfter{n: 3, cancel: cancel}})
		cancel()
		if err == nil {
			if stops < 3 {
				t.Fatalf("finished after %d stops: the test does not interrupt", stops)
			}
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted import: %v", err)
		}
		if stops > 100 {
			t.Fatal("the import does not progress")
		}
	}
	a, b := dump(t, whole), dump(t, parts)
	if !reflect.DeepEqual(a, b) {
		for k := range a {
			if !reflect.DeepEqual(a[k], b[k]) {
				t.Errorf("%s differs:\n whole %v\n parts %v", k, a[k], b[k])
			}
		}
	}
	fresh := filepath.Join(t.TempDir(), "fresh.db")
	openTarget(t, fresh)
	if want := dump(t, fresh)["#indexes"]; !reflect.DeepEqual(a["#indexes"], want) || len(want) < 20 {
		t.Errorf("indexes after an import:\n%v\nin a new store:\n%v", a["#indexes"], want)
	}
	if got := len(a["pipeline_runs"]); got != 5 {
		t.Errorf("%d runs imported", got)
	}
	// The derived columns: the pipeline's latest run and the counters.
	db, _ := sql.Open("sqlite", "file:"+whole+"?mode=ro")
	defer db.Close()
	var latest string
	var runCount, runTotal, pipelines, projectRuns int
	db.QueryRow(`SELECT latest_run_id, run_count, run_total FROM pipelines`).Scan(&latest, &runCount, &runTotal)
	db.QueryRow(`SELECT pipeline_count, run_count FROM projects`).Scan(&pipelines, &projectRuns)
	if latest != hexN("5a", 5) || runCount != 5 || runTotal != 5 || pipelines != 1 || projectRuns != 5 {
		t.Errorf("derived columns: latest %s, run_count %d, run_total %d, pipeline_count %d, project runs %d", latest, runCount, runTotal, pipelines, projectRuns)
	}
	// A finished import leaves a non-empty store: a second one is refused.
	if _, err := Run(ctx, src, openTarget(t, whole), Config{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second import: %v", err)
	}
}

func TestSecretsKey(t *testing.T) {
	ctx := context.Background()
	srcPath := sourceDB(t, Revision, fillSmall(encryptedSecret(t, "source-key", `{"password": "hunter2"}`)))
	src, err := OpenSource(ctx, "sqlite:///"+srcPath, SourceTLS{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// A wrong key: a clear error, nothing written.
	path := filepath.Join(t.TempDir(), "t.db")
	target := openTarget(t, path)
	_, err = Run(ctx, src, target, Config{SourceSecretsKey: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "do not open with the given key") {
		t.Fatalf("wrong key: %v", err)
	}
	if st, err := target.ImportState(ctx); err != nil || st.SourceID != "" || st.Initialised {
		t.Fatalf("the target changed: %+v %v", st, err)
	}
	// The right key: the secret opens with zengo's key in the target.
	if _, err := Run(ctx, src, target, Config{SourceSecretsKey: "source-key"}); err != nil {
		t.Fatal(err)
	}
	if err := target.CheckSecretsKey(ctx); err != nil {
		t.Fatalf("the imported secret does not open with the target's key: %v", err)
	}
}
