package store

import (
	"context"
	"database/sql"
	"errors"
	"unicode/utf8"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Artifact is a named output of a project's pipelines (or a manual save);
// its versions hold the data. Its newest version is kept on the row.
type Artifact struct {
	ID                uuid.UUID
	Name              string
	ProjectID         uuid.UUID
	UserID            *uuid.UUID
	HasCustomName     bool
	LatestVersionID   *uuid.UUID
	LatestVersionName *string
	Created, Updated  zen.Time

	User *zen.User
	Tags []*zen.Tag
}

const artifactSelect = `a.id, a.name, a.project_id, a.user_id, a.has_custom_name, a.latest_version_id, lv.version, a.created, a.updated`

const artifactFrom = `artifacts a LEFT JOIN artifact_versions lv ON lv.id = a.latest_version_id`

func scanArtifact(row interface{ Scan(...any) error }) (*Artifact, error) {
	a := &Artifact{}
	err := row.Scan(dbID{&a.ID}, &a.Name, dbID{&a.ProjectID}, dbIDPtr{&a.UserID}, &a.HasCustomName, dbIDPtr{&a.LatestVersionID},
		&a.LatestVersionName, dbTime{&a.Created}, dbTime{&a.Updated})
	return a, err
}

var artifactLinks = polymorphic[*Artifact]{"artifact", func(a *Artifact) uuid.UUID { return a.ID }}

var artifactRelations = []relation[*Artifact]{
	withUsers(ref[*Artifact, *zen.User]{func(a *Artifact) *uuid.UUID { return a.UserID }, func(a *Artifact, u *zen.User) { a.User = u }}),
	withTags(artifactLinks, func(a *Artifact, t []*zen.Tag) { a.Tags = t }),
}

func artifactNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get artifact with ID '%s': No artifact with this ID found", id)
}

func (tx *Tx) getArtifact(ctx context.Context, id uuid.UUID) (*Artifact, error) {
	a, err := scanArtifact(tx.queryRow(ctx, `SELECT `+artifactSelect+` FROM `+artifactFrom+` WHERE a.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, artifactNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return a, loadRelations(ctx, tx, []*Artifact{a}, artifactRelations)
}

// GetArtifact finds an artifact with its creator, tags and newest version.
func (db *DB) GetArtifact(ctx context.Context, id uuid.UUID) (*Artifact, error) {
	return readByID(ctx, db, id, (*Tx).getArtifact)
}

// artifactRace is the 409 of a name taken between the check and the write.
func artifactRace(name string) error {
	return zen.Errorf(zen.EConflict, "Unable to create the requested artifact with name '%s': Found another existing artifact with the same name.", name)
}

// CreateArtifact stores an artifact without versions, with its tags.
func (db *DB) CreateArtifact(ctx context.Context, a Artifact, tags []TagRef) (*Artifact, error) {
	if err := checkEntityName("ArtifactRequest", "Artifact", a.Name); err != nil {
		return nil, err
	}
	var out *Artifact
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkName(ctx, "artifacts", "artifact", "create", a.Name, a.ProjectID, uuid.Nil); err != nil {
			return err
		}
		a.ID = uuid.New()
		_, err := tx.exec(ctx, `INSERT INTO artifacts (id, name, project_id, has_custom_name, user_id, latest_activity, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hexID(a.ID), a.Name, hexID(a.ProjectID), a.HasCustomName, hexIDPtr(a.UserID),
			tx.now.Micros(), tx.now.Micros(), tx.now.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return artifactRace(a.Name)
		}
		if err != nil {
			return err
		}
		if err := tx.countArtifacts(ctx, a.ProjectID, 1); err != nil {
			return err
		}
		if err := tx.attachTags(ctx, "artifact", a.ID, tags, a.UserID); err != nil {
			return err
		}
		out, err = tx.getArtifact(ctx, a.ID)
		return err
	})
	return out, err
}

// ArtifactUpdate changes an artifact: a new name (which makes the name
// custom), the custom-name flag, and tags.
type ArtifactUpdate struct {
	Name          *string
	HasCustomName *bool
	AddTags       []TagRef
	RemoveTags    []TagRef
}

// countArtifacts moves a project's maintained number of artifacts.
func (tx *Tx) countArtifacts(ctx context.Context, projectID uuid.UUID, delta int64) error {
	_, err := tx.exec(ctx, `UPDATE projects SET artifact_count = artifact_count + ? WHERE id = ?`, delta, hexID(projectID))
	return err
}

// UpdateArtifact applies an update in one transaction.
func (db *DB) UpdateArtifact(ctx context.Context, id uuid.UUID, up ArtifactUpdate, userID *uuid.UUID) (*Artifact, error) {
	var out *Artifact
	err := db.write(ctx, func(tx *Tx) error {
		a, err := tx.getArtifact(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Name != nil && *up.Name != "" && *up.Name != a.Name {
			if utf8.RuneCountInString(*up.Name) > zen.MaxNameLength {
				return zen.TooLong("ArtifactUpdate", "name", zen.MaxNameLength, *up.Name)
			}
			if err := tx.checkName(ctx, "artifacts", "artifact", "update", *up.Name, a.ProjectID, uuid.Nil); err != nil {
				return err
			}
			set.addSQL("name = ?", *up.Name)
			set.addSQL("has_custom_name = ?", true)
		}
		if up.HasCustomName != nil {
			set.addSQL("has_custom_name = ?", *up.HasCustomName)
		}
		_, err = tx.updateByID(ctx, "artifacts", id, set)
		if tx.db.dialect.isUniqueViolation(err) {
			return artifactRace(*up.Name)
		}
		if err != nil {
			return err
		}
		if err := tx.retag(ctx, "artifact", id, up.AddTags, up.RemoveTags, userID); err != nil {
			return err
		}
		out, err = tx.getArtifact(ctx, id)
		return err
	})
	return out, err
}

// DeleteArtifact removes an artifact with all its versions, as the
// reference does: whether runs used them or not.
func (db *DB) DeleteArtifact(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		var projectID string
		var versions int
		err := tx.queryRow(ctx, `SELECT a.project_id, (SELECT COUNT(*) FROM artifact_versions av WHERE av.artifact_id = a.id) FROM artifacts a WHERE a.id = ?`,
			hexID(id)).Scan(&projectID, &versions)
		if errors.Is(err, sql.ErrNoRows) {
			return artifactNotFound(id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE projects SET artifact_version_count = artifact_version_count - ?, artifact_count = artifact_count - 1 WHERE id = ?`,
			versions, projectID); err != nil {
			return err
		}
		_, err = tx.deleteCascading(ctx, "artifacts", "id = ?", hexID(id))
		return err
	})
}

var artifactFilterColumns = func() map[string]column {
	cols := baseColumns("a")
	cols["name"] = column{expr: "a.name", typ: filter.String}
	cols["has_custom_name"] = column{expr: "a.has_custom_name", typ: filter.Bool}
	return cols
}()

// ListArtifacts lists a project's artifacts.
func (db *DB) ListArtifacts(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*Artifact], error) {
	d := db.dialect
	spec := &listSpec{from: artifactFrom, alias: "a", columns: artifactFilterColumns,
		countFrom: func(*filter.List) string { return "artifacts a" },
		// The project's maintained count answers the unfiltered total.
		fastCount: func(tx *Tx, l *filter.List) (int, bool, error) {
			if len(l.Conditions) > 0 || scope.ScopeUser != nil {
				return 0, false, nil
			}
			var n int
			err := tx.queryRow(ctx, `SELECT artifact_count FROM projects WHERE id = ?`, hexID(scope.ProjectID)).Scan(&n)
			return n, err == nil, err
		},
		custom: d.userScopedCustom("a.user_id", d.tagsCustom("a.id", "artifact", nil)),
		sortKeys: map[string]sortKey{
			"user":           userSortKey("a.user_id"),
			"tags":           d.tagsSortKey("a.id", "artifact"),
			"latest_version": {expr: "a.latest_activity"},
		}}
	return listRows(ctx, db, spec, l, scope.clauses("a"), artifactSelect, scanArtifact, func(ctx context.Context, tx *Tx, items []*Artifact) error {
		return loadRelations(ctx, tx, items, artifactRelations)
	})
}
