package api

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// hookType is the reference's HookType.
type hookType string

var hookTypes = []string{"run_start", "run_success", "run_failure", "run_end", "run_pause", "run_resume", "step_start", "step_end",
	"step_success", "step_failure", "custom"}

// hookInvocationRequest is the reference's HookInvocationRequest; outputs
// are read apart, in the request's order.
type hookInvocationRequest struct {
	Project       uuid.UUID       `json:"project" zen:"required"`
	ID            *uuid.UUID      `json:"id"`
	HookType      hookType        `json:"hook_type" zen:"required"`
	Name          *string         `json:"name" zen:"max=255"`
	Status        executionStatus `json:"status" zen:"required"`
	StartTime     zen.Time        `json:"start_time" zen:"required"`
	EndTime       *zen.Time       `json:"end_time"`
	Source        *string         `json:"source" zen:"max=255"`
	PipelineRunID uuid.UUID       `json:"pipeline_run_id" zen:"required"`
	StepRunID     *uuid.UUID      `json:"step_run_id"`
	Outputs       json.RawMessage `json:"outputs"`
	ExceptionInfo json.RawMessage `json:"exception_info"`
	LogsID        *uuid.UUID      `json:"logs_id"`
}

// exceptionInfoDefaults are the fields of the reference's ExceptionInfo.
const exceptionInfoDefaults = `{"traceback": null, "source": null, "message": null, "user_code_line": null}`

// hookNamePattern is the reference's HOOK_NAME_PATTERN.
const hookNamePattern = `^[a-zA-Z_][a-zA-Z0-9_.\-]*$`

var hookName = regexp.MustCompile(hookNamePattern)

func (s *Server) createHookInvocation(r *http.Request) (any, error) {
	var req hookInvocationRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Name != nil && !hookName.MatchString(*req.Name) {
		return nil, &validationError{errs: []fieldError{{typ: "string_pattern_mismatch", loc: []string{"body", "name"},
			msg: "String should match pattern '" + hookNamePattern + "'", input: *req.Name, ctx: "{'pattern': " + zen.PyRepr(hookNamePattern) + "}"}}}
	}
	outputs, err := namedIDLists(req.Outputs, "outputs")
	if err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	// The run, then every output, must exist before the store checks that
	// they are in the project.
	if _, err := s.db.GetRun(r.Context(), req.PipelineRunID); err != nil {
		return nil, err
	}
	for _, out := range outputs {
		for _, id := range out.IDs {
			if _, err := s.db.GetArtifactVersion(r.Context(), id); err != nil {
				return nil, err
			}
		}
	}
	h := store.HookInvocation{ProjectID: project.ID, UserID: &current(r).user.ID, PipelineRunID: req.PipelineRunID, StepRunID: req.StepRunID,
		HookType: string(req.HookType), Status: string(req.Status), Name: req.Name, Source: req.Source, StartTime: req.StartTime, EndTime: req.EndTime}
	if req.ID != nil {
		h.ID = *req.ID
	}
	if len(req.ExceptionInfo) > 0 && string(req.ExceptionInfo) != "null" {
		// Stored as the reference dumps its ExceptionInfo: every field, in
		// order, then the extra ones it allows.
		full, err := jsonobj.Overlay(exceptionInfoDefaults, req.ExceptionInfo)
		if err != nil {
			return nil, &validationError{errs: []fieldError{{typ: "model_type", loc: []string{"body", "exception_info"},
				msg: "Input should be a valid dictionary or instance of ExceptionInfo", input: req.ExceptionInfo}}}
		}
		info := string(full.JSON())
		h.ExceptionInfo = &info
	}
	created, err := s.db.CreateHookInvocation(r.Context(), store.NewHookInvocation{HookInvocation: h, OutputIDs: outputs,
		LogsID: req.LogsID, ProjectLabel: req.Project.String()})
	if err != nil {
		return nil, err
	}
	return hookInvocationView(created, true), nil
}

// namedIDLists reads a JSON object of id lists keeping its key order.
func namedIDLists(raw json.RawMessage, field string) ([]store.NamedIDs, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	obj, err := jsonobj.Parse(raw)
	if err != nil {
		return nil, &validationError{errs: []fieldError{{typ: "dict_type", loc: []string{"body", field}, msg: "Input should be a valid dictionary", input: raw}}}
	}
	out := make([]store.NamedIDs, 0, len(obj.Keys()))
	for _, k := range obj.Keys() {
		v, _ := obj.Get(k)
		var ids []uuid.UUID
		if err := json.Unmarshal(v, &ids); err != nil {
			return nil, &validationError{errs: []fieldError{{typ: "list_type", loc: []string{"body", field, k}, msg: "Input should be a valid list", input: v}}}
		}
		out = append(out, store.NamedIDs{Name: k, IDs: ids})
	}
	return out, nil
}

func (s *Server) listHookInvocations() listRoute {
	return listOf(filter.HookInvocations, func(r *http.Request, q *listQuery) (*zen.Page[*store.HookInvocation], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListHookInvocations(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, hookInvocationView)
}

func (s *Server) getHookInvocation() handler {
	return getByID("hook_invocation_id", s.db.GetHookInvocation, hookInvocationView)
}

func (s *Server) deleteHookInvocation() handler {
	return deleteByID("hook_invocation_id", s.db.DeleteHookInvocation)
}

type hookInvocationBody struct {
	Created       zen.Time   `json:"created"`
	Updated       zen.Time   `json:"updated"`
	UserID        *uuid.UUID `json:"user_id"`
	ProjectID     uuid.UUID  `json:"project_id"`
	HookType      string     `json:"hook_type"`
	Status        string     `json:"status"`
	StartTime     zen.Time   `json:"start_time"`
	EndTime       *zen.Time  `json:"end_time"`
	PipelineRunID uuid.UUID  `json:"pipeline_run_id"`
	StepRunID     *uuid.UUID `json:"step_run_id"`
}

type hookInvocationMetadata struct {
	Source        *string         `json:"source"`
	ExceptionInfo json.RawMessage `json:"exception_info"`
}

type hookInvocationResources struct {
	User          *envelope       `json:"user"`
	Outputs       *jsonobj.Object `json:"outputs"`
	LogCollection []envelope      `json:"log_collection"`
}

// hookInvocationView renders a hook invocation; its resources (creator,
// outputs, logs) are always there, as on the reference.
func hookInvocationView(h *store.HookInvocation, hydrate bool) envelope {
	outputs := jsonobj.New()
	for _, out := range h.Outputs {
		list := make([]envelope, 0, len(out.Versions))
		for _, v := range out.Versions {
			list = append(list, artifactVersionNested(v))
		}
		b, _ := json.Marshal(list)
		outputs.Set(out.Name, b)
	}
	e := envelope{ID: h.ID, Name: h.Name,
		Body: hookInvocationBody{Created: h.Created, Updated: h.Updated, UserID: h.UserID, ProjectID: h.ProjectID, HookType: h.HookType,
			Status: h.Status, StartTime: h.StartTime, EndTime: h.EndTime, PipelineRunID: h.PipelineRunID, StepRunID: h.StepRunID},
		Resources: hookInvocationResources{User: embeddedUser(h.User), Outputs: outputs, LogCollection: logsViews(h.Logs)}}
	if hydrate {
		var info json.RawMessage
		if h.ExceptionInfo != nil {
			info = json.RawMessage(*h.ExceptionInfo)
		}
		e.Metadata = hookInvocationMetadata{Source: h.Source, ExceptionInfo: info}
	}
	return e
}
