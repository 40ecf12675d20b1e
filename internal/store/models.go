package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// ModelFields are a model's descriptive texts and flags, as requests set
// them (nil: not set).
type ModelFields struct {
	License, Description, Audience, UseCases, Limitations, TradeOffs, Ethics *string
	SaveModelsToRegistry                                                     *bool
}

const modelSelect = `m.id, m.project_id, m.user_id, m.name, m.license, m.description, m.audience, m.use_cases, m.limitations,
	m.trade_offs, m.ethics, m.save_models_to_registry, m.latest_version_id, lmv.name, m.created, m.updated`

const modelFrom = `models m LEFT JOIN model_versions lmv ON lmv.id = m.latest_version_id`

func scanModel(row interface{ Scan(...any) error }) (*zen.Model, error) {
	m := &zen.Model{}
	err := row.Scan(dbID{&m.ID}, dbID{&m.ProjectID}, dbIDPtr{&m.UserID}, &m.Name, &m.License, &m.Description, &m.Audience, &m.UseCases,
		&m.Limitations, &m.TradeOffs, &m.Ethics, &m.SaveModelsToRegistry, dbIDPtr{&m.LatestVersionID}, &m.LatestVersionName,
		dbTime{&m.Created}, dbTime{&m.Updated})
	return m, err
}

var modelLinks = polymorphic[*zen.Model]{"model", func(m *zen.Model) uuid.UUID { return m.ID }}

var modelRelations = []relation[*zen.Model]{
	withUsers(ref[*zen.Model, *zen.User]{func(m *zen.Model) *uuid.UUID { return m.UserID }, func(m *zen.Model, u *zen.User) { m.User = u }}),
	withTags(modelLinks, func(m *zen.Model, t []*zen.Tag) { m.Tags = t }),
	withCurated(modelLinks, func(m *zen.Model, v []*zen.CuratedVisualization) { m.Visualizations = v }),
}

func modelNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get model with ID '%s': No model with this ID found", id)
}

func (tx *Tx) getModel(ctx context.Context, id uuid.UUID) (*zen.Model, error) {
	m, err := scanModel(tx.queryRow(ctx, `SELECT `+modelSelect+` FROM `+modelFrom+` WHERE m.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, modelNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return m, loadRelations(ctx, tx, []*zen.Model{m}, modelRelations)
}

// GetModel finds a model by id.
func (db *DB) GetModel(ctx context.Context, id uuid.UUID) (*zen.Model, error) {
	return readByID(ctx, db, id, (*Tx).getModel)
}

// checkModelName answers the reference's 409 when a project has a model of
// that name (looked up before writing: see checkName).
func (tx *Tx) checkModelName(ctx context.Context, verb, name string, projectID uuid.UUID, except uuid.UUID) error {
	var project string
	var taken int
	err := tx.queryRow(ctx, `SELECT p.name, (SELECT COUNT(*) FROM models m WHERE m.project_id = p.id AND m.name = ? AND m.id <> ?) FROM projects p WHERE p.id = ?`,
		name, hexID(except), hexID(projectID)).Scan(&project, &taken)
	if err != nil || taken == 0 {
		return err
	}
	return zen.Errorf(zen.EConflict, "Unable to %s the requested model with name '%s': Found another existing model with the same name in the '%s' project.", verb, name, project)
}

// CreateModel stores a model with its tags.
func (db *DB) CreateModel(ctx context.Context, m zen.Model, tags []TagRef) (*zen.Model, error) {
	if err := checkEntityName("ModelRequest", "Model", m.Name); err != nil {
		return nil, err
	}
	var out *zen.Model
	err := db.write(ctx, func(tx *Tx) (err error) {
		out, err = tx.createModel(ctx, m, tags)
		return err
	})
	return out, err
}

func (tx *Tx) createModel(ctx context.Context, m zen.Model, tags []TagRef) (*zen.Model, error) {
	if err := tx.checkModelName(ctx, "create", m.Name, m.ProjectID, uuid.Nil); err != nil {
		return nil, err
	}
	m.ID = uuid.New()
	_, err := tx.exec(ctx, `INSERT INTO models (id, project_id, user_id, name, license, description, audience, use_cases, limitations,
		trade_offs, ethics, save_models_to_registry, latest_activity, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(m.ID), hexID(m.ProjectID), hexIDPtr(m.UserID), m.Name, m.License, m.Description, m.Audience, m.UseCases, m.Limitations,
		m.TradeOffs, m.Ethics, m.SaveModelsToRegistry, tx.now.Micros(), tx.now.Micros(), tx.now.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		return nil, zen.Errorf(zen.EConflict, "Unable to create the requested model with name '%s': Found another existing model with the same name.", m.Name)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.attachTags(ctx, "model", m.ID, tags, m.UserID); err != nil {
		return nil, err
	}
	return tx.getModel(ctx, m.ID)
}

// ModelUpdate changes a model: its name, texts and flag (nil: unchanged,
// as the reference applies only the fields that are not null) and tags.
type ModelUpdate struct {
	Name *string
	ModelFields
	AddTags, RemoveTags []TagRef
}

// UpdateModel applies an update in one transaction.
func (db *DB) UpdateModel(ctx context.Context, id uuid.UUID, up ModelUpdate, userID *uuid.UUID) (*zen.Model, error) {
	var out *zen.Model
	err := db.write(ctx, func(tx *Tx) error {
		m, err := tx.getModel(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Name != nil {
			if err := tx.checkModelName(ctx, "update", *up.Name, m.ProjectID, id); err != nil {
				return err
			}
			set.addSQL("name = ?", *up.Name)
		}
		for col, v := range map[string]*string{"license": up.License, "description": up.Description, "audience": up.Audience,
			"use_cases": up.UseCases, "limitations": up.Limitations, "trade_offs": up.TradeOffs, "ethics": up.Ethics} {
			if v != nil {
				set.addSQL(col+" = ?", *v)
			}
		}
		if up.SaveModelsToRegistry != nil {
			set.addSQL("save_models_to_registry = ?", *up.SaveModelsToRegistry)
		}
		if _, err := tx.updateByID(ctx, "models", id, set); err != nil {
			return err
		}
		if err := tx.retag(ctx, "model", id, up.AddTags, up.RemoveTags, userID); err != nil {
			return err
		}
		out, err = tx.getModel(ctx, id)
		return err
	})
	return out, err
}

// DeleteModel removes a model with its versions and their links; runs and
// artifacts stay.
func (db *DB) DeleteModel(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		n, err := tx.deleteCascading(ctx, "models", "id = ?", hexID(id))
		if err == nil && n == 0 {
			return modelNotFound(id)
		}
		return err
	})
}

var modelFilterColumns = func() map[string]column {
	cols := baseColumns("m")
	cols["name"] = column{expr: "m.name", typ: filter.String}
	return cols
}()

// ListModels lists a project's models.
func (db *DB) ListModels(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*zen.Model], error) {
	d := db.dialect
	spec := &listSpec{from: modelFrom, alias: "m", columns: modelFilterColumns,
		countFrom: func(*filter.List) string { return "models m" },
		custom:    d.userScopedCustom("m.user_id", d.tagsCustom("m.id", "model", nil)),
		sortKeys: map[string]sortKey{
			"user":           userSortKey("m.user_id"),
			"tags":           d.tagsSortKey("m.id", "model"),
			"latest_version": {expr: "m.latest_activity"},
		}}
	return listRows(ctx, db, spec, l, scope.clauses("m"), modelSelect, scanModel, func(ctx context.Context, tx *Tx, items []*zen.Model) error {
		return loadRelations(ctx, tx, items, modelRelations)
	})
}

// modelByName finds a project's model by name.
func (tx *Tx) modelByName(ctx context.Context, projectID uuid.UUID, name string) (*uuid.UUID, error) {
	var id uuid.UUID
	err := tx.queryRow(ctx, `SELECT id FROM models WHERE project_id = ? AND name = ?`, hexID(projectID), name).Scan(dbID{&id})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &id, err
}
