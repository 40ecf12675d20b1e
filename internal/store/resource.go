package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// What resources share is declared, not written again per resource: a
// resource lists its relations (who made it, its tags, its run metadata,
// its curated visualizations, ...) and loadRelations fills them for a whole
// page with one query per relation, whatever the page size.

// relation fills one relation of a page of items.
type relation[T any] func(ctx context.Context, tx *Tx, items []T) error

// loadRelations fills every relation of items, in order (a relation may
// use what an earlier one loaded).
func loadRelations[T any](ctx context.Context, tx *Tx, items []T, rels []relation[T]) error {
	if len(items) == 0 {
		return nil
	}
	for _, rel := range rels {
		if err := rel(ctx, tx, items); err != nil {
			return err
		}
	}
	return nil
}

// ref is one row an item names by id (its creator, its pipeline, the
// user of its latest run, ...) and where the item keeps it.
type ref[T, R any] struct {
	id  func(T) *uuid.UUID
	set func(T, R)
}

// withRows loads every row the items name through refs with one call of
// load (one query), and gives each item its rows.
func withRows[T, R any](load func(*Tx, context.Context, []uuid.UUID) (map[uuid.UUID]R, error), refs ...ref[T, R]) relation[T] {
	return func(ctx context.Context, tx *Tx, items []T) error {
		ids := make([]*uuid.UUID, 0, len(items)*len(refs))
		for _, it := range items {
			for _, f := range refs {
				ids = append(ids, f.id(it))
			}
		}
		rows, err := load(tx, ctx, uniqueIDs(ids...))
		if err != nil {
			return err
		}
		for _, it := range items {
			for _, f := range refs {
				if id := f.id(it); id != nil {
					if row, ok := rows[*id]; ok {
						f.set(it, row)
					}
				}
			}
		}
		return nil
	}
}

// withUsers loads the users the items name.
func withUsers[T any](refs ...ref[T, *zen.User]) relation[T] {
	return withRows((*Tx).usersByID, refs...)
}

// polymorphic describes how an item is addressed by polymorphic rows: the
// resource type they name it by and its id.
type polymorphic[T any] struct {
	linkType string
	id       func(T) uuid.UUID
}

func (p polymorphic[T]) ids(items []T) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = p.id(it)
	}
	return out
}

// withLinked loads what polymorphic rows hold for the items (their tags,
// run metadata, curated visualizations) with one call of load.
func withLinked[T, V any](p polymorphic[T], load func(*Tx, context.Context, string, []uuid.UUID) (map[uuid.UUID]V, error), set func(T, V)) relation[T] {
	return func(ctx context.Context, tx *Tx, items []T) error {
		got, err := load(tx, ctx, p.linkType, p.ids(items))
		if err != nil {
			return err
		}
		for _, it := range items {
			set(it, got[p.id(it)])
		}
		return nil
	}
}

// withTags loads the items' tags, each list sorted by name.
func withTags[T any](p polymorphic[T], set func(T, []*zen.Tag)) relation[T] {
	return withLinked(p, (*Tx).tagsOf, set)
}

// withRunMetadata loads the items' run metadata (newest value per key).
func withRunMetadata[T any](p polymorphic[T], set func(T, zen.Metadata)) relation[T] {
	return withLinked(p, (*Tx).runMetadataOf, set)
}

// withCurated loads the items' curated visualizations.
func withCurated[T any](p polymorphic[T], set func(T, []*zen.CuratedVisualization)) relation[T] {
	return withLinked(p, (*Tx).visualizationsOf, set)
}

// getRow reads the one row a query finds and fills its relations; no row
// is the notFound error.
func getRow[T any](ctx context.Context, tx *Tx, query string, args []any, scan func(interface{ Scan(...any) error }) (T, error),
	notFound error, rels []relation[T]) (T, error) {
	item, err := scan(tx.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return item, notFound
	}
	if err != nil {
		return item, err
	}
	return item, loadRelations(ctx, tx, []T{item}, rels)
}

// readByID runs one lookup by id in a read transaction: the body of every
// Get method.
func readByID[T any](ctx context.Context, db *DB, id uuid.UUID, get func(*Tx, context.Context, uuid.UUID) (T, error)) (T, error) {
	var out T
	err := db.read(ctx, func(tx *Tx) (err error) {
		out, err = get(tx, ctx, id)
		return err
	})
	return out, err
}

// checkName answers the reference's 409 when another row of table (not
// except) has the name in the project; kind names the resource in the
// message. It looks before writing: on PostgreSQL a failed insert ends the
// transaction, and the message needs the project's name.
func (tx *Tx) checkName(ctx context.Context, table, kind, verb, name string, projectID, except uuid.UUID) error {
	var project string
	var taken int
	err := tx.queryRow(ctx, `SELECT p.name, (SELECT COUNT(*) FROM `+table+` t WHERE t.project_id = p.id AND t.name = ? AND t.id <> ?) FROM projects p WHERE p.id = ?`,
		name, hexID(except), hexID(projectID)).Scan(&project, &taken)
	if err != nil || taken == 0 {
		return err
	}
	return zen.Errorf(zen.EConflict, "Unable to %s the requested %s with name '%s': Found another existing %s with the same name in the '%s' project.", verb, kind, name, kind, project)
}

// checkReference answers the reference's 404 when a project-scoped row a
// new resource names (its run, its step, an artifact version) is missing
// from the resource's project; projectLabel is the project as the request
// named it, which the message repeats.
func (tx *Tx) checkReference(ctx context.Context, table, refKind string, id uuid.UUID, kind string, projectID uuid.UUID, projectLabel string) error {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ? AND project_id = ?`, hexID(id), hexID(projectID)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return zen.NotFound("The %s with ID %s referenced by the %s being created was not found in the '%s' project", refKind, id, kind, projectLabel)
	}
	return nil
}

// updateByID applies set (the changed columns) to one row of table.
func (tx *Tx) updateByID(ctx context.Context, table string, id uuid.UUID, set conditions) (sql.Result, error) {
	return tx.exec(ctx, "UPDATE "+table+" SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...)
}

// trailing scans a row whose last columns are extra ones, after what the
// scanner it is given to reads.
type trailing struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (t trailing) Scan(dest ...any) error { return t.row.Scan(append(dest, t.extra...)...) }
