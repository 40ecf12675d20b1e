// Package storetest gives tests a fresh database on every engine under
// test: SQLite always, PostgreSQL and MySQL/MariaDB when
// ZENGO_TEST_POSTGRES_URL / ZENGO_TEST_MYSQL_URL name a server.
package storetest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"database/sql"
	"net"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Engine is one database engine under test.
type Engine struct {
	Name string
	// Fresh makes a new, empty database and returns its URL; it is dropped
	// when the test ends.
	Fresh func(t *testing.T) string
}

// Engines lists the engines to test, SQLite first.
func Engines() []Engine {
	out := []Engine{{Name: "sqlite", Fresh: func(t *testing.T) string {
		return "sqlite:///" + filepath.Join(t.TempDir(), "test.db")
	}}}
	for _, se := range serverEngines {
		base := os.Getenv(se.env)
		if base == "" {
			continue
		}
		name := se.name
		out = append(out, Engine{Name: name, Fresh: func(t *testing.T) string { return freshServerDB(t, base, name) }})
	}
	return out
}

// serverEngines are the engines that need a server, each with the
// variable that names it.
var serverEngines = []struct{ name, env string }{
	{"mysql", "ZENGO_TEST_MYSQL_URL"},
	{"postgres", "ZENGO_TEST_POSTGRES_URL"},
}

// ForEach runs fn as a subtest per engine, each with a fresh database. An
// engine without a server shows as a skipped subtest, so that a run that
// tested SQLite alone says so.
func ForEach(t *testing.T, fn func(t *testing.T, url string)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.Fresh(t)) })
	}
	for _, se := range serverEngines {
		if os.Getenv(se.env) == "" {
			t.Run(se.name, func(t *testing.T) { t.Skip(se.env + " is not set") })
		}
	}
}

func freshServerDB(t *testing.T, base, engine string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := adminConn(base, engine)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "zengo_t_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database on %s: %v", engine, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		a, err := adminConn(base, engine)
		if err != nil {
			return
		}
		defer a.Close()
		drop := "DROP DATABASE " + name
		if engine == "postgres" {
			drop += " WITH (FORCE)"
		}
		a.ExecContext(context.Background(), drop)
	})
	return u.String()
}

// adminConn connects to the server of base for CREATE/DROP DATABASE.
func adminConn(base, engine string) (*sql.DB, error) {
	if engine == "postgres" {
		return sql.Open("pgx", base)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr = "tcp", u.Host
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	return sql.Open("mysql", cfg.FormatDSN())
}
