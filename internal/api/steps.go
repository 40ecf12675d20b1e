package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// What a running pipeline records: step runs, logs, run metadata.

type stepRequest struct {
	Project           uuid.UUID         `json:"project" zen:"required"`
	Name              string            `json:"name" zen:"required,max=255"`
	Status            executionStatus   `json:"status" zen:"required"`
	PipelineRunID     uuid.UUID         `json:"pipeline_run_id" zen:"required"`
	StartTime         *zen.Time         `json:"start_time"`
	EndTime           *zen.Time         `json:"end_time"`
	CacheKey          *string           `json:"cache_key" zen:"max=255"`
	CacheExpiresAt    *zen.Time         `json:"cache_expires_at"`
	CodeHash          *string           `json:"code_hash" zen:"max=255"`
	Docstring         *string           `json:"docstring"`
	SourceCode        *string           `json:"source_code"`
	OriginalStepRunID *uuid.UUID        `json:"original_step_run_id"`
	Inputs            map[string]idList `json:"inputs"`
	Outputs           map[string]idList `json:"outputs"`
	Logs              json.RawMessage   `json:"logs"`
	ExceptionInfo     json.RawMessage   `json:"exception_info"`
	DynamicConfig     json.RawMessage   `json:"dynamic_config"`
}

// idList is a list of ids that a client may also send as a single id.
type idList []uuid.UUID

func (l *idList) UnmarshalJSON(b []byte) error {
	var one uuid.UUID
	if json.Unmarshal(b, &one) == nil {
		*l = idList{one}
		return nil
	}
	var many []uuid.UUID
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

func idLists(m map[string]idList) map[string][]uuid.UUID {
	out := make(map[string][]uuid.UUID, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// logsID reads the logs reference of a step request: an id, or a logs
// object carrying one.
func logsID(raw json.RawMessage) *uuid.UUID {
	var id uuid.UUID
	if json.Unmarshal(raw, &id) == nil {
		return &id
	}
	var obj struct {
		ID *uuid.UUID `json:"id"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.ID
	}
	return nil
}

func (s *Server) createStep(r *http.Request) (any, error) {
	var req stepRequest
	if err := decodeStepRequest(r, &req); err != nil {
		return nil, err
	}
	dynamic := nonNull(req.DynamicConfig)
	if dynamic != nil {
		var err error
		if dynamic, err = catalog.CompleteStep(dynamic); err != nil {
			return nil, err
		}
	}
	me := current(r).user
	step, err := s.db.CreateStep(r.Context(), store.NewStepRun{StepRun: store.StepRun{
		Name: req.Name, UserID: &me.ID, PipelineRunID: req.PipelineRunID, Status: asString(req.Status), StartTime: req.StartTime,
		EndTime: req.EndTime, CacheKey: req.CacheKey, CacheExpiresAt: req.CacheExpiresAt, CodeHash: req.CodeHash,
		Docstring: req.Docstring, SourceCode: req.SourceCode, OriginalStepRunID: req.OriginalStepRunID, ExceptionInfo: req.ExceptionInfo,
		DynamicConfig: dynamic,
	}, Inputs: idLists(req.Inputs), Outputs: idLists(req.Outputs), LogsID: logsID(req.Logs)})
	if err != nil {
		return nil, err
	}
	return stepView(step, true), nil
}

// decodeStepRequest reads a step body. The id maps are decoded separately
// because their values may be one id or a list.
func decodeStepRequest(r *http.Request, req *stepRequest) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var loose struct {
		Inputs  map[string]json.RawMessage `json:"inputs"`
		Outputs map[string]json.RawMessage `json:"outputs"`
	}
	json.Unmarshal(body, &loose)
	var rest map[string]json.RawMessage
	if err := json.Unmarshal(body, &rest); err == nil {
		delete(rest, "inputs")
		delete(rest, "outputs")
		if stripped, err := json.Marshal(rest); err == nil {
			body = stripped
		}
	}
	if err := decodeJSON(body, req); err != nil {
		return err
	}
	var err2 error
	req.Inputs, err2 = decodeIDMap(loose.Inputs, "inputs")
	if err2 != nil {
		return err2
	}
	req.Outputs, err2 = decodeIDMap(loose.Outputs, "outputs")
	return err2
}

func decodeIDMap(m map[string]json.RawMessage, field string) (map[string]idList, error) {
	out := make(map[string]idList, len(m))
	for k, v := range m {
		var l idList
		if err := l.UnmarshalJSON(v); err != nil {
			return nil, &validationError{errs: []fieldError{{typ: "uuid_parsing", loc: []string{"body", field, k},
				msg: "Input should be a valid UUID", input: string(v)}}}
		}
		out[k] = l
	}
	return out, nil
}

type stepUpdate struct {
	Status        *executionStatus `json:"status"`
	EndTime       *zen.Time        `json:"end_time"`
	ExceptionInfo json.RawMessage  `json:"exception_info"`
}

func (s *Server) updateStep(r *http.Request) (any, error) {
	id, err := pathUUID(r, "step_id")
	if err != nil {
		return nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var loose struct {
		Outputs map[string]json.RawMessage `json:"outputs"`
	}
	json.Unmarshal(body, &loose)
	outputs, err := decodeIDMap(loose.Outputs, "outputs")
	if err != nil {
		return nil, err
	}
	var rest map[string]json.RawMessage
	if json.Unmarshal(body, &rest) == nil {
		delete(rest, "outputs")
		body, _ = json.Marshal(rest)
	}
	var req stepUpdate
	if err := decodeJSON(body, &req); err != nil {
		return nil, err
	}
	step, err := s.db.UpdateStep(r.Context(), id, store.StepUpdate{Status: asStringPtr(req.Status), EndTime: req.EndTime,
		Outputs: idLists(outputs), ExceptionInfo: req.ExceptionInfo})
	if err != nil {
		return nil, err
	}
	return stepView(step, true), nil
}

// stepHeartbeat records that a step is alive.
// heartbeatAnswer is the reference's StepHeartbeatResponse: the run's
// status tells a step that its run is being stopped.
type heartbeatAnswer struct {
	ID                uuid.UUID `json:"id"`
	Status            string    `json:"status"`
	LatestHeartbeat   string    `json:"latest_heartbeat"`
	PipelineRunStatus *string   `json:"pipeline_run_status"`
	HeartbeatEnabled  bool      `json:"heartbeat_enabled"`
}

func (s *Server) stepHeartbeat(r *http.Request) (any, error) {
	id, err := pathUUID(r, "step_id")
	if err != nil {
		return nil, err
	}
	current, err := s.db.GetStep(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if zen.IsFinished(current.Status) {
		return nil, zen.Errorf(zen.EForbidden, "Can not update heartbeat for finished steps.")
	}
	step, err := s.db.UpdateStep(r.Context(), id, store.StepUpdate{Heartbeat: true})
	if err != nil {
		return nil, err
	}
	// The reference answers this one time zone-aware.
	out := heartbeatAnswer{ID: step.ID, Status: step.Status, HeartbeatEnabled: step.HeartbeatThreshold != nil}
	if step.LatestHeartbeat != nil {
		out.LatestHeartbeat = step.LatestHeartbeat.String() + "Z"
	}
	if step.Run != nil {
		out.PipelineRunStatus = &step.Run.Status
	}
	return out, nil
}

func (s *Server) getStep() handler { return getByID("step_id", s.db.GetStep, stepView) }

// getStepStatus answers a step's status alone.
func (s *Server) getStepStatus(r *http.Request) (any, error) {
	id, err := pathUUID(r, "step_id")
	if err != nil {
		return nil, err
	}
	st, err := s.db.GetStep(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return st.Status, nil
}

// stepConfigurationOf answers a step's configuration, as its hydrated
// answer carries it.
func (s *Server) stepConfigurationOf(r *http.Request) (any, error) {
	id, err := pathUUID(r, "step_id")
	if err != nil {
		return nil, err
	}
	st, err := s.db.GetStep(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return stepView(st, true).Metadata.(stepMetadata).Config, nil
}

// listSteps lists steps; under /runs/{run_id}/steps, one run's (in the
// run's project, after checking the run exists).
func (s *Server) listSteps() listRoute {
	return listOf(filter.Steps, func(r *http.Request, q *listQuery) (*zen.Page[*store.StepRun], error) {
		var scope store.StepScope
		if r.PathValue("run_id") != "" {
			id, err := pathUUID(r, "run_id")
			if err != nil {
				return nil, err
			}
			run, err := s.db.GetRun(r.Context(), id)
			if err != nil {
				return nil, err
			}
			scope = store.StepScope{ProjectID: run.ProjectID, RunID: &run.ID, ScopeUser: q.scopeUser}
			q.hydrate = false // the reference's route answers steps bare, whatever hydrate says
		} else {
			project, err := s.scopeProject(r, q.Scope["project"])
			if err != nil {
				return nil, err
			}
			scope = store.StepScope{ProjectID: project.ID, ScopeUser: q.scopeUser}
		}
		if v, ok := q.Scope["cache_expired"]; ok && v != "" {
			b, ok := filter.ParseBool(v)
			if !ok {
				return nil, &validationError{errs: []fieldError{{typ: "bool_parsing", loc: []string{"query", "cache_expired"},
					msg: "Input should be a valid boolean, unable to interpret input", input: v}}}
			}
			scope.CacheExpired = &b
		}
		if v := r.URL.Query().Get("exclude_retried"); v != "" {
			scope.ExcludeRetried, _ = filter.ParseBool(v)
		}
		return s.db.ListSteps(r.Context(), q.List, scope)
	}, stepView)
}

type stepBody struct {
	Created           zen.Time       `json:"created"`
	Updated           zen.Time       `json:"updated"`
	UserID            *uuid.UUID     `json:"user_id"`
	ProjectID         uuid.UUID      `json:"project_id"`
	Type              *string        `json:"type"`
	Status            string         `json:"status"`
	Version           int            `json:"version"`
	IsRetriable       bool           `json:"is_retriable"`
	StartTime         *zen.Time      `json:"start_time"`
	EndTime           *zen.Time      `json:"end_time"`
	LatestHeartbeat   *zen.Time      `json:"latest_heartbeat"`
	ModelVersionID    *uuid.UUID     `json:"model_version_id"`
	ResourceRequestID *uuid.UUID     `json:"resource_request_id"`
	Substitutions     map[string]any `json:"substitutions"`
	HeartbeatThresh   *int           `json:"heartbeat_threshold"`
}

type stepMetadata struct {
	Config            json.RawMessage `json:"config"`
	Spec              json.RawMessage `json:"spec"`
	CacheKey          *string         `json:"cache_key"`
	CacheExpiresAt    *zen.Time       `json:"cache_expires_at"`
	CodeHash          *string         `json:"code_hash"`
	Docstring         *string         `json:"docstring"`
	SourceCode        *string         `json:"source_code"`
	ExceptionInfo     json.RawMessage `json:"exception_info"`
	SnapshotID        *uuid.UUID      `json:"snapshot_id"`
	PipelineRunID     uuid.UUID       `json:"pipeline_run_id"`
	OriginalStepRunID *uuid.UUID      `json:"original_step_run_id"`
	ParentStepIDs     []uuid.UUID     `json:"parent_step_ids"`
	RunMetadata       zen.Metadata    `json:"run_metadata"`
}

type stepResources struct {
	User            *envelope       `json:"user"`
	LogCollection   []envelope      `json:"log_collection"`
	ModelVersion    any             `json:"model_version"`
	Inputs          json.RawMessage `json:"inputs"`
	Outputs         json.RawMessage `json:"outputs"`
	ResourceRequest any             `json:"resource_request"`
}

// stepInput is an input artifact version with how the step got it.
type stepInput struct {
	envelope
	InputType  *string `json:"input_type"`
	Index      int     `json:"index"`
	ChunkIndex *int    `json:"chunk_index"`
	ChunkSize  *int    `json:"chunk_size"`
}

func stepView(st *store.StepRun, hydrate bool) envelope {
	var runStart time.Time
	var stepConfig, spec json.RawMessage
	var snapshotID *uuid.UUID
	if st.Run != nil {
		runStart = st.Run.Created.Std()
		if st.Run.StartTime != nil {
			runStart = st.Run.StartTime.Std()
		}
		if st.Run.Snapshot != nil {
			snapshotID = &st.Run.Snapshot.ID
			stepConfig, spec = stepConfiguration(st.Run.Snapshot.StepConfigurations, st.Name)
		}
		if len(st.DynamicConfig) > 0 {
			stepConfig, spec = ownConfiguration(st.DynamicConfig)
		}
	}
	subs := substitutions(runStart)
	inputs, outputs := stepInputsView(st.Inputs, spec), stepOutputsView(st.Outputs)
	e := envelope{ID: st.ID, Name: named(st.Name),
		Body: stepBody{Created: st.Created, Updated: st.Updated, UserID: st.UserID, ProjectID: st.ProjectID, Status: st.Status,
			Version: st.Version, IsRetriable: st.IsRetriable, StartTime: st.StartTime, EndTime: st.EndTime,
			LatestHeartbeat: st.LatestHeartbeat, HeartbeatThresh: st.HeartbeatThreshold, Substitutions: subs},
		Resources: stepResources{User: embeddedUser(st.User), LogCollection: logsViews(st.Logs), Inputs: inputs, Outputs: outputs}}
	if hydrate {
		meta := st.RunMetadata
		e.Metadata = stepMetadata{Config: withSubstitutions(stepConfig, subs), Spec: rawOr(spec, "null"), CacheKey: st.CacheKey,
			CacheExpiresAt: st.CacheExpiresAt, CodeHash: st.CodeHash, Docstring: st.Docstring, SourceCode: st.SourceCode,
			ExceptionInfo: rawOr(st.ExceptionInfo, "null"), SnapshotID: snapshotID, PipelineRunID: st.PipelineRunID,
			OriginalStepRunID: st.OriginalStepRunID, ParentStepIDs: st.ParentStepIDs, RunMetadata: meta}
	}
	return e
}

// stepInputsView renders a step's inputs in the order the reference
// answers them on SQLite, the order its client recorded them: the names
// in the order of the step's spec (then the others by name), each name's
// versions by index.
func stepInputsView(in map[string][]store.StepArtifact, spec json.RawMessage) json.RawMessage {
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	var declared []string
	var s struct {
		Inputs json.RawMessage `json:"inputs"`
	}
	if json.Unmarshal(spec, &s) == nil {
		if o, err := jsonobj.Parse(s.Inputs); err == nil {
			declared = o.Keys()
		}
	}
	rank := func(n string) int {
		for i, d := range declared {
			if d == n {
				return i
			}
		}
		return len(declared)
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	out := jsonobj.New()
	for _, name := range names {
		list := append([]store.StepArtifact(nil), in[name]...)
		sort.SliceStable(list, func(i, j int) bool { return list[i].Index < list[j].Index })
		views := make([]stepInput, 0, len(list))
		for _, a := range list {
			views = append(views, stepInput{envelope: artifactVersionNested(a.Version), InputType: a.InputType, Index: a.Index})
		}
		b, _ := json.Marshal(views)
		out.Set(name, b)
	}
	return out.JSON()
}

// stepOutputsView renders a step's outputs in the reference's order: by
// artifact version id (its table's primary key, which it reads them
// by), the names in the order of their first version.
func stepOutputsView(outs map[string][]store.StepArtifact) json.RawMessage {
	type output struct {
		name string
		a    store.StepArtifact
	}
	var all []output
	for name, list := range outs {
		for _, a := range list {
			all = append(all, output{name, a})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		return bytes.Compare(all[i].a.Version.ID[:], all[j].a.Version.ID[:]) < 0
	})
	byName := map[string][]envelope{}
	var names []string
	for _, o := range all {
		if _, ok := byName[o.name]; !ok {
			names = append(names, o.name)
		}
		byName[o.name] = append(byName[o.name], artifactVersionNested(o.a.Version))
	}
	out := jsonobj.New()
	for _, name := range names {
		b, _ := json.Marshal(byName[name])
		out.Set(name, b)
	}
	return out.JSON()
}

// stepConfiguration reads one step's config and spec from a snapshot.
func stepConfiguration(steps json.RawMessage, name string) (config, spec json.RawMessage) {
	var all map[string]json.RawMessage
	if json.Unmarshal(steps, &all) != nil {
		return nil, nil
	}
	return ownConfiguration(all[name])
}

// ownConfiguration reads the config and spec of a step that configured
// itself (a dynamic pipeline's).
func ownConfiguration(step json.RawMessage) (config, spec json.RawMessage) {
	var one struct {
		Config json.RawMessage `json:"config"`
		Spec   json.RawMessage `json:"spec"`
	}
	if json.Unmarshal(step, &one) != nil {
		return nil, nil
	}
	return one.Config, one.Spec
}

// withSubstitutions merges the run's substitutions into a configuration's
// own (its own win).
func withSubstitutions(config json.RawMessage, subs map[string]any) json.RawMessage {
	m, err := jsonobj.Parse(config)
	if err != nil {
		m, _ = jsonobj.Parse([]byte("{}"))
	}
	merged := map[string]any{}
	for k, v := range subs {
		merged[k] = v
	}
	if given, ok := m.Get("substitutions"); ok {
		var g map[string]any
		if json.Unmarshal(given, &g) == nil {
			for k, v := range g {
				merged[k] = v
			}
		}
	}
	b, _ := json.Marshal(merged)
	m.Set("substitutions", b)
	out, _ := m.MarshalJSON()
	return out
}

type logsBody struct {
	Created          zen.Time   `json:"created"`
	Updated          zen.Time   `json:"updated"`
	UserID           *uuid.UUID `json:"user_id"`
	ProjectID        uuid.UUID  `json:"project_id"`
	URI              *string    `json:"uri"`
	Source           string     `json:"source"`
	StepRunID        *uuid.UUID `json:"step_run_id"`
	PipelineRunID    *uuid.UUID `json:"pipeline_run_id"`
	ArtifactStoreID  *uuid.UUID `json:"artifact_store_id"`
	LogStoreID       *uuid.UUID `json:"log_store_id"`
	HookInvocationID *uuid.UUID `json:"hook_invocation_id"`
}

type logsMetadata struct {
	StepRunID        *uuid.UUID `json:"step_run_id"`
	PipelineRunID    *uuid.UUID `json:"pipeline_run_id"`
	ArtifactStoreID  *uuid.UUID `json:"artifact_store_id"`
	LogStoreID       *uuid.UUID `json:"log_store_id"`
	HookInvocationID *uuid.UUID `json:"hook_invocation_id"`
}

func logsView(l *zen.Logs, hydrate bool) envelope {
	e := envelope{ID: l.ID, Body: logsBody{Created: l.Created, Updated: l.Updated, UserID: l.UserID, ProjectID: l.ProjectID, URI: l.URI,
		Source: l.Source, StepRunID: l.StepRunID, PipelineRunID: l.PipelineRunID, ArtifactStoreID: l.ArtifactStoreID,
		LogStoreID: l.LogStoreID, HookInvocationID: l.HookInvocationID}}
	if hydrate {
		e.Metadata = logsMetadata{StepRunID: l.StepRunID, PipelineRunID: l.PipelineRunID, ArtifactStoreID: l.ArtifactStoreID,
			LogStoreID: l.LogStoreID, HookInvocationID: l.HookInvocationID}
		e.Resources = userResources{User: embeddedUser(l.User)}
	}
	return e
}

func logsViews(ls []*zen.Logs) []envelope {
	out := make([]envelope, 0, len(ls))
	for _, l := range ls {
		out = append(out, logsView(l, false))
	}
	return out
}

type logsRequest struct {
	Project          uuid.UUID  `json:"project" zen:"required"`
	ID               *uuid.UUID `json:"id"`
	URI              *string    `json:"uri"`
	Source           string     `json:"source" zen:"required"`
	ArtifactStoreID  *uuid.UUID `json:"artifact_store_id"`
	LogStoreID       *uuid.UUID `json:"log_store_id"`
	PipelineRunID    *uuid.UUID `json:"pipeline_run_id"`
	StepRunID        *uuid.UUID `json:"step_run_id"`
	HookInvocationID *uuid.UUID `json:"hook_invocation_id"`
}

func (s *Server) createLogs(r *http.Request) (any, error) {
	var req logsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.ArtifactStoreID == nil && req.LogStoreID == nil && req.Source != "runner" {
		return nil, valueErrors([]string{"body"}, "Either an `artifact_store_id` or a `log_store_id` must be set.", bodyEcho(r))
	}
	me := current(r).user
	l := zen.Logs{ProjectID: req.Project, UserID: &me.ID, URI: req.URI, Source: req.Source, ArtifactStoreID: req.ArtifactStoreID,
		LogStoreID: req.LogStoreID, PipelineRunID: req.PipelineRunID, StepRunID: req.StepRunID, HookInvocationID: req.HookInvocationID}
	if req.ID != nil {
		l.ID = *req.ID
	}
	out, err := s.db.CreateLogs(r.Context(), l)
	if err != nil {
		return nil, err
	}
	return logsView(out, true), nil
}

type logsUpdate struct {
	PipelineRunID *uuid.UUID `json:"pipeline_run_id"`
	StepRunID     *uuid.UUID `json:"step_run_id"`
}

func (s *Server) updateLogs(r *http.Request) (any, error) {
	id, err := pathUUID(r, "logs_id")
	if err != nil {
		return nil, err
	}
	var req logsUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.PipelineRunID != nil && req.StepRunID != nil {
		return nil, valueErrors([]string{"body"}, "Two different IDs can not be set at the same time.", bodyEcho(r))
	}
	out, err := s.db.LinkLogs(r.Context(), id, req.PipelineRunID, req.StepRunID)
	if err != nil {
		return nil, err
	}
	return logsView(out, true), nil
}

// getLogs answers with the user embedded even unhydrated, as the reference's
// logs route does (logs embedded in runs and steps carry no resources).
func (s *Server) getLogs() handler {
	return getByID("logs_id", s.db.GetLogs, func(l *zen.Logs, hydrate bool) envelope {
		e := logsView(l, hydrate)
		e.Resources = userResources{User: embeddedUser(l.User)}
		return e
	})
}

// runMetadataRequest is the reference's RunMetadataRequest.
type runMetadataRequest struct {
	Project   uuid.UUID `json:"project" zen:"required"`
	Resources []struct {
		ID   uuid.UUID            `json:"id" zen:"required"`
		Type metadataResourceType `json:"type" zen:"required"`
	} `json:"resources" zen:"required"`
	StackComponentID *uuid.UUID                 `json:"stack_component_id"`
	Values           map[string]json.RawMessage `json:"values" zen:"required"`
	Types            map[string]metadataType    `json:"types" zen:"required"`
	PublisherStepID  *uuid.UUID                 `json:"publisher_step_id"`
}

// addRunMetadata records metadata for runs, steps, artifact versions and
// the other resources that carry it (POST /run-metadata).
func (s *Server) addRunMetadata(r *http.Request) (any, error) {
	var req runMetadataRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	var colons []string
	for k := range req.Values {
		if strings.Contains(k, ":") {
			colons = append(colons, zen.PyRepr(k))
		}
	}
	if len(colons) > 0 {
		sort.Strings(colons)
		return nil, valueErrors([]string{"body"}, "You can not use colons (`:`) in the key names when you are creating metadata for your ZenML objects. Please change the following keys: ["+strings.Join(colons, ", ")+"]", bodyEcho(r))
	}
	if p := r.PathValue("project_name_or_id"); p != "" {
		if _, err := s.db.GetProject(r.Context(), p); err != nil {
			return nil, err
		}
	}
	me := current(r).user
	e := store.RunMetadataEntry{StackComponentID: req.StackComponentID, Values: req.Values, Types: map[string]string{}, UserID: &me.ID}
	for k, t := range req.Types {
		e.Types[k] = string(t)
	}
	for _, res := range req.Resources {
		e.Resources = append(e.Resources, struct {
			ID   uuid.UUID
			Type string
		}{res.ID, string(res.Type)})
	}
	return nil, s.db.AddRunMetadata(r.Context(), e)
}
