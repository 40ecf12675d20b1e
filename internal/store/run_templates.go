package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// RunTemplate keeps a snapshot under a name, to be run again.
type RunTemplate struct {
	ID, ProjectID            uuid.UUID
	UserID, SourceSnapshotID *uuid.UUID
	Name                     string
	Description              *string
	Hidden                   bool
	Created, Updated         zen.Time

	User *zen.User
	// Snapshot is the source snapshot with its pipeline, stack and build.
	Snapshot        *zen.Snapshot
	Tags            []*zen.Tag
	LatestRunID     *uuid.UUID
	LatestRunStatus *string
}

const runTemplateSelect = `t.id, t.project_id, t.user_id, t.source_snapshot_id, t.name, t.description, t.hidden, t.created, t.updated`

func scanRunTemplate(row interface{ Scan(...any) error }) (*RunTemplate, error) {
	t := &RunTemplate{}
	err := row.Scan(dbID{&t.ID}, dbID{&t.ProjectID}, dbIDPtr{&t.UserID}, dbIDPtr{&t.SourceSnapshotID}, &t.Name, &t.Description,
		&t.Hidden, dbTime{&t.Created}, dbTime{&t.Updated})
	return t, err
}

var runTemplateLinks = polymorphic[*RunTemplate]{"run_template", func(t *RunTemplate) uuid.UUID { return t.ID }}

var runTemplateRelations = []relation[*RunTemplate]{
	withUsers(ref[*RunTemplate, *zen.User]{func(t *RunTemplate) *uuid.UUID { return t.UserID }, func(t *RunTemplate, u *zen.User) { t.User = u }}),
	withRows((*Tx).snapshotsWithResources, ref[*RunTemplate, *zen.Snapshot]{func(t *RunTemplate) *uuid.UUID { return t.SourceSnapshotID },
		func(t *RunTemplate, s *zen.Snapshot) { t.Snapshot = s }}),
	withTags(runTemplateLinks, func(t *RunTemplate, tags []*zen.Tag) { t.Tags = tags }),
	withTemplateRuns,
}

// snapshotsWithResources loads snapshots with what their answers show
// (pipeline, stack, build, ...), a fixed number of queries for any number.
func (tx *Tx) snapshotsWithResources(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.Snapshot, error) {
	byID, err := tx.snapshotsByID(ctx, ids)
	if err != nil || len(byID) == 0 {
		return byID, err
	}
	snaps := make([]*zen.Snapshot, 0, len(byID))
	for _, s := range byID {
		snaps = append(snaps, s)
	}
	return byID, tx.loadSnapshotResources(ctx, snaps)
}

// withTemplateRuns finds each template's latest run: the newest run of a
// snapshot made from it. One query for the page.
func withTemplateRuns(ctx context.Context, tx *Tx, items []*RunTemplate) error {
	byID := make(map[uuid.UUID]*RunTemplate, len(items))
	ids := make([]uuid.UUID, len(items))
	for i, t := range items {
		byID[t.ID], ids[i] = t, t.ID
	}
	return tx.each(ctx, `SELECT x.tid, r.id, r.status FROM (SELECT t.id AS tid, (SELECT lr.id FROM pipeline_runs lr JOIN pipeline_snapshots ls ON ls.id = lr.snapshot_id
		WHERE ls.template_id = t.id ORDER BY lr.created DESC, lr.id DESC LIMIT 1) AS rid FROM run_templates t WHERE t.id IN (`+placeholders(len(ids))+`)) x
		JOIN pipeline_runs r ON r.id = x.rid`, idArgs(ids), func(rows *sql.Rows) error {
		var tid, rid uuid.UUID
		var status string
		if err := rows.Scan(dbID{&tid}, dbID{&rid}, &status); err != nil {
			return err
		}
		byID[tid].LatestRunID, byID[tid].LatestRunStatus = &rid, &status
		return nil
	})
}

func (tx *Tx) getRunTemplate(ctx context.Context, id uuid.UUID) (*RunTemplate, error) {
	return getRow(ctx, tx, `SELECT `+runTemplateSelect+` FROM run_templates t WHERE t.id = ?`, []any{hexID(id)}, scanRunTemplate, zen.NotFound("Unable to get run template with ID '%s': No run template with this ID found", id), runTemplateRelations)
}

// GetRunTemplate finds a run template by id.
func (db *DB) GetRunTemplate(ctx context.Context, id uuid.UUID) (*RunTemplate, error) {
	return readByID(ctx, db, id, (*Tx).getRunTemplate)
}

// templatable refuses a snapshot the reference cannot make a template of:
// one whose build is missing, has no stack, or runs on a stack with local
// or custom components.
func (tx *Tx) templatable(ctx context.Context, s *zen.Snapshot) error {
	refuse := func(why string) error {
		return zen.Errorf(zen.EInvalid, "Unable to create run template as %s", why)
	}
	if s.Build == nil {
		return refuse("there is no associated build. Run templates can only be created for remote orchestrators that use container images to run the pipeline.")
	}
	if s.Build.StackID == nil {
		return refuse("the associated build has no stack reference.")
	}
	var why string
	err := tx.each(ctx, `SELECT c.type, c.flavor_name, c.configuration, f.id, f.is_custom FROM stack_components sc JOIN components c ON c.id = sc.component_id
		LEFT JOIN flavors f ON f.name = c.flavor_name AND f.type = c.type WHERE sc.stack_id = ? ORDER BY c.type, c.id`, []any{hexID(*s.Build.StackID)},
		func(rows *sql.Rows) error {
			var typ, flavor, config string
			var flavorID sql.NullString
			var custom sql.NullBool
			if err := rows.Scan(&typ, &flavor, &config, &flavorID, &custom); err != nil {
				return err
			}
			switch {
			case why != "":
			case !flavorID.Valid:
				why = "a component of the associated stack has no flavor."
			case custom.Bool:
				why = "a component of the associated stack has a custom flavor."
			case zen.ComponentIsLocal(typ, flavor, json.RawMessage(config)):
				why = "the associated stack contains local components."
			}
			return nil
		})
	if err != nil || why == "" {
		return err
	}
	return refuse(why)
}

// CreateRunTemplate stores a template of a snapshot; a template that is not
// hidden names its snapshot after itself, as the reference does.
func (db *DB) CreateRunTemplate(ctx context.Context, t RunTemplate, tags []TagRef) (*RunTemplate, error) {
	var out *RunTemplate
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkName(ctx, "run_templates", "run template", "create", t.Name, t.ProjectID, uuid.Nil); err != nil {
			return err
		}
		snaps, err := tx.snapshotsWithResources(ctx, uniqueIDs(t.SourceSnapshotID))
		if err != nil {
			return err
		}
		snap := snaps[*t.SourceSnapshotID]
		if snap == nil || snap.ProjectID != t.ProjectID {
			return zen.NotFound("The pipeline snapshot with ID %s referenced by the run template being created was not found in the '%s' project",
				*t.SourceSnapshotID, t.ProjectID)
		}
		if err := tx.templatable(ctx, snap); err != nil {
			return err
		}
		t.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO run_templates (id, project_id, user_id, name, description, hidden, source_snapshot_id, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, hexID(t.ID), hexID(t.ProjectID), hexIDPtr(t.UserID), t.Name, t.Description, t.Hidden,
			hexIDPtr(t.SourceSnapshotID), tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		if !t.Hidden {
			if _, err := tx.exec(ctx, `UPDATE pipeline_snapshots SET name = ?, description = ?, updated = ? WHERE id = ?`,
				t.Name, t.Description, tx.now.Micros(), hexID(snap.ID)); err != nil {
				return err
			}
		}
		if err := tx.attachTags(ctx, "run_template", t.ID, tags, t.UserID); err != nil {
			return err
		}
		out, err = tx.getRunTemplate(ctx, t.ID)
		return err
	})
	return out, err
}

// RunTemplateUpdate changes a template; nil fields stay as they are.
type RunTemplateUpdate struct {
	Name, Description   *string
	Hidden              *bool
	AddTags, RemoveTags []TagRef
	UserID              *uuid.UUID
}

// UpdateRunTemplate applies an update. Unlike the reference, whose update
// fails with a database error, a name another template has is a 409.
func (db *DB) UpdateRunTemplate(ctx context.Context, id uuid.UUID, up RunTemplateUpdate) (*RunTemplate, error) {
	var out *RunTemplate
	err := db.write(ctx, func(tx *Tx) error {
		t, err := tx.getRunTemplate(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Name != nil {
			if err := tx.checkName(ctx, "run_templates", "run template", "update", *up.Name, t.ProjectID, id); err != nil {
				return err
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.Description != nil {
			set.addSQL("description = ?", *up.Description)
		}
		if up.Hidden != nil {
			set.addSQL("hidden = ?", *up.Hidden)
		}
		if _, err := tx.updateByID(ctx, "run_templates", id, set); err != nil {
			return err
		}
		if err := tx.retag(ctx, "run_template", id, up.AddTags, up.RemoveTags, up.UserID); err != nil {
			return err
		}
		out, err = tx.getRunTemplate(ctx, id)
		return err
	})
	return out, err
}

// DeleteRunTemplate removes a template; snapshots made from it forget it.
func (db *DB) DeleteRunTemplate(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getRunTemplate(ctx, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE pipeline_snapshots SET template_id = NULL WHERE template_id = ?`, hexID(id)); err != nil {
			return err
		}
		_, err := tx.deleteCascading(ctx, "run_templates", "id = ?", hexID(id))
		return err
	})
}

var runTemplateFilterColumns = func() map[string]column {
	cols := baseColumns("t")
	cols["name"] = column{expr: "t.name", typ: filter.String}
	cols["hidden"] = column{expr: "t.hidden", typ: filter.Bool}
	return cols
}()

// ListRunTemplates lists a project's run templates.
func (db *DB) ListRunTemplates(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*RunTemplate], error) {
	d := db.dialect
	viaSnapshot := func(cond string, args []any) clause {
		return clause{"EXISTS (SELECT 1 FROM pipeline_snapshots fs WHERE fs.id = t.source_snapshot_id AND " + cond + ")", args}
	}
	custom := func(c filter.Condition) (clause, bool) {
		switch c.Field {
		case "pipeline_id", "build_id", "stack_id":
			m := d.render(column{expr: "fs." + c.Field, typ: filter.UUID}, c)
			return viaSnapshot(m.sql, m.args), true
		case "code_repository_id":
			// zengo keeps no code references yet: nothing matches.
			return clause{"1 = 0", nil}, true
		case "pipeline":
			m := d.nameOrIDMatch("fp", c)
			return viaSnapshot("EXISTS (SELECT 1 FROM pipelines fp WHERE fp.id = fs.pipeline_id AND "+m.sql+")", m.args), true
		case "stack":
			m := d.nameOrIDMatch("fst", c)
			return viaSnapshot("EXISTS (SELECT 1 FROM stacks fst WHERE fst.id = fs.stack_id AND "+m.sql+")", m.args), true
		}
		return clause{}, false
	}
	spec := &listSpec{from: "run_templates t", alias: "t", columns: runTemplateFilterColumns,
		custom: d.userScopedCustom("t.user_id", d.tagsCustom("t.id", "run_template", custom)),
		sortKeys: map[string]sortKey{
			"user": userSortKey("t.user_id"),
			"tags": d.tagsSortKey("t.id", "run_template"),
		}}
	return listRows(ctx, db, spec, l, scope.clauses("t"), runTemplateSelect, scanRunTemplate, func(ctx context.Context, tx *Tx, items []*RunTemplate) error {
		return loadRelations(ctx, tx, items, runTemplateRelations)
	})
}
