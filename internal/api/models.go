package api

import (
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// modelRequest is the reference's ModelRequest.
type modelRequest struct {
	Project              uuid.UUID `json:"project" zen:"required"`
	Name                 string    `json:"name" zen:"required,max=255"`
	License              *string   `json:"license" zen:"max=65535"`
	Description          *string   `json:"description" zen:"max=65535"`
	Audience             *string   `json:"audience" zen:"max=65535"`
	UseCases             *string   `json:"use_cases" zen:"max=65535"`
	Limitations          *string   `json:"limitations" zen:"max=65535"`
	TradeOffs            *string   `json:"trade_offs" zen:"max=65535"`
	Ethics               *string   `json:"ethics" zen:"max=65535"`
	Tags                 []string  `json:"tags"`
	SaveModelsToRegistry *bool     `json:"save_models_to_registry"`
}

// modelUpdate is the reference's ModelUpdate.
type modelUpdate struct {
	Name                 *string  `json:"name" zen:"max=255"`
	License              *string  `json:"license" zen:"max=65535"`
	Description          *string  `json:"description" zen:"max=65535"`
	Audience             *string  `json:"audience" zen:"max=65535"`
	UseCases             *string  `json:"use_cases" zen:"max=65535"`
	Limitations          *string  `json:"limitations" zen:"max=65535"`
	TradeOffs            *string  `json:"trade_offs" zen:"max=65535"`
	Ethics               *string  `json:"ethics" zen:"max=65535"`
	AddTags              []string `json:"add_tags"`
	RemoveTags           []string `json:"remove_tags"`
	SaveModelsToRegistry *bool    `json:"save_models_to_registry"`
}

func (s *Server) createModel(r *http.Request) (any, error) {
	var req modelRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	save := req.SaveModelsToRegistry == nil || *req.SaveModelsToRegistry
	m, err := s.db.CreateModel(r.Context(), zen.Model{ProjectID: project.ID, UserID: &current(r).user.ID, Name: req.Name,
		License: req.License, Description: req.Description, Audience: req.Audience, UseCases: req.UseCases,
		Limitations: req.Limitations, TradeOffs: req.TradeOffs, Ethics: req.Ethics, SaveModelsToRegistry: save}, req.Tags)
	if err != nil {
		return nil, err
	}
	return modelView(m, true), nil
}

func (s *Server) updateModel() handler {
	return updateByID("model_id", func(r *http.Request, id uuid.UUID, req *modelUpdate) (*zen.Model, error) {
		return s.db.UpdateModel(r.Context(), id, store.ModelUpdate{Name: req.Name, ModelFields: store.ModelFields{
			License: req.License, Description: req.Description, Audience: req.Audience, UseCases: req.UseCases,
			Limitations: req.Limitations, TradeOffs: req.TradeOffs, Ethics: req.Ethics, SaveModelsToRegistry: req.SaveModelsToRegistry,
		}, AddTags: req.AddTags, RemoveTags: req.RemoveTags}, &current(r).user.ID)
	}, modelView)
}

func (s *Server) listModels() listRoute {
	return listOf(filter.Models, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Model], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListModels(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, modelView)
}

func (s *Server) getModel() handler { return getByID("model_id", s.db.GetModel, modelView) }

func (s *Server) deleteModel() handler { return deleteByID("model_id", s.db.DeleteModel) }

type modelMetadata struct {
	License              *string `json:"license"`
	Description          *string `json:"description"`
	Audience             *string `json:"audience"`
	UseCases             *string `json:"use_cases"`
	Limitations          *string `json:"limitations"`
	TradeOffs            *string `json:"trade_offs"`
	Ethics               *string `json:"ethics"`
	SaveModelsToRegistry bool    `json:"save_models_to_registry"`
}

type modelResources struct {
	User              *envelope  `json:"user"`
	Tags              []envelope `json:"tags"`
	LatestVersionName *string    `json:"latest_version_name"`
	LatestVersionID   *uuid.UUID `json:"latest_version_id"`
	Visualizations    []envelope `json:"visualizations"`
}

// modelView renders a model; its resources come with every answer.
func modelView(m *zen.Model, hydrate bool) envelope {
	e := modelBare(m)
	e.Resources = modelResources{User: embeddedUser(m.User), Tags: tagViews(m.Tags), LatestVersionName: m.LatestVersionName,
		LatestVersionID: m.LatestVersionID, Visualizations: curatedViews(m.Visualizations)}
	if hydrate {
		e.Metadata = modelMetadata{License: m.License, Description: m.Description, Audience: m.Audience, UseCases: m.UseCases,
			Limitations: m.Limitations, TradeOffs: m.TradeOffs, Ethics: m.Ethics, SaveModelsToRegistry: m.SaveModelsToRegistry}
	}
	return e
}

// modelBare is a model inside a version's body: no metadata, no resources.
func modelBare(m *zen.Model) envelope {
	return envelope{ID: m.ID, Name: named(m.Name), Body: scopedBody{Created: m.Created, Updated: m.Updated, UserID: m.UserID, ProjectID: m.ProjectID}}
}
