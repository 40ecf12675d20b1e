package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"zengo/internal/store"
)

// version is zengo's own version and commit the revision it was built
// from (both set by `make release`); apiVersion the ZenML release it
// serves.
var (
	version = "0.1.0-dev"
	commit  = ""
)

const apiVersion = "0.98.0"

// setting is one configuration value: a flag, the environment variable
// that sets it (ZenML's name where ZenML has one) and its default.
type setting struct {
	flag, env, def, help string
	secret               bool
	value                *string
}

// settings is a command's configuration table; it registers the flags and
// prints the table for --help.
type settings struct {
	fs    *flag.FlagSet
	items []*setting
}

func newSettings(name string, stderr io.Writer) *settings {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &settings{fs: fs}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: zengo %s [flags]\n\nFlags and environment variables (a flag wins over its variable):\n", name)
		for _, it := range s.items {
			def := it.def
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(stderr, "  --%-22s %-38s %s (default %s)\n", it.flag, it.env, it.help, def)
		}
	}
	return s
}

func (s *settings) add(flagName, env, def, help string) *string {
	it := &setting{flag: flagName, env: env, def: def, help: help, value: new(string)}
	s.items = append(s.items, it)
	s.fs.StringVar(it.value, flagName, "", help)
	return it.value
}

// parse reads flags, then fills what they left unset from the environment
// and then from defaults.
func (s *settings) parse(args []string, getenv func(string) string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, it := range s.items {
		if set[it.flag] {
			continue
		}
		if v, ok := lookup(getenv, it.env); ok {
			*it.value = v
		} else {
			*it.value = it.def
		}
	}
	return nil
}

func lookup(getenv func(string) string, name string) (string, bool) {
	if name == "" {
		return "", false
	}
	v := getenv(name)
	return v, v != ""
}

// storeSettings are the settings every command that opens the store needs.
type storeSettings struct {
	url, dataDir, maxConns, connectTimeout *string
	sslCA, sslCert, sslKey, sslVerify      *string
	// secretsKey is set by the commands that read secret values.
	secretsKey *string
}

func addStoreSettings(s *settings, getenv func(string) string) storeSettings {
	return storeSettings{
		url:            s.add("store", "ZENML_STORE_URL", "", "database URL, e.g. sqlite:////abs/path.db (empty: zengo.db in the data directory)"),
		dataDir:        s.add("data-dir", "ZENGO_DATA_DIR", defaultDataDir(getenv), "directory for the embedded database"),
		maxConns:       s.add("db-max-conns", "ZENGO_DB_MAX_CONNS", "", "database connections per process (default: on SQLite twice the cores, at least 4, readers; 16 on servers)"),
		connectTimeout: s.add("db-connect-timeout", "ZENGO_DB_CONNECT_TIMEOUT", "5s", "how long to wait for a database connection"),
		sslCA:          s.add("db-ssl-ca", "ZENML_STORE_SSL_CA", "", "CA certificate file for TLS to the database"),
		sslCert:        s.add("db-ssl-cert", "ZENML_STORE_SSL_CERT", "", "client certificate file for TLS to the database"),
		sslKey:         s.add("db-ssl-key", "ZENML_STORE_SSL_KEY", "", "client key file for TLS to the database"),
		sslVerify:      s.add("db-ssl-verify-server-cert", "ZENML_STORE_SSL_VERIFY_SERVER_CERT", "false", "verify the database server's certificate"),
	}
}

func (ss storeSettings) resolvedURL() string {
	if *ss.url != "" {
		return *ss.url
	}
	return "sqlite:///" + filepath.Join(*ss.dataDir, "zengo.db")
}

// options turns the settings into store options.
func (ss storeSettings) options() (store.Options, error) {
	var opts store.Options
	if *ss.maxConns != "" {
		n, err := strconv.Atoi(*ss.maxConns)
		if err != nil || n < 1 {
			return opts, fmt.Errorf("ZENGO_DB_MAX_CONNS must be a positive integer, got %q", *ss.maxConns)
		}
		opts.MaxConns = n
	}
	d, err := time.ParseDuration(*ss.connectTimeout)
	if err != nil {
		return opts, fmt.Errorf("ZENGO_DB_CONNECT_TIMEOUT: %w", err)
	}
	opts.ConnectTimeout = d
	verify, err := parseBoolSetting("ZENML_STORE_SSL_VERIFY_SERVER_CERT", *ss.sslVerify)
	if err != nil {
		return opts, err
	}
	if ss.secretsKey != nil {
		opts.SecretsKey = *ss.secretsKey
	}
	opts.TLS = store.TLSOptions{CA: *ss.sslCA, Cert: *ss.sslCert, Key: *ss.sslKey, VerifyServer: verify,
		Enabled: *ss.sslCA != "" || *ss.sslCert != "" || verify}
	return opts, nil
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "zengo")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "share", "zengo")
	}
	return "zengo-data"
}

// parseBoolSetting reads a boolean setting the way ZenML reads its
// environment variables.
func parseBoolSetting(name, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on", "y", "t":
		return true, nil
	case "", "0", "false", "no", "off", "n", "f":
		return false, nil
	}
	return false, fmt.Errorf("%s: not a boolean: %q", name, v)
}
