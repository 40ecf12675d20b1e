package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// ModelStages are the stages a model version can be promoted to.
var ModelStages = []string{"none", "staging", "production", "archived", "latest"}

const modelVersionSelect = `mv.id, mv.model_id, mv.project_id, mv.user_id, mv.name, mv.number, mv.description, mv.stage, mv.created, mv.updated,
	m.name, m.project_id, m.user_id, m.created, m.updated`

const modelVersionFrom = `model_versions mv JOIN models m ON m.id = mv.model_id`

func scanModelVersion(row interface{ Scan(...any) error }) (*zen.ModelVersion, error) {
	v := &zen.ModelVersion{Model: &zen.Model{}}
	err := row.Scan(dbID{&v.ID}, dbID{&v.ModelID}, dbID{&v.ProjectID}, dbIDPtr{&v.UserID}, &v.Name, &v.Number, &v.Description, &v.Stage,
		dbTime{&v.Created}, dbTime{&v.Updated}, &v.Model.Name, dbID{&v.Model.ProjectID}, dbIDPtr{&v.Model.UserID},
		dbTime{&v.Model.Created}, dbTime{&v.Model.Updated})
	v.Model.ID = v.ModelID
	return v, err
}

var modelVersionLinks = polymorphic[*zen.ModelVersion]{"model_version", func(v *zen.ModelVersion) uuid.UUID { return v.ID }}

var modelVersionRelations = []relation[*zen.ModelVersion]{
	withUsers(ref[*zen.ModelVersion, *zen.User]{func(v *zen.ModelVersion) *uuid.UUID { return v.UserID }, func(v *zen.ModelVersion, u *zen.User) { v.User = u }}),
	withTags(modelVersionLinks, func(v *zen.ModelVersion, t []*zen.Tag) { v.Tags = t }),
	withRunMetadata(modelVersionLinks, func(v *zen.ModelVersion, m zen.Metadata) { v.RunMetadata = m }),
	modelVersionServices,
}

// modelVersionServicesShown is the size of the reference's page of a
// version's services.
const modelVersionServicesShown = 5

// modelVersionServices gives each version its first services, in creation
// order, with their own relations, and how many it has: one query for all
// the versions (a window per version), then the services' relations.
func modelVersionServices(ctx context.Context, tx *Tx, items []*zen.ModelVersion) error {
	byID := make(map[uuid.UUID]*zen.ModelVersion, len(items))
	ids := make([]uuid.UUID, 0, len(items))
	for _, v := range items {
		if byID[v.ID] == nil {
			ids = append(ids, v.ID)
		}
		byID[v.ID] = v
	}
	rows, err := tx.query(ctx, `SELECT `+serviceSelect+`, sv.total FROM (SELECT s.*,
		ROW_NUMBER() OVER (PARTITION BY s.model_version_id ORDER BY s.created, s.id) AS position,
		COUNT(*) OVER (PARTITION BY s.model_version_id) AS total
		FROM services s WHERE s.model_version_id IN (`+placeholders(len(ids))+`)) sv
		WHERE sv.position <= `+strconv.Itoa(modelVersionServicesShown)+` ORDER BY sv.model_version_id, sv.position`, idArgs(ids)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var services []*Service
	for rows.Next() {
		var total int
		sv, err := scanService(trailing{rows, []any{&total}})
		if err != nil {
			return err
		}
		v := byID[*sv.ModelVersionID]
		v.Services, v.ServicesTotal = append(v.Services, sv), total
		services = append(services, sv)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return loadRelations(ctx, tx, services, serviceRelations)
}

func modelVersionNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get model version with ID '%s': No model version with this ID found", id)
}

// modelVersionsByID loads versions with their relations.
func (tx *Tx) modelVersionsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.ModelVersion, error) {
	out, err := tx.modelVersionRows(ctx, ids)
	if err != nil || len(out) == 0 {
		return out, err
	}
	items := make([]*zen.ModelVersion, 0, len(out))
	for _, v := range out {
		items = append(items, v)
	}
	return out, loadRelations(ctx, tx, items, modelVersionRelations)
}

// modelVersionRows loads versions without their relations, as other
// resources show them.
func (tx *Tx) modelVersionRows(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.ModelVersion, error) {
	return byIDs(ctx, tx, `SELECT `+modelVersionSelect+` FROM `+modelVersionFrom+` WHERE mv.id`, ids, scanModelVersion,
		func(v *zen.ModelVersion) uuid.UUID { return v.ID })
}

func (tx *Tx) getModelVersion(ctx context.Context, id uuid.UUID) (*zen.ModelVersion, error) {
	got, err := tx.modelVersionsByID(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	if got[id] == nil {
		return nil, modelVersionNotFound(id)
	}
	return got[id], nil
}

// GetModelVersion finds a model version by id.
func (db *DB) GetModelVersion(ctx context.Context, id uuid.UUID) (*zen.ModelVersion, error) {
	return readByID(ctx, db, id, (*Tx).getModelVersion)
}

// NewModelVersion is a version to create: an empty name takes the number.
type NewModelVersion struct {
	ModelID, ProjectID uuid.UUID
	UserID             *uuid.UUID
	Name               string
	Description        *string
	Stage              *string
	Tags               []TagRef
	// ProducerRunID is the run a numeric version is made for.
	ProducerRunID *uuid.UUID
}

// CreateModelVersion numbers and stores a version.
func (db *DB) CreateModelVersion(ctx context.Context, nv NewModelVersion) (*zen.ModelVersion, error) {
	var out *zen.ModelVersion
	err := db.write(ctx, func(tx *Tx) (err error) {
		out, err = tx.createModelVersion(ctx, nv)
		return err
	})
	return out, err
}

func (tx *Tx) createModelVersion(ctx context.Context, nv NewModelVersion) (*zen.ModelVersion, error) {
	if nv.Name != "" {
		if _, err := strconv.Atoi(nv.Name); err == nil {
			return nil, zen.Errorf(zen.EInvalid, "Can't create model version with custom numeric model version name.")
		}
		for _, st := range ModelStages {
			if strings.ToLower(nv.Name) == st {
				return nil, zen.Errorf(zen.EInvalid, "Can't create model version with a name that is used as a model version stage (['none', 'staging', 'production', 'archived', 'latest']).")
			}
		}
		if err := checkEntityName("ModelVersionRequest", "ModelVersion", nv.Name); err != nil {
			return nil, err
		}
	}
	// The model's row is locked while its next number is chosen.
	var modelName string
	err := tx.queryRow(ctx, `SELECT name FROM models WHERE id = ? AND project_id = ?`+tx.db.dialect.forUpdate(),
		hexID(nv.ModelID), hexID(nv.ProjectID)).Scan(&modelName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("The model with ID %s referenced by the model version being created was not found in the '%s' project", nv.ModelID, nv.ProjectID)
	}
	if err != nil {
		return nil, err
	}
	var number int
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM model_versions WHERE model_id = ?`, hexID(nv.ModelID)).Scan(&number); err != nil {
		return nil, err
	}
	name := nv.Name
	if name == "" {
		name = strconv.Itoa(number)
	}
	var taken int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM model_versions WHERE model_id = ? AND name = ?`, hexID(nv.ModelID), name).Scan(&taken); err != nil {
		return nil, err
	}
	if taken > 0 {
		return nil, zen.Errorf(zen.EConflict, "Unable to create model version %s (version %s): A model with the same name and version already exists.", modelName, name)
	}
	id := uuid.New()
	if _, err := tx.exec(ctx, `INSERT INTO model_versions (id, model_id, project_id, user_id, name, number, description, stage, producer_run_id, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, hexID(id), hexID(nv.ModelID), hexID(nv.ProjectID), hexIDPtr(nv.UserID), name, number,
		nv.Description, nv.Stage, hexIDPtr(nv.ProducerRunID), tx.now.Micros(), tx.now.Micros()); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE models SET latest_version_id = ?, latest_activity = ? WHERE id = ?`, hexID(id), tx.now.Micros(), hexID(nv.ModelID)); err != nil {
		return nil, err
	}
	if err := tx.attachTags(ctx, "model_version", id, nv.Tags, nv.UserID); err != nil {
		return nil, err
	}
	return tx.getModelVersion(ctx, id)
}

// ModelVersionUpdate changes a version: a stage (another holder of it is
// archived with force), name, description, tags.
type ModelVersionUpdate struct {
	Stage               *string
	Force               bool
	Name                *string
	Description         *string
	AddTags, RemoveTags []TagRef
}

// UpdateModelVersion applies an update in one transaction.
func (db *DB) UpdateModelVersion(ctx context.Context, id uuid.UUID, up ModelVersionUpdate, userID *uuid.UUID) (*zen.ModelVersion, error) {
	var out *zen.ModelVersion
	err := db.write(ctx, func(tx *Tx) error {
		v, err := tx.getModelVersion(ctx, id)
		if err != nil {
			return err
		}
		if up.Stage != nil {
			var holderID uuid.UUID
			var holderName string
			err := tx.queryRow(ctx, `SELECT id, name FROM model_versions WHERE model_id = ? AND stage = ? AND id <> ? ORDER BY created, id LIMIT 1`,
				hexID(v.ModelID), *up.Stage, hexID(id)).Scan(dbID{&holderID}, &holderName)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case !up.Force:
				return zen.Errorf(zen.EInternal, "Model version %s is in %s, but `force` flag is False.", holderName, *up.Stage)
			default:
				if _, err := tx.exec(ctx, `UPDATE model_versions SET stage = 'archived', updated = ? WHERE id = ?`, tx.now.Micros(), hexID(holderID)); err != nil {
					return err
				}
			}
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Stage != nil {
			set.addSQL("stage = ?", *up.Stage)
		}
		if up.Name != nil && *up.Name != v.Name {
			var taken int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM model_versions WHERE model_id = ? AND name = ?`, hexID(v.ModelID), *up.Name).Scan(&taken); err != nil {
				return err
			}
			if taken > 0 {
				return zen.Errorf(zen.EConflict, "Unable to update model version %s: A model version with the name %s already exists for model %s.", v.Name, *up.Name, v.Model.Name)
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.Description != nil {
			set.addSQL("description = ?", *up.Description)
		}
		if _, err := tx.updateByID(ctx, "model_versions", id, set); err != nil {
			return err
		}
		if err := tx.retag(ctx, "model_version", id, up.AddTags, up.RemoveTags, userID); err != nil {
			return err
		}
		out, err = tx.getModelVersion(ctx, id)
		return err
	})
	return out, err
}

// DeleteModelVersion removes a version and its links; its model's latest
// version moves to the highest number left.
func (db *DB) DeleteModelVersion(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		var modelID uuid.UUID
		err := tx.queryRow(ctx, `SELECT model_id FROM model_versions WHERE id = ?`, hexID(id)).Scan(dbID{&modelID})
		if errors.Is(err, sql.ErrNoRows) {
			return modelVersionNotFound(id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.deleteCascading(ctx, "model_versions", "id = ?", hexID(id)); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE models SET
			latest_version_id = (SELECT mv.id FROM model_versions mv WHERE mv.model_id = models.id ORDER BY mv.number DESC LIMIT 1),
			latest_activity = COALESCE((SELECT MAX(mv.created) FROM model_versions mv WHERE mv.model_id = models.id), created)
			WHERE id = ?`, hexID(modelID))
		return err
	})
}

var modelVersionFilterColumns = func() map[string]column {
	cols := baseColumns("mv")
	cols["name"] = column{expr: "mv.name", typ: filter.String}
	cols["number"] = column{expr: "mv.number", typ: filter.Int}
	cols["stage"] = column{expr: "mv.stage", typ: filter.String, nullable: true}
	return cols
}()

// ListModelVersions lists a project's model versions.
func (db *DB) ListModelVersions(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*zen.ModelVersion], error) {
	d := db.dialect
	custom := func(c filter.Condition) (clause, bool) {
		switch c.Field {
		case "model":
			m := d.nameOrIDMatch("fm", c)
			return clause{"EXISTS (SELECT 1 FROM models fm WHERE fm.id = mv.model_id AND " + m.sql + ")", m.args}, true
		case "run_metadata":
			return d.runMetadataFilter("mv.id", "model_version", c), true
		}
		return clause{}, false
	}
	spec := &listSpec{from: modelVersionFrom, alias: "mv", columns: modelVersionFilterColumns,
		countFrom: func(*filter.List) string { return "model_versions mv" },
		custom:    d.userScopedCustom("mv.user_id", d.tagsCustom("mv.id", "model_version", custom)),
		sortKeys: map[string]sortKey{
			"user": userSortKey("mv.user_id"),
			"tags": d.tagsSortKey("mv.id", "model_version"),
		}}
	return listRows(ctx, db, spec, l, scope.clauses("mv"), modelVersionSelect, scanModelVersion, func(ctx context.Context, tx *Tx, items []*zen.ModelVersion) error {
		return loadRelations(ctx, tx, items, modelVersionRelations)
	})
}

// modelVersionForRun is what a run with a model configured records: the
// model (made on first use, without tags, as the reference makes it) and
// its version: an existing one when the configuration names a number, a
// stage or "latest", else a new one (or the one of that name, or the one
// this run already made).
func (tx *Tx) modelVersionForRun(ctx context.Context, projectID uuid.UUID, cfg RunModel, runID uuid.UUID, userID *uuid.UUID) (uuid.UUID, error) {
	modelID, err := tx.modelByName(ctx, projectID, cfg.Name)
	if err != nil {
		return uuid.Nil, err
	}
	if modelID == nil {
		m, err := tx.createModel(ctx, zen.Model{ProjectID: projectID, UserID: userID, Name: cfg.Name, License: cfg.License, Description: cfg.Description,
			Audience: cfg.Audience, UseCases: cfg.UseCases, Limitations: cfg.Limitations, TradeOffs: cfg.TradeOffs, Ethics: cfg.Ethics,
			SaveModelsToRegistry: cfg.SaveModelsToRegistry}, nil)
		if err != nil {
			return uuid.Nil, err
		}
		modelID = &m.ID
	}
	var id uuid.UUID
	find := func(where string, args ...any) (bool, error) {
		err := tx.queryRow(ctx, `SELECT id FROM model_versions WHERE model_id = ? AND `+where, append([]any{hexID(*modelID)}, args...)...).Scan(dbID{&id})
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	if v := cfg.Version; v != nil {
		n, numeric := strconv.Atoi(*v)
		switch {
		case numeric == nil:
			if ok, err := find("number = ?", n); ok || err != nil {
				return id, err
			}
			return uuid.Nil, zen.NotFound("No version with number %d found for model %s.", n, *modelID)
		case *v == "latest":
			if ok, err := find("number = (SELECT MAX(number) FROM model_versions WHERE model_id = ?)", hexID(*modelID)); ok || err != nil {
				return id, err
			}
			return uuid.Nil, zen.NotFound("No latest version found for model %s.", *modelID)
		case isModelStage(*v):
			if ok, err := find("stage = ?", *v); ok || err != nil {
				return id, err
			}
			return uuid.Nil, zen.NotFound("No %s stage version found for model %s.", *v, *modelID)
		}
		if ok, err := find("name = ?", *v); ok || err != nil {
			return id, err
		}
	} else if ok, err := find("producer_run_id = ?", hexID(runID)); ok || err != nil {
		return id, err
	}
	name := ""
	var producer *uuid.UUID
	if cfg.Version != nil {
		name = *cfg.Version
	} else {
		producer = &runID
	}
	v, err := tx.createModelVersion(ctx, NewModelVersion{ModelID: *modelID, ProjectID: projectID, UserID: userID, Name: name,
		Description: cfg.Description, Tags: cfg.Tags, ProducerRunID: producer})
	if err != nil {
		return uuid.Nil, err
	}
	return v.ID, nil
}

func isModelStage(s string) bool {
	for _, st := range ModelStages {
		if s == st {
			return true
		}
	}
	return false
}

// RunModel is the model a pipeline run is configured with (the `model`
// of its pipeline configuration).
type RunModel struct {
	Name                                                                     string
	Version                                                                  *string
	License, Description, Audience, UseCases, Limitations, TradeOffs, Ethics *string
	SaveModelsToRegistry                                                     bool
	Tags                                                                     []TagRef
}
