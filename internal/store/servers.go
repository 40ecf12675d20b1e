package store

import (
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Opening the server engines: PostgreSQL (pgx) and MySQL/MariaDB
// (go-sql-driver). Both get one pool that serves reads and writes; their
// own locking lets writers run concurrently.

// TLSOptions mirror ZenML's store SSL settings.
type TLSOptions struct {
	CA, Cert, Key  string // file paths
	VerifyServer   bool
	Enabled        bool
	ServerNameHint string
}

func (o TLSOptions) config(host string) (*tls.Config, error) {
	if !o.Enabled && o.CA == "" && o.Cert == "" {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: !o.VerifyServer} //nolint:gosec // verification is the operator's choice, as in ZenML
	if o.CA != "" {
		pem, err := os.ReadFile(o.CA)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in CA file %s", o.CA)
		}
		cfg.RootCAs = pool
	}
	if o.Cert != "" {
		pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func poolSize(opts Options) int {
	if opts.MaxConns > 0 {
		return opts.MaxConns
	}
	return 16
}

func connectTimeout(opts Options) time.Duration {
	if opts.ConnectTimeout > 0 {
		return opts.ConnectTimeout
	}
	return 5 * time.Second
}

func openPostgres(rawURL string, opts Options) (*DB, error) {
	// SQLAlchemy spellings ("postgresql+psycopg2://") are plain URLs to pgx.
	if i := strings.Index(rawURL, "://"); i > 0 {
		rawURL = "postgres" + rawURL[i:]
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid PostgreSQL URL: %w", err)
	}
	cfg.ConnectTimeout = connectTimeout(opts)
	if tlsCfg, err := opts.TLS.config(cfg.Host); err != nil {
		return nil, err
	} else if tlsCfg != nil {
		cfg.TLSConfig = tlsCfg
	}
	pool := stdlib.OpenDB(*cfg)
	configurePool(pool, opts)
	return &DB{writer: pool, reader: pool, dialect: postgresDialect, url: rawURL, Now: time.Now}, nil
}

func openMySQL(rawURL string, opts Options) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid MySQL URL: %w", err)
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
	cfg.Timeout = connectTimeout(opts)
	cfg.Collation = "utf8mb4_bin"
	if tlsCfg, err := opts.TLS.config(u.Hostname()); err != nil {
		return nil, err
	} else if tlsCfg != nil {
		if err := mysql.RegisterTLSConfig("zengo", tlsCfg); err != nil {
			return nil, err
		}
		cfg.TLSConfig = "zengo"
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(connector)
	configurePool(pool, opts)
	return &DB{writer: pool, reader: pool, dialect: mysqlDialect, url: rawURL, Now: time.Now}, nil
}

func configurePool(pool *sql.DB, opts Options) {
	n := poolSize(opts)
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pool.SetConnMaxLifetime(time.Hour)
}
