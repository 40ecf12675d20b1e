// Package importer reads a ZenML 0.98.0 database (SQLite or MySQL) and
// writes its content into a zengo store: `zengo import`. It only ever
// SELECTs from the source. Each source table is read in primary-key order
// in batches; each batch is written in one transaction of the target that
// also records the checkpoint, so an interrupted import resumes.
package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"zengo/internal/store"
)

// Revision is the alembic revision of ZenML 0.98.0's schema (its
// migrations/versions/0.98.0_release.py).
const Revision = "0.98.0"

// Source is an open ZenML database.
type Source struct {
	db     *sql.DB
	engine string // "sqlite" or "mysql"
}

// SourceTLS are ZenML's SSL settings for a MySQL source.
type SourceTLS = store.TLSOptions

// ParseSourceURL splits a ZenML store URL into engine and driver DSN. The
// forms are ZenML's: sqlite:///relative or sqlite:////absolute, and
// mysql://user:pass@host[:port]/db (also mysql+pymysql://) with the SSL
// settings as query parameters (ssl_ca, ssl_cert, ssl_key,
// ssl_verify_server_cert) or in tlsOpts.
func ParseSourceURL(raw string, tlsOpts SourceTLS) (engine, dsn string, err error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:///"):
		path, _, _ := strings.Cut(strings.TrimPrefix(raw, "sqlite:///"), "?")
		if path == "" {
			return "", "", fmt.Errorf("invalid source URL %q: no file path", raw)
		}
		// Read-only, and never create the file: a missing file is an error.
		return "sqlite", "file:" + path + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)", nil
	case strings.HasPrefix(raw, "mysql://"), strings.HasPrefix(raw, "mysql+"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("invalid source URL: %w", err)
		}
		cfg := mysql.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
		}
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		if cfg.DBName == "" {
			return "", "", fmt.Errorf("invalid source URL %q: no database name", redact(raw))
		}
		cfg.Timeout = 10 * time.Second
		q := u.Query()
		if v := q.Get("ssl_ca"); v != "" {
			tlsOpts.CA = v
		}
		if v := q.Get("ssl_cert"); v != "" {
			tlsOpts.Cert = v
		}
		if v := q.Get("ssl_key"); v != "" {
			tlsOpts.Key = v
		}
		if v := q.Get("ssl_verify_server_cert"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return "", "", fmt.Errorf("ssl_verify_server_cert: not a boolean: %q", v)
			}
			tlsOpts.VerifyServer = b
		}
		if v := q.Get("ssl"); v != "" {
			tlsOpts.Enabled, _ = strconv.ParseBool(v)
		}
		tlsOpts.Enabled = tlsOpts.Enabled || tlsOpts.CA != "" || tlsOpts.Cert != "" || tlsOpts.VerifyServer
		tlsCfg, err := tlsOpts.TLSConfig(u.Hostname())
		if err != nil {
			return "", "", err
		}
		if tlsCfg != nil {
			if err := mysql.RegisterTLSConfig("zengo-import-source", tlsCfg); err != nil {
				return "", "", err
			}
			cfg.TLSConfig = "zengo-import-source"
		}
		return "mysql", cfg.FormatDSN(), nil
	}
	scheme, _, _ := strings.Cut(raw, "://")
	return "", "", fmt.Errorf("unsupported source URL scheme %q (ZenML databases are sqlite:///path or mysql://user:pass@host/db)", scheme)
}

// redact hides a URL's password.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}

// OpenSource opens a ZenML database read-only and checks that it is one,
// at ZenML 0.98.0's schema revision.
func OpenSource(ctx context.Context, raw string, tlsOpts SourceTLS) (*Source, error) {
	engine, dsn, err := ParseSourceURL(raw, tlsOpts)
	if err != nil {
		return nil, err
	}
	driver := "sqlite"
	if engine == "mysql" {
		driver = "mysql"
	}
	if engine == "sqlite" {
		path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
		if err := fileExists(path); err != nil {
			return nil, fmt.Errorf("source database %s: %w", path, err)
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	s := &Source{db: db, engine: engine}
	if err := s.checkRevision(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the source.
func (s *Source) Close() error { return s.db.Close() }

// ErrNotZenML is a source without ZenML's alembic_version table.
var ErrNotZenML = errors.New("not a ZenML database")

func (s *Source) checkRevision(ctx context.Context) error {
	var rev string
	err := s.db.QueryRowContext(ctx, "SELECT version_num FROM alembic_version").Scan(&rev)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: its alembic_version table is empty (the database was never initialised by ZenML)", ErrNotZenML)
		}
		msg := strings.ToLower(err.Error())
		if strings.Contains(msg, "no such table") || strings.Contains(msg, "doesn't exist") || strings.Contains(msg, "file is not a database") {
			return fmt.Errorf("%w: %v", ErrNotZenML, err)
		}
		return fmt.Errorf("read the source's schema revision: %w", err)
	}
	if rev != Revision {
		return fmt.Errorf("the source database's ZenML schema revision is %q, but zengo imports revision %q (ZenML 0.98.0): upgrade or downgrade the source with ZenML 0.98.0 first (e.g. `zenml` 0.98.0 migrates it on start)", rev, Revision)
	}
	return nil
}

// quote quotes an identifier; backticks work on MySQL and SQLite alike.
func quote(name string) string { return "`" + name + "`" }
