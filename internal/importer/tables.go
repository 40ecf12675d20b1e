package importer

import (
	"context"

	"zengo/internal/store"
)

// table is how one source table is read and what it becomes in zengo.
type table struct {
	// source is the ZenML table; it names the checkpoint.
	source string
	// key are the columns (of alias t) that order the rows and resume the
	// reading; together they are unique.
	key []string
	// selectList and from default to every column of the table, alias t.
	selectList, from string
	// targets are the zengo tables and columns the rows become.
	targets map[string][]string
	// prepare, when set, reads what a batch needs beyond its rows (one
	// query per batch, not per row).
	prepare func(ctx context.Context, im *Importer, rows []row) (any, error)
	// convert turns one source row into zengo rows; an error rejects the
	// row with that reason.
	convert func(im *Importer, r row, batch any) ([]store.ImportRow, error)
	// maxBatch caps the batch for tables whose rows are large (a
	// snapshot carries all its steps' configurations); 0: no cap.
	maxBatch int
	// verify names the zengo table (and condition) whose rows the source's
	// rows become, one for one, for the final count check; empty skips it.
	verify, verifyWhere string
}

// tables lists the source tables in an order that satisfies zengo's
// foreign keys: what a row refers to is written before it.
func tables() []*table {
	var all []*table
	for _, family := range [][]*table{
		foundationTables(),
		tagTables(),
		pipelineTables(),
		artifactTables(),
		modelTables(),
		runTables(),
		linkTables(),
		serviceTables(),
	} {
		all = append(all, family...)
	}
	return all
}

// one is a convert result of a single row.
func one(table string, values ...any) []store.ImportRow {
	return []store.ImportRow{{Table: table, Values: values}}
}

// cols splits a column list.
func cols(list ...string) []string { return list }
