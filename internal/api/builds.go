package api

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// buildRequest is the reference's PipelineBuildRequest.
type buildRequest struct {
	Project       uuid.UUID       `json:"project" zen:"required"`
	Images        json.RawMessage `json:"images"`
	IsLocal       bool            `json:"is_local" zen:"required"`
	ContainsCode  bool            `json:"contains_code" zen:"required"`
	ZenMLVersion  *string         `json:"zenml_version"`
	PythonVersion *string         `json:"python_version"`
	Duration      *int64          `json:"duration"`
	Checksum      *string         `json:"checksum"`
	StackChecksum *string         `json:"stack_checksum"`
	Stack         *uuid.UUID      `json:"stack"`
	Pipeline      *uuid.UUID      `json:"pipeline"`
}

// buildImageDefaults are the reference's BuildItem defaults, laid under
// each image the client sends.
const buildImageDefaults = `{"image":null,"dockerfile":null,"requirements":null,"settings_checksum":null,"contains_code":true,"requires_code_download":false}`

func (s *Server) createBuild(r *http.Request) (any, error) {
	var req buildRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	images, err := completeImages(req.Images)
	if err != nil {
		return nil, err
	}
	b, err := s.db.CreateBuild(r.Context(), store.Build{ProjectID: project.ID, UserID: &current(r).user.ID, PipelineID: req.Pipeline,
		StackID: req.Stack, Images: images, IsLocal: req.IsLocal, ContainsCode: req.ContainsCode, ZenMLVersion: req.ZenMLVersion,
		PythonVersion: req.PythonVersion, Checksum: req.Checksum, StackChecksum: req.StackChecksum, Duration: req.Duration})
	if err != nil {
		return nil, err
	}
	return buildView(b, true), nil
}

// completeImages fills each image entry with the reference's defaults.
func completeImages(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), nil
	}
	var images map[string]json.RawMessage
	if json.Unmarshal(raw, &images) != nil {
		return nil, &validationError{errs: []fieldError{{typ: "dict_type", loc: []string{"body", "images"}, msg: "Input should be a valid dictionary", input: raw}}}
	}
	obj, err := jsonobj.Parse(raw)
	if err != nil {
		return nil, err
	}
	for _, name := range obj.Keys() {
		v, _ := obj.Get(name)
		full, err := jsonobj.Overlay(buildImageDefaults, v)
		if err != nil {
			return nil, &validationError{errs: []fieldError{{typ: "model_type", loc: []string{"body", "images", name}, msg: "Input should be a valid dictionary or instance of BuildItem", input: v}}}
		}
		obj.Set(name, full.JSON())
	}
	return obj.JSON(), nil
}

func (s *Server) listBuilds() listRoute {
	return listOf(filter.Builds, func(r *http.Request, q *listQuery) (*zen.Page[*store.Build], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListBuilds(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, buildView)
}

func (s *Server) getBuild() handler { return getByID("build_id", s.db.GetBuild, buildView) }

func (s *Server) deleteBuild() handler { return deleteByID("build_id", s.db.DeleteBuild) }

type buildMetadata struct {
	Pipeline      *envelope       `json:"pipeline"`
	Stack         *envelope       `json:"stack"`
	Images        json.RawMessage `json:"images"`
	ZenMLVersion  *string         `json:"zenml_version"`
	PythonVersion *string         `json:"python_version"`
	Checksum      *string         `json:"checksum"`
	StackChecksum *string         `json:"stack_checksum"`
	IsLocal       bool            `json:"is_local"`
	ContainsCode  bool            `json:"contains_code"`
	Duration      *int64          `json:"duration"`
}

// buildView renders a build: it has no name, and its resources (the
// creator) come with every answer.
func buildView(b *store.Build, hydrate bool) envelope {
	e := envelope{ID: b.ID, Body: scopedBody{Created: b.Created, Updated: b.Updated, UserID: b.UserID, ProjectID: b.ProjectID},
		Resources: userResources{User: embeddedUser(b.User)}}
	if hydrate {
		e.Metadata = buildMetadata{Pipeline: barePipeline(b.Pipeline), Stack: bareStack(b.Stack), Images: rawOr(b.Images, "{}"),
			ZenMLVersion: b.ZenMLVersion, PythonVersion: b.PythonVersion, Checksum: b.Checksum, StackChecksum: b.StackChecksum,
			IsLocal: b.IsLocal, ContainsCode: b.ContainsCode, Duration: b.Duration}
	}
	return e
}
