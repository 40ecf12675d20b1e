package store

import (
	"context"
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
	const batch = 500
	projectID, stackID := hexID(project.ID), stacks[0]
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
				pipes.add(11, pid, fmt.Sprintf("%s-%07d", spec.NamePrefix, i), projectID, user, fmt.Sprintf("benchmark pipeline %d", i),
					spec.RunsPerPipeline, latestID, latestCreated, latestActivity, created, created)
				snaps.add(9, sid, projectID, pid, stackID, user, "{{pipeline}}-{date}", `{"name":"bench"}`, created, created)
				for k := 0; k < spec.TagsPerPipeline; k++ {
					links.add(6, hexID(uuid.New()), tags[(i+k)%len(tags)], pid, "pipeline", created, created)
				}
			}
			stmts := []struct {
				target string
				rows   rowsBuilder
			}{
				{"pipelines (id, name, project_id, user_id, description, run_count, latest_run_id, latest_run_created, latest_activity, created, updated)", pipes},
				{"pipeline_snapshots (id, project_id, pipeline_id, stack_id, user_id, run_name_template, pipeline_configuration, created, updated)", snaps},
				{"pipeline_runs (id, name, project_id, pipeline_id, snapshot_id, user_id, status, in_progress, run_index, created, updated, orchestrator_environment)", runs},
				{"tag_resources (id, tag_id, resource_id, resource_type, created, updated)", links},
			}
			for _, st := range stmts {
				if _, err := tx.insertRows(ctx, st.target, st.rows, false); err != nil {
					return err
				}
			}
			_, err := tx.exec(ctx, `UPDATE projects SET pipeline_count = pipeline_count + ? WHERE id = ?`, end-start, projectID)
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
