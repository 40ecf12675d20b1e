package store

import (
	"strings"

	"zengo/internal/filter"
)

// Custom filters shared by several resources.

// nameOrIDMatch matches a row of table (aliased a) whose id, name or any of
// the extra text columns satisfies c, as the reference's "name or id"
// filters do: the id is compared as a UUID, the rest as text.
func (d *dialect) nameOrIDMatch(a string, c filter.Condition, extra ...string) clause {
	var match conditions
	if idc, ok := c.As(filter.UUID); ok {
		// A value that is no UUID matches no id: leave the id out rather
		// than OR-ing a constant false, which keeps the engine from using
		// an index on the names.
		if _, invalid := idc.Value.(filter.InvalidUUID); !invalid || c.Op != filter.Equals {
			match.add(d.render(column{expr: a + ".id", typ: filter.UUID}, idc))
		}
	}
	text, ok := c.As(filter.String)
	if !ok {
		if len(match.parts) == 0 {
			return clause{"1 = 0", nil}
		}
		return match.join("OR")
	}
	for _, col := range append([]string{"name"}, extra...) {
		match.add(d.render(column{expr: a + "." + col, typ: filter.String}, text))
	}
	return match.join("OR")
}

// userFilter renders the `user` filter of user-scoped resources: the
// creator's id, name or full name matches.
func (d *dialect) userFilter(userIDExpr string, c filter.Condition) clause {
	m := d.nameOrIDMatch("fu", c, "full_name")
	return clause{"EXISTS (SELECT 1 FROM users fu WHERE fu.id = " + userIDExpr + " AND " + m.sql + ")", m.args}
}

// userScopedCustom handles `user` for a resource whose creator column is
// userIDExpr, and falls through to next for anything else.
func (d *dialect) userScopedCustom(userIDExpr string, next func(filter.Condition) (clause, bool)) func(filter.Condition) (clause, bool) {
	return func(c filter.Condition) (clause, bool) {
		if c.Field == "user" {
			return d.userFilter(userIDExpr, c), true
		}
		if next != nil {
			return next(c)
		}
		return clause{}, false
	}
}

// userSortKey sorts by the creator's name; resources without a creator
// sort as NULL.
func userSortKey(userIDExpr string) sortKey {
	return sortKey{expr: "su.name", nullable: true, join: " LEFT JOIN users su ON su.id = " + userIDExpr}
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// tagsCustom handles `tags` for a taggable resource: each value asks for a
// linked tag whose name matches; isnull/isnotnull ask for no or any link.
func (d *dialect) tagsCustom(idExpr, resourceType string, next func(filter.Condition) (clause, bool)) func(filter.Condition) (clause, bool) {
	return func(c filter.Condition) (clause, bool) {
		if c.Field != "tags" {
			if next != nil {
				return next(c)
			}
			return clause{}, false
		}
		switch c.Op {
		case filter.IsNull:
			return clause{"NOT EXISTS (SELECT 1 FROM tag_resources ftr WHERE ftr.resource_id = " + idExpr + ")", nil}, true
		case filter.IsNotNull:
			return clause{"EXISTS (SELECT 1 FROM tag_resources ftr WHERE ftr.resource_id = " + idExpr + ")", nil}, true
		}
		m := d.render(column{expr: "ft.name", typ: filter.String}, c)
		return clause{"EXISTS (SELECT 1 FROM tag_resources ftr JOIN tags ft ON ft.id = ftr.tag_id WHERE ftr.resource_id = " + idExpr +
			" AND ftr.resource_type = '" + resourceType + "' AND " + m.sql + ")", m.args}, true
	}
}

// tagsSortKey sorts by the resource's tag names, sorted and joined with
// ", "; untagged resources sort as NULL.
func (d *dialect) tagsSortKey(idExpr, resourceType string) sortKey {
	return sortKey{nullable: true, expr: "(SELECT " + d.orderedConcat("st.name") + " FROM tag_resources sr JOIN tags st ON st.id = sr.tag_id WHERE sr.resource_id = " +
		idExpr + " AND sr.resource_type = '" + resourceType + "')"}
}

// runMetadataFilter renders a run_metadata entry, `key:value` or
// `key:op:value`: a metadata row of the resource with that key whose value
// (its JSON text) satisfies the rest.
func (d *dialect) runMetadataFilter(idExpr, resourceType string, c filter.Condition) clause {
	key, rest, _ := strings.Cut(c.Text, ":")
	valueCond, err := filter.ParseCondition(filter.Field{Name: "value", Type: filter.String}, rest)
	if err != nil {
		return clause{"1 = 0", nil}
	}
	m := d.renderJSONText("frm.value", valueCond)
	return clause{"EXISTS (SELECT 1 FROM run_metadata frm WHERE frm.resource_id = " + idExpr + " AND frm.resource_type = '" + resourceType +
		"' AND frm.mkey = ? AND " + m.sql + ")", append([]any{key}, m.args...)}
}

// renderJSONText matches a column holding JSON text as the reference does:
// equality, prefixes, suffixes and lists also accept the value written as a
// JSON string (`x` matches the stored text "x"), so string values match as
// well as numbers and booleans. Substring and numeric tests are unchanged.
func (d *dialect) renderJSONText(e string, c filter.Condition) clause {
	quoted := c
	switch c.Op {
	case filter.Equals, filter.NotEquals:
		quoted.Value = `"` + c.Value.(string) + `"`
	case filter.StartsWith:
		quoted.Value = `"` + c.Value.(string)
	case filter.EndsWith:
		quoted.Value = c.Value.(string) + `"`
	case filter.OneOf, filter.NotOneOf:
		vals := c.Value.([]string)
		both := make([]string, 0, 2*len(vals))
		for _, v := range vals {
			both = append(both, v, `"`+v+`"`)
		}
		quoted.Value = both
		return d.renderText(e, quoted)
	default:
		return d.renderText(e, c)
	}
	plain, json := d.renderText(e, c), d.renderText(e, quoted)
	join := " OR "
	if c.Op == filter.NotEquals {
		join = " AND "
	}
	return clause{"(" + plain.sql + join + json.sql + ")", append(plain.args, json.args...)}
}
