package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

const snapshotSelect = `s.id, s.name, s.description, s.project_id, s.pipeline_id, s.stack_id, s.user_id, s.run_name_template,
	s.pipeline_configuration, s.step_configurations, s.step_count, s.client_environment, s.client_version, s.server_version,
	s.pipeline_version_hash, s.pipeline_spec, s.is_dynamic, s.source_code, s.code_path, s.build_id, s.schedule_id,
	s.code_reference_id, s.template_id, s.source_snapshot_id, s.created, s.updated`

func scanSnapshot(row interface{ Scan(...any) error }, extra ...any) (*zen.Snapshot, error) {
	s := &zen.Snapshot{}
	dest := []any{dbID{&s.ID}, &s.Name, &s.Description, dbID{&s.ProjectID}, dbID{&s.PipelineID}, dbIDPtr{&s.StackID}, dbIDPtr{&s.UserID},
		&s.RunNameTemplate, dbJSON{&s.PipelineConfiguration, "{}"}, dbJSON{&s.StepConfigurations, "{}"}, &s.StepCount,
		dbJSON{&s.ClientEnvironment, "{}"}, &s.ClientVersion, &s.ServerVersion, &s.PipelineVersionHash, dbJSON{&s.PipelineSpec, "null"},
		&s.IsDynamic, &s.SourceCode, &s.CodePath, dbIDPtr{&s.BuildID}, dbIDPtr{&s.ScheduleID}, dbIDPtr{&s.CodeReferenceID},
		dbIDPtr{&s.TemplateID}, dbIDPtr{&s.SourceSnapshotID}, dbTime{&s.Created}, dbTime{&s.Updated}}
	err := row.Scan(append(dest, extra...)...)
	return s, err
}

// CreateSnapshot stores a snapshot after checking what it refers to.
func (db *DB) CreateSnapshot(ctx context.Context, s zen.Snapshot, tags []TagRef) (*zen.Snapshot, error) {
	var out *zen.Snapshot
	err := db.write(ctx, func(tx *Tx) error {
		if s.StackID != nil {
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM stacks WHERE id = ?`, hexID(*s.StackID)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return zen.NotFound("The stack with ID %s referenced by the pipeline snapshot being created was not found", *s.StackID)
			}
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM pipelines WHERE id = ? AND project_id = ?`, hexID(s.PipelineID), hexID(s.ProjectID)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return zen.NotFound("The pipeline with ID %s referenced by the pipeline snapshot being created was not found in the '%s' project", s.PipelineID, s.ProjectID)
		}
		s.ID, s.Created, s.Updated = uuid.New(), tx.now, tx.now
		_, err := tx.exec(ctx, `INSERT INTO pipeline_snapshots (id, name, description, project_id, pipeline_id, stack_id, user_id,
			run_name_template, pipeline_configuration, step_configurations, step_count, client_environment, client_version,
			server_version, pipeline_version_hash, pipeline_spec, is_dynamic, source_code, code_path, build_id, schedule_id,
			code_reference_id, template_id, source_snapshot_id, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(s.ID), s.Name, s.Description, hexID(s.ProjectID), hexID(s.PipelineID), hexIDPtr(s.StackID), hexIDPtr(s.UserID),
			s.RunNameTemplate, string(s.PipelineConfiguration), jsonText(s.StepConfigurations, "{}"), s.StepCount,
			jsonText(s.ClientEnvironment, "{}"), s.ClientVersion, s.ServerVersion, s.PipelineVersionHash, nullableJSON(s.PipelineSpec),
			s.IsDynamic, s.SourceCode, s.CodePath, hexIDPtr(s.BuildID), hexIDPtr(s.ScheduleID), hexIDPtr(s.CodeReferenceID),
			hexIDPtr(s.TemplateID), hexIDPtr(s.SourceSnapshotID), s.Created.Micros(), s.Updated.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Snapshot with name `%s` already exists for pipeline `%s`. If you want to replace the existing snapshot, set the `replace` flag to `True`.", deref(s.Name), s.PipelineID)
		}
		if err != nil {
			return err
		}
		if err := tx.attachTags(ctx, "pipeline_snapshot", s.ID, tags, s.UserID); err != nil {
			return err
		}
		out, err = tx.getSnapshot(ctx, s.ID)
		return err
	})
	return out, err
}

func nullableJSON(raw []byte) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return string(raw)
}

// GetSnapshot finds a snapshot with its user, pipeline, stack and tags.
func (db *DB) GetSnapshot(ctx context.Context, id uuid.UUID) (*zen.Snapshot, error) {
	return readByID(ctx, db, id, (*Tx).getSnapshot)
}

func (tx *Tx) getSnapshot(ctx context.Context, id uuid.UUID) (*zen.Snapshot, error) {
	s, err := scanSnapshot(tx.queryRow(ctx, `SELECT `+snapshotSelect+` FROM pipeline_snapshots s WHERE s.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get pipeline snapshot with ID '%s': No pipeline snapshot with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	return s, tx.loadSnapshotResources(ctx, []*zen.Snapshot{s})
}

// loadSnapshotResources fills users, pipelines, stacks and tags of many
// snapshots with one query each.
func (tx *Tx) loadSnapshotResources(ctx context.Context, snaps []*zen.Snapshot) error {
	return loadRelations(ctx, tx, snaps, snapshotRelations)
}

var snapshotLinks = polymorphic[*zen.Snapshot]{"pipeline_snapshot", func(s *zen.Snapshot) uuid.UUID { return s.ID }}

var snapshotRelations = []relation[*zen.Snapshot]{
	withUsers(ref[*zen.Snapshot, *zen.User]{func(s *zen.Snapshot) *uuid.UUID { return s.UserID }, func(s *zen.Snapshot, u *zen.User) { s.User = u }}),
	withRows((*Tx).pipelinesByID, ref[*zen.Snapshot, *zen.Pipeline]{func(s *zen.Snapshot) *uuid.UUID { return &s.PipelineID }, func(s *zen.Snapshot, p *zen.Pipeline) { s.Pipeline = p }}),
	withRows((*Tx).stacksByID, ref[*zen.Snapshot, *zen.Stack]{func(s *zen.Snapshot) *uuid.UUID { return s.StackID }, func(s *zen.Snapshot, st *zen.Stack) { s.Stack = st }}),
	withTags(snapshotLinks, func(s *zen.Snapshot, t []*zen.Tag) { s.Tags = t }),
	withCurated(snapshotLinks, func(s *zen.Snapshot, v []*zen.CuratedVisualization) { s.Visualizations = v }),
	withRows((*Tx).buildRefsByID, ref[*zen.Snapshot, *zen.BuildRef]{func(s *zen.Snapshot) *uuid.UUID { return s.BuildID }, func(s *zen.Snapshot, b *zen.BuildRef) { s.Build = b }}),
	withDeployers,
	withSnapshotDeployments,
}

// withSnapshotDeployments gives each snapshot the oldest deployment that
// serves it.
func withSnapshotDeployments(ctx context.Context, tx *Tx, snaps []*zen.Snapshot) error {
	byID := make(map[uuid.UUID]*zen.Snapshot, len(snaps))
	ids := make([]uuid.UUID, len(snaps))
	for i, s := range snaps {
		byID[s.ID], ids[i] = s, s.ID
	}
	return tx.each(ctx, `SELECT d.id, d.project_id, d.user_id, d.snapshot_id, d.name, d.status, d.url, d.created, d.updated FROM deployments d
		WHERE d.snapshot_id IN (`+placeholders(len(ids))+`) ORDER BY d.created DESC, d.id DESC`, idArgs(ids), func(rows *sql.Rows) error {
		d := &zen.DeploymentRef{}
		var snapshotID uuid.UUID
		if err := rows.Scan(dbID{&d.ID}, dbID{&d.ProjectID}, dbIDPtr{&d.UserID}, dbID{&snapshotID}, &d.Name, &d.Status, &d.URL,
			dbTime{&d.Created}, dbTime{&d.Updated}); err != nil {
			return err
		}
		byID[snapshotID].Deployment = d // rows come newest first: the oldest stays
		return nil
	})
}

// buildRefsByID loads builds as other resources show them.
func (tx *Tx) buildRefsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.BuildRef, error) {
	return byIDs(ctx, tx, `SELECT b.id, b.project_id, b.user_id, b.stack_id, b.is_local, b.created, b.updated FROM pipeline_builds b WHERE b.id`, ids,
		func(r interface{ Scan(...any) error }) (*zen.BuildRef, error) {
			b := &zen.BuildRef{}
			err := r.Scan(dbID{&b.ID}, dbID{&b.ProjectID}, dbIDPtr{&b.UserID}, dbIDPtr{&b.StackID}, &b.IsLocal, dbTime{&b.Created}, dbTime{&b.Updated})
			return b, err
		}, func(b *zen.BuildRef) uuid.UUID { return b.ID })
}

// withDeployers marks the snapshots whose stack has a deployer.
func withDeployers(ctx context.Context, tx *Tx, snaps []*zen.Snapshot) error {
	stackIDs := make([]*uuid.UUID, len(snaps))
	for i, s := range snaps {
		stackIDs[i] = s.StackID
	}
	ids := uniqueIDs(stackIDs...)
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.query(ctx, `SELECT DISTINCT sc.stack_id FROM stack_components sc JOIN components c ON c.id = sc.component_id
		WHERE c.type = 'deployer' AND sc.stack_id IN (`+placeholders(len(ids))+`)`, idArgs(ids)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	deploys := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(dbID{&id}); err != nil {
			return err
		}
		deploys[id] = true
	}
	for _, s := range snaps {
		s.StackDeploys = s.StackID != nil && deploys[*s.StackID]
	}
	return rows.Err()
}

// DeleteSnapshot removes a snapshot with its runs.
func (db *DB) DeleteSnapshot(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		s, err := tx.getSnapshot(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.deleteCascading(ctx, "pipeline_snapshots", "id = ?", hexID(id)); err != nil {
			return err
		}
		return tx.refreshLatestRun(ctx, s.PipelineID)
	})
}

// pipelinesByID loads bare pipelines (no resources) by id.
func (tx *Tx) pipelinesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.Pipeline, error) {
	return byIDs(ctx, tx, `SELECT `+pipelineSelect+` FROM `+pipelineFrom+` WHERE p.id`, ids, scanPipeline,
		func(p *zen.Pipeline) uuid.UUID { return p.ID })
}

// stacksByID loads bare stacks by id.
func (tx *Tx) stacksByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.Stack, error) {
	return byIDs(ctx, tx, `SELECT `+stackSelect+` FROM stacks s WHERE s.id`, ids, scanStack,
		func(s *zen.Stack) uuid.UUID { return s.ID })
}

// SnapshotFlags are the list filters of snapshots that are flags.
type SnapshotFlags struct {
	NamedOnly, Runnable, Deployable bool
	// Deployed, when set, keeps snapshots with (true) or without (false)
	// a deployment; zengo keeps no deployments yet.
	Deployed *bool
	// TriggerID keeps the snapshots attached to a trigger (or that the
	// attached executable snapshots were made from).
	TriggerID *uuid.UUID
}

var snapshotFilterColumns = func() map[string]column {
	cols := baseColumns("s")
	cols["name"] = column{expr: "s.name", typ: filter.String, nullable: true}
	for _, c := range []string{"build_id", "schedule_id", "source_snapshot_id"} {
		cols[c] = column{expr: "s." + c, typ: filter.UUID, nullable: true}
	}
	return cols
}()

// ListSnapshots lists a project's snapshots.
func (db *DB) ListSnapshots(ctx context.Context, l *filter.List, scope ProjectScope, flags SnapshotFlags) (*zen.Page[*zen.Snapshot], error) {
	d := db.dialect
	custom := func(c filter.Condition) (clause, bool) {
		switch c.Field {
		case "pipeline":
			m := d.nameOrIDMatch("fp", c)
			return clause{"EXISTS (SELECT 1 FROM pipelines fp WHERE fp.id = s.pipeline_id AND " + m.sql + ")", m.args}, true
		case "stack":
			m := d.nameOrIDMatch("fs", c)
			return clause{"EXISTS (SELECT 1 FROM stacks fs WHERE fs.id = s.stack_id AND " + m.sql + ")", m.args}, true
		}
		return clause{}, false
	}
	spec := &listSpec{from: "pipeline_snapshots s", alias: "s", columns: snapshotFilterColumns,
		custom: d.userScopedCustom("s.user_id", d.tagsCustom("s.id", "pipeline_snapshot", custom)),
		sortKeys: map[string]sortKey{
			"user":       userSortKey("s.user_id"),
			"tags":       d.tagsSortKey("s.id", "pipeline_snapshot"),
			"pipeline":   {expr: "sp.name", nullable: true, join: " LEFT JOIN pipelines sp ON sp.id = s.pipeline_id"},
			"stack":      {expr: "sst.name", nullable: true, join: " LEFT JOIN stacks sst ON sst.id = s.stack_id"},
			"deployment": {expr: "(SELECT MIN(sd.name) FROM deployments sd WHERE sd.snapshot_id = s.id)", nullable: true},
		}}
	where := scope.clauses("s")
	if flags.NamedOnly {
		where = append(where, clause{"s.name IS NOT NULL", nil})
	}
	if flags.Runnable {
		where = append(where, clause{"EXISTS (SELECT 1 FROM pipeline_builds fb WHERE fb.id = s.build_id AND fb.is_local = FALSE AND fb.stack_id IS NOT NULL)", nil})
	}
	if flags.Deployed != nil {
		exists := "EXISTS (SELECT 1 FROM deployments fd WHERE fd.snapshot_id = s.id)"
		if !*flags.Deployed {
			exists = "NOT " + exists
		}
		where = append(where, clause{exists, nil})
	}
	if flags.TriggerID != nil {
		where = append(where, triggerSnapshotsOf("s", *flags.TriggerID))
	}
	if flags.Deployable {
		where = append(where, clause{`EXISTS (SELECT 1 FROM pipeline_builds db WHERE db.id = s.build_id) AND EXISTS (SELECT 1 FROM stack_components dsc JOIN components dc ON dc.id = dsc.component_id
			WHERE dsc.stack_id = s.stack_id AND dc.type = 'deployer')`, nil})
	}
	return listRows(ctx, db, spec, l, where, snapshotSelect, func(r interface{ Scan(...any) error }) (*zen.Snapshot, error) { return scanSnapshot(r) },
		func(ctx context.Context, tx *Tx, items []*zen.Snapshot) error {
			return tx.loadSnapshotResources(ctx, items)
		})
}

// SnapshotUpdate changes a snapshot: a name (ClearName removes it), a
// description, tags; Replace takes the name from the snapshot that has it.
type SnapshotUpdate struct {
	Name                *string
	ClearName           bool
	Description         *string
	Replace             bool
	AddTags, RemoveTags []TagRef
}

// UpdateSnapshot applies an update in one transaction.
func (db *DB) UpdateSnapshot(ctx context.Context, id uuid.UUID, up SnapshotUpdate, userID *uuid.UUID) (*zen.Snapshot, error) {
	var out *zen.Snapshot
	err := db.write(ctx, func(tx *Tx) error {
		s, err := tx.getSnapshot(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		switch {
		case up.ClearName:
			set.addSQL("name = ?", nil)
		case up.Name != nil && (s.Name == nil || *s.Name != *up.Name):
			var holder *uuid.UUID
			err := tx.queryRow(ctx, `SELECT id FROM pipeline_snapshots WHERE pipeline_id = ? AND name = ?`, hexID(s.PipelineID), *up.Name).Scan(dbIDPtr{&holder})
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if holder != nil {
				if !up.Replace {
					if s.Name == nil {
						return zen.Errorf(zen.EInternal, "Snapshot update failed.")
					}
					return zen.Errorf(zen.EConflict, "Snapshot with name `%s` already exists for pipeline %s. If you want to replace the existing snapshot, set the `replace` flag to `True`.", *s.Name, s.PipelineID)
				}
				if err := tx.releaseSnapshotName(ctx, *holder); err != nil {
					return err
				}
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.Description != nil && *up.Description != "" {
			set.addSQL("description = ?", *up.Description)
		}
		if _, err := tx.exec(ctx, "UPDATE pipeline_snapshots SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...); err != nil {
			return err
		}
		if err := tx.retag(ctx, "pipeline_snapshot", id, up.AddTags, up.RemoveTags, userID); err != nil {
			return err
		}
		out, err = tx.getSnapshot(ctx, id)
		return err
	})
	return out, err
}

// snapshotReferenced is the reference's test of a snapshot still in use:
// a schedule or template, a run, or another snapshot made from it.
const snapshotReferenced = `(s.schedule_id IS NOT NULL OR s.template_id IS NOT NULL
	OR EXISTS (SELECT 1 FROM pipeline_runs rr WHERE rr.snapshot_id = s.id)
	OR EXISTS (SELECT 1 FROM pipeline_snapshots rs WHERE rs.source_snapshot_id = s.id))`

// releaseSnapshotName frees a name for another snapshot: the holder goes
// if nothing uses it, else it loses its name.
func (tx *Tx) releaseSnapshotName(ctx context.Context, holder uuid.UUID) error {
	var used int
	if err := tx.queryRow(ctx, `SELECT CASE WHEN `+snapshotReferenced+` THEN 1 ELSE 0 END FROM pipeline_snapshots s WHERE s.id = ?`, hexID(holder)).Scan(&used); err != nil {
		return err
	}
	if used == 1 {
		_, err := tx.exec(ctx, `UPDATE pipeline_snapshots SET name = NULL WHERE id = ?`, hexID(holder))
		return err
	}
	_, err := tx.deleteCascading(ctx, "pipeline_snapshots", "id = ?", hexID(holder))
	return err
}

// PruneSnapshots counts (or, with apply, deletes) a project's unnamed
// snapshots older than a time that nothing uses.
func (db *DB) PruneSnapshots(ctx context.Context, projectID uuid.UUID, olderThan zen.Time, apply bool) (int, error) {
	eligible := `s.project_id = ? AND s.name IS NULL AND s.created < ? AND NOT ` + snapshotReferenced
	var n int
	if !apply {
		err := db.read(ctx, func(tx *Tx) error {
			return tx.queryRow(ctx, `SELECT COUNT(*) FROM pipeline_snapshots s WHERE `+eligible, hexID(projectID), olderThan.Micros()).Scan(&n)
		})
		return n, err
	}
	err := db.write(ctx, func(tx *Tx) error {
		ids, err := tx.query(ctx, `SELECT s.id FROM pipeline_snapshots s WHERE `+eligible, hexID(projectID), olderThan.Micros())
		if err != nil {
			return err
		}
		var doomed []uuid.UUID
		for ids.Next() {
			var id uuid.UUID
			if err := ids.Scan(dbID{&id}); err != nil {
				ids.Close()
				return err
			}
			doomed = append(doomed, id)
		}
		ids.Close()
		if len(doomed) == 0 {
			return nil
		}
		deleted, err := tx.deleteCascading(ctx, "pipeline_snapshots", "id IN ("+placeholders(len(doomed))+")", idArgs(doomed)...)
		n = int(deleted)
		return err
	})
	return n, err
}
