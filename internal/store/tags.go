package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

const tagSelect = `t.id, t.name, t.color, t.exclusive, t.user_id, t.created, t.updated`

func scanTag(row interface{ Scan(...any) error }, extra ...any) (*zen.Tag, error) {
	t := &zen.Tag{}
	dest := []any{dbID{&t.ID}, &t.Name, &t.Color, &t.Exclusive, dbIDPtr{&t.UserID}, dbTime{&t.Created}, dbTime{&t.Updated}}
	err := row.Scan(append(dest, extra...)...)
	return t, err
}

// tagWithCount reads a tag with its number of links and its creator's id.
const tagCountSelect = tagSelect + `, (SELECT COUNT(*) FROM tag_resources c WHERE c.tag_id = t.id)`

func scanTagWithCount(row interface{ Scan(...any) error }) (*zen.Tag, error) {
	var n int
	t, err := scanTag(row, &n)
	if t != nil {
		t.TaggedCount = n
	}
	return t, err
}

// RandomTagColor picks a color as the reference does when none is given.
func RandomTagColor() string { return zen.TagColors[rand.IntN(len(zen.TagColors))] }

// nameForbidden are the characters a new entity's name may not hold (the
// reference's validate_name).
const nameForbidden = "\t\n\r\v\f"

// checkTagName applies the store-level name rules of a new tag.
func checkTagName(name string) error {
	if utf8.RuneCountInString(name) > zen.MaxNameLength {
		return zen.TooLong("TagRequest", "name", zen.MaxNameLength, name)
	}
	return checkEntityName("TagRequest", "Tag", name)
}

// checkEntityName is the reference's validate_name for a request class and
// the entity it names: a name must be set and hold no forbidden character.
func checkEntityName(requestClass, entity, name string) error {
	if name == "" {
		return zen.Errorf(zen.EInvalid, "The class `%s` has no attribute `name` or it is set to `None`. Cannot validate the name.", requestClass)
	}
	var bad []string
	for _, c := range nameForbidden {
		if strings.ContainsRune(name, c) {
			bad = append(bad, string(c))
		}
	}
	if len(bad) > 0 {
		return zen.Errorf(zen.EInvalid, "The name `%s` of the `%s` contains the following forbidden characters: `%s`.", name, entity, strings.Join(bad, ", "))
	}
	return nil
}

// CreateTag stores a new tag.
func (db *DB) CreateTag(ctx context.Context, t zen.Tag) (*zen.Tag, error) {
	if err := checkTagName(t.Name); err != nil {
		return nil, err
	}
	err := db.write(ctx, func(tx *Tx) error {
		t.ID, t.Created, t.Updated = uuid.New(), tx.now, tx.now
		_, err := tx.exec(ctx, `INSERT INTO tags (id, name, color, exclusive, user_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			hexID(t.ID), t.Name, t.Color, t.Exclusive, hexIDPtr(t.UserID), t.Created.Micros(), t.Updated.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Tag with name `%s` already exists.", t.Name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// GetTag finds a tag by id, with its link count and creator.
func (db *DB) GetTag(ctx context.Context, id uuid.UUID) (*zen.Tag, error) {
	var out *zen.Tag
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.getTag(ctx, id)
		if err != nil {
			return err
		}
		return tx.loadTagUsers(ctx, []*zen.Tag{out})
	})
	return out, err
}

func (tx *Tx) getTag(ctx context.Context, id uuid.UUID) (*zen.Tag, error) {
	t, err := scanTagWithCount(tx.queryRow(ctx, `SELECT `+tagCountSelect+` FROM tags t WHERE t.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get tag with ID '%s': No tag with this ID found", id)
	}
	return t, err
}

func (tx *Tx) loadTagUsers(ctx context.Context, tags []*zen.Tag) error {
	ids := make([]*uuid.UUID, len(tags))
	for i, t := range tags {
		ids[i] = t.UserID
	}
	users, err := tx.usersByID(ctx, uniqueIDs(ids...))
	if err != nil {
		return err
	}
	for _, t := range tags {
		if t.UserID != nil {
			t.User = users[*t.UserID]
		}
	}
	return nil
}

// TagUpdate carries the fields an update changes.
type TagUpdate struct {
	Name      *string
	Color     *string
	Exclusive *bool
}

// UpdateTag changes a tag. Making a tag exclusive is refused while its
// links break the exclusivity rules.
func (db *DB) UpdateTag(ctx context.Context, id uuid.UUID, up TagUpdate) (*zen.Tag, error) {
	var out *zen.Tag
	err := db.write(ctx, func(tx *Tx) error {
		current, err := tx.getTag(ctx, id)
		if err != nil {
			return err
		}
		if up.Exclusive != nil && *up.Exclusive && !current.Exclusive {
			if err := tx.checkCanBeExclusive(ctx, current); err != nil {
				return err
			}
		}
		var set conditions
		if up.Name != nil {
			set.addSQL("name = ?", *up.Name)
		}
		if up.Color != nil {
			set.addSQL("color = ?", *up.Color)
		}
		if up.Exclusive != nil {
			set.addSQL("exclusive = ?", *up.Exclusive)
		}
		set.addSQL("updated = ?", tx.now.Micros())
		_, err = tx.updateByID(ctx, "tags", id, set)
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Unable to update the requested tag with name '%s': Found another existing tag with the same name.", deref(up.Name))
		}
		if err != nil {
			return err
		}
		if out, err = tx.getTag(ctx, id); err != nil {
			return err
		}
		return tx.loadTagUsers(ctx, []*zen.Tag{out})
	})
	return out, err
}

// exclusiveScopes says, per resource type that may carry an exclusive tag,
// which column groups resources that share one exclusive tag.
var exclusiveScopes = map[string]struct{ table, column string }{
	"pipeline_run":      {"pipeline_runs", "pipeline_id"},
	"pipeline_snapshot": {"pipeline_snapshots", "pipeline_id"},
	"artifact_version":  {"artifact_versions", "artifact_id"},
}

// exclusiveAllowed lists the types an exclusive tag may sit on.
var exclusiveAllowed = map[string]bool{"pipeline_run": true, "pipeline_snapshot": true, "artifact_version": true, "run_template": true, "deployment": true}

func (tx *Tx) checkCanBeExclusive(ctx context.Context, t *zen.Tag) error {
	rows, err := tx.query(ctx, `SELECT DISTINCT resource_type FROM tag_resources WHERE tag_id = ? ORDER BY resource_type`, hexID(t.ID))
	if err != nil {
		return err
	}
	var disallowed []string
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			rows.Close()
			return err
		}
		if typ != "pipeline_run" && typ != "artifact_version" && typ != "run_template" && typ != "pipeline_snapshot" {
			disallowed = append(disallowed, typ)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var problems []string
	if len(disallowed) > 0 {
		problems = append(problems, "The tag `"+t.Name+"` cannot be made exclusive because it is associated with non-allowed resource types: "+strings.Join(disallowed, ", ")+". Exclusive tags can only be applied to pipeline runs, artifact versions, and run templates.")
	}
	for _, typ := range []string{"pipeline_run", "artifact_version", "pipeline_snapshot"} {
		scope := exclusiveScopes[typ]
		rows, err := tx.query(ctx, `SELECT r.`+scope.column+` FROM tag_resources tr JOIN `+scope.table+` r ON r.id = tr.resource_id
			WHERE tr.tag_id = ? AND tr.resource_type = ? GROUP BY r.`+scope.column+` HAVING COUNT(*) > 1 ORDER BY r.`+scope.column, hexID(t.ID), typ)
		if err != nil {
			return err
		}
		var dup []string
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(dbID{&id}); err != nil {
				rows.Close()
				return err
			}
			dup = append(dup, "UUID('"+id.String()+"')")
		}
		rows.Close()
		if len(dup) > 0 {
			problems = append(problems, "The tag `"+t.Name+"` is associated with multiple entries of `"+typ+"`s that share the same `"+scope.column+"`s: ["+strings.Join(dup, ", ")+"]")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return zen.Errorf(zen.EInvalid, "%s\nYou can only convert a tag into an exclusive tag if the conflicts mentioned above are resolved.", strings.Join(problems, "\n"))
}

// DeleteTag removes a tag and all its links.
func (db *DB) DeleteTag(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getTag(ctx, id); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `DELETE FROM tags WHERE id = ?`, hexID(id))
		return err
	})
}

var tagFilterColumns = func() map[string]column {
	cols := baseColumns("t")
	cols["name"] = column{expr: "t.name", typ: filter.String}
	cols["color"] = column{expr: "t.color", typ: filter.String}
	cols["exclusive"] = column{expr: "t.exclusive", typ: filter.Bool}
	return cols
}()

// ListTags lists tags.
func (db *DB) ListTags(ctx context.Context, l *filter.List, scopeUser *uuid.UUID) (*zen.Page[*zen.Tag], error) {
	spec := &listSpec{from: "tags t", alias: "t", columns: tagFilterColumns,
		custom: db.dialect.userScopedCustom("t.user_id", func(c filter.Condition) (clause, bool) {
			if c.Field != "resource_type" {
				return clause{}, false
			}
			// Compared literally: the reference applies no operator here.
			return clause{"EXISTS (SELECT 1 FROM tag_resources rt WHERE rt.tag_id = t.id AND rt.resource_type = ?)", []any{c.Text}}, true
		}),
		sortKeys: map[string]sortKey{"user": userSortKey("t.user_id")}}
	return listRows(ctx, db, spec, l, scopeUserClause("t.user_id", scopeUser), tagCountSelect, scanTagWithCount, func(ctx context.Context, tx *Tx, items []*zen.Tag) error {
		return tx.loadTagUsers(ctx, items)
	})
}

// TagRef names a tag to attach: a tag id (a string that parses as a UUID)
// or a name, created on the fly when unknown.
type TagRef = string

// attachTags links tags to one resource, with the reference's rules: ids
// must exist, unknown names become new tags (random color, not exclusive),
// and an exclusive tag moves from the resource's siblings (the other runs
// of the same pipeline, ...) or, on a type that cannot hold one, is refused.
// It costs a fixed number of statements whatever the number of tags.
func (tx *Tx) attachTags(ctx context.Context, resourceType string, resourceID uuid.UUID, refs []TagRef, userID *uuid.UUID) error {
	tags, err := tx.resolveTags(ctx, refs, userID, true)
	if err != nil || len(tags) == 0 {
		return err
	}
	for _, t := range tags {
		if !t.Exclusive {
			continue
		}
		if !exclusiveAllowed[resourceType] {
			return zen.Errorf(zen.EInvalid, "Can not attach exclusive tag to resource of type %s with ID: `%s`. Exclusive tag functionality only works for pipeline runs, pipeline snapshots, pipeline deployments and artifact versions", resourceType, resourceID)
		}
		if scope, ok := exclusiveScopes[resourceType]; ok {
			// The tag leaves the other resources of the same scope.
			if _, err := tx.exec(ctx, `DELETE FROM tag_resources WHERE tag_id = ? AND resource_type = ? AND resource_id <> ?
				AND resource_id IN (SELECT o.id FROM `+scope.table+` o JOIN `+scope.table+` me ON me.`+scope.column+` = o.`+scope.column+` WHERE me.id = ?)`,
				hexID(t.ID), resourceType, hexID(resourceID), hexID(resourceID)); err != nil {
				return err
			}
		}
	}
	return tx.linkTags(ctx, tags, resourceType, resourceID)
}

// linkTags inserts links, keeping those that exist.
func (tx *Tx) linkTags(ctx context.Context, tags []*zen.Tag, resourceType string, resourceID uuid.UUID) error {
	var rows rowsBuilder
	for _, t := range tags {
		rows.add(6, hexID(uuid.New()), hexID(t.ID), hexID(resourceID), resourceType, tx.now.Micros(), tx.now.Micros())
	}
	_, err := tx.insertRows(ctx, "tag_resources (id, tag_id, resource_id, resource_type, created, updated)", rows, true)
	return err
}

// resolveTags turns tag references into tags, in request order without
// repeats. With create set, unknown names become new tags.
func (tx *Tx) resolveTags(ctx context.Context, refs []TagRef, userID *uuid.UUID, create bool) ([]*zen.Tag, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	var ids []uuid.UUID
	var names []string
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		if id, err := uuid.Parse(r); err == nil {
			ids = append(ids, id)
		} else {
			names = append(names, r)
		}
	}
	var where conditions
	if len(ids) > 0 {
		where.addSQL("t.id IN ("+placeholders(len(ids))+")", idArgs(ids)...)
	}
	if len(names) > 0 {
		args := make([]any, len(names))
		for i, n := range names {
			args[i] = n
		}
		where.addSQL("t.name IN ("+placeholders(len(names))+")", args...)
	}
	w := where.join("OR")
	rows, err := tx.query(ctx, `SELECT `+tagSelect+` FROM tags t WHERE `+w.sql, w.args...)
	if err != nil {
		return nil, err
	}
	byID := map[uuid.UUID]*zen.Tag{}
	byName := map[string]*zen.Tag{}
	for rows.Next() {
		t, err := scanTag(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[t.ID], byName[t.Name] = t, t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*zen.Tag
	var missing []*zen.Tag
	seen = map[string]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		if id, err := uuid.Parse(r); err == nil {
			t := byID[id]
			if t == nil {
				return nil, zen.NotFound("Unable to get tag with ID '%s': No tag with this ID found", id)
			}
			out = append(out, t)
			continue
		}
		t := byName[r]
		if t == nil {
			if !create {
				continue
			}
			if err := checkTagName(r); err != nil {
				return nil, err
			}
			t = &zen.Tag{ID: uuid.New(), Name: r, Color: RandomTagColor(), UserID: userID, Created: tx.now, Updated: tx.now}
			byName[r] = t
			missing = append(missing, t)
		}
		out = append(out, t)
	}
	if len(missing) > 0 {
		var rows rowsBuilder
		for _, t := range missing {
			rows.add(7, hexID(t.ID), t.Name, t.Color, false, hexIDPtr(t.UserID), t.Created.Micros(), t.Updated.Micros())
		}
		// Another request may create the same tag at the same moment (on
		// engines with concurrent writers): keep whichever row won.
		n, err := tx.insertRows(ctx, "tags (id, name, color, exclusive, user_id, created, updated)", rows, true)
		if err != nil {
			return nil, err
		}
		if int(n) < len(missing) {
			return tx.resolveTags(ctx, refs, userID, false)
		}
	}
	return out, nil
}

// retag applies an update's tag changes to one resource: the additions
// first, then the removals, as the reference does (a tag in both lists
// ends up removed).
func (tx *Tx) retag(ctx context.Context, resourceType string, resourceID uuid.UUID, add, remove []TagRef, userID *uuid.UUID) error {
	if err := tx.attachTags(ctx, resourceType, resourceID, add, userID); err != nil {
		return err
	}
	return tx.detachTags(ctx, resourceType, resourceID, remove)
}

// detachTags removes links by tag name or id; unknown tags and missing
// links are skipped.
func (tx *Tx) detachTags(ctx context.Context, resourceType string, resourceID uuid.UUID, refs []TagRef) error {
	tags, err := tx.resolveTagsLenient(ctx, refs)
	if err != nil || len(tags) == 0 {
		return err
	}
	ids := make([]uuid.UUID, len(tags))
	for i, t := range tags {
		ids[i] = t.ID
	}
	args := append([]any{resourceType, hexID(resourceID)}, idArgs(ids)...)
	_, err = tx.exec(ctx, `DELETE FROM tag_resources WHERE resource_type = ? AND resource_id = ? AND tag_id IN (`+placeholders(len(ids))+`)`, args...)
	return err
}

// resolveTagsLenient finds the tags that exist among refs.
func (tx *Tx) resolveTagsLenient(ctx context.Context, refs []TagRef) ([]*zen.Tag, error) {
	var names []any
	for _, r := range refs {
		names = append(names, r)
	}
	if len(names) == 0 {
		return nil, nil
	}
	var idLike []any
	for _, r := range refs {
		if id, err := uuid.Parse(r); err == nil {
			idLike = append(idLike, hexID(id))
		}
	}
	q := `SELECT ` + tagSelect + ` FROM tags t WHERE t.name IN (` + placeholders(len(names)) + `)`
	args := names
	if len(idLike) > 0 {
		q += ` OR t.id IN (` + placeholders(len(idLike)) + `)`
		args = append(args, idLike...)
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*zen.Tag
	for rows.Next() {
		t, err := scanTag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TagLink is one link a tag_resources request names.
type TagLink struct {
	TagID        uuid.UUID
	ResourceID   uuid.UUID
	ResourceType string
}

// resourceTables maps taggable types that zengo stores to their tables.
var resourceTables = map[string]string{
	"pipeline":          "pipelines",
	"pipeline_run":      "pipeline_runs",
	"pipeline_snapshot": "pipeline_snapshots",
	"artifact_version":  "artifact_versions",
	"artifact":          "artifacts",
	"model":             "models",
	"model_version":     "model_versions",
}

// CreateTagLinks links tags to resources (POST /tag_resources[/batch]):
// every resource and tag is checked before anything is written; existing
// links are returned as they are.
func (db *DB) CreateTagLinks(ctx context.Context, links []TagLink) ([]*zen.TagResource, error) {
	var out []*zen.TagResource
	err := db.write(ctx, func(tx *Tx) error {
		for _, l := range links {
			if err := tx.requireResource(ctx, l.ResourceType, l.ResourceID); err != nil {
				return err
			}
		}
		seen := map[TagLink]bool{}
		for _, l := range links {
			if seen[l] {
				continue
			}
			seen[l] = true
			t, err := tx.getTag(ctx, l.TagID)
			if zen.IsNotFound(err) {
				return zen.NotFound("Unable to get tag with name or ID '%s': No tag with this ID found.", l.TagID)
			}
			if err != nil {
				return err
			}
			if err := tx.attachTags(ctx, l.ResourceType, l.ResourceID, []TagRef{t.ID.String()}, nil); err != nil {
				return err
			}
			link := &zen.TagResource{TagID: l.TagID, ResourceID: l.ResourceID, ResourceType: l.ResourceType}
			err = tx.queryRow(ctx, `SELECT id, created, updated FROM tag_resources WHERE tag_id = ? AND resource_id = ? AND resource_type = ?`,
				hexID(l.TagID), hexID(l.ResourceID), l.ResourceType).Scan(dbID{&link.ID}, dbTime{&link.Created}, dbTime{&link.Updated})
			if err != nil {
				return err
			}
			out = append(out, link)
		}
		return nil
	})
	return out, err
}

// requireResource checks that a taggable resource exists.
func (tx *Tx) requireResource(ctx context.Context, resourceType string, id uuid.UUID) error {
	table, ok := resourceTables[resourceType]
	if ok {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ?`, hexID(id)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return zen.NotFound("%s with ID `%s` not found.", resourceType, id)
}

// DeleteTagLinks removes links; missing ones are ignored.
func (db *DB) DeleteTagLinks(ctx context.Context, links []TagLink) error {
	return db.write(ctx, func(tx *Tx) error {
		for _, l := range links {
			if _, err := tx.exec(ctx, `DELETE FROM tag_resources WHERE tag_id = ? AND resource_id = ? AND resource_type = ?`,
				hexID(l.TagID), hexID(l.ResourceID), l.ResourceType); err != nil {
				return err
			}
		}
		return nil
	})
}
