package store

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Build is a pipeline build: the images a remote orchestrator runs a
// snapshot in. Local runs make none; the client records them for remote
// stacks.
type Build struct {
	ID, ProjectID                                        uuid.UUID
	UserID, PipelineID, StackID                          *uuid.UUID
	Images                                               json.RawMessage
	IsLocal, ContainsCode                                bool
	ZenMLVersion, PythonVersion, Checksum, StackChecksum *string
	Duration                                             *int64
	Created, Updated                                     zen.Time

	User     *zen.User
	Pipeline *zen.Pipeline
	Stack    *zen.Stack
}

const buildSelect = `b.id, b.project_id, b.user_id, b.pipeline_id, b.stack_id, b.images, b.is_local, b.contains_code, b.zenml_version,
	b.python_version, b.checksum, b.stack_checksum, b.duration, b.created, b.updated`

func scanBuild(row interface{ Scan(...any) error }) (*Build, error) {
	b := &Build{}
	err := row.Scan(dbID{&b.ID}, dbID{&b.ProjectID}, dbIDPtr{&b.UserID}, dbIDPtr{&b.PipelineID}, dbIDPtr{&b.StackID}, dbJSON{&b.Images, "{}"},
		&b.IsLocal, &b.ContainsCode, &b.ZenMLVersion, &b.PythonVersion, &b.Checksum, &b.StackChecksum, &b.Duration, dbTime{&b.Created}, dbTime{&b.Updated})
	return b, err
}

var buildRelations = []relation[*Build]{
	withUsers(ref[*Build, *zen.User]{func(b *Build) *uuid.UUID { return b.UserID }, func(b *Build, u *zen.User) { b.User = u }}),
	withRows((*Tx).pipelinesByID, ref[*Build, *zen.Pipeline]{func(b *Build) *uuid.UUID { return b.PipelineID }, func(b *Build, p *zen.Pipeline) { b.Pipeline = p }}),
	withRows((*Tx).stacksByID, ref[*Build, *zen.Stack]{func(b *Build) *uuid.UUID { return b.StackID }, func(b *Build, s *zen.Stack) { b.Stack = s }}),
}

func buildNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get pipeline build with ID '%s': No pipeline build with this ID found", id)
}

func (tx *Tx) getBuild(ctx context.Context, id uuid.UUID) (*Build, error) {
	return getRow(ctx, tx, `SELECT `+buildSelect+` FROM pipeline_builds b WHERE b.id = ?`, []any{hexID(id)}, scanBuild, buildNotFound(id), buildRelations)
}

// GetBuild finds a build by id.
func (db *DB) GetBuild(ctx context.Context, id uuid.UUID) (*Build, error) {
	return readByID(ctx, db, id, (*Tx).getBuild)
}

// CreateBuild stores a build after checking its stack and pipeline.
func (db *DB) CreateBuild(ctx context.Context, b Build) (*Build, error) {
	var out *Build
	err := db.write(ctx, func(tx *Tx) error {
		var n int
		if b.StackID != nil {
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM stacks WHERE id = ?`, hexID(*b.StackID)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return zen.NotFound("The stack with ID %s referenced by the pipeline build being created was not found", *b.StackID)
			}
		}
		if b.PipelineID != nil {
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM pipelines WHERE id = ? AND project_id = ?`, hexID(*b.PipelineID), hexID(b.ProjectID)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return zen.NotFound("The pipeline with ID %s referenced by the pipeline build being created was not found in the '%s' project", *b.PipelineID, b.ProjectID)
			}
		}
		b.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO pipeline_builds (id, project_id, user_id, pipeline_id, stack_id, images, is_local, contains_code,
			zenml_version, python_version, checksum, stack_checksum, duration, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(b.ID), hexID(b.ProjectID), hexIDPtr(b.UserID), hexIDPtr(b.PipelineID), hexIDPtr(b.StackID), jsonText(b.Images, "{}"), b.IsLocal,
			b.ContainsCode, b.ZenMLVersion, b.PythonVersion, b.Checksum, b.StackChecksum, b.Duration, tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		var err error
		out, err = tx.getBuild(ctx, b.ID)
		return err
	})
	return out, err
}

// DeleteBuild removes a build; snapshots that used it keep no build.
func (db *DB) DeleteBuild(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		n, err := tx.deleteCascading(ctx, "pipeline_builds", "id = ?", hexID(id))
		if err != nil {
			return err
		}
		if n == 0 {
			return buildNotFound(id)
		}
		_, err = tx.exec(ctx, `UPDATE pipeline_snapshots SET build_id = NULL WHERE build_id = ?`, hexID(id))
		return err
	})
}

var buildFilterColumns = func() map[string]column {
	cols := baseColumns("b")
	for _, c := range []string{"pipeline_id", "stack_id"} {
		cols[c] = column{expr: "b." + c, typ: filter.UUID, nullable: true}
	}
	for _, c := range []string{"zenml_version", "python_version", "checksum", "stack_checksum"} {
		cols[c] = column{expr: "b." + c, typ: filter.String, nullable: true}
	}
	cols["is_local"] = column{expr: "b.is_local", typ: filter.Bool}
	cols["contains_code"] = column{expr: "b.contains_code", typ: filter.Bool}
	cols["duration"] = column{expr: "b.duration", typ: filter.Int, nullable: true}
	return cols
}()

// ListBuilds lists a project's builds.
func (db *DB) ListBuilds(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*Build], error) {
	d := db.dialect
	custom := func(c filter.Condition) (clause, bool) {
		if c.Field != "container_registry_id" {
			return clause{}, false
		}
		m := d.render(column{expr: "fcr.id", typ: filter.UUID}, c)
		return clause{`EXISTS (SELECT 1 FROM stack_components fsc JOIN components fcr ON fcr.id = fsc.component_id
			WHERE fsc.stack_id = b.stack_id AND fcr.type = 'container_registry' AND ` + m.sql + ")", m.args}, true
	}
	spec := &listSpec{from: "pipeline_builds b", alias: "b", columns: buildFilterColumns,
		custom:   d.userScopedCustom("b.user_id", custom),
		sortKeys: map[string]sortKey{"user": userSortKey("b.user_id")}}
	return listRows(ctx, db, spec, l, scope.clauses("b"), buildSelect, scanBuild, func(ctx context.Context, tx *Tx, items []*Build) error {
		return loadRelations(ctx, tx, items, buildRelations)
	})
}
