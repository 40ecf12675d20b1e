package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// RunWaitCondition is a run's wait condition (see zen.RunWaitCondition).
type RunWaitCondition = zen.RunWaitCondition

const waitConditionSelect = `wc.id, wc.project_id, wc.run_id, wc.user_id, wc.resolved_by_user_id, wc.name, wc.type, wc.status, wc.question,
	wc.resolution, wc.poller_instance_id, wc.data_schema, wc.result, wc.last_polled_at, wc.poller_lease_expires_at, wc.resolved_at,
	wc.created, wc.updated`

func scanWaitCondition(row interface{ Scan(...any) error }) (*RunWaitCondition, error) {
	c := &RunWaitCondition{}
	err := row.Scan(dbID{&c.ID}, dbID{&c.ProjectID}, dbID{&c.RunID}, dbIDPtr{&c.UserID}, dbIDPtr{&c.ResolvedByUserID}, &c.Name, &c.Type,
		&c.Status, &c.Question, &c.Resolution, &c.PollerInstanceID, dbJSON{&c.DataSchema, "null"}, dbJSON{&c.Result, "null"},
		dbTimePtr{&c.LastPolledAt}, dbTimePtr{&c.PollerLeaseExpiresAt}, dbTimePtr{&c.ResolvedAt}, dbTime{&c.Created}, dbTime{&c.Updated})
	return c, err
}

var waitConditionLinks = polymorphic[*RunWaitCondition]{"wait_condition", func(c *RunWaitCondition) uuid.UUID { return c.ID }}

// pendingWaitConditions loads the pending wait condition of each run (at
// most one), bare, as runs show it.
func pendingWaitConditions(ctx context.Context, tx *Tx, runs []*zen.Run) error {
	byRun := make(map[uuid.UUID]*zen.Run, len(runs))
	for _, r := range runs {
		byRun[r.ID] = r
	}
	return tx.each(ctx, `SELECT `+waitConditionSelect+` FROM run_wait_conditions wc WHERE wc.status = 'pending' AND wc.run_id IN (`+
		placeholders(len(runs))+`)`, idArgs(runLinks.ids(runs)), func(rows *sql.Rows) error {
		c, err := scanWaitCondition(rows)
		if err != nil {
			return err
		}
		byRun[c.RunID].ActiveWaitCondition = c
		return nil
	})
}

var waitConditionRelations = []relation[*RunWaitCondition]{
	withUsers(ref[*RunWaitCondition, *zen.User]{func(c *RunWaitCondition) *uuid.UUID { return c.UserID }, func(c *RunWaitCondition, u *zen.User) { c.User = u }}),
	withRows((*Tx).bareRunsByID, ref[*RunWaitCondition, *zen.Run]{func(c *RunWaitCondition) *uuid.UUID { return &c.RunID }, func(c *RunWaitCondition, r *zen.Run) { c.Run = r }}),
	withRunMetadata(waitConditionLinks, func(c *RunWaitCondition, m zen.Metadata) { c.RunMetadata = m }),
}

// bareRunsByID loads runs without their relations: what a resource shows
// of the run it belongs to.
func (tx *Tx) bareRunsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.Run, error) {
	return byIDs(ctx, tx, `SELECT `+runSelect+` FROM pipeline_runs r WHERE r.id`, ids, scanRun, func(r *zen.Run) uuid.UUID { return r.ID })
}

func waitConditionNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get run wait condition with ID '%s': No run wait condition with this ID found", id)
}

func (tx *Tx) getWaitCondition(ctx context.Context, id uuid.UUID, lock bool) (*RunWaitCondition, error) {
	q := `SELECT ` + waitConditionSelect + ` FROM run_wait_conditions wc WHERE wc.id = ?`
	if lock {
		q += tx.db.dialect.forUpdate()
	}
	return getRow(ctx, tx, q, []any{hexID(id)}, scanWaitCondition, waitConditionNotFound(id), waitConditionRelations)
}

// GetRunWaitCondition finds a wait condition by id.
func (db *DB) GetRunWaitCondition(ctx context.Context, id uuid.UUID) (*RunWaitCondition, error) {
	return readByID(ctx, db, id, func(tx *Tx, ctx context.Context, id uuid.UUID) (*RunWaitCondition, error) {
		return tx.getWaitCondition(ctx, id, false)
	})
}

// NewRunWaitCondition is a wait condition to create, with the metadata to
// record for it.
type NewRunWaitCondition struct {
	RunWaitCondition
	Metadata      map[string]json.RawMessage
	MetadataTypes map[string]string
	ProjectLabel  string
}

// CreateRunWaitCondition adds a pending wait condition to a dynamic run,
// under the run's lock: a second create with the same name and the same
// configuration answers the first, and a run has one pending condition
// at most.
func (db *DB) CreateRunWaitCondition(ctx context.Context, n NewRunWaitCondition) (*RunWaitCondition, error) {
	var out *RunWaitCondition
	err := db.write(ctx, func(tx *Tx) error {
		c := n.RunWaitCondition
		var runProject, snapshotID uuid.UUID
		err := tx.queryRow(ctx, `SELECT project_id, snapshot_id FROM pipeline_runs WHERE id = ?`+tx.db.dialect.forUpdate(), hexID(c.RunID)).
			Scan(dbID{&runProject}, dbID{&snapshotID})
		if errors.Is(err, sql.ErrNoRows) || (err == nil && runProject != c.ProjectID) {
			return zen.NotFound("The pipeline run with ID %s referenced by the run wait condition being created was not found in the '%s' project", c.RunID, n.ProjectLabel)
		}
		if err != nil {
			return err
		}
		var isDynamic sql.NullBool
		err = tx.queryRow(ctx, `SELECT is_dynamic FROM pipeline_snapshots WHERE id = ?`, hexID(snapshotID)).Scan(&isDynamic)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !isDynamic.Bool {
			return zen.Errorf(zen.EForbidden, "Wait conditions are only supported for dynamic pipelines.")
		}
		var existing uuid.UUID
		var existingType string
		var existingQuestion *string
		var existingSchema json.RawMessage
		err = tx.queryRow(ctx, `SELECT id, type, question, data_schema FROM run_wait_conditions WHERE run_id = ? AND name = ?`, hexID(c.RunID), c.Name).
			Scan(dbID{&existing}, &existingType, &existingQuestion, dbJSON{&existingSchema, "null"})
		switch {
		case err == nil:
			if existingType != c.Type || !sameString(existingQuestion, c.Question) || !sameJSON(existingSchema, c.DataSchema) {
				return zen.Errorf(zen.EConflict, "A run wait condition with this name already exists for the run, but with different configuration.")
			}
			out, err = tx.getWaitCondition(ctx, existing, false)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var pending int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM run_wait_conditions WHERE run_id = ? AND status = 'pending'`, hexID(c.RunID)).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return zen.Errorf(zen.EForbidden, "Only one pending wait condition is allowed per run. Resolve the existing pending wait condition before creating a new one.")
		}
		c.ID = uuid.New()
		now := tx.now.Micros()
		if _, err := tx.exec(ctx, `INSERT INTO run_wait_conditions (id, project_id, user_id, run_id, name, type, status, question, data_schema,
			created, updated) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`, hexID(c.ID), hexID(c.ProjectID), hexIDPtr(c.UserID), hexID(c.RunID),
			c.Name, c.Type, c.Question, nullableJSON(c.DataSchema), now, now); err != nil {
			return err
		}
		if len(n.Metadata) > 0 {
			if err := tx.addRunMetadata(ctx, "wait_condition", c.ID, n.Metadata, n.MetadataTypes, c.UserID); err != nil {
				return err
			}
		}
		out, err = tx.getWaitCondition(ctx, c.ID, false)
		return err
	})
	return out, err
}

func sameString(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// sameJSON compares two JSON documents as values (null and absent alike).
func sameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if len(a) > 0 {
		json.Unmarshal(a, &va)
	}
	if len(b) > 0 {
		json.Unmarshal(b, &vb)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// Wait condition resolutions.
const (
	ResolutionContinue = "continue"
	ResolutionAbort    = "abort"
)

// ResolveRunWaitCondition records the answer to a pending wait condition,
// then moves its run as the reference does on a server without a workload
// manager: an abort stops the run; a continue nobody polls for leaves the
// (root) run paused, waiting for a manual resume. result is the value the
// caller checked against the condition's schema.
func (db *DB) ResolveRunWaitCondition(ctx context.Context, id uuid.UUID, resolution string, result json.RawMessage, userID *uuid.UUID,
	checkResult func(schema, result json.RawMessage) (json.RawMessage, error)) (*RunWaitCondition, error) {
	var out *RunWaitCondition
	var leased bool
	err := db.write(ctx, func(tx *Tx) error {
		c, err := tx.getWaitCondition(ctx, id, true)
		if err != nil {
			return zen.NotFound("Run wait condition with ID `%s` not found.", id)
		}
		now := tx.now
		leased = c.PollerLeaseExpiresAt != nil && c.PollerLeaseExpiresAt.Micros() > now.Micros()
		if c.Status != "pending" {
			return zen.Errorf(zen.EForbidden, "Wait condition has already been resolved.")
		}
		var stored json.RawMessage
		if resolution == ResolutionContinue {
			if stored, err = checkResult(c.DataSchema, result); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `UPDATE run_wait_conditions SET status = 'resolved', resolution = ?, result = ?, resolved_at = ?,
			resolved_by_user_id = ?, updated = ? WHERE id = ?`, resolution, nullableJSON(stored), now.Micros(), hexIDPtr(userID), now.Micros(), hexID(id)); err != nil {
			return err
		}
		out, err = tx.getWaitCondition(ctx, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case resolution == ResolutionContinue && !leased:
		err = db.write(ctx, func(tx *Tx) error { return tx.resumeFromServer(ctx, out.RunID) })
	case resolution == ResolutionAbort:
		err = db.write(ctx, func(tx *Tx) error {
			return tx.requestRunStatus(ctx, out.RunID, zen.StatusStopped, "Wait condition was aborted.")
		})
	}
	return out, err
}

// resumeFromServer is the reference's attempt to resume a run from the
// server: the root run is asked to resume, which a server without a
// workload manager cannot do, so it ends paused, waiting for a manual
// resume (also when it could not be asked).
func (tx *Tx) resumeFromServer(ctx context.Context, runID uuid.UUID) error {
	root, err := tx.rootRun(ctx, runID)
	if err != nil {
		return err
	}
	if err := tx.requestRunStatus(ctx, root, zen.StatusResuming, "Automatically resuming run from server."); err != nil {
		var ze *zen.Error
		if !errors.As(err, &ze) {
			return err
		}
	}
	return tx.requestRunStatus(ctx, root, zen.StatusPaused, "Waiting for manual resume.")
}

// rootRun follows a run's parents to the run that started them all.
func (tx *Tx) rootRun(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	for range 1000 {
		var parent *uuid.UUID
		if err := tx.queryRow(ctx, `SELECT parent_run_id FROM pipeline_runs WHERE id = ?`, hexID(id)).Scan(dbIDPtr{&parent}); err != nil {
			return id, err
		}
		if parent == nil {
			return id, nil
		}
		id = *parent
	}
	return id, nil
}

// Lease modes of a wait condition's poller.
const (
	LeaseRefresh  = "refresh"
	LeaseFinalize = "finalize"
	LeaseAbandon  = "abandon"
)

// UpdateRunWaitConditionLease records a poller's lease and answers the
// condition's status: a refresh takes or extends the lease of a pending
// condition; finalize and abandon give it up (the run then waits paused
// for input), and an abandoned lease of a condition resolved to continue
// leaves the run to the server to resume.
func (db *DB) UpdateRunWaitConditionLease(ctx context.Context, id uuid.UUID, mode, pollerID string, expires zen.Time) (string, error) {
	var status string
	var resolution *string
	var runID uuid.UUID
	err := db.write(ctx, func(tx *Tx) error {
		c, err := tx.getWaitCondition(ctx, id, true)
		if err != nil {
			return zen.NotFound("Run wait condition with ID `%s` not found.", id)
		}
		status, resolution, runID = c.Status, c.Resolution, c.RunID
		now := tx.now.Micros()
		if mode == LeaseRefresh {
			if c.Status != "pending" {
				_, err := tx.exec(ctx, `UPDATE run_wait_conditions SET last_polled_at = ?, updated = ? WHERE id = ?`, now, now, hexID(id))
				return err
			}
			_, err := tx.exec(ctx, `UPDATE run_wait_conditions SET last_polled_at = ?, updated = ?, poller_instance_id = ?, poller_lease_expires_at = ?
				WHERE id = ?`, now, now, pollerID, expires.Micros(), hexID(id))
			return err
		}
		if c.Status == "pending" {
			if err := tx.requestRunStatus(ctx, c.RunID, zen.StatusPaused, "Waiting for input."); err != nil {
				return err
			}
		}
		_, err = tx.exec(ctx, `UPDATE run_wait_conditions SET last_polled_at = ?, updated = ?, poller_instance_id = NULL, poller_lease_expires_at = ?
			WHERE id = ?`, now, now, now, hexID(id))
		return err
	})
	if err != nil {
		return "", err
	}
	if mode == LeaseAbandon && resolution != nil && *resolution == ResolutionContinue {
		err = db.write(ctx, func(tx *Tx) error {
			if err := tx.requestRunStatus(ctx, runID, zen.StatusPaused, ""); err != nil {
				return err
			}
			return tx.resumeFromServer(ctx, runID)
		})
	}
	return status, err
}

// ListRunWaitConditions lists a project's wait conditions.
func (db *DB) ListRunWaitConditions(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*RunWaitCondition], error) {
	d := db.dialect
	spec := &listSpec{from: "run_wait_conditions wc", alias: "wc", columns: waitConditionFilterColumns,
		custom: d.userScopedCustom("wc.user_id", func(c filter.Condition) (clause, bool) {
			switch c.Field {
			case "pipeline_run":
				m := d.nameOrIDMatch("fr", c)
				return clause{"wc.run_id IN (SELECT fr.id FROM pipeline_runs fr WHERE " + m.sql + ")", m.args}, true
			case "resolved_by":
				m := d.nameOrIDMatch("fu", c, "full_name")
				return clause{"wc.resolved_by_user_id IN (SELECT fu.id FROM users fu WHERE " + m.sql + ")", m.args}, true
			case "run_metadata":
				return d.runMetadataFilter("wc.id", "wait_condition", c), true
			}
			return clause{}, false
		}),
		sortKeys: map[string]sortKey{"user": userSortKey("wc.user_id")}}
	return listRows(ctx, db, spec, l, scope.clauses("wc"), waitConditionSelect, scanWaitCondition, func(ctx context.Context, tx *Tx, items []*RunWaitCondition) error {
		return loadRelations(ctx, tx, items, waitConditionRelations)
	})
}

var waitConditionFilterColumns = func() map[string]column {
	cols := baseColumns("wc")
	for _, c := range []string{"type", "status", "name"} {
		cols[c] = column{expr: "wc." + c, typ: filter.String}
	}
	cols["resolution"] = column{expr: "wc.resolution", typ: filter.String, nullable: true}
	cols["resolved_at"] = column{expr: "wc.resolved_at", typ: filter.Datetime, nullable: true}
	return cols
}()
