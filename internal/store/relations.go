package store

import (
	"context"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// Batched loading of the relations a page of resources shows: one query
// per relation, whatever the page size.

func idArgs(ids []uuid.UUID) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = hexID(id)
	}
	return args
}

// uniqueIDs drops nils and repeats.
func uniqueIDs(ids ...*uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if id != nil && !seen[*id] {
			seen[*id] = true
			out = append(out, *id)
		}
	}
	return out
}

// byIDs reads the rows whose id is in ids with one query; selectWhereID
// is the query up to the column to match ("SELECT ... FROM t x WHERE x.id").
func byIDs[T any](ctx context.Context, tx *Tx, selectWhereID string, ids []uuid.UUID, scan func(interface{ Scan(...any) error }) (T, error), key func(T) uuid.UUID) (map[uuid.UUID]T, error) {
	out := make(map[uuid.UUID]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.query(ctx, selectWhereID+" IN ("+placeholders(len(ids))+")", idArgs(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out[key(item)] = item
	}
	return out, rows.Err()
}

func (tx *Tx) usersByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.User, error) {
	return byIDs(ctx, tx, `SELECT `+userSelect+` FROM users u WHERE u.id`, ids,
		func(r interface{ Scan(...any) error }) (*zen.User, error) { return scanUser(r) },
		func(u *zen.User) uuid.UUID { return u.ID })
}

// tagsOf loads the tags of many resources of one type, each list sorted by
// tag name as the reference shows them.
func (tx *Tx) tagsOf(ctx context.Context, resourceType string, ids []uuid.UUID) (map[uuid.UUID][]*zen.Tag, error) {
	out := make(map[uuid.UUID][]*zen.Tag, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{resourceType}, idArgs(ids)...)
	rows, err := tx.query(ctx, `SELECT `+tagSelect+`, tr.resource_id FROM tag_resources tr JOIN tags t ON t.id = tr.tag_id
		WHERE tr.resource_type = ? AND tr.resource_id IN (`+placeholders(len(ids))+`) ORDER BY t.name, t.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var resourceID uuid.UUID
		t, err := scanTag(rows, dbID{&resourceID})
		if err != nil {
			return nil, err
		}
		out[resourceID] = append(out[resourceID], t)
	}
	return out, rows.Err()
}

// visualizationsOf loads the curated visualizations of many resources of
// one type, ordered by display_order with unordered ones first.
func (tx *Tx) visualizationsOf(ctx context.Context, resourceType string, ids []uuid.UUID) (map[uuid.UUID][]*zen.CuratedVisualization, error) {
	out := make(map[uuid.UUID][]*zen.CuratedVisualization, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{resourceType}, idArgs(ids)...)
	rows, err := tx.query(ctx, `SELECT `+curatedSelect+` FROM curated_visualizations cv
		WHERE cv.resource_type = ? AND cv.resource_id IN (`+placeholders(len(ids))+`)
		ORDER BY (cv.display_order IS NULL) DESC, cv.display_order, cv.created, cv.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanCurated(rows)
		if err != nil {
			return nil, err
		}
		out[v.ResourceID] = append(out[v.ResourceID], v)
	}
	return out, rows.Err()
}

// componentsByID loads components (with their flavors) by id.
func (tx *Tx) componentsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.Component, error) {
	return byIDs(ctx, tx, `SELECT `+componentSelect+` FROM `+componentFrom+` WHERE c.id`, ids,
		func(r interface{ Scan(...any) error }) (*zen.Component, error) { return scanComponent(r) },
		func(c *zen.Component) uuid.UUID { return c.ID })
}
