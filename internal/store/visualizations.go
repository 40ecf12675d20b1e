package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// Curated visualizations and the artifact records they point at.

const curatedSelect = `cv.id, cv.project_id, cv.artifact_visualization_id, cv.artifact_version_id, cv.resource_id,
	cv.resource_type, cv.display_name, cv.display_order, cv.layout_size, cv.created, cv.updated`

func scanCurated(row interface{ Scan(...any) error }, extra ...any) (*zen.CuratedVisualization, error) {
	v := &zen.CuratedVisualization{}
	var order sql.NullInt64
	dest := []any{dbID{&v.ID}, dbID{&v.ProjectID}, dbID{&v.ArtifactVisualizationID}, dbID{&v.ArtifactVersionID}, dbID{&v.ResourceID},
		&v.ResourceType, &v.DisplayName, &order, &v.LayoutSize, dbTime{&v.Created}, dbTime{&v.Updated}}
	err := row.Scan(append(dest, extra...)...)
	if order.Valid {
		n := int(order.Int64)
		v.DisplayOrder = &n
	}
	return v, err
}

const artifactVisualizationSelect = `av.id, av.artifact_version_id, av.type, av.uri, av.created, av.updated`

func scanArtifactVisualization(row interface{ Scan(...any) error }) (*zen.ArtifactVisualization, error) {
	a := &zen.ArtifactVisualization{}
	err := row.Scan(dbID{&a.ID}, dbID{&a.ArtifactVersionID}, &a.Type, &a.URI, dbTime{&a.Created}, dbTime{&a.Updated})
	return a, err
}

// visualizationTargets maps the resource types a curated visualization may
// target to their tables and the noun of their not-found message.
var visualizationTargets = map[string]struct{ table, noun string }{
	"pipeline":          {"pipelines", "pipeline"},
	"pipeline_run":      {"pipeline_runs", "pipeline run"},
	"pipeline_snapshot": {"pipeline_snapshots", "pipeline snapshot"},
	"project":           {"projects", "project"},
	"deployment":        {"deployments", "deployment"},
	"model":             {"models", "model"},
}

// CreateCurated pins an artifact visualization onto a resource, with the
// reference's checks in its order.
func (db *DB) CreateCurated(ctx context.Context, v zen.CuratedVisualization) (*zen.CuratedVisualization, error) {
	var out *zen.CuratedVisualization
	err := db.write(ctx, func(tx *Tx) error {
		target := visualizationTargets[v.ResourceType]
		var resourceProject sql.NullString
		var err error
		switch v.ResourceType {
		case "pipeline", "pipeline_run", "pipeline_snapshot":
			err = tx.queryRow(ctx, `SELECT project_id FROM `+target.table+` WHERE id = ?`, hexID(v.ResourceID)).Scan(&resourceProject)
		case "project":
			err = tx.queryRow(ctx, `SELECT id FROM projects WHERE id = ?`, hexID(v.ResourceID)).Scan(&resourceProject)
		default:
			err = sql.ErrNoRows // deployments and models are not stored yet
		}
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("Unable to get %s with ID '%s': No %s with this ID found", target.noun, v.ResourceID, target.noun)
		}
		if err != nil {
			return err
		}
		var avProject uuid.UUID
		err = tx.queryRow(ctx, `SELECT av.artifact_version_id, ver.project_id FROM artifact_visualizations av
			JOIN artifact_versions ver ON ver.id = av.artifact_version_id WHERE av.id = ?`, hexID(v.ArtifactVisualizationID)).
			Scan(dbID{&v.ArtifactVersionID}, dbID{&avProject})
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("Unable to get artifact visualization with ID '%s': No artifact visualization with this ID found", v.ArtifactVisualizationID)
		}
		if err != nil {
			return err
		}
		if avProject != v.ProjectID {
			return zen.Errorf(zen.EForbidden, "Curated visualizations must target the same project as the artifact visualization.")
		}
		if hexID(v.ProjectID) != resourceProject.String {
			return zen.Errorf(zen.EForbidden, "Resource %s with ID %s belongs to a different project than the curated visualization (project ID: %s).", v.ResourceType, v.ResourceID, v.ProjectID)
		}
		if err := tx.checkCuratedUnique(ctx, &v, true); err != nil {
			return err
		}
		v.ID, v.Created, v.Updated = uuid.New(), tx.now, tx.now
		_, err = tx.exec(ctx, `INSERT INTO curated_visualizations (id, project_id, artifact_visualization_id, artifact_version_id,
			resource_id, resource_type, display_name, display_order, layout_size, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(v.ID), hexID(v.ProjectID), hexID(v.ArtifactVisualizationID), hexID(v.ArtifactVersionID), hexID(v.ResourceID),
			v.ResourceType, v.DisplayName, v.DisplayOrder, v.LayoutSize, v.Created.Micros(), v.Updated.Micros())
		if err != nil {
			return err
		}
		out, err = tx.getCurated(ctx, v.ID)
		return err
	})
	return out, err
}

// checkCuratedUnique refuses a second link of the same visualization to the
// same resource (on create) and a display order already in use.
func (tx *Tx) checkCuratedUnique(ctx context.Context, v *zen.CuratedVisualization, creating bool) error {
	var n int
	if creating {
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM curated_visualizations WHERE artifact_visualization_id = ? AND resource_id = ? AND resource_type = ?`,
			hexID(v.ArtifactVisualizationID), hexID(v.ResourceID), v.ResourceType).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return zen.Errorf(zen.EConflict, "A curated visualization for this resource already exists for the specified artifact visualization.")
		}
	}
	if v.DisplayOrder == nil {
		return nil
	}
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM curated_visualizations WHERE resource_id = ? AND resource_type = ? AND display_order = ? AND id <> ?`,
		hexID(v.ResourceID), v.ResourceType, *v.DisplayOrder, hexID(v.ID)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return zen.Errorf(zen.EConflict, "A curated visualization for this resource already uses the display order '%d'. Please choose a different value.", *v.DisplayOrder)
	}
	return nil
}

// GetCurated finds a curated visualization with its artifact visualization.
func (db *DB) GetCurated(ctx context.Context, id uuid.UUID) (*zen.CuratedVisualization, error) {
	return readByID(ctx, db, id, (*Tx).getCurated)
}

func (tx *Tx) getCurated(ctx context.Context, id uuid.UUID) (*zen.CuratedVisualization, error) {
	av := &zen.ArtifactVisualization{}
	v, err := scanCurated(tx.queryRow(ctx, `SELECT `+curatedSelect+`, `+artifactVisualizationSelect+` FROM curated_visualizations cv
		JOIN artifact_visualizations av ON av.id = cv.artifact_visualization_id WHERE cv.id = ?`, hexID(id)),
		dbID{&av.ID}, dbID{&av.ArtifactVersionID}, &av.Type, &av.URI, dbTime{&av.Created}, dbTime{&av.Updated})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get curated visualization with ID '%s': No curated visualization with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	v.ArtifactVisualization = av
	return v, nil
}

// CuratedUpdate carries the fields an update changes; Clear* set a field
// to null.
type CuratedUpdate struct {
	DisplayName       *string
	ClearDisplayName  bool
	DisplayOrder      *int
	ClearDisplayOrder bool
	LayoutSize        *string
}

// UpdateCurated changes a curated visualization.
func (db *DB) UpdateCurated(ctx context.Context, id uuid.UUID, up CuratedUpdate) (*zen.CuratedVisualization, error) {
	var out *zen.CuratedVisualization
	err := db.write(ctx, func(tx *Tx) error {
		v, err := tx.getCurated(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		switch {
		case up.ClearDisplayName:
			set.addSQL("display_name = NULL")
		case up.DisplayName != nil:
			set.addSQL("display_name = ?", *up.DisplayName)
		}
		switch {
		case up.ClearDisplayOrder:
			set.addSQL("display_order = NULL")
		case up.DisplayOrder != nil:
			v.DisplayOrder = up.DisplayOrder
			if err := tx.checkCuratedUnique(ctx, v, false); err != nil {
				return err
			}
			set.addSQL("display_order = ?", *up.DisplayOrder)
		}
		if up.LayoutSize != nil {
			set.addSQL("layout_size = ?", *up.LayoutSize)
		}
		set.addSQL("updated = ?", tx.now.Micros())
		if _, err := tx.updateByID(ctx, "curated_visualizations", id, set); err != nil {
			return err
		}
		out, err = tx.getCurated(ctx, id)
		return err
	})
	return out, err
}

// DeleteCurated removes a curated visualization.
func (db *DB) DeleteCurated(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getCurated(ctx, id); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `DELETE FROM curated_visualizations WHERE id = ?`, hexID(id))
		return err
	})
}
