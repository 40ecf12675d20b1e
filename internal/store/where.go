package store

import (
	"strings"
	"unicode/utf8"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// clause is a fragment of SQL with its bind arguments. Filter values only
// ever travel in args; column expressions come from the store's field
// tables, never from a request.
type clause struct {
	sql  string
	args []any
}

// conditions accumulates clauses and joins them with AND or OR.
type conditions struct {
	parts []string
	args  []any
}

func (c *conditions) add(cl clause) {
	c.parts = append(c.parts, cl.sql)
	c.args = append(c.args, cl.args...)
}

func (c *conditions) addSQL(sql string, args ...any) { c.add(clause{sql, args}) }

func (c *conditions) join(op string) clause {
	switch len(c.parts) {
	case 0:
		return clause{}
	case 1:
		return clause{c.parts[0], c.args}
	}
	return clause{"(" + strings.Join(c.parts, " "+op+" ") + ")", c.args}
}

// column maps a filter field to an SQL expression of the list's query.
type column struct {
	expr     string
	typ      filter.Type
	nullable bool
	// trigram, when set, names the trigram index of a text column, which
	// pattern filters use to find candidate rows (see textIndex).
	trigram *textIndex
}

// textIndex is a trigram index of one text column, declared on the
// column of the resource that has one. On SQLite it is an FTS5 table with
// the trigram tokenizer over the table's rowid (kept by triggers): a
// contains/startswith/endswith condition becomes the exact LIKE AND-ed
// with "rowid IN (FTS5 match of the pattern's literal runs)". The FTS5
// match folds case more widely than LIKE does (all of Unicode against
// ASCII), so it finds a superset of the rows and the LIKE decides: the
// answers are those of the LIKE alone. Patterns without a literal run of
// three characters between wildcards ('%', '_') keep the plain LIKE. On
// PostgreSQL the index is pg_trgm's over the same folded expression the
// LIKE uses, so the planner finds it without a change to the SQL; MySQL
// has none and scans.
type textIndex struct {
	table string // the FTS5 table (SQLite)
	rowid string // the rowid of the filtered table's row, e.g. "p.rowid"
}

// trigramMatch is the FTS5 query that a LIKE pattern's candidate rows
// match: every literal run of three or more characters, as a phrase.
// It is empty when there is no such run (or the text is not valid UTF-8).
func trigramMatch(pattern string) string {
	if !utf8.ValidString(pattern) || strings.ContainsRune(pattern, 0) {
		return ""
	}
	var phrases []string
	for _, run := range strings.FieldsFunc(pattern, func(r rune) bool { return r == '%' || r == '_' }) {
		if utf8.RuneCountInString(run) >= 3 {
			phrases = append(phrases, `"`+strings.ReplaceAll(run, `"`, `""`)+`"`)
		}
	}
	return strings.Join(phrases, " AND ")
}

// render turns one parsed filter condition on col into SQL, following the
// reference's semantics for the field's type.
func (d *dialect) render(col column, c filter.Condition) clause {
	e := col.expr
	switch c.Op {
	case filter.IsNull:
		return clause{e + " IS NULL", nil}
	case filter.IsNotNull:
		return clause{e + " IS NOT NULL", nil}
	}
	switch col.typ {
	case filter.String, filter.UUID:
		cl := d.renderText(e, c)
		if col.trigram != nil && d.name == "sqlite" && (c.Op == filter.Contains || c.Op == filter.StartsWith || c.Op == filter.EndsWith) {
			if m := trigramMatch(c.Value.(string)); m != "" {
				ix := col.trigram
				return clause{"(" + cl.sql + " AND " + ix.rowid + " IN (SELECT rowid FROM " + ix.table + " WHERE " + ix.table + " MATCH ?))", append(cl.args, m)}
			}
		}
		return cl
	case filter.Datetime:
		if c.Op == filter.In {
			r := c.Value.([2]zen.Time)
			return clause{e + " BETWEEN ? AND ?", []any{r[0].Micros(), r[1].Micros()}}
		}
		return clause{e + " " + sqlCompare[c.Op] + " ?", []any{c.Value.(zen.Time).Micros()}}
	case filter.Int, filter.Float:
		return clause{e + " " + sqlCompare[c.Op] + " ?", []any{c.Value}}
	case filter.Bool:
		return clause{e + " " + sqlCompare[c.Op] + " ?", []any{c.Value.(bool)}}
	}
	return clause{"1 = 0", nil}
}

var sqlCompare = map[filter.Op]string{
	filter.Equals: "=", filter.NotEquals: "<>",
	filter.GT: ">", filter.GTE: ">=", filter.LT: "<", filter.LTE: "<=",
}

// renderText covers string and UUID columns. Pattern operators use LIKE
// without escaping, as the reference does, so '%' and '_' in a value act as
// wildcards; they ignore ASCII case, equality does not.
func (d *dialect) renderText(e string, c filter.Condition) clause {
	if _, bad := c.Value.(filter.InvalidUUID); bad {
		if c.Op == filter.NotEquals {
			return clause{"1 = 1", nil}
		}
		return clause{"1 = 0", nil}
	}
	switch c.Op {
	case filter.Equals:
		return clause{e + " = ?", []any{c.Value}}
	case filter.NotEquals:
		return clause{e + " <> ?", []any{c.Value}}
	case filter.Contains:
		return clause{d.like(e, false), []any{"%" + c.Value.(string) + "%"}}
	case filter.NotContains:
		return clause{d.like(e, true), []any{"%" + c.Value.(string) + "%"}}
	case filter.StartsWith:
		return clause{d.like(e, false), []any{c.Value.(string) + "%"}}
	case filter.EndsWith:
		return clause{d.like(e, false), []any{"%" + c.Value.(string)}}
	case filter.OneOf, filter.NotOneOf:
		vals := c.Value.([]string)
		if len(vals) == 0 {
			// The reference drops an empty list: it matches everything.
			return clause{"1 = 1", nil}
		}
		args := make([]any, len(vals))
		for i, v := range vals {
			args[i] = v
		}
		marks := placeholders(len(vals))
		if c.Op == filter.OneOf {
			return clause{e + " IN (" + marks + ")", args}
		}
		return clause{e + " NOT IN (" + marks + ")", args}
	case filter.GT, filter.GTE, filter.LT, filter.LTE:
		// The reference casts the text to a number and also requires the
		// number to be non-zero ("col AND col > v").
		cast := d.castFloat(e)
		return clause{"(" + cast + " <> 0 AND " + cast + " " + sqlCompare[c.Op] + " ?)", []any{c.Value}}
	}
	return clause{"1 = 0", nil}
}
