package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

type snapshotRequest struct {
	Project               uuid.UUID       `json:"project" zen:"required"`
	RunNameTemplate       string          `json:"run_name_template" zen:"required"`
	PipelineConfiguration json.RawMessage `json:"pipeline_configuration" zen:"required"`
	Stack                 uuid.UUID       `json:"stack" zen:"required"`
	Pipeline              uuid.UUID       `json:"pipeline" zen:"required"`
	Name                  json.RawMessage `json:"name"`
	Description           *string         `json:"description"`
	SourceCode            *string         `json:"source_code"`
	Tags                  []string        `json:"tags"`
	Build                 *uuid.UUID      `json:"build"`
	Schedule              *uuid.UUID      `json:"schedule"`
	CodeReference         json.RawMessage `json:"code_reference"`
	CodePath              *string         `json:"code_path"`
	Template              *uuid.UUID      `json:"template"`
	SourceSnapshot        *uuid.UUID      `json:"source_snapshot"`
	StepConfigurations    json.RawMessage `json:"step_configurations"`
	ClientEnvironment     json.RawMessage `json:"client_environment"`
	ClientVersion         *string         `json:"client_version"`
	ServerVersion         *string         `json:"server_version"`
	PipelineVersionHash   *string         `json:"pipeline_version_hash"`
	PipelineSpec          json.RawMessage `json:"pipeline_spec"`
	IsDynamic             bool            `json:"is_dynamic"`
}

// snapshotName reads the optional name: a string, or false/null for none.
func snapshotName(raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "false" {
		return nil, nil
	}
	bad := func(msg string) error {
		return valueErrors([]string{"body", "name"}, msg, string(raw))
	}
	if string(raw) == "true" {
		return nil, bad("Snapshot name cannot be `True`.")
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return nil, &validationError{errs: []fieldError{{typ: "string_type", loc: []string{"body", "name", "str"}, msg: "Input should be a valid string", input: string(raw)}}}
	}
	switch {
	case name == "":
		return nil, bad("Snapshot name cannot be empty.")
	case len([]rune(name)) > 255:
		return nil, bad("Snapshot name `" + name + "` is too long. The maximum length is 255 characters.")
	}
	return &name, nil
}

func (s *Server) createSnapshot(r *http.Request) (any, error) {
	var req snapshotRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	name, err := snapshotName(req.Name)
	if err != nil {
		return nil, err
	}
	if name != nil {
		if err := checkSnapshotName(*name, "PipelineSnapshot"); err != nil {
			return nil, err
		}
	}
	config, err := catalog.CompletePipelineConfiguration(req.PipelineConfiguration)
	if err != nil {
		return nil, &validationError{errs: []fieldError{{typ: "model_type", loc: []string{"body", "pipeline_configuration"}, msg: "Input should be a valid dictionary or instance of PipelineConfiguration", input: string(req.PipelineConfiguration)}}}
	}
	var steps map[string]json.RawMessage
	if len(req.StepConfigurations) > 0 && string(req.StepConfigurations) != "null" {
		if err := json.Unmarshal(req.StepConfigurations, &steps); err != nil {
			return nil, &validationError{errs: []fieldError{{typ: "dict_type", loc: []string{"body", "step_configurations"}, msg: "Input should be a valid dictionary", input: string(req.StepConfigurations)}}}
		}
		if req.StepConfigurations, err = catalog.CompleteStepConfigurations(req.StepConfigurations); err != nil {
			return nil, &validationError{errs: []fieldError{{typ: "model_type", loc: []string{"body", "step_configurations"}, msg: "Input should be a valid dictionary or instance of Step", input: string(req.StepConfigurations)}}}
		}
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	me := current(r).user
	snap, err := s.db.CreateSnapshot(r.Context(), zen.Snapshot{
		Name: name, Description: req.Description, ProjectID: project.ID, PipelineID: req.Pipeline, StackID: &req.Stack, UserID: &me.ID,
		RunNameTemplate: req.RunNameTemplate, PipelineConfiguration: config, StepConfigurations: req.StepConfigurations, StepCount: len(steps),
		ClientEnvironment: req.ClientEnvironment, ClientVersion: req.ClientVersion, ServerVersion: req.ServerVersion,
		PipelineVersionHash: req.PipelineVersionHash, PipelineSpec: catalog.PipelineSpec(req.PipelineSpec), IsDynamic: req.IsDynamic, SourceCode: req.SourceCode,
		CodePath: req.CodePath, BuildID: req.Build, ScheduleID: req.Schedule, TemplateID: req.Template, SourceSnapshotID: req.SourceSnapshot,
	}, req.Tags)
	if err != nil {
		return nil, err
	}
	return snapshotView(snap, true, nil), nil
}

// getSnapshot answers a snapshot by the id in path parameter param.
func (s *Server) getSnapshot(param string) handler {
	return func(r *http.Request) (any, error) {
		id, err := pathUUID(r, param)
		if err != nil {
			return nil, err
		}
		hydrate, err := hydrateParam(r, true)
		if err != nil {
			return nil, err
		}
		snap, err := s.db.GetSnapshot(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return snapshotView(snap, hydrate, r.URL.Query()["step_configuration_filter"]), nil
	}
}

type runRequest struct {
	Project                 uuid.UUID         `json:"project" zen:"required"`
	Name                    string            `json:"name" zen:"required,max=255"`
	Snapshot                uuid.UUID         `json:"snapshot" zen:"required"`
	Status                  executionStatus   `json:"status" zen:"required"`
	OrchestratorRunID       *string           `json:"orchestrator_run_id" zen:"max=255"`
	StartTime               *zen.Time         `json:"start_time"`
	EndTime                 *zen.Time         `json:"end_time"`
	StatusReason            *string           `json:"status_reason"`
	OrchestratorEnvironment json.RawMessage   `json:"orchestrator_environment"`
	TriggerInfo             json.RawMessage   `json:"trigger_info"`
	Tags                    []json.RawMessage `json:"tags"`
	ExceptionInfo           json.RawMessage   `json:"exception_info"`
	OriginalRunID           *uuid.UUID        `json:"original_run_id"`
	ParentRunID             *uuid.UUID        `json:"parent_run_id"`
	ChildKey                *string           `json:"child_key"`
}

// tagRefs reads tags given as names, ids or the client's Tag objects.
func tagRefs(raw []json.RawMessage) []store.TagRef {
	out := make([]store.TagRef, 0, len(raw))
	for _, r := range raw {
		var name string
		if json.Unmarshal(r, &name) == nil {
			out = append(out, name)
			continue
		}
		var obj struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(r, &obj) == nil && obj.Name != "" {
			out = append(out, obj.Name)
		}
	}
	return out
}

func (s *Server) getOrCreateRun(r *http.Request) (any, error) {
	var req runRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Status != zen.StatusInitializing && req.Status != zen.StatusRunning {
		return nil, valueErrors([]string{"body"}, "Run must be started in the initializing or running state.", map[string]any{})
	}
	if (req.ParentRunID == nil) != (req.ChildKey == nil) {
		return nil, valueErrors([]string{"body"}, "`parent_run_id` and `child_key` must be set together.", map[string]any{})
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	me := current(r).user
	run, created, err := s.db.GetOrCreateRun(r.Context(), zen.Run{
		Name: req.Name, ProjectID: project.ID, SnapshotID: req.Snapshot, UserID: &me.ID, Status: asString(req.Status),
		StatusReason: req.StatusReason, OrchestratorRunID: req.OrchestratorRunID, OrchestratorEnvironment: req.OrchestratorEnvironment,
		StartTime: req.StartTime, EndTime: req.EndTime, TriggerInfo: req.TriggerInfo, ExceptionInfo: req.ExceptionInfo,
		OriginalRunID: req.OriginalRunID, ParentRunID: req.ParentRunID, ChildKey: req.ChildKey,
	}, tagRefs(req.Tags))
	if err != nil {
		return nil, err
	}
	return []any{runView(run, true, s.cfg.Now()), created}, nil
}

func (s *Server) getRunStatus(r *http.Request) (any, error) {
	id, err := pathUUID(r, "run_id")
	if err != nil {
		return nil, err
	}
	run, err := s.db.GetRun(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return run.Status, nil
}

type runUpdate struct {
	Status            *executionStatus `json:"status"`
	StatusReason      *string          `json:"status_reason"`
	OrchestratorRunID *string          `json:"orchestrator_run_id" zen:"max=255"`
	ExceptionInfo     json.RawMessage  `json:"exception_info"`
	AddTags           []string         `json:"add_tags"`
	RemoveTags        []string         `json:"remove_tags"`
}

func (s *Server) updateRun(r *http.Request) (any, error) {
	id, err := pathUUID(r, "run_id")
	if err != nil {
		return nil, err
	}
	var req runUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	me := current(r).user
	run, err := s.db.UpdateRun(r.Context(), id, store.RunUpdate{Status: asStringPtr(req.Status), StatusReason: req.StatusReason,
		OrchestratorRunID: req.OrchestratorRunID, ExceptionInfo: req.ExceptionInfo, AddTags: req.AddTags, RemoveTags: req.RemoveTags}, &me.ID)
	if err != nil {
		return nil, err
	}
	return runView(run, true, s.cfg.Now()), nil
}

// runConfig is the snapshot's pipeline configuration with the run's
// date and time substitutions, taken from its start time (or now).
// runPipelineConfiguration answers a run's configuration, as its hydrated
// answer carries it.
func (s *Server) runPipelineConfiguration(r *http.Request) (any, error) {
	run, err := s.runFromPath(r)
	if err != nil {
		return nil, err
	}
	return runConfig(run, s.cfg.Now()), nil
}

// disableRunHeartbeat records that the run's steps stop sending
// heartbeats.
func (s *Server) disableRunHeartbeat(r *http.Request) (any, error) {
	run, err := s.runFromPath(r)
	if err != nil {
		return nil, err
	}
	return nil, s.db.DisableRunHeartbeat(r.Context(), run.ID)
}

func (s *Server) runFromPath(r *http.Request) (*zen.Run, error) {
	id, err := pathUUID(r, "run_id")
	if err != nil {
		return nil, err
	}
	return s.db.GetRun(r.Context(), id)
}

func runConfig(run *zen.Run, now time.Time) json.RawMessage {
	if run.Snapshot == nil {
		return json.RawMessage("{}")
	}
	at := now.UTC()
	if run.StartTime != nil {
		at = run.StartTime.Std()
	}
	return withSubstitutions(run.Snapshot.PipelineConfiguration, substitutions(at))
}

// substitutions are the placeholders a run's names and paths may use:
// the date and time the run started.
func substitutions(at time.Time) map[string]any {
	return map[string]any{"date": at.Format("2006_01_02"), "time": fmt.Sprintf("%s_%06d", at.Format("15_04_05"), at.Nanosecond()/1000)}
}

func (s *Server) runViewNow(run *zen.Run, hydrate bool) envelope {
	return runView(run, hydrate, s.cfg.Now())
}

func (s *Server) listRuns() listRoute {
	return listOf(filter.Runs, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Run], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		full, err := boolParam(r, "include_full_metadata", false)
		if err != nil {
			return nil, err
		}
		page, err := s.db.ListRuns(r.Context(), q.List, store.RunScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
		if err == nil && full && q.hydrate {
			err = s.db.WithFullRunMetadata(r.Context(), page.Items)
		}
		return page, err
	}, s.runViewNow)
}

// getRun answers a run; include_python_packages keeps the client's
// packages in its environment.
func (s *Server) getRun() handler {
	return func(r *http.Request) (any, error) {
		withPackages, err := boolParam(r, "include_python_packages", false)
		if err != nil {
			return nil, err
		}
		full, err := boolParam(r, "include_full_metadata", false)
		if err != nil {
			return nil, err
		}
		get := func(ctx context.Context, id uuid.UUID) (*zen.Run, error) {
			run, err := s.db.GetRun(ctx, id)
			if err == nil && full {
				err = s.db.WithFullRunMetadata(ctx, []*zen.Run{run})
			}
			return run, err
		}
		return getByID("run_id", get, func(run *zen.Run, hydrate bool) envelope {
			return runViewWith(run, hydrate, s.cfg.Now(), withPackages)
		})(r)
	}
}

func (s *Server) deleteRun() handler { return deleteByID("run_id", s.db.DeleteRun) }

func (s *Server) deleteSnapshot(param string) handler { return deleteByID(param, s.db.DeleteSnapshot) }
