package api

import (
	"net/http"

	"zengo/internal/store"
	"zengo/internal/zen"
)

// What a user does to a run besides reading it: a status refresh, a stop
// (its logs are in logs.go). zengo knows the local orchestrator (the one its
// default stack runs on), which neither reports a run's status nor stops
// one by force; the answers are the reference's for it.

const localOrchestrator = "LocalOrchestrator"

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

// streamingDisabled answers the live event routes of a run as the
// reference does without a stream broker configured (its default): the
// routes exist, after authentication, and are not enabled.
func streamingDisabled(*http.Request) (any, error) {
	return nil, &plainError{status: http.StatusNotImplemented, detail: "Live event streaming is not enabled on this server."}
}
