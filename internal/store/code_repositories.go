package store

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// CodeRepository is a repository a pipeline's code may come from: the
// class that reads it (a source), its configuration and how it shows.
// The server stores the source as given and imports nothing.
type CodeRepository struct {
	ID, ProjectID    uuid.UUID
	UserID           *uuid.UUID
	Name             string
	Config           json.RawMessage
	Source           json.RawMessage
	LogoURL          *string
	Description      *string
	Created, Updated zen.Time
	User             *zen.User
}

const codeRepositorySelect = `cr.id, cr.project_id, cr.user_id, cr.name, cr.config, cr.source, cr.logo_url, cr.description, cr.created, cr.updated`

func scanCodeRepository(row interface{ Scan(...any) error }) (*CodeRepository, error) {
	c := &CodeRepository{}
	err := row.Scan(dbID{&c.ID}, dbID{&c.ProjectID}, dbIDPtr{&c.UserID}, &c.Name, dbJSON{&c.Config, "{}"}, dbJSON{&c.Source, "{}"},
		&c.LogoURL, &c.Description, dbTime{&c.Created}, dbTime{&c.Updated})
	return c, err
}

var codeRepositoryRelations = []relation[*CodeRepository]{
	withUsers(ref[*CodeRepository, *zen.User]{func(c *CodeRepository) *uuid.UUID { return c.UserID }, func(c *CodeRepository, u *zen.User) { c.User = u }}),
}

func (tx *Tx) getCodeRepository(ctx context.Context, id uuid.UUID) (*CodeRepository, error) {
	return getRow(ctx, tx, `SELECT `+codeRepositorySelect+` FROM code_repositories cr WHERE cr.id = ?`, []any{hexID(id)}, scanCodeRepository, zen.NotFound("Unable to get code repository with ID '%s': No code repository with this ID found", id), codeRepositoryRelations)
}

// GetCodeRepository finds a code repository by id.
func (db *DB) GetCodeRepository(ctx context.Context, id uuid.UUID) (*CodeRepository, error) {
	return readByID(ctx, db, id, (*Tx).getCodeRepository)
}

// CreateCodeRepository stores a code repository under a name free in its
// project.
func (db *DB) CreateCodeRepository(ctx context.Context, c CodeRepository) (*CodeRepository, error) {
	var out *CodeRepository
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkName(ctx, "code_repositories", "code repository", "create", c.Name, c.ProjectID, uuid.Nil); err != nil {
			return err
		}
		c.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO code_repositories (id, project_id, user_id, name, config, source, logo_url, description, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, hexID(c.ID), hexID(c.ProjectID), hexIDPtr(c.UserID), c.Name, jsonText(c.Config, "{}"),
			string(c.Source), c.LogoURL, c.Description, tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		var err error
		out, err = tx.getCodeRepository(ctx, c.ID)
		return err
	})
	return out, err
}

// CodeRepositoryUpdate changes what the reference lets an update change:
// the name, the configuration, the description and the logo (nil: kept).
// The source stays as it was created.
type CodeRepositoryUpdate struct {
	Name, Description, LogoURL *string
	Config                     json.RawMessage
}

// UpdateCodeRepository applies an update.
func (db *DB) UpdateCodeRepository(ctx context.Context, id uuid.UUID, up CodeRepositoryUpdate) (*CodeRepository, error) {
	var out *CodeRepository
	err := db.write(ctx, func(tx *Tx) error {
		c, err := tx.getCodeRepository(ctx, id)
		if err != nil {
			return err
		}
		if up.Name != nil && *up.Name != c.Name {
			if err := tx.checkName(ctx, "code_repositories", "code repository", "update", *up.Name, c.ProjectID, id); err != nil {
				return err
			}
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		for col, v := range map[string]*string{"name": up.Name, "description": up.Description, "logo_url": up.LogoURL} {
			if v != nil {
				set.addSQL(col+" = ?", *v)
			}
		}
		if up.Config != nil && string(up.Config) != "null" {
			set.addSQL("config = ?", string(up.Config))
		}
		if _, err := tx.exec(ctx, "UPDATE code_repositories SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...); err != nil {
			return err
		}
		out, err = tx.getCodeRepository(ctx, id)
		return err
	})
	return out, err
}

// DeleteCodeRepository removes a code repository.
func (db *DB) DeleteCodeRepository(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getCodeRepository(ctx, id); err != nil {
			return err
		}
		_, err := tx.deleteCascading(ctx, "code_repositories", "id = ?", hexID(id))
		return err
	})
}

var codeRepositoryFilterColumns = func() map[string]column {
	cols := baseColumns("cr")
	cols["name"] = column{expr: "cr.name", typ: filter.String}
	return cols
}()

// ListCodeRepositories lists a project's code repositories.
func (db *DB) ListCodeRepositories(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*CodeRepository], error) {
	spec := &listSpec{from: "code_repositories cr", alias: "cr", columns: codeRepositoryFilterColumns,
		custom: db.dialect.userScopedCustom("cr.user_id", nil), sortKeys: map[string]sortKey{"user": userSortKey("cr.user_id")}}
	return listRows(ctx, db, spec, l, scope.clauses("cr"), codeRepositorySelect, scanCodeRepository, relationsLoader(codeRepositoryRelations))
}
