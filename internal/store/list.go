package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// listSpec describes how one resource's list request becomes SQL.
type listSpec struct {
	// from is the FROM clause with the resource's table aliased, plus any
	// join the filters and sort keys need.
	from string
	// alias of the resource's table, e.g. "p".
	alias string
	// columns maps generic filter fields to SQL expressions.
	columns map[string]column
	// custom renders the resource's special fields (user, tags, ...); it
	// reports false for fields it does not own.
	custom func(c filter.Condition) (clause, bool)
	// sortKeys maps custom sort keys to SQL expressions. Nullable keys sort
	// NULLs first ascending and last descending, as SQLite does.
	sortKeys map[string]sortKey
	// fastCount, when it reports ok, answers the total without a COUNT
	// (from a maintained counter).
	fastCount func(tx *Tx, l *filter.List) (n int, ok bool, err error)
	// countFrom, when set, is a lighter FROM clause for the count: the
	// joins that only serve the page's columns left out.
	countFrom func(l *filter.List) string
	// order, when set, replaces the request's sort: the reference ignores
	// sort_by for lists it fetches itself (service connectors).
	order string
}

// deepOffset is the offset from which a page first selects the ids of its
// rows on the index alone, then the rows: skipping rows is then cheap.
const deepOffset = 500

type sortKey struct {
	expr     string
	nullable bool
	// join is extra FROM text needed only when sorting by this key.
	join string
}

// page runs one list: one COUNT for the exact total and one query for the
// rows of the page; scan reads each row. scope holds the conditions that
// are always AND-ed (project, scope_user, ...); the request's conditions
// are combined with its logical operator.
func (t *Tx) page(ctx context.Context, spec *listSpec, l *filter.List, scope []clause, selectCols string, scan func(*sql.Rows) error) (zen.PageInfo, error) {
	where, err := t.db.dialect.where(spec, l, scope)
	if err != nil {
		return zen.PageInfo{}, err
	}
	whereSQL := ""
	if where.sql != "" {
		whereSQL = " WHERE " + where.sql
	}

	info := zen.PageInfo{Index: l.Page, MaxSize: l.Size}
	counted := false
	if spec.fastCount != nil {
		n, ok, err := spec.fastCount(t, l)
		if err != nil {
			return info, err
		}
		info.Total, counted = n, ok
	}
	if !counted {
		from := spec.from
		if spec.countFrom != nil {
			from = spec.countFrom(l)
		}
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM "+from+whereSQL, where.args...).Scan(&info.Total); err != nil {
			return info, err
		}
	}
	info.TotalPages = (info.Total + l.Size - 1) / l.Size
	if info.Total == 0 {
		info.TotalPages = 1
	}
	if l.Page > info.TotalPages {
		return info, zen.Errorf(zen.EInvalid, "Invalid page %s. The requested page size is %d and there are a total of %d items for this query. The maximum page value therefore is %d.", l.PageLabel(), l.Size, info.Total, info.TotalPages)
	}
	if info.Total == 0 {
		return info, nil
	}

	order, join, err := t.orderBy(spec, l)
	if err != nil {
		return info, err
	}
	if spec.order != "" {
		order, join = spec.order, ""
	}
	from := spec.from + join
	q := "SELECT " + selectCols + " FROM " + from + whereSQL + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	args := append(append([]any{}, where.args...), l.Size, l.Offset())
	if l.Offset() >= deepOffset {
		// Find the page's ids first (the skipped rows are never read),
		// then read those rows in the same order.
		ids := "SELECT " + spec.alias + ".id FROM " + from + whereSQL + " ORDER BY " + order + " LIMIT ? OFFSET ?"
		q = "SELECT " + selectCols + " FROM " + from + " JOIN (" + ids + ") pg ON pg.id = " + spec.alias + ".id ORDER BY " + order
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return info, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return info, err
		}
	}
	return info, rows.Err()
}

// where renders a list's WHERE condition (without the keyword; empty when
// there is none): scope AND-ed with the request's conditions, which are
// combined with its logical operator. Lists and the aggregates over a
// list's rows (run statistics) share it, so a filter means the same thing
// in both.
func (d *dialect) where(spec *listSpec, l *filter.List, scope []clause) (clause, error) {
	var where conditions
	for _, s := range scope {
		where.add(s)
	}
	var userConds conditions
	for _, c := range l.Conditions {
		if spec.custom != nil {
			if cl, ok := spec.custom(c); ok {
				userConds.add(cl)
				continue
			}
		}
		col, ok := spec.columns[c.Field]
		if !ok {
			return clause{}, fmt.Errorf("list: field %q has no column", c.Field)
		}
		userConds.add(d.render(col, c))
	}
	op := "AND"
	if l.Or {
		op = "OR"
	}
	if len(userConds.parts) > 0 {
		where.add(userConds.join(op))
	}
	return clause{strings.Join(where.parts, " AND "), where.args}, nil
}

// orderBy renders the sort with the id tie-breaker in the same direction,
// so that paging is stable and the order can follow an index.
func (t *Tx) orderBy(spec *listSpec, l *filter.List) (order, join string, err error) {
	dir := " ASC"
	if l.SortDesc {
		dir = " DESC"
	}
	id := spec.alias + ".id" + dir
	if l.SortField == "id" {
		return id, "", nil
	}
	k, ok := spec.sortKeys[l.SortField]
	if !ok {
		col, ok := spec.columns[l.SortField]
		if !ok {
			return "", "", fmt.Errorf("list: sort key %q has no column", l.SortField)
		}
		k = sortKey{expr: col.expr, nullable: col.nullable}
	}
	nulls := ""
	if k.nullable {
		nulls = t.db.dialect.nullsOrder(l.SortDesc)
	}
	return k.expr + dir + nulls + ", " + id, k.join, nil
}

// baseColumns are the filter columns every resource has.
func baseColumns(alias string) map[string]column {
	return map[string]column{
		"id":      {expr: alias + ".id", typ: filter.UUID},
		"created": {expr: alias + ".created", typ: filter.Datetime},
		"updated": {expr: alias + ".updated", typ: filter.Datetime},
	}
}

// listRows runs a list in a read transaction: it scans each row with scan,
// then, if load is given, fills the page's relations in batches.
func listRows[T any](ctx context.Context, db *DB, spec *listSpec, l *filter.List, scope []clause, selectCols string,
	scan func(interface{ Scan(...any) error }) (T, error), load func(context.Context, *Tx, []T) error) (*zen.Page[T], error) {
	var out *zen.Page[T]
	err := db.read(ctx, func(tx *Tx) error {
		out = &zen.Page[T]{Items: []T{}}
		info, err := tx.page(ctx, spec, l, scope, selectCols, func(rows *sql.Rows) error {
			item, err := scan(rows)
			if err == nil {
				out.Items = append(out.Items, item)
			}
			return err
		})
		out.PageInfo = info
		if err != nil || load == nil {
			return err
		}
		return load(ctx, tx, out.Items)
	})
	return out, err
}
