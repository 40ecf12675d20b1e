// Package pgdb makes and drops the PostgreSQL databases benchmarks run
// zengo on, next to the database of a URL whose user may create databases.
package pgdb

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// WithDatabase is the URL raw with its database replaced by db.
func WithDatabase(raw, db string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("PostgreSQL URL: %w", err)
	}
	u.Path = "/" + db
	return u.String(), nil
}

func connect(ctx context.Context, raw string) (*pgx.Conn, error) {
	// pgx does not know the postgresql+driver forms SQLAlchemy users write.
	if i := strings.Index(raw, "://"); i > 0 {
		raw = "postgres" + raw[i:]
	}
	return pgx.Connect(ctx, raw)
}

// Recreate drops the database name (if it exists) and creates it empty.
func Recreate(ctx context.Context, admin, name string) error {
	conn, err := connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

// Drop drops the database name, ignoring failures.
func Drop(ctx context.Context, admin, name string) {
	conn, err := connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// Version is the server's version string ("15.18"), or "" when unknown.
func Version(ctx context.Context, raw string) string {
	conn, err := connect(ctx, raw)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var v string
	conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	v, _, _ = strings.Cut(v, " ")
	return v
}
