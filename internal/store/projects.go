package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

const projectSelect = `pr.id, pr.name, pr.display_name, pr.description, pr.metadata, pr.created, pr.updated`

func scanProject(row interface{ Scan(...any) error }) (*zen.Project, error) {
	p := &zen.Project{}
	err := row.Scan(dbID{&p.ID}, &p.Name, &p.DisplayName, &p.Description, dbJSON{&p.Metadata, "{}"}, dbTime{&p.Created}, dbTime{&p.Updated})
	return p, err
}

// CreateProject stores a new project; its name must be free.
func (db *DB) CreateProject(ctx context.Context, p zen.Project) (*zen.Project, error) {
	err := db.write(ctx, func(tx *Tx) error { return tx.createProject(ctx, &p) })
	return &p, err
}

func (tx *Tx) createProject(ctx context.Context, p *zen.Project) error {
	if p.ID == uuid.Nil {
		p.ID = uuid.New()
	}
	p.Created, p.Updated = tx.now, tx.now
	if len(p.Metadata) == 0 {
		p.Metadata = []byte("{}")
	}
	_, err := tx.exec(ctx, `INSERT INTO projects (id, name, display_name, description, metadata, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, hexID(p.ID), p.Name, p.DisplayName, p.Description, jsonText(p.Metadata, "{}"), p.Created.Micros(), p.Updated.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		return zen.Errorf(zen.EConflict, "Unable to create the requested project with name '%s': Found another existing project with the same name.", p.Name)
	}
	if err != nil {
		return err
	}
	return tx.markOnboarding(ctx, "project_created")
}

// GetProject finds a project by UUID or name.
func (db *DB) GetProject(ctx context.Context, nameOrID string) (*zen.Project, error) {
	var out *zen.Project
	err := db.readOne(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.getProject(ctx, nameOrID)
		return err
	})
	return out, err
}

func (tx *Tx) getProject(ctx context.Context, nameOrID string) (*zen.Project, error) {
	// A value that parses as a UUID is looked up only as an id, as on the
	// reference.
	if id, err := uuid.Parse(nameOrID); err == nil {
		p, err := scanProject(tx.queryRow(ctx, `SELECT `+projectSelect+` FROM projects pr WHERE pr.id = ?`, hexID(id)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, zen.NotFound("Unable to get project with name or ID '%s': No project with this ID found.", nameOrID)
		}
		return p, err
	}
	p, err := scanProject(tx.queryRow(ctx, `SELECT `+projectSelect+` FROM projects pr WHERE pr.name = ?`, nameOrID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get project with name or ID '%s': '%s' is not a valid  UUID and no project with this name exists.", nameOrID, nameOrID)
	}
	return p, err
}

// ProjectUpdate carries the fields an update changes.
type ProjectUpdate struct {
	Name        *string
	DisplayName *string
	Description *string
	Metadata    []byte
}

// UpdateProject changes a project.
func (db *DB) UpdateProject(ctx context.Context, id uuid.UUID, up ProjectUpdate) (*zen.Project, error) {
	var out *zen.Project
	err := db.write(ctx, func(tx *Tx) error {
		var set conditions
		if up.Name != nil {
			set.addSQL("name = ?", *up.Name)
		}
		if up.DisplayName != nil {
			set.addSQL("display_name = ?", *up.DisplayName)
		}
		if up.Description != nil {
			set.addSQL("description = ?", *up.Description)
		}
		if up.Metadata != nil {
			set.addSQL("metadata = ?", string(up.Metadata))
		}
		set.addSQL("updated = ?", tx.now.Micros())
		_, err := tx.updateByID(ctx, "projects", id, set)
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Unable to update the requested project with name '%s': Found another existing project with the same name.", deref(up.Name))
		}
		if err != nil {
			return err
		}
		out, err = tx.getProject(ctx, id.String())
		return err
	})
	return out, err
}

// DeleteProject removes a project and, through the schema's cascades,
// everything scoped to it.
func (db *DB) DeleteProject(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.deleteCascading(ctx, "projects", "id = ?", hexID(id))
		return err
	})
}

var projectFilterColumns = func() map[string]column {
	cols := baseColumns("pr")
	cols["name"] = column{expr: "pr.name", typ: filter.String}
	cols["display_name"] = column{expr: "pr.display_name", typ: filter.String}
	return cols
}()

// ListProjects lists projects.
func (db *DB) ListProjects(ctx context.Context, l *filter.List) (*zen.Page[*zen.Project], error) {
	spec := &listSpec{from: "projects pr", alias: "pr", columns: projectFilterColumns}
	return listRows(ctx, db, spec, l, nil, projectSelect, scanProject, nil)
}
