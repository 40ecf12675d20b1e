package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/logs"
	"zengo/internal/zen"
)

// The log routes read a logs record's entries from the artifact store the
// client wrote them to, as the reference's artifact log store does: only
// a local store's files, only when the server may read local files, and
// only inside the store's root.

// logsQuery reads the `source` / `logs_id` pair of the logs routes.
func logsQuery(r *http.Request) (source string, logsID *uuid.UUID, err error) {
	source, hasSource := lastQuery(r, "source")
	if logsID, err = queryUUID(r, "logs_id"); err != nil {
		return "", nil, err
	}
	switch {
	case !hasSource && logsID == nil:
		return "", nil, zen.Errorf(zen.EInvalid, "Either source or logs_id must be provided.")
	case hasSource && logsID != nil:
		return "", nil, zen.Errorf(zen.EInvalid, "Only one of source or logs_id must be provided.")
	}
	return source, logsID, nil
}

// pickLogs finds the logs of a non-empty collection by source or id. The
// reference tests both for truth, so an empty source counts as none.
func pickLogs(collection []*zen.Logs, source string, id *uuid.UUID) (*zen.Logs, error) {
	if source == "" && id == nil {
		return nil, zen.Errorf(zen.EInvalid, "Either source or logs_id must be provided.")
	}
	for _, l := range collection {
		if (id != nil && l.ID == *id) || (id == nil && l.Source == source) {
			return l, nil
		}
	}
	return nil, nil
}

func (s *Server) runLogs(r *http.Request) (any, error) {
	source, logsID, err := logsQuery(r)
	if err != nil {
		return nil, err
	}
	run, err := s.runFromPath(r)
	if err != nil {
		return nil, err
	}
	if len(run.Logs) > 0 {
		l, err := pickLogs(run.Logs, source, logsID)
		switch {
		case err != nil:
			return nil, err
		case l != nil && l.Source == "runner":
			return nil, errNoWorkloadManager
		case l != nil:
			return s.logEntries(r.Context(), l, entriesOptions{})
		case logsID != nil:
			return nil, zen.NotFound("No logs found for ID '%s' in run %s", *logsID, run.ID)
		case source != "runner":
			return nil, zen.NotFound("No logs found for source '%s' in run %s", source, run.ID)
		}
	}
	if source == "runner" {
		return nil, zen.Errorf(zen.EInvalid, "Runner logs are unavailable for this run.")
	}
	return nil, zen.NotFound("No logs found in run %s.", run.ID)
}

func (s *Server) stepLogs(r *http.Request) (any, error) {
	source, logsID, err := logsQuery(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "step_id")
	if err != nil {
		return nil, err
	}
	st, err := s.db.GetStep(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if len(st.Logs) == 0 {
		return nil, zen.NotFound("No logs found for step %s.", st.ID)
	}
	l, err := pickLogs(st.Logs, source, logsID)
	switch {
	case err != nil:
		return nil, err
	case l != nil:
		return s.logEntries(r.Context(), l, entriesOptions{})
	case logsID != nil:
		return nil, zen.NotFound("No logs found for ID '%s' in step %s", *logsID, st.ID)
	}
	return nil, zen.NotFound("No logs found for source '%s' in step %s", source, st.ID)
}

// logsEntriesOf answers the entries route: the first entries of a logs
// record linked to a run, step or hook.
func (s *Server) logsEntriesOf(r *http.Request) (any, error) {
	id, err := pathUUID(r, "logs_id")
	if err != nil {
		return nil, err
	}
	opts, err := parseEntriesOptions(r)
	if err != nil {
		return nil, err
	}
	l, err := s.db.GetLogs(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if l.PipelineRunID == nil && l.StepRunID == nil && l.HookInvocationID == nil {
		return nil, zen.Errorf(zen.EForbidden, "Logs must be associated with a pipeline run, step run or hook invocation before fetching.")
	}
	if l.Source == "runner" {
		switch {
		case l.PipelineRunID == nil:
			return nil, zen.Errorf(zen.EInvalid, "Runner logs must be associated with a pipeline run.")
		case opts.unsupported:
			return nil, zen.Errorf(zen.EInvalid, "Runner logs are retrieved as one batch. Pagination and search, level, since, and until filters must be applied by the client.")
		}
		return nil, errNoWorkloadManager
	}
	items, err := s.logEntries(r.Context(), l, opts)
	if err != nil {
		return nil, err
	}
	return logs.Page{Items: items}, nil
}

// errNoWorkloadManager: the reference reads a runner's logs from its
// workload manager, which a self-hosted server does not have.
var errNoWorkloadManager = zen.Errorf(zen.EInternal, "Workload manager component not initialized")

// entriesOptions are the entries route's paging and filters; the runs and
// steps routes have none.
type entriesOptions struct {
	limit int // 0: the server's maximum
	// unsupported: a start other than "oldest", a cursor, or a filter,
	// none of which a log file read from its start can honour.
	unsupported bool
}

// parseEntriesOptions validates the entries route's query as FastAPI and
// the LogsEntriesFilter model do: every field's error in one 422, then the
// filter's own check of the time range.
func parseEntriesOptions(r *http.Request) (entriesOptions, error) {
	var opts entriesOptions
	var errs []fieldError
	start, hasStart := lastQuery(r, "start")
	if hasStart && start != "oldest" && start != "newest" {
		errs = append(errs, fieldError{typ: "literal_error", loc: []string{"query", "start"},
			msg: "Input should be 'oldest' or 'newest'", input: start, ctx: "{'expected': \"'oldest' or 'newest'\"}"})
	}
	if v, ok := lastQuery(r, "limit"); ok {
		n, isInt := filter.LaxInt(v)
		switch {
		case !isInt:
			errs = append(errs, fieldError{typ: "int_parsing", loc: []string{"query", "limit"}, msg: "Input should be a valid integer, unable to parse string as an integer", input: v})
		case n <= 0:
			errs = append(errs, fieldError{typ: "greater_than", loc: []string{"query", "limit"}, msg: "Input should be greater than 0", input: v, ctx: "{'gt': 0}"})
		default:
			opts.limit = n
		}
	}
	_, hasBefore := lastQuery(r, "before")
	_, hasAfter := lastQuery(r, "after")
	search, _ := lastQuery(r, "search")
	level, hasLevel := lastQuery(r, "level")
	if hasLevel {
		if fe := checkLevel(level); fe != nil {
			errs = append(errs, *fe)
		}
	}
	var bounds [2]*logs.Timestamp
	for i, name := range []string{"since", "until"} {
		v, ok := lastQuery(r, name)
		if !ok {
			continue
		}
		ts, why := logs.ParseTimestamp(v)
		if why != "" {
			errs = append(errs, fieldError{typ: "datetime_from_date_parsing", loc: []string{"query", name},
				msg: "Input should be a valid datetime or date, " + why, input: v, ctx: "{'error': '" + why + "'}"})
			continue
		}
		bounds[i] = &ts
	}
	if len(errs) > 0 {
		return opts, &validationError{errs: errs}
	}
	if bounds[0] != nil && bounds[1] != nil && bounds[0].Time().After(bounds[1].Time()) {
		return opts, zen.Errorf(zen.EUnprocessable, "1 validation error for LogsEntriesFilter\n  Value error, `since` must be earlier than `until`. [type=value_error, input_value=%s, input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.12/v/value_error",
			zen.PydanticInput(filterRepr(search, level, bounds)))
	}
	opts.unsupported = (hasStart && start != "oldest") || hasBefore || hasAfter || search != "" || hasLevel || bounds[0] != nil || bounds[1] != nil
	return opts, nil
}

// checkLevel is the reference's parse_log_level followed by the
// LoggingLevels enum: a name in any case, or one of its numbers.
func checkLevel(v string) *fieldError {
	loc := []string{"query", "level"}
	candidate := strings.TrimSpace(v)
	if _, ok := logs.Levels[strings.ToUpper(candidate)]; ok {
		return nil
	}
	if n, err := strconv.Atoi(candidate); err == nil && !strings.ContainsAny(candidate, "+-") {
		if n >= 0 && n <= 50 && n%10 == 0 {
			return nil
		}
		const expected = "0, 40, 30, 30, 20, 10 or 50"
		return &fieldError{typ: "enum", loc: loc, msg: "Input should be " + expected, input: json.Number(strconv.Itoa(n)), ctx: "{'expected': '" + expected + "'}"}
	}
	fe := valueErrorAt(loc, fmt.Sprintf("'%s' is not a log level. Use one of NOTSET, ERROR, WARN, WARNING, INFO, DEBUG, CRITICAL or the equivalent number.", v), v)
	return &fe
}

// filterRepr renders the filter's input as pydantic quotes it.
func filterRepr(search, level string, bounds [2]*logs.Timestamp) string {
	opt := func(s string) string {
		if s == "" {
			return "None"
		}
		return zen.PyRepr(s)
	}
	dt := func(ts *logs.Timestamp) string {
		t := ts.Time()
		out := fmt.Sprintf("datetime.datetime(%d, %d, %d, %d, %d", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute())
		if us := t.Nanosecond() / 1000; us != 0 {
			out += fmt.Sprintf(", %d, %d", t.Second(), us)
		} else if t.Second() != 0 {
			out += fmt.Sprintf(", %d", t.Second())
		}
		if !ts.Naive() {
			out += ", tzinfo=TzInfo(UTC)"
		}
		return out + ")"
	}
	return fmt.Sprintf("{'search': %s, 'level': %s, 'since': %s, 'until': %s}", opt(search), opt(level), dt(bounds[0]), dt(bounds[1]))
}

// logEntries reads a logs record's entries from its store, with the
// reference's checks in its order: the store component, the uri, the
// options, then the path.
func (s *Server) logEntries(ctx context.Context, l *zen.Logs, opts entriesOptions) ([]logs.Entry, error) {
	switch {
	case l.LogStoreID != nil:
		c, err := s.storeComponent(ctx, *l.LogStoreID, "log_store", "Log store", "a log store")
		if err != nil {
			return nil, err
		}
		return nil, zen.Errorf(zen.ENotImplemented, "zengo does not read logs from a '%s' log store.", c.FlavorName)
	case l.ArtifactStoreID == nil:
		return []logs.Entry{}, nil
	}
	c, err := s.storeComponent(ctx, *l.ArtifactStoreID, "artifact_store", "Artifact store", "an artifact store")
	if err != nil {
		return nil, err
	}
	if l.URI == nil || *l.URI == "" {
		return nil, zen.Errorf(zen.EInvalid, "logs_model.uri is required for ArtifactLogStore.fetch()")
	}
	if opts.unsupported {
		return nil, zen.Errorf(zen.EInvalid, "The artifact log store only reads a log file from its start and serves what fits in one response. Drop start, before, after, search, level, since, and until, and narrow the result down where it is displayed.")
	}
	limit := s.cfg.LogsMaxEntries
	if opts.limit > 0 && opts.limit < limit {
		limit = opts.limit
	}
	return s.readArtifactLogs(c, *l.URI, limit)
}

// storeComponent loads the component a logs record names and checks its
// type, with the reference's DoesNotExistException answers.
func (s *Server) storeComponent(ctx context.Context, id uuid.UUID, typ, title, article string) (*zen.Component, error) {
	c, err := s.db.GetComponent(ctx, id)
	switch {
	case zen.IsNotFound(err):
		return nil, doesNotExist("%s '%s' does not exist.", title, id)
	case err != nil:
		return nil, err
	case c.Type != typ:
		return nil, doesNotExist("Stack component '%s' is not %s.", id, article)
	}
	return c, nil
}

func doesNotExist(format string, args ...any) error {
	return &zen.Error{Code: zen.ENotFound, Name: "DoesNotExistException", Message: fmt.Sprintf(format, args...)}
}

// remotePrefixes are the schemes the reference treats as remote paths.
var remotePrefixes = []string{"gs://", "hdfs://", "s3://", "az://", "abfs://"}

func isRemote(uri string) bool {
	for _, p := range remotePrefixes {
		if strings.HasPrefix(uri, p) {
			return true
		}
	}
	return false
}

// storeFileRoot gates reading a file of an artifact store as the
// reference does: a local store's files only with local file access, any
// path only inside the store's root; then zengo reads local stores alone.
// It returns the root to read under.
func (s *Server) storeFileRoot(c *zen.Component, uri, what string) (string, error) {
	remote := isRemote(uri)
	if !remote && !s.cfg.AllowLocalFileAccess {
		return "", zen.Errorf(zen.EForbidden, localFilesRefused)
	}
	root := s.artifactStoreRoot(c)
	if remote {
		if checked := strings.ReplaceAll(uri, `\`, "/"); !strings.HasPrefix(checked, root) {
			return "", zen.Errorf(zen.EInternal, "%s", (&logs.OutsideError{Path: checked, Root: root}).Error())
		}
	} else if _, err := logs.CheckPath(uri, root); err != nil {
		return "", zen.Errorf(zen.EInternal, "%s", err.Error())
	}
	if c.FlavorName != "local" {
		return "", zen.Errorf(zen.ENotImplemented, "zengo reads %s only from local artifact stores, not from a '%s' one.", what, c.FlavorName)
	}
	return root, nil
}

// readArtifactLogs reads a log file (or directory) of an artifact store.
func (s *Server) readArtifactLogs(c *zen.Component, uri string, limit int) ([]logs.Entry, error) {
	root, err := s.storeFileRoot(c, uri, "logs")
	if err != nil {
		return nil, err
	}
	entries, err := logs.Read(root, uri, logs.Limits{Entries: limit, LineBytes: logs.DefaultLineBytes, Bytes: logs.DefaultReadBytes}, uuid.New)
	var outside *logs.OutsideError
	switch {
	case errors.As(err, &outside):
		return nil, zen.Errorf(zen.EInternal, "%s", outside.Error())
	case errors.Is(err, logs.ErrEmptyFolder):
		return nil, doesNotExist("Folder '%s' is empty in artifact store '%s'.", uri, c.Name)
	case err != nil:
		return nil, fmt.Errorf("read logs %s: %w", uri, err)
	}
	return entries, nil
}

// artifactStoreRoot is the root the reference's server gives a store: its
// configured `path`, or for a local store without one, its directory
// under the local stores path (the client's, when they share a machine).
func (s *Server) artifactStoreRoot(c *zen.Component) string {
	var cfg struct {
		Path string `json:"path"`
	}
	_ = json.Unmarshal(c.Configuration, &cfg)
	if cfg.Path != "" {
		return cfg.Path
	}
	return strings.TrimSuffix(s.cfg.LocalStoresPath, "/") + "/" + c.ID.String()
}
