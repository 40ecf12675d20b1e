package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	"zengo/internal/api"
	"zengo/internal/logs"
)

// logSettings decide what the log routes may read: the files of local
// artifact stores, as the reference's server reads them.
type logSettings struct {
	allowLocal, localStores, maxEntries *string
}

func addLogSettings(s *settings, getenv func(string) string) logSettings {
	return logSettings{
		allowLocal:  s.add("allow-local-file-access", "ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS", "false", "let the log routes read log files of local artifact stores, inside the store's root only"),
		localStores: s.add("local-stores-path", "ZENML_LOCAL_STORES_PATH", defaultLocalStoresPath(getenv), "directory holding the local artifact stores that have no path (<dir>/<store id>), as in ZenML"),
		maxEntries:  s.add("logs-max-entries", "ZENML_LOGS_MAX_ENTRIES_PER_REQUEST", strconv.Itoa(api.DefaultLogsMaxEntries), "most log entries one request returns"),
	}
}

func (ls logSettings) apply(cfg *api.Config) error {
	allow, err := parseZenMLBool("ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS", *ls.allowLocal)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(*ls.maxEntries)
	if err != nil || n < 1 {
		return fmt.Errorf("ZENML_LOGS_MAX_ENTRIES_PER_REQUEST must be a positive integer, got %q", *ls.maxEntries)
	}
	if allow && *ls.localStores == "" {
		return fmt.Errorf("ZENML_LOCAL_STORES_PATH: set a directory for local file access (there is no home directory to derive one from)")
	}
	cfg.AllowLocalFileAccess, cfg.LocalStoresPath, cfg.LogsMaxEntries = allow, *ls.localStores, n
	return nil
}

// parseZenMLBool reads a switch as ZenML's handle_bool_env_var does
// (true: 1, y, yes, True, true), except that a value it would silently
// read as false, other than its own false spellings, is refused: this one
// opens files to the server's clients.
func parseZenMLBool(name, v string) (bool, error) {
	switch v {
	case "1", "y", "yes", "True", "true":
		return true, nil
	case "", "0", "n", "no", "False", "false":
		return false, nil
	}
	return false, fmt.Errorf("%s: not one of 1, y, yes, True, true, 0, n, no, False, false: %q", name, v)
}

// defaultLocalStoresPath is where the ZenML client on this machine keeps
// its local stores: <config dir>/local_stores, the config dir being
// ZENML_CONFIG_PATH or click's ~/.config/zenml. A server started by the
// same user as the client so reads the default stack's logs.
func defaultLocalStoresPath(getenv func(string) string) string {
	dir := getenv("ZENML_CONFIG_PATH")
	switch {
	case dir != "":
		dir = logs.Resolve(dir)
	case getenv("XDG_CONFIG_HOME") != "":
		dir = filepath.Join(getenv("XDG_CONFIG_HOME"), "zenml")
	case getenv("HOME") != "":
		dir = filepath.Join(getenv("HOME"), ".config", "zenml")
	default:
		return ""
	}
	return filepath.Join(dir, "local_stores")
}
