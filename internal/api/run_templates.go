package api

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// Run templates: a snapshot kept under a name. Running one needs the
// reference's workload manager, which a server without one (zengo, the
// reference by default) does not have: the route is not there.

type runTemplateRequest struct {
	Project          uuid.UUID `json:"project" zen:"required"`
	Name             string    `json:"name" zen:"required,max=255"`
	Description      *string   `json:"description" zen:"max=65535"`
	SourceSnapshotID uuid.UUID `json:"source_snapshot_id" zen:"required"`
	Hidden           bool      `json:"hidden"`
	Tags             []string  `json:"tags"`
}

type runTemplateUpdate struct {
	Name        *string  `json:"name" zen:"max=255"`
	Description *string  `json:"description" zen:"max=65535"`
	Hidden      *bool    `json:"hidden"`
	AddTags     []string `json:"add_tags"`
	RemoveTags  []string `json:"remove_tags"`
}

func (s *Server) createRunTemplate(r *http.Request) (any, error) {
	var req runTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	me := current(r).user
	t, err := s.db.CreateRunTemplate(r.Context(), store.RunTemplate{ProjectID: project.ID, UserID: &me.ID, Name: req.Name,
		Description: req.Description, Hidden: req.Hidden, SourceSnapshotID: &req.SourceSnapshotID}, req.Tags)
	if err != nil {
		return nil, err
	}
	return runTemplateView(t, true), nil
}

func (s *Server) updateRunTemplate() handler {
	return updateByID("template_id", func(r *http.Request, id uuid.UUID, req *runTemplateUpdate) (*store.RunTemplate, error) {
		return s.db.UpdateRunTemplate(r.Context(), id, store.RunTemplateUpdate{Name: req.Name, Description: req.Description,
			Hidden: req.Hidden, AddTags: req.AddTags, RemoveTags: req.RemoveTags, UserID: &current(r).user.ID})
	}, runTemplateView)
}

func (s *Server) listRunTemplates() listRoute {
	return listOf(filter.RunTemplates, func(r *http.Request, q *listQuery) (*zen.Page[*store.RunTemplate], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListRunTemplates(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, runTemplateView)
}

func (s *Server) getRunTemplate() handler {
	return getByID("template_id", s.db.GetRunTemplate, runTemplateView)
}

func (s *Server) deleteRunTemplate() handler {
	return deleteByID("template_id", s.db.DeleteRunTemplate)
}

type runTemplateBody struct {
	Created   zen.Time   `json:"created"`
	Updated   zen.Time   `json:"updated"`
	UserID    *uuid.UUID `json:"user_id"`
	ProjectID uuid.UUID  `json:"project_id"`
	Runnable  bool       `json:"runnable"`
	Hidden    bool       `json:"hidden"`
}

type runTemplateMetadata struct {
	Description    *string         `json:"description"`
	PipelineSpec   json.RawMessage `json:"pipeline_spec"`
	ConfigTemplate json.RawMessage `json:"config_template"`
	ConfigSchema   json.RawMessage `json:"config_schema"`
}

type runTemplateResources struct {
	User            *envelope  `json:"user"`
	SourceSnapshot  *envelope  `json:"source_snapshot"`
	Pipeline        *envelope  `json:"pipeline"`
	Build           *envelope  `json:"build"`
	CodeReference   any        `json:"code_reference"`
	Tags            []envelope `json:"tags"`
	LatestRunID     *uuid.UUID `json:"latest_run_id"`
	LatestRunStatus *string    `json:"latest_run_status"`
}

// runTemplateView renders a template; its resources are there hydrated or
// not, as on the reference.
func runTemplateView(t *store.RunTemplate, hydrate bool) envelope {
	snap := t.Snapshot
	res := runTemplateResources{User: embeddedUser(t.User), Tags: tagViews(t.Tags), LatestRunID: t.LatestRunID, LatestRunStatus: t.LatestRunStatus}
	runnable := false
	if snap != nil {
		res.SourceSnapshot, res.Pipeline, res.Build = bareSnapshot(snap), barePipeline(snap.Pipeline), bareBuild(snap.Build)
		runnable = snapshotBodyOf(snap).Runnable
	}
	e := envelope{ID: t.ID, Name: named(t.Name), Resources: res,
		Body: runTemplateBody{Created: t.Created, Updated: t.Updated, UserID: t.UserID, ProjectID: t.ProjectID, Runnable: runnable, Hidden: t.Hidden}}
	if hydrate {
		meta := runTemplateMetadata{Description: t.Description, PipelineSpec: json.RawMessage("null"),
			ConfigTemplate: json.RawMessage("null"), ConfigSchema: json.RawMessage("null")}
		if snap != nil {
			meta.PipelineSpec = rawOr(snap.PipelineSpec, "null")
			if snap.Build != nil && snap.Build.StackID != nil {
				meta.ConfigTemplate = catalog.RunConfigTemplate(snap.RunNameTemplate, snap.PipelineConfiguration, snap.StepConfigurations, snap.IsDynamic)
			}
		}
		e.Metadata = meta
	}
	return e
}
