package store

import (
	"context"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// Deleting a row deletes, through the schema's ON DELETE CASCADE foreign
// keys, every row below it. Polymorphic rows (tag links, curated
// visualizations, run metadata) point at their resource by type and id
// with no foreign key, so the database cannot remove them: deleteCascading
// does, for every row the delete will take, whichever parent is deleted.
//
// The cascade graph is read from the migrations themselves, so a new table
// with a cascading foreign key takes part without being declared here; a
// new resource type that can carry links is one line in linkedTypes.

// linkedTypes names the resource type under which links point at a table's
// rows (ZenML's TaggableResourceTypes, MetadataResourceTypes and
// VisualizableResourceTypes share these names).
var linkedTypes = map[string]string{
	"projects":            "project",
	"pipelines":           "pipeline",
	"pipeline_snapshots":  "pipeline_snapshot",
	"pipeline_runs":       "pipeline_run",
	"step_runs":           "step_run",
	"artifacts":           "artifact",
	"artifact_versions":   "artifact_version",
	"models":              "model",
	"model_versions":      "model_version",
	"schedules":           "schedule",
	"run_templates":       "run_template",
	"deployments":         "deployment",
	"run_wait_conditions": "wait_condition",
}

// countedRows are the maintained counts of child rows a parent row keeps
// (child.column names the parent): deleteCascading lowers them by the
// rows it takes, whichever delete reaches them, in its transaction.
// Creation raises them where the rows are made.
var countedRows = []struct{ child, column, parent, counter string }{
	{"pipeline_runs", "project_id", "projects", "run_count"},
	{"pipeline_runs", "pipeline_id", "pipelines", "run_total"},
}

// linkTables are the polymorphic tables (resource_id, resource_type).
var linkTables = []string{"tag_resources", "curated_visualizations", "run_metadata"}

// cascadeEdge: rows of child whose column names a deleted parent row go too.
type cascadeEdge struct{ child, column, parent string }

var cascadeEdges, ownerColumns = readForeignKeys()

// readForeignKeys reads, from the SQLite migrations, the foreign keys that
// cascade and the columns that name a resource's owner (the references to
// users that do not cascade: api keys go with their account, resources
// stay).
func readForeignKeys() (edges []cascadeEdge, owners []cascadeEdge) {
	files, err := fs.Glob(migrationFiles, "migrations/sqlite/*.sql")
	if err != nil || len(files) == 0 {
		panic("store: no SQLite migrations to read the cascade graph from")
	}
	sort.Strings(files)
	table := regexp.MustCompile(`(?i)^\s*(?:CREATE TABLE|ALTER TABLE)\s+(\w+)`)
	fk := regexp.MustCompile(`(?i)^\s*(?:ADD COLUMN\s+)?(\w+)\s+.*REFERENCES\s+(\w+)\s*\(id\)(?:\s+ON DELETE (\w+))?`)
	for _, f := range files {
		b, _ := migrationFiles.ReadFile(f)
		current := ""
		for _, line := range strings.Split(string(b), "\n") {
			if m := table.FindStringSubmatch(line); m != nil {
				current = m[1]
				line = line[len(m[0]):]
			}
			m := fk.FindStringSubmatch(line)
			if m == nil || current == "" {
				continue
			}
			e := cascadeEdge{child: current, column: m[1], parent: m[2]}
			switch {
			case strings.EqualFold(m[3], "CASCADE"):
				edges = append(edges, e)
			case e.parent == "users":
				owners = append(owners, e)
			}
		}
	}
	return edges, owners
}

// ownsResources reports whether any row names the account as its owner,
// with one statement over every owner column.
func (tx *Tx) ownsResources(ctx context.Context, userID uuid.UUID) (bool, error) {
	parts := make([]string, len(ownerColumns))
	args := make([]any, len(ownerColumns))
	for i, o := range ownerColumns {
		parts[i] = "SELECT 1 FROM " + o.child + " WHERE " + o.column + " = ?"
		args[i] = hexID(userID)
	}
	var owns int
	err := tx.queryRow(ctx, "SELECT CASE WHEN EXISTS ("+strings.Join(parts, " UNION ALL ")+") THEN 1 ELSE 0 END", args...).Scan(&owns)
	return owns == 1, err
}

// deleteCascading deletes the rows of table matching where (a condition on
// its columns, unqualified) with everything the schema cascades from them,
// after removing the polymorphic rows that point at any of them. It runs
// one statement per link table and per maintained count (countedRows)
// plus the delete, whatever the number of rows, and returns how many rows of table it deleted.
func (tx *Tx) deleteCascading(ctx context.Context, table, where string, args ...any) (int64, error) {
	// The tables the delete reaches.
	reached := []string{table}
	for i := 0; i < len(reached); i++ {
		for _, e := range cascadeEdges {
			if e.parent == reached[i] && !slices.Contains(reached, e.child) {
				reached = append(reached, e.child)
			}
		}
	}
	// Each reached table's deleted ids as one subquery, built parents
	// first: a row goes when any of its cascading keys names a row that goes.
	type ids struct {
		sql  string
		args []any
	}
	goes := map[string]ids{table: {"SELECT id FROM " + table + " WHERE " + where, args}}
	order := []string{table}
	for len(order) < len(reached) {
		progressed := false
		for _, t := range reached {
			if _, done := goes[t]; done {
				continue
			}
			var conds []string
			var condArgs []any
			ready := true
			for _, e := range cascadeEdges {
				if e.child != t || !slices.Contains(reached, e.parent) || e.parent == t {
					continue
				}
				p, done := goes[e.parent]
				if !done {
					ready = false
					break
				}
				conds = append(conds, e.column+" IN ("+p.sql+")")
				condArgs = append(condArgs, p.args...)
			}
			if !ready {
				continue
			}
			goes[t] = ids{"SELECT id FROM " + t + " WHERE " + strings.Join(conds, " OR "), condArgs}
			order = append(order, t)
			progressed = true
		}
		if !progressed {
			panic("store: the cascade graph has a cycle")
		}
	}
	// Counts kept on parents that stay, lowered by the rows that go (one
	// statement per count, whatever the number of rows).
	for _, c := range countedRows {
		g, reachedChild := goes[c.child]
		if !reachedChild || slices.Contains(reached, c.parent) {
			continue
		}
		q := "UPDATE " + c.parent + " SET " + c.counter + " = " + c.counter + " - (SELECT COUNT(*) FROM " + c.child + " cc WHERE cc." + c.column +
			" = " + c.parent + ".id AND cc.id IN (" + g.sql + ")) WHERE id IN (SELECT " + c.column + " FROM " + c.child + " WHERE id IN (" + g.sql + "))"
		if _, err := tx.exec(ctx, q, append(append([]any{}, g.args...), g.args...)...); err != nil {
			return 0, err
		}
	}
	var conds []string
	var condArgs []any
	for _, t := range order {
		if typ, linked := linkedTypes[t]; linked {
			conds = append(conds, "(resource_type = ? AND resource_id IN ("+goes[t].sql+"))")
			condArgs = append(append(condArgs, typ), goes[t].args...)
		}
	}
	if len(conds) > 0 {
		for _, lt := range linkTables {
			if _, err := tx.exec(ctx, "DELETE FROM "+lt+" WHERE "+strings.Join(conds, " OR "), condArgs...); err != nil {
				return 0, err
			}
		}
	}
	res, err := tx.exec(ctx, "DELETE FROM "+table+" WHERE "+where, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
