package store

import (
	"context"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// HookInvocation is one call of a run's or step's hook (success, failure,
// init, cleanup), with the artifact versions it produced.
type HookInvocation struct {
	ID, ProjectID, PipelineRunID uuid.UUID
	UserID, StepRunID            *uuid.UUID
	HookType, Status             string
	Name, Source, ExceptionInfo  *string
	StartTime                    zen.Time
	EndTime                      *zen.Time
	Created, Updated             zen.Time

	User    *zen.User
	Outputs []HookOutput
	Logs    []*Logs
}

const hookInvocationSelect = `hi.id, hi.project_id, hi.pipeline_run_id, hi.user_id, hi.step_run_id, hi.hook_type, hi.status, hi.name,
	hi.source, hi.exception_info, hi.start_time, hi.end_time, hi.created, hi.updated`

func scanHookInvocation(row interface{ Scan(...any) error }) (*HookInvocation, error) {
	h := &HookInvocation{}
	err := row.Scan(dbID{&h.ID}, dbID{&h.ProjectID}, dbID{&h.PipelineRunID}, dbIDPtr{&h.UserID}, dbIDPtr{&h.StepRunID}, &h.HookType,
		&h.Status, &h.Name, &h.Source, &h.ExceptionInfo, dbTime{&h.StartTime}, dbTimePtr{&h.EndTime}, dbTime{&h.Created}, dbTime{&h.Updated})
	return h, err
}

var hookInvocationRelations = []relation[*HookInvocation]{
	withUsers(ref[*HookInvocation, *zen.User]{func(h *HookInvocation) *uuid.UUID { return h.UserID }, func(h *HookInvocation, u *zen.User) { h.User = u }}),
	withHookOutputs,
	func(ctx context.Context, tx *Tx, items []*HookInvocation) error {
		logs, err := tx.logsOf(ctx, "hook_invocation_id", hookInvocationIDs(items))
		for _, h := range items {
			h.Logs = logs[h.ID]
		}
		return err
	},
}

func hookInvocationIDs(items []*HookInvocation) []uuid.UUID {
	ids := make([]uuid.UUID, len(items))
	for i, h := range items {
		ids[i] = h.ID
	}
	return ids
}

// withHookOutputs loads the output artifact versions of a page of hook
// invocations: one query for the links, then the versions with theirs.
func withHookOutputs(ctx context.Context, tx *Tx, items []*HookInvocation) error {
	ids := hookInvocationIDs(items)
	rows, err := tx.query(ctx, `SELECT hook_invocation_id, artifact_version_id, name FROM hook_invocation_outputs
		WHERE hook_invocation_id IN (`+placeholders(len(ids))+`) ORDER BY position`, idArgs(ids)...)
	if err != nil {
		return err
	}
	type link struct {
		hook, version uuid.UUID
		name          string
	}
	var links []link
	var versionIDs []*uuid.UUID
	for rows.Next() {
		var l link
		if err := rows.Scan(dbID{&l.hook}, dbID{&l.version}, &l.name); err != nil {
			rows.Close()
			return err
		}
		links = append(links, l)
		versionIDs = append(versionIDs, &l.version)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	versions, err := tx.artifactVersionsByID(ctx, uniqueIDs(versionIDs...))
	if err != nil {
		return err
	}
	byID := make(map[uuid.UUID]*HookInvocation, len(items))
	for _, h := range items {
		h.Outputs = []HookOutput{}
		byID[h.ID] = h
	}
	for _, l := range links {
		v, h := versions[l.version], byID[l.hook]
		if v == nil {
			continue
		}
		if n := len(h.Outputs); n > 0 && h.Outputs[n-1].Name == l.name {
			h.Outputs[n-1].Versions = append(h.Outputs[n-1].Versions, v)
			continue
		}
		h.Outputs = append(h.Outputs, HookOutput{Name: l.name, Versions: []*ArtifactVersion{v}})
	}
	return nil
}

func (tx *Tx) getHookInvocation(ctx context.Context, id uuid.UUID) (*HookInvocation, error) {
	return getRow(ctx, tx, `SELECT `+hookInvocationSelect+` FROM hook_invocations hi WHERE hi.id = ?`, []any{hexID(id)}, scanHookInvocation,
		zen.NotFound("Unable to get hook invocation with ID '%s': No hook invocation with this ID found", id), hookInvocationRelations)
}

// GetHookInvocation finds a hook invocation by id.
func (db *DB) GetHookInvocation(ctx context.Context, id uuid.UUID) (*HookInvocation, error) {
	return readByID(ctx, db, id, (*Tx).getHookInvocation)
}

// NewHookInvocation is what a client records about a hook call.
type NewHookInvocation struct {
	HookInvocation
	// OutputIDs names artifact versions by id, per output name, in the
	// request's order.
	OutputIDs []NamedIDs
	LogsID    *uuid.UUID
	// ProjectLabel is the project as the request named it, for messages.
	ProjectLabel string
}

// HookOutput is one named output of a hook and its artifact versions.
type HookOutput struct {
	Name     string
	Versions []*ArtifactVersion
}

// NamedIDs are the ids listed under one name.
type NamedIDs struct {
	Name string
	IDs  []uuid.UUID
}

// CreateHookInvocation stores a hook call after checking that its run,
// step and outputs are in its project; a logs entry it names is linked
// to it (logs that do not exist are ignored, as by the reference).
func (db *DB) CreateHookInvocation(ctx context.Context, n NewHookInvocation) (*HookInvocation, error) {
	var out *HookInvocation
	err := db.write(ctx, func(tx *Tx) error {
		h := n.HookInvocation
		if err := tx.checkReference(ctx, "pipeline_runs", "pipeline run", h.PipelineRunID, "hook invocation", h.ProjectID, n.ProjectLabel); err != nil {
			return err
		}
		if h.StepRunID != nil {
			if err := tx.checkReference(ctx, "step_runs", "step run", *h.StepRunID, "hook invocation", h.ProjectID, n.ProjectLabel); err != nil {
				return err
			}
		}
		if h.ID == uuid.Nil {
			h.ID = uuid.New()
		}
		now := tx.now.Micros()
		if _, err := tx.exec(ctx, `INSERT INTO hook_invocations (id, project_id, user_id, pipeline_run_id, step_run_id, hook_type, name, status,
			start_time, end_time, source, exception_info, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(h.ID), hexID(h.ProjectID), hexIDPtr(h.UserID), hexID(h.PipelineRunID), hexIDPtr(h.StepRunID), h.HookType, h.Name, h.Status,
			h.StartTime.Micros(), timePtr(h.EndTime), h.Source, h.ExceptionInfo, now, now); err != nil {
			return err
		}
		var args []any
		var values []string
		for _, out := range n.OutputIDs {
			for _, id := range out.IDs {
				if err := tx.checkReference(ctx, "artifact_versions", "output artifact", id, "hook invocation", h.ProjectID, n.ProjectLabel); err != nil {
					return err
				}
				values = append(values, "(?, ?, ?, ?)")
				args = append(args, hexID(h.ID), hexID(id), out.Name, len(values))
			}
		}
		if len(values) > 0 {
			if _, err := tx.exec(ctx, `INSERT INTO hook_invocation_outputs (hook_invocation_id, artifact_version_id, name, position) VALUES `+
				joinComma(values), args...); err != nil {
				return err
			}
		}
		if n.LogsID != nil {
			if _, err := tx.exec(ctx, `UPDATE logs SET hook_invocation_id = ? WHERE id = ?`, hexID(h.ID), hexID(*n.LogsID)); err != nil {
				return err
			}
		}
		var err error
		out, err = tx.getHookInvocation(ctx, h.ID)
		return err
	})
	return out, err
}

// DeleteHookInvocation removes a hook call and its output links; the
// artifact versions stay, and its logs (shared with the run or step) are
// only unlinked.
func (db *DB) DeleteHookInvocation(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getHookInvocation(ctx, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE logs SET hook_invocation_id = NULL WHERE hook_invocation_id = ?`, hexID(id)); err != nil {
			return err
		}
		_, err := tx.deleteCascading(ctx, "hook_invocations", "id = ?", hexID(id))
		return err
	})
}

var hookInvocationFilterColumns = func() map[string]column {
	cols := baseColumns("hi")
	cols["pipeline_run_id"] = column{expr: "hi.pipeline_run_id", typ: filter.UUID}
	cols["step_run_id"] = column{expr: "hi.step_run_id", typ: filter.UUID, nullable: true}
	for _, c := range []string{"hook_type", "status"} {
		cols[c] = column{expr: "hi." + c, typ: filter.String}
	}
	cols["name"] = column{expr: "hi.name", typ: filter.String, nullable: true}
	cols["start_time"] = column{expr: "hi.start_time", typ: filter.Datetime}
	cols["end_time"] = column{expr: "hi.end_time", typ: filter.Datetime, nullable: true}
	return cols
}()

// ListHookInvocations lists a project's hook invocations.
func (db *DB) ListHookInvocations(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*HookInvocation], error) {
	spec := &listSpec{from: "hook_invocations hi", alias: "hi", columns: hookInvocationFilterColumns,
		custom:   db.dialect.userScopedCustom("hi.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("hi.user_id")}}
	return listRows(ctx, db, spec, l, scope.clauses("hi"), hookInvocationSelect, scanHookInvocation, func(ctx context.Context, tx *Tx, items []*HookInvocation) error {
		return loadRelations(ctx, tx, items, hookInvocationRelations)
	})
}
