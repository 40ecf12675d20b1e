package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// ArtifactVersion is a stored output of a step (or a manual save): the
// artifact it belongs to, where it lives and how to load it.
type ArtifactVersion struct {
	ID              uuid.UUID
	ArtifactID      uuid.UUID
	ArtifactName    string
	ArtifactCreated zen.Time
	ArtifactUpdated zen.Time
	ArtifactUserID  *uuid.UUID
	Version         string
	ProjectID       uuid.UUID
	UserID          *uuid.UUID
	Type            string
	URI             string
	// Materializer and DataType are the client's source objects, as JSON.
	Materializer    json.RawMessage
	DataType        json.RawMessage
	SaveType        string
	ArtifactStoreID *uuid.UUID
	ContentHash     *string
	ItemCount       *int64
	HasCustomName   bool
	Created         zen.Time
	Updated         zen.Time

	Visualizations []*zen.ArtifactVisualization
	RunMetadata    map[string]json.RawMessage
	Tags           []*zen.Tag
	User           *zen.User
}

// NewArtifactVersion is what creating one stores: the version (nil takes
// the artifact's next number), visualizations, metadata and tags.
type NewArtifactVersion struct {
	ArtifactVersion
	RequestedVersion *string
	Visualizations   []struct{ Type, URI string }
	Metadata         map[string]json.RawMessage
	Tags             []TagRef
}

const artifactVersionSelect = `av.id, av.artifact_id, a.name, a.created, a.updated, a.user_id, av.version, av.project_id, av.user_id,
	av.type, av.uri, av.materializer, av.data_type, av.save_type, av.artifact_store_id, av.content_hash, av.item_count,
	a.has_custom_name, av.created, av.updated`

const artifactVersionFrom = `artifact_versions av JOIN artifacts a ON a.id = av.artifact_id`

func scanArtifactVersion(row interface{ Scan(...any) error }) (*ArtifactVersion, error) {
	v := &ArtifactVersion{}
	err := row.Scan(dbID{&v.ID}, dbID{&v.ArtifactID}, &v.ArtifactName, dbTime{&v.ArtifactCreated}, dbTime{&v.ArtifactUpdated},
		dbIDPtr{&v.ArtifactUserID}, &v.Version, dbID{&v.ProjectID}, dbIDPtr{&v.UserID}, &v.Type, &v.URI,
		dbJSON{&v.Materializer, "null"}, dbJSON{&v.DataType, "null"}, &v.SaveType, dbIDPtr{&v.ArtifactStoreID},
		&v.ContentHash, &v.ItemCount, &v.HasCustomName, dbTime{&v.Created}, dbTime{&v.Updated})
	return v, err
}

// CreateArtifactVersions stores versions in one transaction, each under the
// artifact its name names (created on first use), and returns them in order.
func (db *DB) CreateArtifactVersions(ctx context.Context, reqs []NewArtifactVersion) ([]*ArtifactVersion, error) {
	var out []*ArtifactVersion
	err := db.write(ctx, func(tx *Tx) error {
		out = out[:0]
		ids := make([]uuid.UUID, 0, len(reqs))
		for _, req := range reqs {
			id, err := tx.createArtifactVersion(ctx, req)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		got, err := tx.artifactVersionsByID(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			out = append(out, got[id])
		}
		return nil
	})
	return out, err
}

func (tx *Tx) createArtifactVersion(ctx context.Context, req NewArtifactVersion) (uuid.UUID, error) {
	av := req.ArtifactVersion
	err := tx.queryRow(ctx, `SELECT id FROM artifacts WHERE project_id = ? AND name = ?`, hexID(av.ProjectID), av.ArtifactName).Scan(dbID{&av.ArtifactID})
	if errors.Is(err, sql.ErrNoRows) {
		if utf8.RuneCountInString(av.ArtifactName) > zen.MaxNameLength {
			return uuid.Nil, zen.TooLong("ArtifactRequest", "name", zen.MaxNameLength, av.ArtifactName)
		}
		av.ArtifactID = uuid.New()
		_, err = tx.exec(ctx, `INSERT INTO artifacts (id, name, project_id, has_custom_name, user_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			hexID(av.ArtifactID), av.ArtifactName, hexID(av.ProjectID), av.HasCustomName, hexIDPtr(av.UserID), tx.now.Micros(), tx.now.Micros())
	}
	if err != nil {
		return uuid.Nil, err
	}
	if req.RequestedVersion != nil {
		av.Version = *req.RequestedVersion
	} else {
		// The next number: one more than the highest numeric version.
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM artifact_versions WHERE artifact_id = ?`, hexID(av.ArtifactID)).Scan(&n); err != nil {
			return uuid.Nil, err
		}
		av.Version = fmt.Sprint(n + 1)
	}
	av.ID = uuid.New()
	_, err = tx.exec(ctx, `INSERT INTO artifact_versions (id, artifact_id, version, project_id, user_id, type, uri, materializer,
		data_type, save_type, artifact_store_id, content_hash, item_count, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(av.ID), hexID(av.ArtifactID), av.Version, hexID(av.ProjectID), hexIDPtr(av.UserID), av.Type, av.URI, string(av.Materializer),
		string(av.DataType), av.SaveType, hexIDPtr(av.ArtifactStoreID), av.ContentHash, av.ItemCount, tx.now.Micros(), tx.now.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		return uuid.Nil, zen.Errorf(zen.EConflict, "Unable to create artifact version %s: An artifact version with the same version already exists for artifact %s.", av.Version, av.ArtifactName)
	}
	if err != nil {
		return uuid.Nil, err
	}
	var visualizations rowsBuilder
	for i, v := range req.Visualizations {
		visualizations.add(7, hexID(uuid.New()), hexID(av.ID), v.Type, v.URI, i, tx.now.Micros(), tx.now.Micros())
	}
	if _, err := tx.insertRows(ctx, "artifact_visualizations (id, artifact_version_id, type, uri, position, created, updated)", visualizations, false); err != nil {
		return uuid.Nil, err
	}
	if err := tx.addRunMetadata(ctx, "artifact_version", av.ID, req.Metadata, nil, av.UserID); err != nil {
		return uuid.Nil, err
	}
	return av.ID, tx.attachTags(ctx, "artifact_version", av.ID, req.Tags, av.UserID)
}

// GetArtifactVersion finds a version with its visualizations and metadata.
func (db *DB) GetArtifactVersion(ctx context.Context, id uuid.UUID) (*ArtifactVersion, error) {
	var out *ArtifactVersion
	err := db.read(ctx, func(tx *Tx) error {
		got, err := tx.artifactVersionsByID(ctx, []uuid.UUID{id})
		if err != nil {
			return err
		}
		if out = got[id]; out == nil {
			return zen.NotFound("Unable to get artifact version with ID '%s': No artifact version with this ID found", id)
		}
		return nil
	})
	return out, err
}

// artifactVersionsByID loads versions with their relations: five
// statements for any number.
func (tx *Tx) artifactVersionsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*ArtifactVersion, error) {
	out, err := byIDs(ctx, tx, `SELECT `+artifactVersionSelect+` FROM `+artifactVersionFrom+` WHERE av.id`, ids, scanArtifactVersion,
		func(v *ArtifactVersion) uuid.UUID { return v.ID })
	if err != nil || len(out) == 0 {
		return out, err
	}
	items := make([]*ArtifactVersion, 0, len(out))
	for _, av := range out {
		items = append(items, av)
	}
	return out, loadRelations(ctx, tx, items, artifactVersionRelations)
}

var artifactVersionLinks = polymorphic[*ArtifactVersion]{"artifact_version", func(av *ArtifactVersion) uuid.UUID { return av.ID }}

var artifactVersionRelations = []relation[*ArtifactVersion]{
	withArtifactVisualizations,
	withRunMetadata(artifactVersionLinks, func(av *ArtifactVersion, m map[string]json.RawMessage) { av.RunMetadata = m }),
	withTags(artifactVersionLinks, func(av *ArtifactVersion, t []*zen.Tag) { av.Tags = t }),
	withUsers(ref[*ArtifactVersion, *zen.User]{func(av *ArtifactVersion) *uuid.UUID { return av.UserID }, func(av *ArtifactVersion, u *zen.User) { av.User = u }}),
}

// withArtifactVisualizations loads the visualizations stored with each
// version, in the order they were given.
func withArtifactVisualizations(ctx context.Context, tx *Tx, items []*ArtifactVersion) error {
	byID := make(map[uuid.UUID]*ArtifactVersion, len(items))
	for _, av := range items {
		byID[av.ID] = av
	}
	rows, err := tx.query(ctx, `SELECT `+artifactVisualizationSelect+` FROM artifact_visualizations av
		WHERE av.artifact_version_id IN (`+placeholders(len(items))+`) ORDER BY av.position, av.id`, idArgs(artifactVersionLinks.ids(items))...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanArtifactVisualization(rows)
		if err != nil {
			return err
		}
		if av := byID[v.ArtifactVersionID]; av != nil {
			av.Visualizations = append(av.Visualizations, v)
		}
	}
	return rows.Err()
}

// addRunMetadata records key-value metadata of a resource.
func (tx *Tx) addRunMetadata(ctx context.Context, resourceType string, resourceID uuid.UUID, values map[string]json.RawMessage, types map[string]string, userID *uuid.UUID) error {
	var rows rowsBuilder
	for key, value := range values {
		typ := types[key]
		if typ == "" {
			typ = "str"
		}
		rows.add(8, hexID(uuid.New()), hexID(resourceID), resourceType, key, string(value), typ, hexIDPtr(userID), tx.now.Micros())
	}
	_, err := tx.insertRows(ctx, "run_metadata (id, resource_id, resource_type, mkey, value, type, user_id, created)", rows, false)
	return err
}

// runMetadataOf loads the metadata of many resources; a key set twice
// keeps its newest value.
func (tx *Tx) runMetadataOf(ctx context.Context, resourceType string, ids []uuid.UUID) (map[uuid.UUID]map[string]json.RawMessage, error) {
	out := map[uuid.UUID]map[string]json.RawMessage{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.query(ctx, `SELECT resource_id, mkey, value FROM run_metadata WHERE resource_type = ? AND resource_id IN (`+placeholders(len(ids))+`)
		ORDER BY created, id`, append([]any{resourceType}, idArgs(ids)...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var key, value string
		if err := rows.Scan(dbID{&id}, &key, &value); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]json.RawMessage{}
		}
		out[id][key] = json.RawMessage(value)
	}
	return out, rows.Err()
}

// RunMetadataEntry is one POST /run_metadata: values for resources.
type RunMetadataEntry struct {
	Resources []struct {
		ID   uuid.UUID
		Type string
	}
	StackComponentID *uuid.UUID
	Values           map[string]json.RawMessage
	Types            map[string]string
	UserID           *uuid.UUID
}

// metadataTargets are the resources metadata can be recorded for: their
// table (none: zengo keeps no such resource yet) and the reference's
// words when one is missing.
var metadataTargets = map[string]struct{ table, noun string }{
	"pipeline_run":     {"pipeline_runs", "pipeline run"},
	"step_run":         {"step_runs", "step run"},
	"artifact_version": {"artifact_versions", "artifact version"},
	"model_version":    {"", "model version"},
	"schedule":         {"", "schedule"},
	"wait_condition":   {"", "run wait condition"},
}

// AddRunMetadata records metadata for each named resource, after checking
// that every one of them exists.
func (db *DB) AddRunMetadata(ctx context.Context, e RunMetadataEntry) error {
	return db.write(ctx, func(tx *Tx) error {
		for _, r := range e.Resources {
			target := metadataTargets[r.Type]
			n := 0
			if target.table != "" {
				if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+target.table+` WHERE id = ?`, hexID(r.ID)).Scan(&n); err != nil {
					return err
				}
			}
			if n == 0 {
				return zen.NotFound("Unable to get %[1]s with ID '%[2]s': No %[1]s with this ID found", target.noun, r.ID)
			}
		}
		for _, r := range e.Resources {
			if err := tx.addRunMetadata(ctx, r.Type, r.ID, e.Values, e.Types, e.UserID); err != nil {
				return err
			}
		}
		return nil
	})
}
