package api

import (
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// What a user does to a run besides reading it: its logs, a status
// refresh, a stop. zengo knows the local orchestrator (the one its
// default stack runs on), which neither reports a run's status nor stops
// one by force; the answers are the reference's for it.

const localOrchestrator = "LocalOrchestrator"

// logsQuery reads the `source` / `logs_id` pair of the logs routes.
func logsQuery(r *http.Request) (source string, logsID *uuid.UUID, err error) {
	source = r.URL.Query().Get("source")
	if logsID, err = queryUUID(r, "logs_id"); err != nil {
		return "", nil, err
	}
	_, hasSource := r.URL.Query()["source"]
	switch {
	case !hasSource && logsID == nil:
		return "", nil, zen.Errorf(zen.EInvalid, "Either source or logs_id must be provided.")
	case hasSource && logsID != nil:
		return "", nil, zen.Errorf(zen.EInvalid, "Only one of source or logs_id must be provided.")
	}
	return source, logsID, nil
}

// pickLogs finds the logs of a collection by source or id.
func pickLogs(collection []*zen.Logs, source string, id *uuid.UUID) *zen.Logs {
	for _, l := range collection {
		if (id != nil && l.ID == *id) || (id == nil && l.Source == source) {
			return l
		}
	}
	return nil
}

// logEntries reads a logs record's entries. They live in the artifact
// store (or a log store) the run wrote them to, which the server does not
// read; without either there are none.
func logEntries(l *zen.Logs) (any, error) {
	switch {
	case l.LogStoreID != nil:
		return nil, &zen.Error{Code: zen.ENotFound, Name: "DoesNotExistException", Message: "Log store '" + l.LogStoreID.String() + "' does not exist."}
	case l.ArtifactStoreID != nil:
		return nil, zen.Errorf(zen.EForbidden, localFilesRefused)
	}
	return []any{}, nil
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
		l := pickLogs(run.Logs, source, logsID)
		switch {
		case l != nil && l.Source == "runner":
			return nil, zen.Errorf(zen.EInternal, "Workload manager component not initialized")
		case l != nil:
			return logEntries(l)
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
	if l := pickLogs(st.Logs, source, logsID); l != nil {
		return logEntries(l)
	}
	if logsID != nil {
		return nil, zen.NotFound("No logs found for ID '%s' in step %s", *logsID, st.ID)
	}
	return nil, zen.NotFound("No logs found for source '%s' in step %s", source, st.ID)
}

// refreshRun asks the run's orchestrator for its status; the local one
// cannot tell.
func (s *Server) refreshRun(r *http.Request) (any, error) {
	if _, err := boolParam(r, "include_steps", false); err != nil {
		return nil, err
	}
	run, err := s.runFromPath(r)
	if err != nil {
		return nil, err
	}
	if run.Snapshot == nil || run.Snapshot.StackID == nil {
		return nil, zen.Errorf(zen.EInvalid, "The stack that this pipeline run response was executed onis either not accessible or has been deleted.")
	}
	return nil, zen.Errorf(zen.ENotImplemented, "The fetch status functionality is not implemented for the '%s' orchestrator.", localOrchestrator)
}

// stopRun stops a run as the reference does with the local orchestrator:
// the run is marked stopping, which is all a graceful stop needs (its
// steps see it on their next heartbeat); a forced stop is not possible.
func (s *Server) stopRun(r *http.Request) (any, error) {
	graceful, err := boolParam(r, "graceful", false)
	if err != nil {
		return nil, err
	}
	run, err := s.runFromPath(r)
	if err != nil {
		return nil, err
	}
	switch {
	case run.Snapshot == nil || run.Snapshot.StackID == nil:
		return nil, zen.Errorf(zen.EInvalid, "The stack that this pipeline run response was executed on is either not accessible or has been deleted.")
	case run.Status == zen.StatusCompleted:
		return nil, zen.Errorf(zen.EForbidden, "Cannot stop a run that is already completed.")
	case run.Status == zen.StatusStopped:
		return nil, zen.Errorf(zen.EForbidden, "Run is already stopped.")
	case run.Status == zen.StatusStopping:
		return nil, zen.Errorf(zen.EForbidden, "Run is already being stopped.")
	case run.OrchestratorRunID == nil:
		return nil, zen.Errorf(zen.EForbidden, "Cannot stop a pipeline run that has no orchestrator run id yet.")
	}
	stopping, reason := zen.StatusStopping, "Manual stop requested."
	if _, err := s.db.UpdateRun(r.Context(), run.ID, store.RunUpdate{Status: &stopping, StatusReason: &reason}, &current(r).user.ID); err != nil {
		return nil, err
	}
	if !graceful {
		return nil, zen.Errorf(zen.ENotImplemented, "The forceful stop run functionality is not implemented for the '%s' orchestrator.", localOrchestrator)
	}
	return nil, nil
}

type logsEntries struct {
	Items  []any   `json:"items"`
	Before *string `json:"before"`
	After  *string `json:"after"`
}

// logsEntriesOf answers a page of a logs record's entries: for the stores
// zengo knows, the reference's errors, or an empty page for a record
// without a store.
func (s *Server) logsEntriesOf(r *http.Request) (any, error) {
	id, err := pathUUID(r, "logs_id")
	if err != nil {
		return nil, err
	}
	if v, ok := r.URL.Query()["start"]; ok && v[len(v)-1] != "oldest" && v[len(v)-1] != "newest" {
		return nil, &validationError{errs: []fieldError{{typ: "literal_error", loc: []string{"query", "start"},
			msg: "Input should be 'oldest' or 'newest'", input: v[len(v)-1], ctx: "{'expected': \"'oldest' or 'newest'\"}"}}}
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, ok := filter.LaxInt(v)
		switch {
		case !ok:
			return nil, &validationError{errs: []fieldError{{typ: "int_parsing", loc: []string{"query", "limit"}, msg: "Input should be a valid integer, unable to parse string as an integer", input: v}}}
		case n <= 0:
			return nil, &validationError{errs: []fieldError{{typ: "greater_than", loc: []string{"query", "limit"}, msg: "Input should be greater than 0", input: v, ctx: "{'gt': 0}"}}}
		}
	}
	l, err := s.db.GetLogs(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if l.PipelineRunID == nil && l.StepRunID == nil && l.HookInvocationID == nil {
		return nil, zen.Errorf(zen.EForbidden, "Logs must be associated with a pipeline run, step run or hook invocation before fetching.")
	}
	if l.Source == "runner" {
		if l.PipelineRunID == nil {
			return nil, zen.Errorf(zen.EInvalid, "Runner logs must be associated with a pipeline run.")
		}
		// The reference reads a runner's logs from its workload manager,
		// which a self-hosted server does not have.
		return nil, zen.Errorf(zen.EInternal, "Workload manager component not initialized")
	}
	if _, err := logEntries(l); err != nil {
		return nil, err
	}
	return logsEntries{Items: []any{}}, nil
}

// streamingDisabled answers the live event routes of a run as the
// reference does without a stream broker configured (its default): the
// routes exist, after authentication, and are not enabled.
func streamingDisabled(*http.Request) (any, error) {
	return nil, &plainError{status: http.StatusNotImplemented, detail: "Live event streaming is not enabled on this server."}
}
