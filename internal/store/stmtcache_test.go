package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// The statement cache must give the same answers as preparing every time:
// a query run again while its first rows are still open, statements pushed
// out of the cache while being read, and many distinct texts.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	pool, err := openSQLitePool("file:" + filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pool.SetMaxOpenConns(1)
	if _, err := pool.ExecContext(ctx, `CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := pool.ExecContext(ctx, `INSERT INTO t (n) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(tx *sql.Tx, q string, args ...any) int {
		t.Helper()
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		total := 0
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			total += n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return total
	}
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
	// The same text inside the loop over its own rows.
	outer, err := tx.QueryContext(ctx, q, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for outer.Next() {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n*100+sum(tx, q, n))
		// Push every statement out of the cache while the outer one is read.
		for i := 0; i < stmtCacheSize+5; i++ {
			if got := sum(tx, fmt.Sprintf(`SELECT n FROM t WHERE n = %d`, i%7)); i%7 <= 5 && got != i%7 {
				t.Fatalf("distinct text %d: got %d", i, got)
			}
		}
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	want := []int{200 + 14, 300 + 12, 400 + 9, 500 + 5}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("nested reads: got %v, want %v", got, want)
	}
	// Reused with other arguments, and for writes.
	if s := sum(tx, q, 4); s != 9 {
		t.Fatalf("reused statement: got %d, want 9", s)
	}
	for i := 0; i < 3; i++ {
		if _, err := tx.ExecContext(ctx, `UPDATE t SET n = n + ? WHERE n = ?`, 10, 5+i*10); err != nil {
			t.Fatal(err)
		}
	}
	if s := sum(tx, q, 30); s != 35 {
		t.Fatalf("after cached updates: got %d, want 35", s)
	}
}
