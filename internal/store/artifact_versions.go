package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
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
	RunMetadata    zen.Metadata
	Tags           []*zen.Tag
	User           *zen.User
	// The oldest completed step that lists the version as an output, and
	// its run.
	ProducerStepRunID *uuid.UUID
	ProducerRunID     *uuid.UUID
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
	var ids []uuid.UUID
	err := db.write(ctx, func(tx *Tx) error {
		ids = ids[:0]
		// The projects' counters are their hot rows. On MySQL they are
		// taken first, in one order: each insert's foreign-key check holds
		// a shared lock on its project, so taking them last would deadlock
		// parallel batches. Elsewhere they are taken last, so that they
		// stay locked only until the commit. The artifacts are taken in
		// the order of their names, so that batches never wait in a cycle.
		bumpProjects := func() error {
			perProject := map[uuid.UUID]int{}
			for _, req := range reqs {
				perProject[req.ProjectID]++
			}
			projects := make([]uuid.UUID, 0, len(perProject))
			for id := range perProject {
				projects = append(projects, id)
			}
			sort.Slice(projects, func(i, j int) bool { return hexID(projects[i]) < hexID(projects[j]) })
			for _, id := range projects {
				if _, err := tx.exec(ctx, `UPDATE projects SET artifact_version_count = artifact_version_count + ? WHERE id = ?`, perProject[id], hexID(id)); err != nil {
					return err
				}
			}
			return nil
		}
		countersFirst := tx.db.dialect.name == "mysql"
		if countersFirst {
			if err := bumpProjects(); err != nil {
				return err
			}
		}
		order := make([]int, len(reqs))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return reqs[order[a]].ArtifactName < reqs[order[b]].ArtifactName })
		made := make([]uuid.UUID, len(reqs))
		for _, i := range order {
			id, err := tx.createArtifactVersion(ctx, reqs[i])
			if err != nil {
				return err
			}
			made[i] = id
		}
		if !countersFirst {
			if err := bumpProjects(); err != nil {
				return err
			}
		}
		ids = made
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The answer is read after the commit, off the writer.
	var got map[uuid.UUID]*ArtifactVersion
	if err := db.read(ctx, func(tx *Tx) error {
		var err error
		got, err = tx.artifactVersionsByID(ctx, ids)
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]*ArtifactVersion, 0, len(ids))
	for _, id := range ids {
		out = append(out, got[id])
	}
	return out, nil
}

func (tx *Tx) createArtifactVersion(ctx context.Context, req NewArtifactVersion) (uuid.UUID, error) {
	av := req.ArtifactVersion
	if av.ArtifactStoreID != nil {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE id = ?`, hexID(*av.ArtifactStoreID)).Scan(&n); err != nil {
			return uuid.Nil, err
		}
		if n == 0 {
			return uuid.Nil, zen.NotFound("The artifact store with ID %s referenced by the artifact version being created was not found", *av.ArtifactStoreID)
		}
	}
	if av.ArtifactID == uuid.Nil {
		id, err := tx.artifactForName(ctx, av.ProjectID, av.ArtifactName, av.HasCustomName, av.UserID)
		if err != nil {
			return uuid.Nil, err
		}
		av.ArtifactID = id
	}
	// The artifact's row is locked while its next number is chosen, so
	// that parallel steps never pick the same one.
	err := tx.queryRow(ctx, `SELECT name FROM artifacts WHERE id = ?`+tx.db.dialect.forUpdate(), hexID(av.ArtifactID)).Scan(&av.ArtifactName)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, zen.NotFound("Unable to get artifact with ID '%s': No artifact with this ID found", av.ArtifactID)
	}
	if err != nil {
		return uuid.Nil, err
	}
	if req.RequestedVersion != nil {
		av.Version = *req.RequestedVersion
	} else {
		var n int64
		if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version_number), 0) FROM artifact_versions WHERE artifact_id = ?`, hexID(av.ArtifactID)).Scan(&n); err != nil {
			return uuid.Nil, err
		}
		av.Version = strconv.FormatInt(n+1, 10)
	}
	var number *int64
	if n, err := strconv.ParseInt(strings.TrimSpace(av.Version), 10, 64); err == nil {
		number = &n
	}
	av.ID = uuid.New()
	_, err = tx.exec(ctx, `INSERT INTO artifact_versions (id, artifact_id, version, version_number, project_id, user_id, type, uri, materializer,
		data_type, save_type, artifact_store_id, content_hash, item_count, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(av.ID), hexID(av.ArtifactID), av.Version, number, hexID(av.ProjectID), hexIDPtr(av.UserID), av.Type, av.URI, string(av.Materializer),
		string(av.DataType), av.SaveType, hexIDPtr(av.ArtifactStoreID), av.ContentHash, av.ItemCount, tx.now.Micros(), tx.now.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		return uuid.Nil, zen.Errorf(zen.EConflict, "Unable to create artifact version %s (version %s): An artifact with the same name and version already exists.", av.ArtifactName, av.Version)
	}
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE artifacts SET latest_version_id = ?, latest_activity = ? WHERE id = ?`, hexID(av.ID), tx.now.Micros(), hexID(av.ArtifactID)); err != nil {
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

// artifactForName finds the project's artifact of that name, or creates
// it. A custom name, once given, sticks.
func (tx *Tx) artifactForName(ctx context.Context, projectID uuid.UUID, name string, customName bool, userID *uuid.UUID) (uuid.UUID, error) {
	if utf8.RuneCountInString(name) > zen.MaxNameLength {
		return uuid.Nil, zen.TooLong("ArtifactRequest", "name", zen.MaxNameLength, name)
	}
	if err := checkEntityName("ArtifactRequest", "Artifact", name); err != nil {
		return uuid.Nil, err
	}
	var rows rowsBuilder
	rows.add(9, hexID(uuid.New()), name, hexID(projectID), customName, hexIDPtr(userID), nil, tx.now.Micros(), tx.now.Micros(), tx.now.Micros())
	made, err := tx.insertRows(ctx, "artifacts (id, name, project_id, has_custom_name, user_id, latest_version_id, latest_activity, created, updated)", rows, true)
	if err != nil {
		return uuid.Nil, err
	}
	if made > 0 {
		if err := tx.countArtifacts(ctx, projectID, made); err != nil {
			return uuid.Nil, err
		}
	}
	var id uuid.UUID
	var custom bool
	if err := tx.queryRow(ctx, `SELECT id, has_custom_name FROM artifacts WHERE project_id = ? AND name = ?`, hexID(projectID), name).Scan(dbID{&id}, &custom); err != nil {
		return uuid.Nil, err
	}
	if customName && !custom {
		if _, err := tx.exec(ctx, `UPDATE artifacts SET has_custom_name = ? WHERE id = ?`, true, hexID(id)); err != nil {
			return uuid.Nil, err
		}
	}
	return id, nil
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
			return artifactVersionNotFound(id)
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
	withRunMetadata(artifactVersionLinks, func(av *ArtifactVersion, m zen.Metadata) { av.RunMetadata = m }),
	withTags(artifactVersionLinks, func(av *ArtifactVersion, t []*zen.Tag) { av.Tags = t }),
	withUsers(ref[*ArtifactVersion, *zen.User]{func(av *ArtifactVersion) *uuid.UUID { return av.UserID }, func(av *ArtifactVersion, u *zen.User) { av.User = u }}),
	withProducers,
}

// withProducers finds each version's producer: the oldest completed step
// run that lists it as an output.
func withProducers(ctx context.Context, tx *Tx, items []*ArtifactVersion) error {
	byID := make(map[uuid.UUID]*ArtifactVersion, len(items))
	for _, av := range items {
		byID[av.ID] = av
	}
	rows, err := tx.query(ctx, `SELECT sra.artifact_version_id, s.id, s.pipeline_run_id FROM step_run_artifacts sra
		JOIN step_runs s ON s.id = sra.step_run_id
		WHERE sra.direction = 'output' AND s.status = 'completed' AND sra.artifact_version_id IN (`+placeholders(len(items))+`)
		ORDER BY s.created, s.id`, idArgs(artifactVersionLinks.ids(items))...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var avID, stepID, runID uuid.UUID
		if err := rows.Scan(dbID{&avID}, dbID{&stepID}, dbID{&runID}); err != nil {
			return err
		}
		if av := byID[avID]; av != nil && av.ProducerStepRunID == nil {
			av.ProducerStepRunID, av.ProducerRunID = &stepID, &runID
		}
	}
	return rows.Err()
}

// ArtifactVersionUpdate changes a version's tags (the reference accepts a
// name and ignores it).
type ArtifactVersionUpdate struct {
	AddTags, RemoveTags []TagRef
}

// UpdateArtifactVersion applies an update in one transaction.
func (db *DB) UpdateArtifactVersion(ctx context.Context, id uuid.UUID, up ArtifactVersionUpdate, userID *uuid.UUID) (*ArtifactVersion, error) {
	var out *ArtifactVersion
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE artifact_versions SET updated = ? WHERE id = ?`, tx.now.Micros(), hexID(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return artifactVersionNotFound(id)
		}
		if err := tx.retag(ctx, "artifact_version", id, up.AddTags, up.RemoveTags, userID); err != nil {
			return err
		}
		got, err := tx.artifactVersionsByID(ctx, []uuid.UUID{id})
		out = got[id]
		return err
	})
	return out, err
}

func artifactVersionNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get artifact version with ID '%s': No artifact version with this ID found", id)
}

// DeleteArtifactVersion removes a version that no step run uses, as the
// reference does; its artifact's newest version moves to the next newest.
func (db *DB) DeleteArtifactVersion(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		var artifactID, projectID uuid.UUID
		var used int
		err := tx.queryRow(ctx, `SELECT av.artifact_id, av.project_id, (SELECT COUNT(*) FROM step_run_artifacts sra WHERE sra.artifact_version_id = av.id)
			FROM artifact_versions av WHERE av.id = ?`, hexID(id)).Scan(dbID{&artifactID}, dbID{&projectID}, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return artifactVersionNotFound(id)
		}
		if err != nil {
			return err
		}
		if used > 0 {
			return zen.Errorf(zen.EInvalid, "The metadata of artifact versions that are used in runs cannot be deleted. Please delete all runs that use this artifact version first.")
		}
		if _, err := tx.deleteCascading(ctx, "artifact_versions", "id = ?", hexID(id)); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE projects SET artifact_version_count = artifact_version_count - 1 WHERE id = ?`, hexID(projectID)); err != nil {
			return err
		}
		return tx.refreshLatestVersion(ctx, artifactID)
	})
}

// refreshLatestVersion points an artifact at its newest version again.
func (tx *Tx) refreshLatestVersion(ctx context.Context, artifactID uuid.UUID) error {
	var latest *uuid.UUID
	var created *int64
	err := tx.queryRow(ctx, `SELECT av.id, av.created FROM artifact_versions av WHERE av.artifact_id = ? ORDER BY av.created DESC, av.id DESC LIMIT 1`,
		hexID(artifactID)).Scan(dbIDPtr{&latest}, &created)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE artifacts SET latest_version_id = ?, latest_activity = COALESCE(?, created) WHERE id = ?`, hexIDPtr(latest), created, hexID(artifactID))
	return err
}

var artifactVersionFilterColumns = func() map[string]column {
	cols := baseColumns("av")
	for _, c := range []string{"version", "uri", "materializer", "type", "data_type"} {
		cols[c] = column{expr: "av." + c, typ: filter.String}
	}
	cols["version_number"] = column{expr: "av.version_number", typ: filter.Int, nullable: true}
	cols["artifact_store_id"] = column{expr: "av.artifact_store_id", typ: filter.UUID, nullable: true}
	return cols
}()

// artifactVersionCustom renders the filters that look beyond the version's
// row: its artifact, its use by steps and runs, its models, its metadata.
func (d *dialect) artifactVersionCustom(c filter.Condition) (clause, bool) {
	// Each is an uncorrelated subquery of ids, so that the engine finds the
	// few matching rows through an index instead of testing every version.
	in := func(col, sub string, m clause) (clause, bool) {
		return clause{col + " IN (" + sub + m.sql + ")", m.args}, true
	}
	switch c.Field {
	case "artifact", "artifact_id":
		return in("av.artifact_id", "SELECT fa.id FROM artifacts fa WHERE ", d.nameOrIDMatch("fa", c))
	case "has_custom_name":
		return in("av.artifact_id", "SELECT fa.id FROM artifacts fa WHERE ", d.render(column{expr: "fa.has_custom_name", typ: filter.Bool}, c))
	case "pipeline_run":
		return in("av.id", "SELECT fsa.artifact_version_id FROM step_run_artifacts fsa JOIN step_runs fs ON fs.id = fsa.step_run_id JOIN pipeline_runs fr ON fr.id = fs.pipeline_run_id WHERE ",
			d.nameOrIDMatch("fr", c))
	case "model_version_id":
		return in("av.id", "SELECT fmva.artifact_version_id FROM model_version_artifacts fmva WHERE ", d.render(column{expr: "fmva.model_version_id", typ: filter.UUID}, c))
	case "model":
		return in("av.id", "SELECT fmva.artifact_version_id FROM model_version_artifacts fmva JOIN model_versions fmv ON fmv.id = fmva.model_version_id JOIN models fm ON fm.id = fmv.model_id WHERE ",
			d.nameOrIDMatch("fm", c))
	case "run_metadata":
		return d.runMetadataFilter("av.id", "artifact_version", c), true
	}
	return clause{}, false
}

// ListArtifactVersions lists a project's artifact versions. onlyUnused
// keeps those no step run uses.
func (db *DB) ListArtifactVersions(ctx context.Context, l *filter.List, scope ProjectScope, onlyUnused bool) (*zen.Page[*ArtifactVersion], error) {
	d := db.dialect
	spec := &listSpec{from: artifactVersionFrom, alias: "av", columns: artifactVersionFilterColumns,
		countFrom: func(*filter.List) string { return "artifact_versions av" },
		fastCount: func(tx *Tx, l *filter.List) (int, bool, error) {
			if len(l.Conditions) > 0 || scope.ScopeUser != nil || onlyUnused {
				return 0, false, nil
			}
			var n int
			err := tx.queryRow(ctx, `SELECT artifact_version_count FROM projects WHERE id = ?`, hexID(scope.ProjectID)).Scan(&n)
			return n, err == nil, err
		},
		custom: d.userScopedCustom("av.user_id", d.tagsCustom("av.id", "artifact_version", d.artifactVersionCustom)),
		sortKeys: map[string]sortKey{
			"user": userSortKey("av.user_id"),
			"tags": d.tagsSortKey("av.id", "artifact_version"),
		}}
	where := scope.clauses("av")
	if onlyUnused {
		where = append(where, clause{"NOT EXISTS (SELECT 1 FROM step_run_artifacts usa WHERE usa.artifact_version_id = av.id)", nil})
	}
	return listRows(ctx, db, spec, l, where, artifactVersionSelect, scanArtifactVersion, func(ctx context.Context, tx *Tx, items []*ArtifactVersion) error {
		return loadRelations(ctx, tx, items, artifactVersionRelations)
	})
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

// runMetadataOf loads the metadata of many resources, resolved as the
// reference resolves it (metadataEntries.resolve).
func (tx *Tx) runMetadataOf(ctx context.Context, resourceType string, ids []uuid.UUID) (map[uuid.UUID]zen.Metadata, error) {
	out := map[uuid.UUID]zen.Metadata{}
	if len(ids) == 0 {
		return out, nil
	}
	collected := map[uuid.UUID]*metadataEntries{}
	err := tx.each(ctx, `SELECT resource_id, mkey, value, created FROM run_metadata WHERE resource_type = ? AND resource_id IN (`+placeholders(len(ids))+`)
		ORDER BY id`, append([]any{resourceType}, idArgs(ids)...), func(rows *sql.Rows) error {
		var id uuid.UUID
		var key, value string
		var created int64
		if err := rows.Scan(dbID{&id}, &key, &value, &created); err != nil {
			return err
		}
		if collected[id] == nil {
			collected[id] = &metadataEntries{}
		}
		collected[id].add(key, value, created)
		return nil
	})
	for id, c := range collected {
		out[id] = c.resolve()
	}
	return out, err
}

// metadataEntries are one resource's metadata rows by key. The reference
// reads a resource's rows in the order of their ids (its index on the
// links ends with the metadata's id, and it gives no ORDER BY); zengo
// reads them by id too, and the importer gives the rows ids that keep the
// source's order.
type metadataEntries struct {
	keys    []string
	entries map[string][]metadataEntry
}

type metadataEntry struct {
	value   json.RawMessage
	created int64
}

func (m *metadataEntries) add(key, value string, created int64) {
	if m.entries == nil {
		m.entries = map[string][]metadataEntry{}
	}
	if _, ok := m.entries[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.entries[key] = append(m.entries[key], metadataEntry{json.RawMessage(value), created})
}

// resolve keeps a value per key, as the reference's
// resolve_metadata_collection: the newest one, or, when every value of
// the key is an object, their members merged oldest first.
func (m *metadataEntries) resolve() zen.Metadata {
	var out zen.Metadata
	for _, k := range m.keys {
		es := m.entries[k]
		sort.SliceStable(es, func(i, j int) bool { return es[i].created < es[j].created })
		allObjects := len(es) > 1
		for _, e := range es {
			if !bytes.HasPrefix(bytes.TrimSpace(e.value), []byte("{")) {
				allObjects = false
				break
			}
		}
		value := es[len(es)-1].value
		if allObjects {
			merged := jsonobj.New()
			for _, e := range es {
				if o, err := jsonobj.Parse(e.value); err == nil {
					for _, mk := range o.Keys() {
						v, _ := o.Get(mk)
						merged.Set(mk, v)
					}
				}
			}
			value = merged.JSON()
		}
		out.Set(k, value)
	}
	return out
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
	"schedule":         {"schedules", "schedule"},
	"wait_condition":   {"run_wait_conditions", "run wait condition"},
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

// PruneArtifactVersions deletes a project's versions that no step run
// uses and, unless onlyVersions, the project's artifacts left without
// versions: a few statements, whatever their number.
func (db *DB) PruneArtifactVersions(ctx context.Context, projectID uuid.UUID, onlyVersions bool) error {
	return db.write(ctx, func(tx *Tx) error {
		hid := hexID(projectID)
		unused := `project_id = ? AND NOT EXISTS (SELECT 1 FROM step_run_artifacts usa WHERE usa.artifact_version_id = artifact_versions.id)`
		// The artifacts that lose versions, to point them at their newest
		// remaining one afterwards.
		touched := `SELECT DISTINCT artifact_id FROM artifact_versions WHERE ` + unused
		rows, err := tx.query(ctx, touched, hid)
		if err != nil {
			return err
		}
		var artifacts []uuid.UUID
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(dbID{&id}); err != nil {
				rows.Close()
				return err
			}
			artifacts = append(artifacts, id)
		}
		rows.Close()
		n, err := tx.deleteCascading(ctx, "artifact_versions", unused, hid)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE projects SET artifact_version_count = artifact_version_count - ? WHERE id = ?`, n, hid); err != nil {
			return err
		}
		if len(artifacts) > 0 {
			if _, err := tx.exec(ctx, `UPDATE artifacts SET latest_version_id = (SELECT av.id FROM artifact_versions av WHERE av.artifact_id = artifacts.id ORDER BY av.created DESC, av.id DESC LIMIT 1),
				latest_activity = COALESCE((SELECT MAX(av.created) FROM artifact_versions av WHERE av.artifact_id = artifacts.id), created)
				WHERE id IN (`+placeholders(len(artifacts))+`)`, idArgs(artifacts)...); err != nil {
				return err
			}
		}
		if onlyVersions {
			return nil
		}
		gone, err := tx.deleteCascading(ctx, "artifacts", `project_id = ? AND NOT EXISTS (SELECT 1 FROM artifact_versions av WHERE av.artifact_id = artifacts.id)`, hid)
		if err != nil {
			return err
		}
		return tx.countArtifacts(ctx, projectID, -gone)
	})
}
