package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Pipelines are read joined to their latest run (by primary key), so the
// latest run's status and user come with the row.
const pipelineSelect = `p.id, p.name, p.project_id, p.user_id, p.description, p.latest_run_id, lr.status, lr.user_id, p.created, p.updated`

const pipelineFrom = `pipelines p LEFT JOIN pipeline_runs lr ON lr.id = p.latest_run_id`

func scanPipeline(row interface{ Scan(...any) error }) (*zen.Pipeline, error) {
	p := &zen.Pipeline{}
	err := row.Scan(dbID{&p.ID}, &p.Name, dbID{&p.ProjectID}, dbIDPtr{&p.UserID}, &p.Description, dbIDPtr{&p.LatestRunID},
		&p.LatestRunStatus, dbIDPtr{&p.LatestRunUserID}, dbTime{&p.Created}, dbTime{&p.Updated})
	return p, err
}

// CreatePipeline stores a pipeline and attaches its tags, in one
// transaction: a tag that cannot be attached leaves nothing behind.
func (db *DB) CreatePipeline(ctx context.Context, p zen.Pipeline, tags []TagRef) (*zen.Pipeline, error) {
	var out *zen.Pipeline
	err := db.write(ctx, func(tx *Tx) error {
		// The project's row is taken first: concurrent creates in a project
		// queue on it instead of deadlocking on the tags they share.
		if _, err := tx.exec(ctx, `UPDATE projects SET pipeline_count = pipeline_count + 1 WHERE id = ?`, hexID(p.ProjectID)); err != nil {
			return err
		}
		p.ID, p.Created, p.Updated = uuid.New(), tx.now, tx.now
		_, err := tx.exec(ctx, `INSERT INTO pipelines (id, name, project_id, user_id, description, latest_activity, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hexID(p.ID), p.Name, hexID(p.ProjectID), hexIDPtr(p.UserID), p.Description,
			p.Created.Micros(), p.Created.Micros(), p.Updated.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Unable to create pipeline in project '%s': A pipeline with the name %s already exists.", p.ProjectID, p.Name)
		}
		if err != nil {
			return err
		}
		if err := tx.attachTags(ctx, "pipeline", p.ID, tags, p.UserID); err != nil {
			return err
		}
		out, err = tx.getPipeline(ctx, p.ID)
		return err
	})
	return out, err
}

// GetPipeline finds a pipeline by id with its resources.
func (db *DB) GetPipeline(ctx context.Context, id uuid.UUID) (*zen.Pipeline, error) {
	return readByID(ctx, db, id, (*Tx).getPipeline)
}

func (tx *Tx) getPipeline(ctx context.Context, id uuid.UUID) (*zen.Pipeline, error) {
	p, err := scanPipeline(tx.queryRow(ctx, `SELECT `+pipelineSelect+` FROM `+pipelineFrom+` WHERE p.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get pipeline with ID '%s': No pipeline with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	return p, tx.loadPipelineResources(ctx, []*zen.Pipeline{p})
}

// loadPipelineResources fills creators, latest-run users, tags and curated
// visualizations of many pipelines: three statements.
func (tx *Tx) loadPipelineResources(ctx context.Context, ps []*zen.Pipeline) error {
	return loadRelations(ctx, tx, ps, pipelineRelations)
}

var pipelineLinks = polymorphic[*zen.Pipeline]{"pipeline", func(p *zen.Pipeline) uuid.UUID { return p.ID }}

var pipelineRelations = []relation[*zen.Pipeline]{
	withUsers(
		ref[*zen.Pipeline, *zen.User]{func(p *zen.Pipeline) *uuid.UUID { return p.UserID }, func(p *zen.Pipeline, u *zen.User) { p.User = u }},
		ref[*zen.Pipeline, *zen.User]{func(p *zen.Pipeline) *uuid.UUID { return p.LatestRunUserID }, func(p *zen.Pipeline, u *zen.User) { p.LatestRunUser = u }},
	),
	withTags(pipelineLinks, func(p *zen.Pipeline, t []*zen.Tag) { p.Tags = t }),
	withCurated(pipelineLinks, func(p *zen.Pipeline, v []*zen.CuratedVisualization) { p.Visualizations = v }),
}

// PipelineUpdate carries an update: a new description (SetDescription, nil
// meaning null) and tags to add and remove.
type PipelineUpdate struct {
	SetDescription bool
	Description    *string
	AddTags        []TagRef
	RemoveTags     []TagRef
}

// UpdatePipeline applies an update in one transaction.
func (db *DB) UpdatePipeline(ctx context.Context, id uuid.UUID, up PipelineUpdate, userID *uuid.UUID) (*zen.Pipeline, error) {
	var out *zen.Pipeline
	err := db.write(ctx, func(tx *Tx) error {
		var set conditions
		if up.SetDescription {
			set.addSQL("description = ?", up.Description)
		}
		set.addSQL("updated = ?", tx.now.Micros())
		res, err := tx.updateByID(ctx, "pipelines", id, set)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return zen.NotFound("Unable to get pipeline with ID '%s': No pipeline with this ID found", id)
		}
		if err := tx.retag(ctx, "pipeline", id, up.AddTags, up.RemoveTags, userID); err != nil {
			return err
		}
		out, err = tx.getPipeline(ctx, id)
		return err
	})
	return out, err
}

// DeletePipeline removes a pipeline with its snapshots and their runs, and
// every tag link and curated visualization of all of them.
func (db *DB) DeletePipeline(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		hid := hexID(id)
		var projectID string
		err := tx.queryRow(ctx, `SELECT project_id FROM pipelines WHERE id = ?`, hid).Scan(&projectID)
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("Unable to get pipeline with ID '%s': No pipeline with this ID found", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE projects SET pipeline_count = pipeline_count - 1 WHERE id = ?`, projectID); err != nil {
			return err
		}
		// Snapshots cascade with the pipeline, runs with their snapshots.
		_, err = tx.deleteCascading(ctx, "pipelines", "id = ?", hid)
		return err
	})
}

var pipelineFilterColumns = func() map[string]column {
	cols := baseColumns("p")
	cols["name"] = column{expr: "p.name", typ: filter.String, trigram: &textIndex{table: "pipelines_name_trgm", rowid: "p.rowid"}}
	return cols
}()

// ProjectScope narrows a project-scoped list: the project, and the creator
// when scope_user is given.
type ProjectScope struct {
	ProjectID uuid.UUID
	ScopeUser *uuid.UUID
}

// clauses are the scope's conditions on a table aliased a that has
// project_id and user_id columns.
func (s ProjectScope) clauses(a string) []clause {
	return append([]clause{{a + ".project_id = ?", []any{hexID(s.ProjectID)}}}, scopeUserClause(a+".user_id", s.ScopeUser)...)
}

// ListPipelines lists a project's pipelines.
func (db *DB) ListPipelines(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*zen.Pipeline], error) {
	d := db.dialect
	spec := &listSpec{from: pipelineFrom, alias: "p", columns: pipelineFilterColumns,
		// The latest run is joined for its columns; only its filters need
		// it in the count.
		countFrom: func(l *filter.List) string {
			if len(l.Fixed) > 0 {
				return pipelineFrom
			}
			return "pipelines p"
		},
		// The project's maintained count answers the unfiltered total.
		fastCount: func(tx *Tx, l *filter.List) (int, bool, error) {
			if len(l.Conditions) > 0 || len(l.Fixed) > 0 || scope.ScopeUser != nil {
				return 0, false, nil
			}
			var n int
			err := tx.queryRow(ctx, `SELECT pipeline_count FROM projects WHERE id = ?`, hexID(scope.ProjectID)).Scan(&n)
			return n, err == nil, err
		},
		custom: d.userScopedCustom("p.user_id", d.tagsCustom("p.id", "pipeline", nil)),
		sortKeys: map[string]sortKey{
			"user":       userSortKey("p.user_id"),
			"tags":       d.tagsSortKey("p.id", "pipeline"),
			"latest_run": {expr: "p.latest_activity"},
		}}
	where := scope.clauses("p")
	for _, c := range l.Fixed {
		switch c.Field {
		case "latest_run_status":
			m := d.render(column{expr: "lr.status", typ: filter.String}, c)
			where = append(where, clause{"(lr.id IS NOT NULL AND " + m.sql + ")", m.args})
		case "latest_run_user":
			m := d.nameOrIDMatch("lru", c)
			where = append(where, clause{"EXISTS (SELECT 1 FROM users lru WHERE lru.id = lr.user_id AND " + m.sql + ")", m.args})
		}
	}
	return listRows(ctx, db, spec, l, where, pipelineSelect, scanPipeline, func(ctx context.Context, tx *Tx, items []*zen.Pipeline) error {
		return tx.loadPipelineResources(ctx, items)
	})
}

// ProjectStatistics counts a project's pipelines and runs.
func (db *DB) ProjectStatistics(ctx context.Context, id uuid.UUID) (pipelines, runs int, err error) {
	err = db.read(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM pipelines WHERE project_id = ?), (SELECT COUNT(*) FROM pipeline_runs WHERE project_id = ?)`,
			hexID(id), hexID(id)).Scan(&pipelines, &runs)
	})
	return pipelines, runs, err
}
