package store

import (
	"context"
	"fmt"
	"strings"
)

// rowsBuilder accumulates rows for multi-row INSERTs, so that writing n
// rows costs one statement (per chunk), not n.
type rowsBuilder struct {
	width int
	args  []any
}

func (b *rowsBuilder) add(width int, values ...any) {
	if len(values) != width {
		panic(fmt.Sprintf("row has %d values, want %d", len(values), width))
	}
	b.width = width
	b.args = append(b.args, values...)
}

type chunk struct {
	sql  string
	args []any
}

// chunks splits the rows into VALUES lists of at most n rows, staying under
// every engine's bind-parameter limit.
func (b rowsBuilder) chunks(n int) []chunk {
	if b.width == 0 {
		return nil
	}
	row := "(" + placeholders(b.width) + ")"
	var out []chunk
	for start := 0; start < len(b.args); start += n * b.width {
		end := min(start+n*b.width, len(b.args))
		rows := (end - start) / b.width
		out = append(out, chunk{sql: strings.TrimSuffix(strings.Repeat(row+", ", rows), ", "), args: b.args[start:end]})
	}
	return out
}

// insertChunk is the number of rows per statement of insertRows: 400 rows
// of up to 16 columns stay far below the smallest bind limit (SQLite's
// 32766).
const insertChunk = 400

// insertRows writes the rows into target ("table (col, ...)"); with
// ignoreDuplicates, rows violating a unique constraint are skipped. It
// answers how many rows were written.
func (tx *Tx) insertRows(ctx context.Context, target string, b rowsBuilder, ignoreDuplicates bool) (int64, error) {
	var written int64
	for _, c := range b.chunks(insertChunk) {
		stmt := "INSERT INTO " + target + " VALUES " + c.sql
		if ignoreDuplicates {
			stmt = tx.db.dialect.insertIgnore(target, c.sql)
		}
		res, err := tx.exec(ctx, stmt, c.args...)
		if err != nil {
			return written, err
		}
		n, _ := res.RowsAffected()
		written += n
	}
	return written, nil
}

// insertion is one table's rows of a bulk write.
type insertion struct {
	target string
	rows   rowsBuilder
}

// insertAll writes several tables' rows in order.
func (tx *Tx) insertAll(ctx context.Context, ins ...insertion) error {
	for _, in := range ins {
		if _, err := tx.insertRows(ctx, in.target, in.rows, false); err != nil {
			return err
		}
	}
	return nil
}
