package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/jsonschema"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// Enumerations of wait conditions.
type (
	waitConditionType string
	waitResolution    string
	leaseMode         string
)

// waitConditionRequest is the reference's RunWaitConditionRequest.
type waitConditionRequest struct {
	Project    uuid.UUID         `json:"project" zen:"required"`
	Run        uuid.UUID         `json:"run" zen:"required"`
	Name       string            `json:"name" zen:"required"`
	Type       waitConditionType `json:"type" zen:"required"`
	Question   *string           `json:"question"`
	DataSchema json.RawMessage   `json:"data_schema"`
	Metadata   json.RawMessage   `json:"metadata"`
}

// waitResolveRequest is the reference's RunWaitConditionResolveRequest.
type waitResolveRequest struct {
	Resolution waitResolution  `json:"resolution" zen:"required"`
	Result     json.RawMessage `json:"result"`
}

// waitLeaseUpdate is the reference's RunWaitConditionLeaseUpdate.
type waitLeaseUpdate struct {
	PollerInstanceID     string    `json:"poller_instance_id" zen:"required"`
	PollerLeaseExpiresAt zen.Time  `json:"poller_lease_expires_at" zen:"required"`
	Mode                 leaseMode `json:"mode"`
}

// metadataValueLimit is the reference's TEXT_FIELD_MAX_LENGTH: larger
// metadata values are left out.
const metadataValueLimit = 65535

func (s *Server) createRunWaitCondition(r *http.Request) (any, error) {
	var req waitConditionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := objectOrNull(req.DataSchema, "data_schema"); err != nil {
		return nil, err
	}
	values, types, err := inferMetadata(req.Metadata)
	if err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	if _, err := s.db.GetRun(r.Context(), req.Run); err != nil {
		return nil, err
	}
	c := store.RunWaitCondition{ProjectID: project.ID, UserID: &current(r).user.ID, RunID: req.Run, Name: req.Name,
		Type: string(req.Type), Question: req.Question}
	if string(req.DataSchema) != "null" {
		c.DataSchema = req.DataSchema
	}
	created, err := s.db.CreateRunWaitCondition(r.Context(), store.NewRunWaitCondition{RunWaitCondition: c, Metadata: values,
		MetadataTypes: types, ProjectLabel: req.Project.String()})
	if err != nil {
		return nil, err
	}
	return s.waitConditionView(created, true), nil
}

// objectOrNull checks an optional dictionary field.
func objectOrNull(raw json.RawMessage, field string) error {
	if len(raw) == 0 || string(raw) == "null" || raw[0] == '{' {
		return nil
	}
	return &validationError{errs: []fieldError{{typ: "dict_type", loc: []string{"body", field}, msg: "Input should be a valid dictionary", input: raw}}}
}

// inferMetadata reads a metadata dictionary and names each value's type
// as the reference's get_metadata_type does; values it cannot type or
// store are left out, as there.
func inferMetadata(raw json.RawMessage) (map[string]json.RawMessage, map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	obj, err := jsonobj.Parse(raw)
	if err != nil {
		return nil, nil, &validationError{errs: []fieldError{{typ: "dict_type", loc: []string{"body", "metadata"}, msg: "Input should be a valid dictionary", input: raw}}}
	}
	values, types := map[string]json.RawMessage{}, map[string]string{}
	for _, k := range obj.Keys() {
		v, _ := obj.Get(k)
		if len(v) > metadataValueLimit {
			continue
		}
		var typ string
		switch t := strings.TrimSpace(string(v)); {
		case t == "null":
			continue
		case t == "true" || t == "false":
			typ = "bool"
		case t[0] == '"':
			typ = "str"
		case t[0] == '[':
			typ = "list"
		case t[0] == '{':
			typ = "dict"
		case strings.ContainsAny(t, ".eE"):
			typ = "float"
		default:
			typ = "int"
		}
		values[k], types[k] = v, typ
	}
	return values, types, nil
}

func (s *Server) listRunWaitConditions() listRoute {
	return listOf(filter.RunWaitConditions, func(r *http.Request, q *listQuery) (*zen.Page[*store.RunWaitCondition], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListRunWaitConditions(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, s.waitConditionView)
}

func (s *Server) getRunWaitCondition() handler {
	return getByID("run_wait_condition_id", s.db.GetRunWaitCondition, s.waitConditionView)
}

// updateRunWaitConditionLease answers the condition's status after the
// poller's lease changed.
func (s *Server) updateRunWaitConditionLease(r *http.Request) (any, error) {
	id, err := pathUUID(r, "run_wait_condition_id")
	if err != nil {
		return nil, err
	}
	var req waitLeaseUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Mode == "" {
		req.Mode = store.LeaseRefresh
	}
	if _, err := s.db.GetRunWaitCondition(r.Context(), id); err != nil {
		return nil, err
	}
	return s.db.UpdateRunWaitConditionLease(r.Context(), id, string(req.Mode), req.PollerInstanceID, req.PollerLeaseExpiresAt)
}

func (s *Server) resolveRunWaitCondition(r *http.Request) (any, error) {
	id, err := pathUUID(r, "run_wait_condition_id")
	if err != nil {
		return nil, err
	}
	var req waitResolveRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if _, err := s.db.GetRunWaitCondition(r.Context(), id); err != nil {
		return nil, err
	}
	c, err := s.db.ResolveRunWaitCondition(r.Context(), id, string(req.Resolution), req.Result, &current(r).user.ID, checkWaitResult)
	if err != nil {
		return nil, err
	}
	return s.waitConditionView(c, true), nil
}

// checkWaitResult is the reference's check of a continue's result: only
// conditions with a schema take one, and it must match the schema.
func checkWaitResult(schema, result json.RawMessage) (json.RawMessage, error) {
	hasResult := len(result) > 0 && string(result) != "null"
	if len(schema) == 0 || string(schema) == "null" {
		if hasResult {
			return nil, zen.Errorf(zen.EForbidden, "Wait conditions without a schema do not accept a result.")
		}
		return nil, nil
	}
	value := result
	if !hasResult {
		value = json.RawMessage("null")
	}
	if !jsonschema.Valid(schema, value) {
		shown := pyValue(value)
		var str string
		if value[0] == '"' && json.Unmarshal(value, &str) == nil {
			shown = str // str() of a string has no quotes
		}
		return nil, zen.Errorf(zen.EInvalid, "Value `%s` does not match expected schema.", shown)
	}
	if !hasResult {
		return nil, nil
	}
	return result, nil
}

type waitConditionBody struct {
	Created              zen.Time   `json:"created"`
	Updated              zen.Time   `json:"updated"`
	UserID               *uuid.UUID `json:"user_id"`
	ProjectID            uuid.UUID  `json:"project_id"`
	Type                 string     `json:"type"`
	Status               string     `json:"status"`
	LastPolledAt         *zen.Time  `json:"last_polled_at"`
	PollerInstanceID     *string    `json:"poller_instance_id"`
	PollerLeaseExpiresAt *zen.Time  `json:"poller_lease_expires_at"`
	ResolvedAt           *zen.Time  `json:"resolved_at"`
	ResolvedByUserID     *uuid.UUID `json:"resolved_by_user_id"`
}

type waitConditionMetadata struct {
	Question    *string         `json:"question"`
	RunMetadata zen.Metadata    `json:"run_metadata"`
	DataSchema  json.RawMessage `json:"data_schema"`
	Resolution  *string         `json:"resolution"`
	Result      json.RawMessage `json:"result"`
}

type waitConditionResources struct {
	User *envelope `json:"user"`
	Run  envelope  `json:"run"`
}

// waitConditionView renders a wait condition with its run (body only, as
// the reference embeds it).
func (s *Server) waitConditionView(c *store.RunWaitCondition, hydrate bool) envelope {
	e := waitConditionBare(c)
	run := envelope{}
	if c.Run != nil {
		run = runView(c.Run, false, s.cfg.Now())
		run.Resources = nil
	}
	e.Resources = waitConditionResources{User: embeddedUser(c.User), Run: run}
	if hydrate {
		meta := c.RunMetadata
		e.Metadata = waitConditionMetadata{Question: c.Question, RunMetadata: meta, DataSchema: rawOr(c.DataSchema, "null"),
			Resolution: c.Resolution, Result: rawOr(c.Result, "null")}
	}
	return e
}

// waitConditionBare is a wait condition as its run shows it: no metadata,
// no resources.
func waitConditionBare(c *zen.RunWaitCondition) envelope {
	return envelope{ID: c.ID, Name: named(c.Name),
		Body: waitConditionBody{Created: c.Created, Updated: c.Updated, UserID: c.UserID, ProjectID: c.ProjectID, Type: c.Type, Status: c.Status,
			LastPolledAt: c.LastPolledAt, PollerInstanceID: c.PollerInstanceID, PollerLeaseExpiresAt: c.PollerLeaseExpiresAt,
			ResolvedAt: c.ResolvedAt, ResolvedByUserID: c.ResolvedByUserID}}
}
