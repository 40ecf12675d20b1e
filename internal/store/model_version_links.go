package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// A model version links the artifact versions and the runs that belong to
// it. Creating a link that exists answers the existing one.

// ModelVersionLink is one link of a model version to an artifact version
// or a run. Created is false when the link existed already.
type ModelVersionLink struct {
	ID               uuid.UUID
	ModelVersionID   uuid.UUID
	TargetID         uuid.UUID
	Created, Updated zen.Time
	New              bool

	ArtifactVersion *ArtifactVersion
	Run             *zen.Run
}

// linkKind is one of the two link tables.
type linkKind struct {
	table, column string
	// targetTable holds the linked rows; notFound names a missing one.
	targetTable string
	notFound    func(uuid.UUID) error
}

var (
	artifactLinkKind = linkKind{"model_version_artifacts", "artifact_version_id", "artifact_versions", artifactVersionNotFound}
	runLinkKind      = linkKind{"model_version_runs", "pipeline_run_id", "pipeline_runs", func(id uuid.UUID) error {
		return zen.NotFound("Unable to get pipeline run with ID '%s': No pipeline run with this ID found", id)
	}}
)

func scanLink(row interface{ Scan(...any) error }) (*ModelVersionLink, error) {
	l := &ModelVersionLink{}
	err := row.Scan(dbID{&l.ID}, dbID{&l.ModelVersionID}, dbID{&l.TargetID}, dbTime{&l.Created}, dbTime{&l.Updated})
	return l, err
}

func (k linkKind) selectCols() string {
	return "ml.id, ml.model_version_id, ml." + k.column + ", ml.created, ml.updated"
}

// link creates (or finds) a link, after checking both ends exist.
func (tx *Tx) link(ctx context.Context, k linkKind, modelVersionID, targetID uuid.UUID) (*ModelVersionLink, error) {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM model_versions WHERE id = ?`, hexID(modelVersionID)).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, modelVersionNotFound(modelVersionID)
	}
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+k.targetTable+` WHERE id = ?`, hexID(targetID)).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, k.notFound(targetID)
	}
	var rows rowsBuilder
	rows.add(5, hexID(uuid.New()), hexID(modelVersionID), hexID(targetID), tx.now.Micros(), tx.now.Micros())
	written, err := tx.insertRows(ctx, k.table+" (id, model_version_id, "+k.column+", created, updated)", rows, true)
	if err != nil {
		return nil, err
	}
	l, err := scanLink(tx.queryRow(ctx, `SELECT `+k.selectCols()+` FROM `+k.table+` ml WHERE ml.model_version_id = ? AND ml.`+k.column+` = ?`,
		hexID(modelVersionID), hexID(targetID)))
	if err != nil {
		return nil, err
	}
	l.New = written > 0
	return l, tx.loadLinkTargets(ctx, k, []*ModelVersionLink{l})
}

// LinkArtifactVersion links an artifact version to a model version.
func (db *DB) LinkArtifactVersion(ctx context.Context, modelVersionID, artifactVersionID uuid.UUID) (*ModelVersionLink, error) {
	var out *ModelVersionLink
	err := db.write(ctx, func(tx *Tx) (err error) {
		out, err = tx.link(ctx, artifactLinkKind, modelVersionID, artifactVersionID)
		return err
	})
	return out, err
}

// LinkRun links a pipeline run to a model version.
func (db *DB) LinkRun(ctx context.Context, modelVersionID, runID uuid.UUID) (*ModelVersionLink, error) {
	var out *ModelVersionLink
	err := db.write(ctx, func(tx *Tx) (err error) {
		out, err = tx.link(ctx, runLinkKind, modelVersionID, runID)
		return err
	})
	return out, err
}

// loadLinkTargets loads the linked artifact versions or runs of a page of
// links with one batch.
func (tx *Tx) loadLinkTargets(ctx context.Context, k linkKind, links []*ModelVersionLink) error {
	ids := make([]uuid.UUID, len(links))
	for i, l := range links {
		ids[i] = l.TargetID
	}
	if k.table == artifactLinkKind.table {
		avs, err := byIDs(ctx, tx, `SELECT `+artifactVersionSelect+` FROM `+artifactVersionFrom+` WHERE av.id`, ids, scanArtifactVersion,
			func(v *ArtifactVersion) uuid.UUID { return v.ID })
		for _, l := range links {
			l.ArtifactVersion = avs[l.TargetID]
		}
		return err
	}
	runs, err := byIDs(ctx, tx, `SELECT `+runSelect+` FROM pipeline_runs r WHERE r.id`, ids, scanRun, func(r *zen.Run) uuid.UUID { return r.ID })
	for _, l := range links {
		l.Run = runs[l.TargetID]
	}
	return err
}

// ListModelVersionLinks lists links of one kind with their filters:
// artifact links filter by artifact name, custom name, the artifact
// version's kind and user; run links by run name and the run's user.
func (db *DB) ListModelVersionLinks(ctx context.Context, runs bool, l *filter.List, flags map[string]bool) (*zen.Page[*ModelVersionLink], error) {
	d := db.dialect
	k, target, alias := artifactLinkKind, "artifact_versions", "lav"
	if runs {
		k, target, alias = runLinkKind, "pipeline_runs", "lr"
	}
	cols := baseColumns("ml")
	cols["model_version_id"] = column{expr: "ml.model_version_id", typ: filter.UUID}
	cols[k.column] = column{expr: "ml." + k.column, typ: filter.UUID}
	var where []clause
	custom := func(c filter.Condition) (clause, bool) {
		switch c.Field {
		case "artifact_name":
			m := d.render(column{expr: "fa.name", typ: filter.String}, c)
			return clause{"EXISTS (SELECT 1 FROM artifact_versions fav JOIN artifacts fa ON fa.id = fav.artifact_id WHERE fav.id = ml.artifact_version_id AND " + m.sql + ")", m.args}, true
		case "has_custom_name":
			m := d.render(column{expr: "fa.has_custom_name", typ: filter.Bool}, c)
			return clause{"EXISTS (SELECT 1 FROM artifact_versions fav JOIN artifacts fa ON fa.id = fav.artifact_id WHERE fav.id = ml.artifact_version_id AND " + m.sql + ")", m.args}, true
		case "pipeline_run_name":
			m := d.render(column{expr: "fr.name", typ: filter.String}, c)
			return clause{"EXISTS (SELECT 1 FROM pipeline_runs fr WHERE fr.id = ml.pipeline_run_id AND " + m.sql + ")", m.args}, true
		case "user":
			return d.userFilter(alias+".user_id", c), true
		}
		return clause{}, false
	}
	switch {
	case flags["only_data_artifacts"]:
		where = append(where, clause{"lav.type NOT IN ('ServiceArtifact', 'ModelArtifact')", nil})
	case flags["only_model_artifacts"]:
		where = append(where, clause{"lav.type = 'ModelArtifact'", nil})
	case flags["only_deployment_artifacts"]:
		where = append(where, clause{"lav.type = 'ServiceArtifact'", nil})
	}
	from := k.table + " ml JOIN " + target + " " + alias + " ON " + alias + ".id = ml." + k.column
	spec := &listSpec{from: from, alias: "ml", columns: cols, custom: custom}
	return listRows(ctx, db, spec, l, where, k.selectCols(), scanLink, func(ctx context.Context, tx *Tx, items []*ModelVersionLink) error {
		if len(items) == 0 {
			return nil
		}
		return tx.loadLinkTargets(ctx, k, items)
	})
}

// UnlinkArtifactVersions removes a model version's artifact links and,
// unless onlyLinks, the artifact versions they linked.
func (db *DB) UnlinkArtifactVersions(ctx context.Context, modelVersionID uuid.UUID, onlyLinks bool) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getModelVersion(ctx, modelVersionID); err != nil {
			return err
		}
		if !onlyLinks {
			linked := `id IN (SELECT artifact_version_id FROM model_version_artifacts WHERE model_version_id = ?)`
			if _, err := tx.exec(ctx, `UPDATE projects SET artifact_version_count = artifact_version_count -
				(SELECT COUNT(*) FROM artifact_versions av WHERE av.project_id = projects.id AND av.`+linked+`)`, hexID(modelVersionID)); err != nil {
				return err
			}
			if _, err := tx.deleteCascading(ctx, "artifact_versions", linked, hexID(modelVersionID)); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, `DELETE FROM model_version_artifacts WHERE model_version_id = ?`, hexID(modelVersionID))
		return err
	})
}

// Unlink removes one link of a model version, named by the link's id or by
// the linked artifact's (run's) name.
func (db *DB) Unlink(ctx context.Context, runs bool, modelVersionID uuid.UUID, nameOrID string) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getModelVersion(ctx, modelVersionID); err != nil {
			return err
		}
		k, byName := artifactLinkKind, `SELECT ml.id FROM model_version_artifacts ml JOIN artifact_versions av ON av.id = ml.artifact_version_id
			JOIN artifacts a ON a.id = av.artifact_id WHERE ml.model_version_id = ? AND a.name = ? ORDER BY ml.created, ml.id LIMIT 1`
		notFound := "Unable to delete model version link with name or ID `%s`: No model version link with this name found."
		if runs {
			k, byName = runLinkKind, `SELECT ml.id FROM model_version_runs ml JOIN pipeline_runs r ON r.id = ml.pipeline_run_id
				WHERE ml.model_version_id = ? AND r.name = ? ORDER BY ml.created, ml.id LIMIT 1`
			notFound = "Unable to delete model version link with name `%s`: No model version link with this name found."
		}
		var linkID uuid.UUID
		var err error
		if id, perr := uuid.Parse(nameOrID); perr == nil {
			err = tx.queryRow(ctx, `SELECT id FROM `+k.table+` WHERE model_version_id = ? AND id = ?`, hexID(modelVersionID), hexID(id)).Scan(dbID{&linkID})
		} else {
			err = tx.queryRow(ctx, byName, hexID(modelVersionID), nameOrID).Scan(dbID{&linkID})
		}
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound(notFound, nameOrID)
		}
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM `+k.table+` WHERE id = ?`, hexID(linkID))
		return err
	})
}
