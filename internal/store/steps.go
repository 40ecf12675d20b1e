package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Logs is a log reference (see zen.Logs).
type Logs = zen.Logs

const logsSelect = `l.id, l.project_id, l.user_id, l.uri, l.source, l.artifact_store_id, l.log_store_id, l.pipeline_run_id,
	l.step_run_id, l.hook_invocation_id, l.created, l.updated`

func scanLogs(row interface{ Scan(...any) error }) (*Logs, error) {
	l := &Logs{}
	err := row.Scan(dbID{&l.ID}, dbID{&l.ProjectID}, dbIDPtr{&l.UserID}, &l.URI, &l.Source, dbIDPtr{&l.ArtifactStoreID},
		dbIDPtr{&l.LogStoreID}, dbIDPtr{&l.PipelineRunID}, dbIDPtr{&l.StepRunID}, dbIDPtr{&l.HookInvocationID},
		dbTime{&l.Created}, dbTime{&l.Updated})
	return l, err
}

// CreateLogs stores a log reference under the id the client chose.
func (db *DB) CreateLogs(ctx context.Context, l Logs) (*Logs, error) {
	var out *Logs
	err := db.write(ctx, func(tx *Tx) error {
		if l.ID == uuid.Nil {
			l.ID = uuid.New()
		}
		_, err := tx.exec(ctx, `INSERT INTO logs (id, project_id, user_id, uri, source, artifact_store_id, log_store_id, pipeline_run_id,
			step_run_id, hook_invocation_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(l.ID), hexID(l.ProjectID), hexIDPtr(l.UserID), l.URI, l.Source, hexIDPtr(l.ArtifactStoreID), hexIDPtr(l.LogStoreID),
			hexIDPtr(l.PipelineRunID), hexIDPtr(l.StepRunID), hexIDPtr(l.HookInvocationID), tx.now.Micros(), tx.now.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Unable to create logs with ID '%s': Found existing logs with this ID.", l.ID)
		}
		if err != nil {
			return err
		}
		out, err = tx.getLogs(ctx, l.ID)
		return err
	})
	return out, err
}

func (tx *Tx) getLogs(ctx context.Context, id uuid.UUID) (*Logs, error) {
	l, err := scanLogs(tx.queryRow(ctx, `SELECT `+logsSelect+` FROM logs l WHERE l.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get log with ID '%s': No log with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	users, err := tx.usersByID(ctx, uniqueIDs(l.UserID))
	if err == nil && l.UserID != nil {
		l.User = users[*l.UserID]
	}
	return l, err
}

// GetLogs finds a log reference.
func (db *DB) GetLogs(ctx context.Context, id uuid.UUID) (*Logs, error) {
	return readByID(ctx, db, id, (*Tx).getLogs)
}

// LinkLogs attaches a log reference to a run and/or a step.
func (db *DB) LinkLogs(ctx context.Context, id uuid.UUID, runID, stepID *uuid.UUID) (*Logs, error) {
	var out *Logs
	err := db.write(ctx, func(tx *Tx) error {
		// The reference looks the new owner up before the entry.
		if runID != nil {
			if _, err := tx.getRun(ctx, *runID); err != nil {
				return err
			}
		} else if stepID != nil {
			if _, err := tx.getStep(ctx, *stepID); err != nil {
				return err
			}
		}
		l, err := tx.getLogs(ctx, id)
		if err != nil {
			return err
		}
		if (l.PipelineRunID != nil || l.StepRunID != nil) && (!sameID(l.PipelineRunID, runID) || !sameID(l.StepRunID, stepID)) {
			return zen.Errorf(zen.EForbidden, "The logs entry is already associated with a different entity.")
		}
		if _, err := tx.exec(ctx, `UPDATE logs SET pipeline_run_id = COALESCE(?, pipeline_run_id), step_run_id = COALESCE(?, step_run_id),
			updated = ? WHERE id = ?`, hexIDPtr(runID), hexIDPtr(stepID), tx.now.Micros(), hexID(id)); err != nil {
			return err
		}
		out, err = tx.getLogs(ctx, id)
		return err
	})
	return out, err
}

// sameID reports whether two optional IDs are both absent or equal.
func sameID(a, b *uuid.UUID) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// logsOf loads the log references of many runs or steps.
func (tx *Tx) logsOf(ctx context.Context, column string, ids []uuid.UUID) (map[uuid.UUID][]*Logs, error) {
	out := map[uuid.UUID][]*Logs{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.query(ctx, `SELECT `+logsSelect+` FROM logs l WHERE l.`+column+` IN (`+placeholders(len(ids))+`) ORDER BY l.created, l.id`, idArgs(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLogs(rows)
		if err != nil {
			return nil, err
		}
		key := l.PipelineRunID
		switch column {
		case "step_run_id":
			key = l.StepRunID
		case "hook_invocation_id":
			key = l.HookInvocationID
		}
		out[*key] = append(out[*key], l)
	}
	return out, rows.Err()
}

// StepRun is one execution of one step of a run.
type StepRun struct {
	ID                uuid.UUID
	Name              string
	ProjectID         uuid.UUID
	UserID            *uuid.UUID
	PipelineRunID     uuid.UUID
	Status            string
	StartTime         *zen.Time
	EndTime           *zen.Time
	CacheKey          *string
	CacheExpiresAt    *zen.Time
	CodeHash          *string
	Docstring         *string
	SourceCode        *string
	OriginalStepRunID *uuid.UUID
	ExceptionInfo     json.RawMessage
	// DynamicConfig is a dynamic pipeline's step configuration (its spec
	// and config), null for steps configured by their snapshot.
	DynamicConfig json.RawMessage
	Version       int
	IsRetriable   bool
	// HeartbeatThreshold (minutes) is set when the step sends heartbeats.
	HeartbeatThreshold *int
	LatestHeartbeat    *zen.Time
	Created, Updated   zen.Time

	// Loaded with the step.
	User          *zen.User
	Run           *zen.Run
	ParentStepIDs []uuid.UUID
	Inputs        map[string][]StepArtifact
	Outputs       map[string][]StepArtifact
	Logs          []*Logs
	RunMetadata   zen.Metadata
}

// StepArtifact is an input or output of a step.
type StepArtifact struct {
	Version   *ArtifactVersion
	InputType *string
	Index     int
}

const stepSelect = `st.id, st.name, st.project_id, st.user_id, st.pipeline_run_id, st.status, st.start_time, st.end_time, st.cache_key,
	st.cache_expires_at, st.code_hash, st.docstring, st.source_code, st.original_step_run_id, st.exception_info, st.dynamic_config, st.version,
	st.is_retriable, st.latest_heartbeat, st.heartbeat_threshold, st.created, st.updated`

func scanStep(row interface{ Scan(...any) error }) (*StepRun, error) {
	s := &StepRun{}
	err := row.Scan(dbID{&s.ID}, &s.Name, dbID{&s.ProjectID}, dbIDPtr{&s.UserID}, dbID{&s.PipelineRunID}, &s.Status,
		dbTimePtr{&s.StartTime}, dbTimePtr{&s.EndTime}, &s.CacheKey, dbTimePtr{&s.CacheExpiresAt}, &s.CodeHash, &s.Docstring,
		&s.SourceCode, dbIDPtr{&s.OriginalStepRunID}, dbJSON{&s.ExceptionInfo, "null"}, dbJSON{&s.DynamicConfig, ""}, &s.Version, &s.IsRetriable,
		dbTimePtr{&s.LatestHeartbeat}, &s.HeartbeatThreshold, dbTime{&s.Created}, dbTime{&s.Updated})
	return s, err
}

// heartbeatThreshold is a new step's: its configuration's healthy
// threshold when its spec sends heartbeats and its run expects them. A
// dynamic step brings its configuration; others find theirs in the
// snapshot.
func heartbeatThreshold(run *zen.Run, step string, dynamic json.RawMessage) *int {
	if !run.EnableHeartbeat || run.Snapshot == nil {
		return nil
	}
	type stepConfig struct {
		Spec struct {
			EnableHeartbeat bool `json:"enable_heartbeat"`
		} `json:"spec"`
		Config struct {
			Threshold *int `json:"heartbeat_healthy_threshold"`
		} `json:"config"`
	}
	var cfg stepConfig
	if len(dynamic) > 0 {
		if json.Unmarshal(dynamic, &cfg) != nil {
			return nil
		}
	} else {
		var steps map[string]stepConfig
		if json.Unmarshal(run.Snapshot.StepConfigurations, &steps) != nil {
			return nil
		}
		cfg = steps[step]
	}
	if cfg.Spec.EnableHeartbeat {
		return cfg.Config.Threshold
	}
	return nil
}

// NewStepRun is what creating a step stores.
type NewStepRun struct {
	StepRun
	Inputs  map[string][]uuid.UUID
	Outputs map[string][]uuid.UUID
	LogsID  *uuid.UUID
}

// CreateStep records a step of a run, links its inputs (and, for a cached
// step, its outputs) and its logs, and moves the run's status along.
func (db *DB) CreateStep(ctx context.Context, req NewStepRun) (*StepRun, error) {
	var id uuid.UUID
	err := db.write(ctx, func(tx *Tx) error {
		s := req.StepRun
		if err := zen.CheckStepStatus(nil, s.Status); err != nil {
			return err
		}
		run, err := tx.runForStep(ctx, s.PipelineRunID)
		if err != nil {
			return err
		}
		if err := stepsAccepted(run, s.Name); err != nil {
			return err
		}
		if s.OriginalStepRunID != nil {
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM step_runs WHERE id = ? AND project_id = ?`, hexID(*s.OriginalStepRunID), hexID(run.ProjectID)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return zen.NotFound("The original step run with ID %s referenced by the step run being created was not found in the '%s' project", *s.OriginalStepRunID, run.ProjectID)
			}
		}
		if len(s.DynamicConfig) > 0 && string(s.DynamicConfig) != "null" && (run.Snapshot == nil || !run.Snapshot.IsDynamic) {
			return zen.Errorf(zen.EForbidden, "Dynamic step configurations are not allowed for static pipelines.")
		}
		s.ID, s.ProjectID = uuid.New(), run.ProjectID
		if s.Version == 0 {
			s.Version = 1
		}
		s.HeartbeatThreshold = heartbeatThreshold(run, s.Name, s.DynamicConfig)
		_, err = tx.exec(ctx, `INSERT INTO step_runs (id, name, project_id, user_id, pipeline_run_id, status, start_time, end_time,
			cache_key, cache_expires_at, code_hash, docstring, source_code, original_step_run_id, exception_info, dynamic_config, version,
			is_retriable, heartbeat_threshold, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(s.ID), s.Name, hexID(s.ProjectID), hexIDPtr(s.UserID), hexID(s.PipelineRunID), s.Status, timePtr(s.StartTime),
			timePtr(s.EndTime), s.CacheKey, timePtr(s.CacheExpiresAt), s.CodeHash, s.Docstring, s.SourceCode, hexIDPtr(s.OriginalStepRunID),
			nullableJSON(s.ExceptionInfo), nullableJSON(s.DynamicConfig), s.Version, s.IsRetriable, s.HeartbeatThreshold, tx.now.Micros(), tx.now.Micros())
		if err != nil {
			return err
		}
		if err := tx.linkStepArtifacts(ctx, s.ID, "input", req.Inputs); err != nil {
			return err
		}
		if err := tx.linkStepArtifacts(ctx, s.ID, "output", req.Outputs); err != nil {
			return err
		}
		if req.LogsID != nil {
			if _, err := tx.exec(ctx, `UPDATE logs SET step_run_id = ?, updated = ? WHERE id = ?`, hexID(s.ID), tx.now.Micros(), hexID(*req.LogsID)); err != nil {
				return err
			}
		}
		if err := tx.refreshRunStatus(ctx, run); err != nil {
			return err
		}
		id = s.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.GetStep(ctx, id)
}

// runForStep reads what creating a step checks of its run, in one
// statement: its status and name, its snapshot's kind, step count and
// pipeline configuration, and the step configurations only when the run
// has heartbeats (a step's threshold comes from them).
func (tx *Tx) runForStep(ctx context.Context, id uuid.UUID) (*zen.Run, error) {
	r := &zen.Run{}
	var snapshotID *uuid.UUID
	var pipelineConfig, stepConfigs sql.NullString
	var stepCount sql.NullInt64
	var dynamic sql.NullBool
	err := tx.queryRow(ctx, `SELECT r.id, r.name, r.project_id, r.status, r.enable_heartbeat, s.id, s.pipeline_configuration,
		CASE WHEN r.enable_heartbeat THEN s.step_configurations END, s.step_count, s.is_dynamic
		FROM pipeline_runs r LEFT JOIN pipeline_snapshots s ON s.id = r.snapshot_id WHERE r.id = ?`, hexID(id)).
		Scan(dbID{&r.ID}, &r.Name, dbID{&r.ProjectID}, &r.Status, &r.EnableHeartbeat, dbIDPtr{&snapshotID}, &pipelineConfig, &stepConfigs, &stepCount, &dynamic)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get pipeline run with ID '%s': No pipeline run with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	if snapshotID != nil {
		r.SnapshotID = *snapshotID
		r.Snapshot = &zen.Snapshot{ID: *snapshotID, PipelineConfiguration: json.RawMessage(pipelineConfig.String),
			StepConfigurations: json.RawMessage(stepConfigs.String), StepCount: int(stepCount.Int64), IsDynamic: dynamic.Bool}
	}
	return r, nil
}

// stepsAccepted refuses a new step for a run that is being stopped, or
// that failed and does not continue on failure, as the reference does.
func stepsAccepted(run *zen.Run, step string) error {
	switch run.Status {
	case zen.StatusStopping, zen.StatusStopped:
		return zen.Errorf(zen.EForbidden, "Cannot create step '%s' for pipeline in %s state. Pipeline run ID: %s", step, run.Status, run.ID)
	case zen.StatusFailed:
		mode := "continue_on_failure"
		if run.Snapshot != nil {
			var config struct {
				ExecutionMode *string `json:"execution_mode"`
			}
			if json.Unmarshal(run.Snapshot.PipelineConfiguration, &config) == nil && config.ExecutionMode != nil {
				mode = *config.ExecutionMode
			}
		}
		if mode != "continue_on_failure" {
			return zen.Errorf(zen.EForbidden, "Cannot create step '%s' for the run '%s' because the run is in a FAILED state and the execution mode is %s.", step, run.Name, mode)
		}
	}
	return nil
}

// linkStepArtifacts records a step's inputs or outputs: one lookup and one
// insert, whatever their number.
func (tx *Tx) linkStepArtifacts(ctx context.Context, stepID uuid.UUID, direction string, byName map[string][]uuid.UUID) error {
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	sort.Strings(names)
	var inputType any
	if direction == "input" {
		inputType = "step_output"
	}
	var rows rowsBuilder
	var ordered []*uuid.UUID
	for _, name := range names {
		for i := range byName[name] {
			avID := &byName[name][i]
			ordered = append(ordered, avID)
			rows.add(6, hexID(stepID), hexID(*avID), direction, name, i, inputType)
		}
	}
	// Looked up before the insert (the foreign key would refuse it too)
	// so that the answer names the first unknown version: a constraint
	// error names no row, and on PostgreSQL ends the transaction.
	known, err := byIDs(ctx, tx, `SELECT a.id FROM artifact_versions a WHERE a.id`, uniqueIDs(ordered...),
		func(r interface{ Scan(...any) error }) (uuid.UUID, error) {
			var id uuid.UUID
			return id, r.Scan(dbID{&id})
		},
		func(id uuid.UUID) uuid.UUID { return id })
	if err != nil {
		return err
	}
	for _, id := range ordered {
		if _, ok := known[*id]; !ok {
			return zen.NotFound("Unable to get artifact version with ID '%s': No artifact version with this ID found", *id)
		}
	}
	_, err = tx.insertRows(ctx, "step_run_artifacts (step_run_id, artifact_version_id, direction, name, position, input_type)", rows, true)
	return err
}

// StepUpdate carries a step update.
type StepUpdate struct {
	Status        *string
	EndTime       *zen.Time
	Outputs       map[string][]uuid.UUID
	ExceptionInfo json.RawMessage
	Heartbeat     bool
}

// UpdateStep changes a step and moves its run's status along.
func (db *DB) UpdateStep(ctx context.Context, id uuid.UUID, up StepUpdate) (*StepRun, error) {
	err := db.write(ctx, func(tx *Tx) error {
		s, err := tx.stepForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if up.Status != nil {
			if err := zen.CheckStepStatus(&s.Status, *up.Status); err != nil {
				return err
			}
		}
		var set conditions
		if up.Status != nil {
			set.addSQL("status = ?", *up.Status)
		}
		if up.EndTime != nil {
			set.addSQL("end_time = ?", up.EndTime.Micros())
		}
		if up.ExceptionInfo != nil {
			set.addSQL("exception_info = ?", nullableJSON(up.ExceptionInfo))
		}
		if up.Heartbeat {
			set.addSQL("latest_heartbeat = ?", tx.now.Micros())
		}
		set.addSQL("updated = ?", tx.now.Micros())
		if _, err := tx.updateByID(ctx, "step_runs", id, set); err != nil {
			return err
		}
		if err := tx.linkStepArtifacts(ctx, id, "output", up.Outputs); err != nil {
			return err
		}
		if up.Status != nil {
			if err := tx.refreshRunStatus(ctx, s.Run); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The answer is read after the commit, off the writer (see
	// docs/decisions.md: "answers of run-recording writes").
	return db.GetStep(ctx, id)
}

// stepForUpdate reads what an update checks and moves along: the step's
// status and its run's status, step count and kind, in one statement (not
// the whole step with its run, snapshot and artifacts, which the answer
// loads afterwards).
func (tx *Tx) stepForUpdate(ctx context.Context, id uuid.UUID) (*StepRun, error) {
	s := &StepRun{ID: id, Run: &zen.Run{Snapshot: &zen.Snapshot{}}}
	var stepCount sql.NullInt64
	var dynamic sql.NullBool
	var snapshotID *string
	err := tx.queryRow(ctx, `SELECT st.status, r.id, r.status, r.snapshot_id, s.step_count, s.is_dynamic FROM step_runs st
		JOIN pipeline_runs r ON r.id = st.pipeline_run_id LEFT JOIN pipeline_snapshots s ON s.id = r.snapshot_id WHERE st.id = ?`, hexID(id)).
		Scan(&s.Status, dbID{&s.Run.ID}, &s.Run.Status, &snapshotID, &stepCount, &dynamic)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get step run with ID '%s': No step run with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	s.PipelineRunID = s.Run.ID
	if snapshotID == nil {
		s.Run.Snapshot = nil
	} else {
		s.Run.Snapshot.StepCount, s.Run.Snapshot.IsDynamic = int(stepCount.Int64), dynamic.Bool
	}
	return s, nil
}

// stepStatuses are the statuses of a run's steps, retried attempts left out.
func (tx *Tx) stepStatuses(ctx context.Context, runID uuid.UUID) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT status FROM step_runs WHERE pipeline_run_id = ? AND status <> 'retried'`, hexID(runID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var statuses []string
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			return nil, err
		}
		statuses = append(statuses, st)
	}
	return statuses, rows.Err()
}

// refreshRunStatus derives a static pipeline's run status from its steps,
// as the reference does after every step change: the client never reports
// a run as completed itself.
func (tx *Tx) refreshRunStatus(ctx context.Context, run *zen.Run) error {
	if zen.IsFinished(run.Status) || run.Snapshot == nil || run.Snapshot.IsDynamic {
		return nil
	}
	statuses, err := tx.stepStatuses(ctx, run.ID)
	if err != nil {
		return err
	}
	next := zen.DeriveRunStatus(run.Status, run.Snapshot.StepCount, statuses)
	if next == run.Status {
		return nil
	}
	end := any(nil)
	if zen.IsFinished(next) {
		end = tx.now.Micros()
	}
	if _, err := tx.exec(ctx, `UPDATE pipeline_runs SET status = ?, in_progress = ?, end_time = COALESCE(end_time, ?), updated = ? WHERE id = ?`,
		next, !zen.IsFinished(next), end, tx.now.Micros(), hexID(run.ID)); err != nil {
		return err
	}
	if zen.IsFinished(next) {
		return tx.markOnboarding(ctx, "pipeline_run")
	}
	return nil
}

// GetStep finds a step with its run, artifacts and logs.
func (db *DB) GetStep(ctx context.Context, id uuid.UUID) (*StepRun, error) {
	return readByID(ctx, db, id, (*Tx).getStep)
}

func (tx *Tx) getStep(ctx context.Context, id uuid.UUID) (*StepRun, error) {
	s, err := scanStep(tx.queryRow(ctx, `SELECT `+stepSelect+` FROM step_runs st WHERE st.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get step run with ID '%s': No step run with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	return s, tx.loadStepResources(ctx, []*StepRun{s})
}

// loadStepResources fills runs, users, parents, artifacts and logs of many
// steps with a fixed number of queries.
func (tx *Tx) loadStepResources(ctx context.Context, steps []*StepRun) error {
	if len(steps) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(steps))
	var runIDs, userIDs []*uuid.UUID
	for i, s := range steps {
		ids[i] = s.ID
		runIDs = append(runIDs, &s.PipelineRunID)
		userIDs = append(userIDs, s.UserID)
		s.Inputs, s.Outputs = map[string][]StepArtifact{}, map[string][]StepArtifact{}
	}
	runs, err := byIDs(ctx, tx, `SELECT `+runSelect+` FROM pipeline_runs r WHERE r.id`, uniqueIDs(runIDs...),
		func(r interface{ Scan(...any) error }) (*zen.Run, error) { return scanRun(r) }, func(r *zen.Run) uuid.UUID { return r.ID })
	if err != nil {
		return err
	}
	runList := make([]*zen.Run, 0, len(runs))
	for _, r := range runs {
		runList = append(runList, r)
	}
	if err := tx.loadRunResources(ctx, runList); err != nil {
		return err
	}
	users, err := tx.usersByID(ctx, uniqueIDs(userIDs...))
	if err != nil {
		return err
	}
	// Artifacts of all the steps, then the versions they name.
	rows, err := tx.query(ctx, `SELECT step_run_id, artifact_version_id, direction, name, position, input_type FROM step_run_artifacts
		WHERE step_run_id IN (`+placeholders(len(ids))+`) ORDER BY name, position`, idArgs(ids)...)
	if err != nil {
		return err
	}
	type link struct {
		step, version   uuid.UUID
		direction, name string
		position        int
		inputType       *string
	}
	var links []link
	var versionIDs []*uuid.UUID
	for rows.Next() {
		var l link
		if err := rows.Scan(dbID{&l.step}, dbID{&l.version}, &l.direction, &l.name, &l.position, &l.inputType); err != nil {
			rows.Close()
			return err
		}
		links = append(links, l)
		v := l.version
		versionIDs = append(versionIDs, &v)
	}
	rows.Close()
	versions, err := tx.artifactVersionsByID(ctx, uniqueIDs(versionIDs...))
	if err != nil {
		return err
	}
	byID := make(map[uuid.UUID]*StepRun, len(steps))
	for _, s := range steps {
		byID[s.ID] = s
	}
	for _, l := range links {
		s, v := byID[l.step], versions[l.version]
		if s == nil || v == nil {
			continue
		}
		a := StepArtifact{Version: v, InputType: l.inputType, Index: l.position}
		if l.direction == "input" {
			s.Inputs[l.name] = append(s.Inputs[l.name], a)
		} else {
			s.Outputs[l.name] = append(s.Outputs[l.name], a)
		}
	}
	logs, err := tx.logsOf(ctx, "step_run_id", ids)
	if err != nil {
		return err
	}
	meta, err := tx.runMetadataOf(ctx, "step_run", ids)
	if err != nil {
		return err
	}
	// Parents: the steps of the same run named among this step's upstream
	// steps in the snapshot.
	siblings, err := tx.query(ctx, `SELECT st.id, st.name, st.pipeline_run_id FROM step_runs st WHERE st.pipeline_run_id IN (`+
		placeholders(len(runs))+`) ORDER BY st.created`, idArgs(keysOf(runs))...)
	if err != nil {
		return err
	}
	stepIDsByRunAndName := map[uuid.UUID]map[string]uuid.UUID{}
	for siblings.Next() {
		var id, runID uuid.UUID
		var name string
		if err := siblings.Scan(dbID{&id}, &name, dbID{&runID}); err != nil {
			siblings.Close()
			return err
		}
		if stepIDsByRunAndName[runID] == nil {
			stepIDsByRunAndName[runID] = map[string]uuid.UUID{}
		}
		stepIDsByRunAndName[runID][name] = id
	}
	siblings.Close()
	upstreamByRun := map[uuid.UUID]map[string][]string{} // each snapshot read once
	for _, s := range steps {
		s.Run = runs[s.PipelineRunID]
		if s.UserID != nil {
			s.User = users[*s.UserID]
		}
		s.Logs, s.RunMetadata = logs[s.ID], meta[s.ID]
		s.ParentStepIDs = []uuid.UUID{}
		var upstream []string
		switch {
		case len(s.DynamicConfig) > 0:
			var own stepSpecUpstream
			json.Unmarshal(s.DynamicConfig, &own)
			upstream = own.Spec.UpstreamSteps
		case s.Run != nil && s.Run.Snapshot != nil:
			byName, ok := upstreamByRun[s.PipelineRunID]
			if !ok {
				byName = upstreamSteps(s.Run.Snapshot.StepConfigurations)
				upstreamByRun[s.PipelineRunID] = byName
			}
			upstream = byName[s.Name]
		}
		for _, up := range upstream {
			if id, ok := stepIDsByRunAndName[s.PipelineRunID][up]; ok {
				s.ParentStepIDs = append(s.ParentStepIDs, id)
			}
		}
	}
	return nil
}

func keysOf[V any](m map[uuid.UUID]V) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// upstreamSteps reads a step's upstream step names from a snapshot's step
// configurations.
// stepSpecUpstream is what a step configuration says of its upstream steps.
type stepSpecUpstream struct {
	Spec struct {
		UpstreamSteps []string `json:"upstream_steps"`
	} `json:"spec"`
}

// upstreamSteps reads each step's upstream steps from a snapshot's step
// configurations.
func upstreamSteps(stepConfigurations json.RawMessage) map[string][]string {
	var steps map[string]stepSpecUpstream
	json.Unmarshal(stepConfigurations, &steps)
	out := make(map[string][]string, len(steps))
	for name, st := range steps {
		out[name] = st.Spec.UpstreamSteps
	}
	return out
}

var stepFilterColumns = func() map[string]column {
	cols := baseColumns("st")
	cols["name"] = column{expr: "st.name", typ: filter.String}
	cols["status"] = column{expr: "st.status", typ: filter.String}
	cols["cache_key"] = column{expr: "st.cache_key", typ: filter.String, nullable: true}
	cols["code_hash"] = column{expr: "st.code_hash", typ: filter.String, nullable: true}
	cols["pipeline_run_id"] = column{expr: "st.pipeline_run_id", typ: filter.UUID}
	cols["original_step_run_id"] = column{expr: "st.original_step_run_id", typ: filter.UUID, nullable: true}
	cols["start_time"] = column{expr: "st.start_time", typ: filter.Datetime, nullable: true}
	cols["end_time"] = column{expr: "st.end_time", typ: filter.Datetime, nullable: true}
	return cols
}()

// StepScope holds the always-applied parts of a step list.
type StepScope struct {
	ProjectID uuid.UUID
	// RunID narrows the list to one run's steps.
	RunID     *uuid.UUID
	ScopeUser *uuid.UUID
	// CacheExpired, when set, keeps steps whose cache has (true) or has
	// not (false) expired.
	CacheExpired *bool
	// ExcludeRetried leaves out steps that were retried.
	ExcludeRetried bool
}

// ListSteps lists a project's step runs.
func (db *DB) ListSteps(ctx context.Context, l *filter.List, scope StepScope) (*zen.Page[*StepRun], error) {
	spec := &listSpec{from: "step_runs st", alias: "st", columns: stepFilterColumns,
		custom:   db.dialect.userScopedCustom("st.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("st.user_id")}}
	where := []clause{{"st.project_id = ?", []any{hexID(scope.ProjectID)}}}
	where = append(where, scopeUserClause("st.user_id", scope.ScopeUser)...)
	if scope.CacheExpired != nil {
		now := db.Now().UnixMicro()
		if *scope.CacheExpired {
			where = append(where, clause{"(st.cache_expires_at IS NOT NULL AND st.cache_expires_at < ?)", []any{now}})
		} else {
			where = append(where, clause{"(st.cache_expires_at IS NULL OR st.cache_expires_at >= ?)", []any{now}})
		}
	}
	if scope.RunID != nil {
		where = append(where, clause{"st.pipeline_run_id = ?", []any{hexID(*scope.RunID)}})
	}
	if scope.ExcludeRetried {
		where = append(where, clause{"st.status <> 'retried'", nil})
	}
	return listRows(ctx, db, spec, l, where, stepSelect, func(r interface{ Scan(...any) error }) (*StepRun, error) { return scanStep(r) },
		func(ctx context.Context, tx *Tx, steps []*StepRun) error { return tx.loadStepResources(ctx, steps) })
}
