package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

const runSelect = `r.id, r.name, r.project_id, r.pipeline_id, r.snapshot_id, r.user_id, r.status, r.status_reason, r.in_progress,
	r.run_index, r.orchestrator_run_id, r.orchestrator_environment, r.start_time, r.end_time, r.trigger_info, r.exception_info,
	r.original_run_id, r.parent_run_id, r.child_key, r.model_version_id, r.enable_heartbeat, r.created, r.updated`

func scanRun(row interface{ Scan(...any) error }) (*zen.Run, error) {
	r := &zen.Run{}
	err := row.Scan(dbID{&r.ID}, &r.Name, dbID{&r.ProjectID}, dbIDPtr{&r.PipelineID}, dbID{&r.SnapshotID}, dbIDPtr{&r.UserID},
		&r.Status, &r.StatusReason, &r.InProgress, &r.Index, &r.OrchestratorRunID, dbJSON{&r.OrchestratorEnvironment, "{}"},
		dbTimePtr{&r.StartTime}, dbTimePtr{&r.EndTime}, dbJSON{&r.TriggerInfo, "null"}, dbJSON{&r.ExceptionInfo, "null"},
		dbIDPtr{&r.OriginalRunID}, dbIDPtr{&r.ParentRunID}, &r.ChildKey, dbIDPtr{&r.ModelVersionID}, &r.EnableHeartbeat, dbTime{&r.Created}, dbTime{&r.Updated})
	return r, err
}

// duplicateRunName is the reference's 409 text for a run name in use.
func duplicateRunName(name string) error {
	return zen.Errorf(zen.EConflict, "Pipeline run name '%s' already exists in this project. Each pipeline run must have a unique name.\n\n"+
		"To fix this, you can:\n1. Use a different run name\n2. Use a dynamic run name with placeholders like: \"%s_{date}_{time}\"\n"+
		"3. Remove the run name from your configuration to auto-generate unique names\n\n"+
		"For more information on run naming, see: https://docs.zenml.io/concepts/steps_and_pipelines/yaml_configuration#run-name", name, name)
}

func isPlaceholderStatus(status string) bool {
	return status == zen.StatusInitializing || status == zen.StatusProvisioning
}

// GetOrCreateRun is the reference's get-or-create of a run: an existing run
// of the same snapshot and orchestrator run id is returned as it is; a
// started run takes over the snapshot's placeholder run (keeping its id,
// name, index and start time); otherwise a new run is made. created tells
// which happened.
func (db *DB) GetOrCreateRun(ctx context.Context, run zen.Run, tags []TagRef) (out *zen.Run, created bool, err error) {
	// Every step of a pipeline whose steps run in processes of their own
	// asks for its run again: that common case is a read, off the writer.
	if run.OrchestratorRunID != nil {
		err = db.read(ctx, func(tx *Tx) error {
			var err error
			out, err = tx.findRun(ctx, `r.snapshot_id = ? AND r.project_id = ? AND r.orchestrator_run_id = ? AND r.status NOT IN ('initializing', 'provisioning')`,
				hexID(run.SnapshotID), hexID(run.ProjectID), *run.OrchestratorRunID)
			return err
		})
		if err != nil || out != nil {
			return out, false, err
		}
	}
	var madeID uuid.UUID
	err = db.write(ctx, func(tx *Tx) error {
		madeID = uuid.Nil
		var pipelineID *uuid.UUID
		err := tx.queryRow(ctx, `SELECT pipeline_id FROM pipeline_snapshots WHERE id = ? AND project_id = ?`, hexID(run.SnapshotID), hexID(run.ProjectID)).
			Scan(dbIDPtr{&pipelineID})
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("The pipeline snapshot with ID %s referenced by the pipeline run being created was not found in the '%s' project", run.SnapshotID, run.ProjectID)
		}
		if err != nil {
			return err
		}
		run.PipelineID = pipelineID
		if run.OrchestratorRunID != nil {
			existing, err := tx.findRun(ctx, `r.snapshot_id = ? AND r.orchestrator_run_id = ? AND r.status NOT IN ('initializing', 'provisioning')`,
				hexID(run.SnapshotID), *run.OrchestratorRunID)
			if err != nil || existing != nil {
				out = existing
				return err
			}
		}
		if !isPlaceholderStatus(run.Status) {
			placeholder, err := tx.findRun(ctx, `r.snapshot_id = ? AND r.status IN ('initializing', 'provisioning')
				AND (r.orchestrator_run_id IS NULL OR r.orchestrator_run_id = ?) ORDER BY r.orchestrator_run_id IS NULL, r.created`,
				hexID(run.SnapshotID), deref(run.OrchestratorRunID))
			if err != nil {
				return err
			}
			if placeholder != nil {
				if run.OrchestratorRunID == nil {
					return zen.Errorf(zen.EInvalid, "Orchestrator run ID is required to replace a placeholder run.")
				}
				if _, err := tx.exec(ctx, `UPDATE pipeline_runs SET orchestrator_run_id = ?, orchestrator_environment = ?, status = ?,
					in_progress = ?, updated = ? WHERE id = ?`, *run.OrchestratorRunID, jsonText(run.OrchestratorEnvironment, "{}"),
					run.Status, !zen.IsFinished(run.Status), tx.now.Micros(), hexID(placeholder.ID)); err != nil {
					return err
				}
				if err := tx.attachTags(ctx, "pipeline_run", placeholder.ID, tags, run.UserID); err != nil {
					return err
				}
				created, madeID = true, placeholder.ID
				return nil
			}
		}
		if err := tx.insertRun(ctx, &run); err != nil {
			if errors.Is(err, errDuplicateRun) {
				if run.OrchestratorRunID != nil {
					existing, ferr := tx.findRun(ctx, `r.snapshot_id = ? AND r.orchestrator_run_id = ?`, hexID(run.SnapshotID), *run.OrchestratorRunID)
					if ferr != nil || existing != nil {
						out = existing
						return ferr
					}
				}
				return duplicateRunName(run.Name)
			}
			return err
		}
		if err := tx.attachTags(ctx, "pipeline_run", run.ID, tags, run.UserID); err != nil {
			return err
		}
		if err := tx.attachRunModel(ctx, &run); err != nil {
			return err
		}
		created, madeID = true, run.ID
		return nil
	})
	if err != nil || madeID == uuid.Nil {
		return out, created, err
	}
	// The answer is read after the commit, off the writer.
	out, err = db.GetRun(ctx, madeID)
	return out, created, err
}

// attachRunModel gives a new run the model version its pipeline
// configuration names (made on first use) and links the two.
func (tx *Tx) attachRunModel(ctx context.Context, run *zen.Run) error {
	var raw string
	if err := tx.queryRow(ctx, `SELECT pipeline_configuration FROM pipeline_snapshots WHERE id = ?`, hexID(run.SnapshotID)).Scan(&raw); err != nil {
		return err
	}
	var cfg struct {
		Model *struct {
			Name                 string          `json:"name"`
			Version              json.RawMessage `json:"version"`
			License              *string         `json:"license"`
			Description          *string         `json:"description"`
			Audience             *string         `json:"audience"`
			UseCases             *string         `json:"use_cases"`
			Limitations          *string         `json:"limitations"`
			TradeOffs            *string         `json:"trade_offs"`
			Ethics               *string         `json:"ethics"`
			SaveModelsToRegistry *bool           `json:"save_models_to_registry"`
			Tags                 []string        `json:"tags"`
		} `json:"model"`
	}
	if json.Unmarshal([]byte(raw), &cfg) != nil || cfg.Model == nil || cfg.Model.Name == "" {
		return nil
	}
	m := cfg.Model
	rm := RunModel{Name: m.Name, License: m.License, Description: m.Description, Audience: m.Audience, UseCases: m.UseCases,
		Limitations: m.Limitations, TradeOffs: m.TradeOffs, Ethics: m.Ethics, SaveModelsToRegistry: m.SaveModelsToRegistry == nil || *m.SaveModelsToRegistry,
		Tags: m.Tags}
	if v := strings.Trim(string(m.Version), `"`); v != "" && v != "null" {
		rm.Version = &v
	}
	mvID, err := tx.modelVersionForRun(ctx, run.ProjectID, rm, run.ID, run.UserID)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE pipeline_runs SET model_version_id = ? WHERE id = ?`, hexID(mvID), hexID(run.ID)); err != nil {
		return err
	}
	var rows rowsBuilder
	rows.add(5, hexID(uuid.New()), hexID(mvID), hexID(run.ID), tx.now.Micros(), tx.now.Micros())
	_, err = tx.insertRows(ctx, "model_version_runs (id, model_version_id, pipeline_run_id, created, updated)", rows, true)
	return err
}

var errDuplicateRun = errors.New("duplicate run")

// insertRun numbers and stores a new run and makes it its pipeline's
// latest run.
func (tx *Tx) insertRun(ctx context.Context, run *zen.Run) error {
	run.ID, run.Created, run.Updated = uuid.New(), tx.now, tx.now
	run.InProgress = !zen.IsFinished(run.Status)
	// The project's run count first: every run creation of a project takes
	// its row in the same order, before the pipeline's.
	if _, err := tx.exec(ctx, `UPDATE projects SET run_count = run_count + 1 WHERE id = ?`, hexID(run.ProjectID)); err != nil {
		return err
	}
	if run.PipelineID != nil {
		pid := hexID(*run.PipelineID)
		if _, err := tx.exec(ctx, `UPDATE pipelines SET run_count = run_count + 1, run_total = run_total + 1 WHERE id = ?`, pid); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT run_count FROM pipelines WHERE id = ?`, pid).Scan(&run.Index); err != nil {
			return err
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO pipeline_runs (id, name, project_id, pipeline_id, snapshot_id, user_id, status, status_reason,
		in_progress, run_index, orchestrator_run_id, orchestrator_environment, start_time, end_time, trigger_info, exception_info,
		original_run_id, parent_run_id, child_key, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(run.ID), run.Name, hexID(run.ProjectID), hexIDPtr(run.PipelineID), hexID(run.SnapshotID), hexIDPtr(run.UserID),
		run.Status, run.StatusReason, run.InProgress, run.Index, run.OrchestratorRunID, jsonText(run.OrchestratorEnvironment, "{}"),
		timePtr(run.StartTime), timePtr(run.EndTime), nullableJSON(run.TriggerInfo), nullableJSON(run.ExceptionInfo),
		hexIDPtr(run.OriginalRunID), hexIDPtr(run.ParentRunID), run.ChildKey, run.Created.Micros(), run.Updated.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		return errDuplicateRun
	}
	if err != nil || run.PipelineID == nil {
		return err
	}
	// The new run is the newest of its pipeline, unless another replica's
	// clock is ahead.
	_, err = tx.exec(ctx, `UPDATE pipelines SET latest_run_id = ?, latest_run_created = ?, latest_activity = ?
		WHERE id = ? AND (latest_run_created IS NULL OR latest_run_created <= ?)`,
		hexID(run.ID), run.Created.Micros(), run.Created.Micros(), hexID(*run.PipelineID), run.Created.Micros())
	return err
}

// refreshLatestRun recomputes a pipeline's latest run after runs went away.
func (tx *Tx) refreshLatestRun(ctx context.Context, pipelineID uuid.UUID) error {
	pid := hexID(pipelineID)
	_, err := tx.exec(ctx, `UPDATE pipelines SET
		latest_run_id = (SELECT r.id FROM pipeline_runs r WHERE r.pipeline_id = ? ORDER BY r.created DESC, r.id DESC LIMIT 1),
		latest_run_created = (SELECT MAX(r.created) FROM pipeline_runs r WHERE r.pipeline_id = ?),
		latest_activity = COALESCE((SELECT MAX(r.created) FROM pipeline_runs r WHERE r.pipeline_id = ?), created)
		WHERE id = ?`, pid, pid, pid, pid)
	return err
}

// findRun returns the first run matching where, or nil.
func (tx *Tx) findRun(ctx context.Context, where string, args ...any) (*zen.Run, error) {
	r, err := scanRun(tx.queryRow(ctx, `SELECT `+runSelect+` FROM pipeline_runs r WHERE `+where+` LIMIT 1`, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r, tx.loadRunResources(ctx, []*zen.Run{r})
}

// GetRun finds a run by id with its resources.
func (db *DB) GetRun(ctx context.Context, id uuid.UUID) (*zen.Run, error) {
	return readByID(ctx, db, id, (*Tx).getRun)
}

func (tx *Tx) getRun(ctx context.Context, id uuid.UUID) (*zen.Run, error) {
	r, err := tx.findRun(ctx, `r.id = ?`, hexID(id))
	if err == nil && r == nil {
		return nil, zen.NotFound("Unable to get pipeline run with ID '%s': No pipeline run with this ID found", id)
	}
	return r, err
}

// loadRunResources fills users, snapshots (with their stacks), pipelines,
// tags and logs of many runs with one query each.
func (tx *Tx) loadRunResources(ctx context.Context, runs []*zen.Run) error {
	return loadRelations(ctx, tx, runs, runRelations)
}

var runLinks = polymorphic[*zen.Run]{"pipeline_run", func(r *zen.Run) uuid.UUID { return r.ID }}

var runRelations = []relation[*zen.Run]{
	withUsers(ref[*zen.Run, *zen.User]{func(r *zen.Run) *uuid.UUID { return r.UserID }, func(r *zen.Run, u *zen.User) { r.User = u }}),
	withRows((*Tx).snapshotsByID, ref[*zen.Run, *zen.Snapshot]{func(r *zen.Run) *uuid.UUID { return &r.SnapshotID }, func(r *zen.Run, s *zen.Snapshot) { r.Snapshot = s }}),
	// The snapshots' stacks, once the snapshots are there.
	withRows((*Tx).stacksByID, ref[*zen.Run, *zen.Stack]{func(r *zen.Run) *uuid.UUID {
		if r.Snapshot == nil {
			return nil
		}
		return r.Snapshot.StackID
	}, func(r *zen.Run, st *zen.Stack) { r.Snapshot.Stack = st }}),
	withRows((*Tx).pipelinesByID, ref[*zen.Run, *zen.Pipeline]{func(r *zen.Run) *uuid.UUID { return r.PipelineID }, func(r *zen.Run, p *zen.Pipeline) { r.Pipeline = p }}),
	withTags(runLinks, func(r *zen.Run, t []*zen.Tag) { r.Tags = t }),
	withRows((*Tx).modelVersionRows, ref[*zen.Run, *zen.ModelVersion]{func(r *zen.Run) *uuid.UUID { return r.ModelVersionID },
		func(r *zen.Run, v *zen.ModelVersion) { r.ModelVersion = v }}),
	func(ctx context.Context, tx *Tx, runs []*zen.Run) error {
		logs, err := tx.logsOf(ctx, "pipeline_run_id", runLinks.ids(runs))
		for _, r := range runs {
			r.Logs = logs[r.ID]
		}
		return err
	},
	pendingWaitConditions,
	withRunMetadata(runLinks, func(r *zen.Run, m zen.Metadata) { r.RunMetadata = m }),
	withCurated(runLinks, func(r *zen.Run, v []*zen.CuratedVisualization) { r.Visualizations = v }),
}

// WithFullRunMetadata adds to the runs' metadata their steps' (as
// "step::key", the steps by start time) and their schedule's (as
// "schedule:key"), as the reference's include_full_metadata does: three
// statements, whatever the number of runs.
func (db *DB) WithFullRunMetadata(ctx context.Context, runs []*zen.Run) error {
	if len(runs) == 0 {
		return nil
	}
	return db.read(ctx, func(tx *Tx) error {
		type step struct {
			id, run uuid.UUID
			name    string
		}
		var steps []step
		// The reference orders a run's steps by start time (NULL first,
		// as on SQLite).
		err := tx.each(ctx, `SELECT id, pipeline_run_id, name FROM step_runs WHERE pipeline_run_id IN (`+placeholders(len(runs))+`)
			ORDER BY CASE WHEN start_time IS NULL THEN 0 ELSE 1 END, start_time, created, id`, idArgs(runLinks.ids(runs)), func(rows *sql.Rows) error {
			var st step
			if err := rows.Scan(dbID{&st.id}, dbID{&st.run}, &st.name); err != nil {
				return err
			}
			steps = append(steps, st)
			return nil
		})
		if err != nil {
			return err
		}
		stepIDs := make([]uuid.UUID, len(steps))
		for i, st := range steps {
			stepIDs[i] = st.id
		}
		stepMeta, err := tx.runMetadataOf(ctx, "step_run", stepIDs)
		if err != nil {
			return err
		}
		var scheduleIDs []*uuid.UUID
		for _, r := range runs {
			if r.Snapshot != nil && r.Snapshot.ScheduleID != nil {
				scheduleIDs = append(scheduleIDs, r.Snapshot.ScheduleID)
			}
		}
		scheduleMeta, err := tx.runMetadataOf(ctx, "schedule", uniqueIDs(scheduleIDs...))
		if err != nil {
			return err
		}
		byRun := make(map[uuid.UUID]*zen.Run, len(runs))
		for _, r := range runs {
			byRun[r.ID] = r
		}
		for _, st := range steps {
			r, m := byRun[st.run], stepMeta[st.id]
			for _, k := range m.Keys() {
				v, _ := m.Get(k)
				r.RunMetadata.Set(st.name+"::"+k, v)
			}
		}
		for _, r := range runs {
			if r.Snapshot == nil || r.Snapshot.ScheduleID == nil {
				continue
			}
			m := scheduleMeta[*r.Snapshot.ScheduleID]
			for _, k := range m.Keys() {
				v, _ := m.Get(k)
				r.RunMetadata.Set("schedule:"+k, v)
			}
		}
		return nil
	})
}

// DisableRunHeartbeat records that a run's steps no longer send
// heartbeats.
func (db *DB) DisableRunHeartbeat(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE pipeline_runs SET enable_heartbeat = ? WHERE id = ?`, false, hexID(id)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE step_runs SET heartbeat_threshold = NULL WHERE pipeline_run_id = ?`, hexID(id))
		return err
	})
}

// RunUpdate carries a run update.
type RunUpdate struct {
	Status            *string
	StatusReason      *string
	OrchestratorRunID *string
	ExceptionInfo     []byte
	AddTags           []TagRef
	RemoveTags        []TagRef
}

// UpdateRun applies an update with the reference's status rules.
func (db *DB) UpdateRun(ctx context.Context, id uuid.UUID, up RunUpdate, userID *uuid.UUID) (*zen.Run, error) {
	var out *zen.Run
	err := db.write(ctx, func(tx *Tx) error {
		run, err := tx.getRun(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		if up.Status != nil {
			if err := tx.runStatusChange(ctx, run, *up.Status, up.StatusReason, &set); err != nil {
				return err
			}
		}
		if up.ExceptionInfo != nil {
			set.addSQL("exception_info = ?", nullableJSON(up.ExceptionInfo))
		}
		set.addSQL("updated = ?", tx.now.Micros())
		if _, err := tx.updateByID(ctx, "pipeline_runs", id, set); err != nil {
			return err
		}
		if up.OrchestratorRunID != nil {
			if !isPlaceholderStatus(run.Status) {
				return zen.Errorf(zen.EForbidden, "Cannot update the orchestrator run id of a pipeline run that is not a placeholder run.")
			}
			if run.OrchestratorRunID != nil && *run.OrchestratorRunID != *up.OrchestratorRunID {
				return zen.Errorf(zen.EForbidden, "Pipeline run already has a different orchestrator run id. Existing: %s, New: %s", *run.OrchestratorRunID, *up.OrchestratorRunID)
			}
			if _, err := tx.exec(ctx, `UPDATE pipeline_runs SET orchestrator_run_id = ? WHERE id = ?`, *up.OrchestratorRunID, hexID(id)); err != nil {
				return err
			}
		}
		if err := tx.retag(ctx, "pipeline_run", id, up.AddTags, up.RemoveTags, userID); err != nil {
			return err
		}
		out, err = tx.getRun(ctx, id)
		return err
	})
	return out, err
}

// runStatusChange adds to set what a requested status changes on a run,
// by the reference's transition rules (for static pipelines, read against
// its steps).
func (tx *Tx) runStatusChange(ctx context.Context, run *zen.Run, status string, reason *string, set *conditions) error {
	stepCount, isDynamic := 0, false
	if run.Snapshot != nil {
		stepCount, isDynamic = run.Snapshot.StepCount, run.Snapshot.IsDynamic
	}
	var steps []string
	if !isDynamic {
		var err error
		if steps, err = tx.stepStatuses(ctx, run.ID); err != nil {
			return err
		}
	}
	change, err := zen.NextRunStatus(run.Status, status, isDynamic, stepCount, steps, run.ParentRunID != nil)
	if err != nil {
		return err
	}
	if !change.Ignored {
		set.addSQL("status = ?", change.Status)
		set.addSQL("in_progress = ?", change.InProgress)
		switch {
		case reason != nil:
			set.addSQL("status_reason = ?", *reason)
		case change.Status != run.Status && !(run.Status == zen.StatusStopping && change.Status == zen.StatusStopped):
			set.addSQL("status_reason = NULL")
		}
		if change.Status == zen.StatusResuming {
			set.addSQL("end_time = NULL")
		} else if run.InProgress && !change.InProgress && run.EndTime == nil {
			set.addSQL("end_time = ?", tx.now.Micros())
		}
		if zen.IsFinished(change.Status) {
			if err := tx.markOnboarding(ctx, "pipeline_run"); err != nil {
				return err
			}
		}
	}
	return nil
}

// requestRunStatus moves a run as a client's status update would; an
// empty reason is none.
func (tx *Tx) requestRunStatus(ctx context.Context, id uuid.UUID, status, reason string) error {
	run, err := tx.getRun(ctx, id)
	if err != nil {
		return err
	}
	var why *string
	if reason != "" {
		why = &reason
	}
	var set conditions
	if err := tx.runStatusChange(ctx, run, status, why, &set); err != nil {
		return err
	}
	set.addSQL("updated = ?", tx.now.Micros())
	_, err = tx.updateByID(ctx, "pipeline_runs", id, set)
	return err
}

// DeleteRun removes a run; its pipeline's latest run moves to the next
// newest.
func (db *DB) DeleteRun(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		var pipelineID *uuid.UUID
		err := tx.queryRow(ctx, `SELECT pipeline_id FROM pipeline_runs WHERE id = ?`, hexID(id)).Scan(dbIDPtr{&pipelineID})
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("Unable to get pipeline run with ID '%s': No pipeline run with this ID found", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.deleteCascading(ctx, "pipeline_runs", "id = ?", hexID(id)); err != nil {
			return err
		}
		if pipelineID == nil {
			return nil
		}
		return tx.refreshLatestRun(ctx, *pipelineID)
	})
}

var runFilterColumns = func() map[string]column {
	cols := baseColumns("r")
	cols["name"] = column{expr: "r.name", typ: filter.String}
	cols["orchestrator_run_id"] = column{expr: "r.orchestrator_run_id", typ: filter.String, nullable: true}
	cols["status"] = column{expr: "r.status", typ: filter.String}
	cols["index"] = column{expr: "r.run_index", typ: filter.Int}
	cols["pipeline_id"] = column{expr: "r.pipeline_id", typ: filter.UUID, nullable: true}
	cols["snapshot_id"] = column{expr: "r.snapshot_id", typ: filter.UUID}
	cols["parent_run_id"] = column{expr: "r.parent_run_id", typ: filter.UUID, nullable: true}
	cols["model_version_id"] = column{expr: "r.model_version_id", typ: filter.UUID, nullable: true}
	cols["in_progress"] = column{expr: "r.in_progress", typ: filter.Bool}
	cols["start_time"] = column{expr: "r.start_time", typ: filter.Datetime, nullable: true}
	cols["end_time"] = column{expr: "r.end_time", typ: filter.Datetime, nullable: true}
	return cols
}()

// RunScope holds the always-applied parts of a run list.
type RunScope struct {
	ProjectID uuid.UUID
	ScopeUser *uuid.UUID
}

// clauses are the scope's conditions on runs aliased r.
func (s RunScope) clauses() []clause {
	return ProjectScope(s).clauses("r")
}

// ListRuns lists a project's runs.
func (db *DB) ListRuns(ctx context.Context, l *filter.List, scope RunScope) (*zen.Page[*zen.Run], error) {
	spec := db.dialect.runListSpec()
	// The two run lists the dashboard shows are answered from maintained
	// counters: a project's runs unfiltered (projects.run_count) and one
	// pipeline's runs (pipelines.run_total) when the one condition is
	// pipeline_id equal to an id. Any other filter set is counted.
	spec.fastCount = func(tx *Tx, l *filter.List) (int, bool, error) {
		if scope.ScopeUser != nil || len(l.Fixed) > 0 {
			return 0, false, nil
		}
		var n int
		switch {
		case len(l.Conditions) == 0:
			err := tx.queryRow(ctx, `SELECT run_count FROM projects WHERE id = ?`, hexID(scope.ProjectID)).Scan(&n)
			return n, err == nil, err
		case len(l.Conditions) == 1 && l.Conditions[0].Field == "pipeline_id" && l.Conditions[0].Op == filter.Equals:
			id, ok := l.Conditions[0].Value.(string)
			if !ok {
				return 0, false, nil
			}
			err := tx.queryRow(ctx, `SELECT COALESCE(MAX(run_total), 0) FROM pipelines WHERE id = ? AND project_id = ?`, id, hexID(scope.ProjectID)).Scan(&n)
			return n, err == nil, err
		}
		return 0, false, nil
	}
	return listRows(ctx, db, spec, l, scope.clauses(), runSelect, func(r interface{ Scan(...any) error }) (*zen.Run, error) { return scanRun(r) }, func(ctx context.Context, tx *Tx, items []*zen.Run) error {
		return tx.loadRunResources(ctx, items)
	})
}

// runListSpec is the run list's language in SQL over pipeline_runs r: the
// run list and the run statistics filter with it.
func (d *dialect) runListSpec() *listSpec {
	snapshotCond := func(c filter.Condition, col string) clause {
		m := d.render(column{expr: "fs." + col, typ: filter.UUID}, c)
		return clause{"EXISTS (SELECT 1 FROM pipeline_snapshots fs WHERE fs.id = r.snapshot_id AND " + m.sql + ")", m.args}
	}
	custom := func(c filter.Condition) (clause, bool) {
		switch c.Field {
		case "pipeline_name":
			m := d.render(column{expr: "fp.name", typ: filter.String}, c)
			return clause{"EXISTS (SELECT 1 FROM pipelines fp WHERE fp.id = r.pipeline_id AND " + m.sql + ")", m.args}, true
		case "pipeline":
			m := d.nameOrIDMatch("fp", c)
			return clause{"EXISTS (SELECT 1 FROM pipelines fp WHERE fp.id = r.pipeline_id AND " + m.sql + ")", m.args}, true
		case "stack":
			m := d.nameOrIDMatch("fst", c)
			return clause{"EXISTS (SELECT 1 FROM pipeline_snapshots fs JOIN stacks fst ON fst.id = fs.stack_id WHERE fs.id = r.snapshot_id AND " + m.sql + ")", m.args}, true
		case "model":
			// the run's own model version's model, as the reference joins
			m := d.nameOrIDMatch("fm", c)
			return clause{"EXISTS (SELECT 1 FROM model_versions fmv JOIN models fm ON fm.id = fmv.model_id WHERE fmv.id = r.model_version_id AND " + m.sql + ")", m.args}, true
		case "stack_id":
			return snapshotCond(c, "stack_id"), true
		case "schedule_id":
			return snapshotCond(c, "schedule_id"), true
		case "build_id":
			return snapshotCond(c, "build_id"), true
		case "template_id":
			return snapshotCond(c, "template_id"), true
		case "source_snapshot_id":
			return snapshotCond(c, "source_snapshot_id"), true
		case "root_runs_only":
			if b, _ := c.Value.(bool); b {
				return clause{"r.parent_run_id IS NULL", nil}, true
			}
			return clause{"1 = 1", nil}, true
		}
		return clause{}, false
	}
	return &listSpec{from: "pipeline_runs r", alias: "r", columns: runFilterColumns,
		custom: d.userScopedCustom("r.user_id", d.tagsCustom("r.id", "pipeline_run", custom)),
		sortKeys: map[string]sortKey{
			"user":          userSortKey("r.user_id"),
			"tags":          d.tagsSortKey("r.id", "pipeline_run"),
			"pipeline":      {expr: "(SELECT sp.name FROM pipelines sp WHERE sp.id = r.pipeline_id)", nullable: true},
			"stack":         {expr: "(SELECT sst.name FROM pipeline_snapshots ss JOIN stacks sst ON sst.id = ss.stack_id WHERE ss.id = r.snapshot_id)", nullable: true},
			"model":         {expr: "(SELECT sm.name FROM model_versions smv JOIN models sm ON sm.id = smv.model_id WHERE smv.id = r.model_version_id)", nullable: true},
			"model_version": {expr: "(SELECT smv.name FROM model_versions smv WHERE smv.id = r.model_version_id)", nullable: true},
		}}
}

// snapshotsByID loads bare snapshots by id.
func (tx *Tx) snapshotsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.Snapshot, error) {
	return byIDs(ctx, tx, `SELECT `+snapshotSelect+` FROM pipeline_snapshots s WHERE s.id`, ids,
		func(r interface{ Scan(...any) error }) (*zen.Snapshot, error) { return scanSnapshot(r) },
		func(s *zen.Snapshot) uuid.UUID { return s.ID })
}
