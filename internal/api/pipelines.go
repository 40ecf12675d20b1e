package api

import (
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

type pipelineRequest struct {
	Name        string    `json:"name" zen:"required,max=255"`
	Project     uuid.UUID `json:"project" zen:"required"`
	Description *string   `json:"description" zen:"max=65535"`
	Tags        []string  `json:"tags"`
}

type pipelineUpdate struct {
	Description *string  `json:"description" zen:"max=65535"`
	AddTags     []string `json:"add_tags"`
	RemoveTags  []string `json:"remove_tags"`
	Present     Present
}

// projectOverride is the project named by the deprecated
// /workspaces/{project}/... path or the project_name_or_id parameter.
func projectOverride(r *http.Request) string {
	if p := r.PathValue("workspace"); p != "" {
		return p
	}
	return r.URL.Query().Get("project_name_or_id")
}

// scopeProject resolves the project a project-scoped list or create works
// in: the override, else the given value, else the default project.
func (s *Server) scopeProject(r *http.Request, given string) (*zen.Project, error) {
	name := projectOverride(r)
	if name == "" {
		name = given
	}
	if name == "" {
		name = s.cfg.DefaultProjectName
	}
	return s.db.GetProject(r.Context(), name)
}

func (s *Server) createPipeline(r *http.Request) (any, error) {
	var req pipelineRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	me := current(r).user
	p, err := s.db.CreatePipeline(r.Context(), zen.Pipeline{Name: req.Name, ProjectID: project.ID, UserID: &me.ID, Description: req.Description}, req.Tags)
	if err != nil {
		return nil, err
	}
	return pipelineView(p, true), nil
}

// updatePipeline changes the description and tags. Unlike the reference,
// an update that does not mention the description keeps it (the reference
// clears it, which loses data on every tag-only update).
func (s *Server) updatePipeline() handler {
	return updateByID("pipeline_id", func(r *http.Request, id uuid.UUID, req *pipelineUpdate) (*zen.Pipeline, error) {
		return s.db.UpdatePipeline(r.Context(), id, store.PipelineUpdate{
			SetDescription: req.Present["description"], Description: req.Description,
			AddTags: req.AddTags, RemoveTags: req.RemoveTags,
		}, &current(r).user.ID)
	}, pipelineView)
}

func (s *Server) listPipelines() listRoute {
	return listOf(filter.Pipelines, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Pipeline], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListPipelines(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, pipelineView)
}

func (s *Server) getPipeline() handler { return getByID("pipeline_id", s.db.GetPipeline, pipelineView) }

func (s *Server) deletePipeline() handler { return deleteByID("pipeline_id", s.db.DeletePipeline) }
