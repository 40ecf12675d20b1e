package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// SeedSpec describes bulk benchmark data: Pipelines pipelines in the
// default project, each with TagsPerPipeline tags (drawn from a pool of
// TagPool names) and RunsPerPipeline runs on one snapshot, created by
// Users users in turn. It is the same shape as what bench's API seeder
// makes, written straight into the tables for sizes the API would take
// hours to reach.
type SeedSpec struct {
	Pipelines       int
	TagsPerPipeline int
	TagPool         int
	RunsPerPipeline int
	Users           int
	// NamePrefix starts every pipeline name (names are prefix-NNNNNNN).
	NamePrefix string
	// Progress, if set, is called after each batch with the pipelines done.
	Progress func(done int)
}

// Seed writes bulk data in large multi-row transactions. It needs an
// initialised database and returns the project it filled.
func (db *DB) Seed(ctx context.Context, spec SeedSpec) (*zen.Project, error) {
	if spec.Users < 1 {
		spec.Users = 1
	}
	if spec.TagPool < spec.TagsPerPipeline {
		spec.TagPool = spec.TagsPerPipeline
	}
	if spec.NamePrefix == "" {
		spec.NamePrefix = "pipeline"
	}
	project, err := db.GetProject(ctx, "default")
	if err != nil {
		return nil, err
	}
	stacks, err := db.firstColumn(ctx, `SELECT id FROM stacks WHERE name = 'default'`)
	if err != nil || len(stacks) == 0 {
		return nil, fmt.Errorf("default stack: %v", err)
	}
	users := make([]string, spec.Users)
	tags := make([]string, spec.TagPool)
	err = db.write(ctx, func(tx *Tx) error {
		for i := range users {
			id := uuid.New()
			users[i] = hexID(id)
			if _, err := tx.exec(ctx, `INSERT INTO users (id, name, is_service_account, active, is_admin, created, updated)
				VALUES (?, ?, FALSE, TRUE, FALSE, ?, ?)`, users[i], fmt.Sprintf("%s-user-%d", spec.NamePrefix, i), tx.now.Micros(), tx.now.Micros()); err != nil {
				return err
			}
		}
		for i := range tags {
			tags[i] = hexID(uuid.New())
			if _, err := tx.exec(ctx, `INSERT INTO tags (id, name, color, exclusive, user_id, created, updated) VALUES (?, ?, ?, FALSE, ?, ?, ?)`,
				tags[i], fmt.Sprintf("%s-tag-%d", spec.NamePrefix, i), zen.TagColors[i%len(zen.TagColors)], users[i%len(users)], tx.now.Micros(), tx.now.Micros()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if db.dialect.name == "sqlite" {
		// A large page cache (4 GiB) on the one writer connection for the
		// bulk writes: the random-id indexes otherwise spill and are
		// re-read.
		// Foreign keys are not checked (the rows reference what this
		// function made or read; 4 lookups per run row otherwise).
		restore, err := db.BulkWriterCache(ctx, 4096)
		if err != nil {
			return nil, err
		}
		defer restore()
		if _, err := db.writer.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return nil, err
		}
		defer db.writer.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	}
	// The secondary indexes of the bulk tables are dropped for the writes
	// and built again at the end (a sort each, rather than a random
	// insertion per row into each of them); the unique constraints stay.
	rebuild, err := db.dropSecondaryIndexes(ctx, "pipelines", "pipeline_snapshots", "pipeline_runs", "tag_resources")
	if err != nil {
		return nil, err
	}
	project, err = db.seedRows(ctx, spec, project, users, tags, stacks[0])
	if err := rebuild(); err != nil {
		return nil, fmt.Errorf("rebuild the indexes: %w", err)
	}
	if err == nil && db.dialect.name == "postgres" {
		// Statistics and the visibility map now, as a database that has
		// run a while has them (index-only scans need the latter), rather
		// than whenever autovacuum comes by.
		_, err = db.writer.ExecContext(ctx, "VACUUM (ANALYZE) pipelines, pipeline_snapshots, pipeline_runs, tag_resources")
	}
	return project, err
}

// dropSecondaryIndexes drops the indexes of the tables that no constraint
// owns and returns the function that creates them again (in one
// transaction per index). On MySQL it does nothing.
func (db *DB) dropSecondaryIndexes(ctx context.Context, tables ...string) (func() error, error) {
	var names, defs []string
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		names, defs, err = tx.secondaryIndexes(ctx, tables)
		return err
	})
	if err != nil {
		return nil, err
	}
	rebuild := func() error {
		ctx := context.WithoutCancel(ctx)
		for _, d := range defs {
			if err := db.write(ctx, func(tx *Tx) error {
				_, err := tx.exec(ctx, d)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	}
	err = db.write(ctx, func(tx *Tx) error {
		for _, n := range names {
			if _, err := tx.exec(ctx, "DROP INDEX "+n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rebuild, nil
}

// secondaryIndexes names the indexes of tables that no constraint owns
// and that enforce nothing (not unique), with the statements that create
// them: what bulk writes may drop and build again at the end. None on
// MySQL (its indexes stay).
func (tx *Tx) secondaryIndexes(ctx context.Context, tables []string) (names, defs []string, err error) {
	var q string
	switch tx.db.dialect.name {
	case "sqlite":
		q = `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN (` + placeholders(len(tables)) + `)`
	case "postgres":
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN (` + placeholders(len(tables)) + `)
			AND indexname NOT IN (SELECT conname FROM pg_constraint) AND indexdef NOT LIKE 'CREATE UNIQUE%'`
	default:
		return nil, nil, nil
	}
	args := make([]any, len(tables))
	for i, t := range tables {
		args[i] = t
	}
	err = tx.each(ctx, q, args, func(r *sql.Rows) error {
		var n, d string
		if err := r.Scan(&n, &d); err != nil {
			return err
		}
		names, defs = append(names, n), append(defs, d)
		return nil
	})
	return names, defs, err
}

// seedRows writes Seed's pipelines, snapshots, runs and tag links.
func (db *DB) seedRows(ctx context.Context, spec SeedSpec, project *zen.Project, users, tags []string, stackID string) (*zen.Project, error) {
	// About 500,000 rows per transaction: every transaction rewrites most
	// pages of the random-id primary key indexes (a run's id is a random
	// UUID), so fewer, larger transactions write far less.
	batch := max(1, min(5000, 500000/max(1, spec.RunsPerPipeline)))
	projectID := hexID(project.ID)
	for start := 0; start < spec.Pipelines; start += batch {
		end := min(start+batch, spec.Pipelines)
		err := db.write(ctx, func(tx *Tx) error {
			var pipes, snaps, runs, links rowsBuilder
			base := tx.now.Micros()
			for i := start; i < end; i++ {
				user := users[i%len(users)]
				pid, sid := hexID(uuid.New()), hexID(uuid.New())
				created := base + int64(i-start)*int64(spec.RunsPerPipeline+1)
				var latestID any
				var latestCreated any
				latestActivity := created
				for r := 0; r < spec.RunsPerPipeline; r++ {
					rid := hexID(uuid.New())
					rc := created + int64(r+1)
					status := []string{"completed", "failed", "running", "completed", "cached"}[(i+r)%5]
					runs.add(12, rid, fmt.Sprintf("%s-%07d-run-%d", spec.NamePrefix, i, r), projectID, pid, sid, user, status,
						!zen.IsFinished(status), r+1, rc, rc, "{}")
					latestID, latestCreated, latestActivity = rid, rc, rc
				}
				pipes.add(12, pid, fmt.Sprintf("%s-%07d", spec.NamePrefix, i), projectID, user, fmt.Sprintf("benchmark pipeline %d", i),
					spec.RunsPerPipeline, spec.RunsPerPipeline, latestID, latestCreated, latestActivity, created, created)
				snaps.add(9, sid, projectID, pid, stackID, user, "{{pipeline}}-{date}", `{"name":"bench"}`, created, created)
				for k := 0; k < spec.TagsPerPipeline; k++ {
					links.add(6, hexID(uuid.New()), tags[(i+k)%len(tags)], pid, "pipeline", created, created)
				}
			}
			if err := tx.insertAll(ctx,
				insertion{"pipelines (id, name, project_id, user_id, description, run_count, run_total, latest_run_id, latest_run_created, latest_activity, created, updated)", pipes},
				insertion{"pipeline_snapshots (id, project_id, pipeline_id, stack_id, user_id, run_name_template, pipeline_configuration, created, updated)", snaps},
				insertion{"pipeline_runs (id, name, project_id, pipeline_id, snapshot_id, user_id, status, in_progress, run_index, created, updated, orchestrator_environment)", runs},
				insertion{"tag_resources (id, tag_id, resource_id, resource_type, created, updated)", links},
			); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `UPDATE projects SET pipeline_count = pipeline_count + ?, run_count = run_count + ? WHERE id = ?`,
				end-start, (end-start)*spec.RunsPerPipeline, projectID)
			return err
		})
		if err != nil {
			return nil, err
		}
		if spec.Progress != nil {
			spec.Progress(end)
		}
	}
	return project, nil
}

// firstColumn returns the first column of a query's rows as strings.
func (db *DB) firstColumn(ctx context.Context, q string, args ...any) ([]string, error) {
	var out []string
	err := db.read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}

// ArtifactSeedSpec describes bulk artifact data: Artifacts artifacts in the
// default project with VersionsPerArtifact versions each, every version
// tagged and carrying one metadata value, as step outputs look.
type ArtifactSeedSpec struct {
	Artifacts           int
	VersionsPerArtifact int
	Progress            func(done int)
}

// SeedArtifacts writes bulk artifact data in large multi-row transactions.
func (db *DB) SeedArtifacts(ctx context.Context, spec ArtifactSeedSpec) (*zen.Project, error) {
	project, err := db.GetProject(ctx, "default")
	if err != nil {
		return nil, err
	}
	tagID := hexID(uuid.New())
	err = db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO tags (id, name, color, exclusive, created, updated) VALUES (?, 'bench-artifact', 'blue', FALSE, ?, ?)`,
			tagID, tx.now.Micros(), tx.now.Micros())
		return err
	})
	if err != nil {
		return nil, err
	}
	const batch = 200
	projectID := hexID(project.ID)
	for start := 0; start < spec.Artifacts; start += batch {
		end := min(start+batch, spec.Artifacts)
		err := db.write(ctx, func(tx *Tx) error {
			var arts, versions, links, meta rowsBuilder
			base := tx.now.Micros()
			for i := start; i < end; i++ {
				aid := hexID(uuid.New())
				created := base + int64(i-start)*int64(spec.VersionsPerArtifact+1)
				var latest string
				for v := 1; v <= spec.VersionsPerArtifact; v++ {
					vid := hexID(uuid.New())
					vc := created + int64(v)
					versions.add(14, vid, aid, fmt.Sprint(v), v, projectID, "DataArtifact", fmt.Sprintf("/tmp/bench/%07d/%d", i, v),
						`{"module":"zenml.materializers.built_in_materializer","attribute":"BuiltInMaterializer","type":"internal"}`,
						`{"module":"builtins","attribute":"int","type":"builtin"}`, "step_output", "{}", vc, vc, nil)
					links.add(6, hexID(uuid.New()), tagID, vid, "artifact_version", vc, vc)
					meta.add(8, hexID(uuid.New()), vid, "artifact_version", "storage_size", "2", "int", nil, vc)
					latest = vid
				}
				last := created + int64(spec.VersionsPerArtifact)
				arts.add(8, aid, fmt.Sprintf("bench-artifact-%07d", i), projectID, false, latest, last, created, created)
			}
			if err := tx.insertAll(ctx,
				insertion{"artifacts (id, name, project_id, has_custom_name, latest_version_id, latest_activity, created, updated)", arts},
				insertion{"artifact_versions (id, artifact_id, version, version_number, project_id, type, uri, materializer, data_type, save_type, request, created, updated, user_id)", versions},
				insertion{"tag_resources (id, tag_id, resource_id, resource_type, created, updated)", links},
				insertion{"run_metadata (id, resource_id, resource_type, mkey, value, type, user_id, created)", meta},
			); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `UPDATE projects SET artifact_version_count = artifact_version_count + ?, artifact_count = artifact_count + ? WHERE id = ?`,
				(end-start)*spec.VersionsPerArtifact, end-start, projectID)
			return err
		})
		if err != nil {
			return nil, err
		}
		if spec.Progress != nil {
			spec.Progress(end)
		}
	}
	return project, nil
}

// SeedDAGRun writes one run of Steps steps in a chain, as a DAG to draw: a
// pipeline (dag-pipeline) with a snapshot and the run, each step reading
// the previous step's output and writing one artifact version (of one
// artifact, dag-output), with the maintained counters set. It returns the
// run's id.
func (db *DB) SeedDAGRun(ctx context.Context, steps int) (uuid.UUID, error) {
	project, err := db.GetProject(ctx, "default")
	if err != nil {
		return uuid.Nil, err
	}
	runID := uuid.New()
	err = db.write(ctx, func(tx *Tx) error {
		projectID, now := hexID(project.ID), tx.now.Micros()
		pid, sid, rid, aid := hexID(uuid.New()), hexID(uuid.New()), hexID(runID), hexID(uuid.New())
		var pipes, snaps, runs, arts, versions, stepRows, io rowsBuilder
		end := now + int64(steps)*2 + 1
		pipes.add(12, pid, "dag-pipeline", projectID, nil, "a run of many steps", 1, 1, rid, now, now, now, now)
		snaps.add(9, sid, projectID, pid, nil, nil, "dag-{date}", `{"name":"dag-pipeline"}`, now, now)
		runs.add(14, rid, "dag-pipeline-run", projectID, pid, sid, nil, "completed", false, 1, now, end, now, end, "{}")
		var latest string
		prev := ""
		for i := 0; i < steps; i++ {
			stepID, vid := hexID(uuid.New()), hexID(uuid.New())
			st := now + int64(i)*2
			stepRows.add(10, stepID, fmt.Sprintf("step_%03d", i), projectID, nil, rid, "completed", st, st+1, st, st+1)
			versions.add(14, vid, aid, fmt.Sprint(i+1), i+1, projectID, "DataArtifact", fmt.Sprintf("/tmp/bench/dag/%d", i),
				`{"module":"zenml.materializers.built_in_materializer","attribute":"BuiltInMaterializer","type":"internal"}`,
				`{"module":"builtins","attribute":"int","type":"builtin"}`, "step_output", "{}", st+1, st+1, nil)
			io.add(6, stepID, vid, "output", "output", 0, nil)
			if prev != "" {
				io.add(6, stepID, prev, "input", "input", 0, "step_output")
			}
			prev, latest = vid, vid
		}
		arts.add(8, aid, "dag-output", projectID, false, latest, end, now, now)
		if err := tx.insertAll(ctx,
			insertion{"pipelines (id, name, project_id, user_id, description, run_count, run_total, latest_run_id, latest_run_created, latest_activity, created, updated)", pipes},
			insertion{"pipeline_snapshots (id, project_id, pipeline_id, stack_id, user_id, run_name_template, pipeline_configuration, created, updated)", snaps},
			insertion{"pipeline_runs (id, name, project_id, pipeline_id, snapshot_id, user_id, status, in_progress, run_index, start_time, end_time, created, updated, orchestrator_environment)", runs},
			insertion{"artifacts (id, name, project_id, has_custom_name, latest_version_id, latest_activity, created, updated)", arts},
			insertion{"artifact_versions (id, artifact_id, version, version_number, project_id, type, uri, materializer, data_type, save_type, request, created, updated, user_id)", versions},
			insertion{"step_runs (id, name, project_id, user_id, pipeline_run_id, status, start_time, end_time, created, updated)", stepRows},
			insertion{"step_run_artifacts (step_run_id, artifact_version_id, direction, name, position, input_type)", io},
		); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE projects SET pipeline_count = pipeline_count + 1, run_count = run_count + 1,
			artifact_count = artifact_count + 1, artifact_version_count = artifact_version_count + ? WHERE id = ?`, steps, projectID)
		return err
	})
	return runID, err
}
