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
// rows of the page (or the page alone when it carries the total, see
// hasTrigramMatch); scan reads each row. scope holds the conditions that
// are always AND-ed (project, scope_user, ...); the request's conditions
// are combined with its logical operator.
func (t *Tx) page(ctx context.Context, spec *listSpec, l *filter.List, scope []clause, selectCols string, scan func(interface{ Scan(...any) error }) error) (zen.PageInfo, error) {
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
	// A trigram-indexed pattern filter costs one index match per
	// statement: the page then carries the total itself (a window count
	// over the same rows), and the match runs once.
	shared := !counted && t.db.dialect.hasTrigramMatch(spec, l)
	if !counted && !shared {
		from := spec.from
		if spec.countFrom != nil {
			from = spec.countFrom(l)
		}
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM "+from+whereSQL, where.args...).Scan(&info.Total); err != nil {
			return info, err
		}
	}
	if !shared {
		if err := checkPage(&info, l); err != nil || info.Total == 0 {
			return info, err
		}
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
	switch {
	case shared:
		// The ids of the page with the total of all matching rows (a
		// window count over the ids alone: the joins of the page's
		// columns are not made for every match), then the page's rows.
		ids := "SELECT " + spec.alias + ".id, COUNT(*) OVER () AS total_rows FROM " + from + whereSQL + " ORDER BY " + order + " LIMIT ? OFFSET ?"
		q = "SELECT " + selectCols + ", pg.total_rows FROM " + from + " JOIN (" + ids + ") pg ON pg.id = " + spec.alias + ".id ORDER BY " + order
		if t.db.dialect.name == "postgres" {
			// A plan for these parameters: a prepared statement's generic
			// plan guesses the pattern's selectivity and may walk the
			// sort index through every row instead of the trigram index.
			if _, err := t.exec(ctx, "SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
				return info, err
			}
		}
	case l.Offset() >= deepOffset:
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
	var row interface{ Scan(...any) error } = rows
	if shared {
		row = totalScanner{rows, &info.Total}
	}
	n := 0
	for rows.Next() {
		n++
		if err := scan(row); err != nil {
			return info, err
		}
	}
	if err := rows.Err(); err != nil || !shared {
		return info, err
	}
	if n == 0 && l.Page > 1 {
		// Past the last page: the error names the total, which the empty
		// page did not carry.
		rows.Close()
		from := spec.from
		if spec.countFrom != nil {
			from = spec.countFrom(l)
		}
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM "+from+whereSQL, where.args...).Scan(&info.Total); err != nil {
			return info, err
		}
	}
	return info, checkPage(&info, l)
}

// checkPage sets the page count from the total and refuses a page past the
// last one.
func checkPage(info *zen.PageInfo, l *filter.List) error {
	info.TotalPages = (info.Total + l.Size - 1) / l.Size
	if info.Total == 0 {
		info.TotalPages = 1
	}
	if l.Page > info.TotalPages {
		return zen.Errorf(zen.EInvalid, "Invalid page %s. The requested page size is %d and there are a total of %d items for this query. The maximum page value therefore is %d.", l.PageLabel(), l.Size, info.Total, info.TotalPages)
	}
	return nil
}

// totalScanner reads a row of a page that carries the list's total in its
// last column.
type totalScanner struct {
	rows  *sql.Rows
	total *int
}

func (s totalScanner) Scan(dest ...any) error {
	return s.rows.Scan(append(dest, s.total)...)
}

// hasTrigramMatch reports whether a list's conditions include a pattern
// filter answered through a trigram index (SQLite's FTS5 table,
// PostgreSQL's pg_trgm index): the index match is the costly part of such
// a list, so the count and the page share it.
func (d *dialect) hasTrigramMatch(spec *listSpec, l *filter.List) bool {
	if d.name != "sqlite" && d.name != "postgres" {
		return false
	}
	for _, c := range l.Conditions {
		col, ok := spec.columns[c.Field]
		if ok && col.trigram != nil && (c.Op == filter.Contains || c.Op == filter.StartsWith || c.Op == filter.EndsWith) {
			if v, ok := c.Value.(string); ok && trigramMatch(v) != "" {
				return true
			}
		}
	}
	return false
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
		info, err := tx.page(ctx, spec, l, scope, selectCols, func(rows interface{ Scan(...any) error }) error {
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
