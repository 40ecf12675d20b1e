package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// modelVersionRequest is the reference's ModelVersionRequest.
type modelVersionRequest struct {
	Project     uuid.UUID `json:"project" zen:"required"`
	Model       uuid.UUID `json:"model" zen:"required"`
	Name        *string   `json:"name" zen:"max=255"`
	Description *string   `json:"description" zen:"max=65535"`
	Stage       *string   `json:"stage" zen:"max=255"`
	Tags        []string  `json:"tags"`
}

// modelVersionUpdate is the reference's ModelVersionUpdate.
type modelVersionUpdate struct {
	Stage       *string  `json:"stage"`
	Force       bool     `json:"force"`
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	AddTags     []string `json:"add_tags"`
	RemoveTags  []string `json:"remove_tags"`
}

func (s *Server) createModelVersion(r *http.Request) (any, error) {
	var req modelVersionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	modelID := req.Model
	if p := r.PathValue("model_id"); p != "" {
		if modelID, err = pathUUID(r, "model_id"); err != nil {
			return nil, err
		}
	}
	v, err := s.db.CreateModelVersion(r.Context(), store.NewModelVersion{ModelID: modelID, ProjectID: project.ID, UserID: &current(r).user.ID,
		Name: deref(req.Name), Description: req.Description, Stage: req.Stage, Tags: req.Tags})
	if err != nil {
		return nil, err
	}
	return modelVersionView(v, true), nil
}

func (s *Server) updateModelVersion() handler {
	return updateByID("model_version_id", func(r *http.Request, id uuid.UUID, req *modelVersionUpdate) (*zen.ModelVersion, error) {
		if req.Stage != nil && !oneOf(*req.Stage, store.ModelStages) {
			return nil, valueErrors([]string{"body", "stage"}, "`"+*req.Stage+"` is not a valid model stage.", *req.Stage)
		}
		return s.db.UpdateModelVersion(r.Context(), id, store.ModelVersionUpdate{Stage: req.Stage, Force: req.Force, Name: req.Name,
			Description: req.Description, AddTags: req.AddTags, RemoveTags: req.RemoveTags}, &current(r).user.ID)
	}, modelVersionView)
}

// listModelVersions lists versions; under /models/{model}/model_versions
// the path names the model, as a `model` filter would.
func (s *Server) listModelVersions() listRoute {
	return listOf(filter.ModelVersions, func(r *http.Request, q *listQuery) (*zen.Page[*zen.ModelVersion], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		if m := r.PathValue("model_name_or_id"); m != "" {
			c, err := filter.ParseCondition(filter.Field{Name: "model", Type: filter.String, Custom: true}, m)
			if err != nil {
				return nil, err
			}
			q.List.Conditions = append(q.List.Conditions, c)
		}
		return s.db.ListModelVersions(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, modelVersionView)
}

func (s *Server) getModelVersion() handler {
	return getByID("model_version_id", s.db.GetModelVersion, modelVersionView)
}

func (s *Server) deleteModelVersion() handler {
	return deleteByID("model_version_id", s.db.DeleteModelVersion)
}

type modelVersionBody struct {
	Created   zen.Time   `json:"created"`
	Updated   zen.Time   `json:"updated"`
	UserID    *uuid.UUID `json:"user_id"`
	ProjectID uuid.UUID  `json:"project_id"`
	Stage     *string    `json:"stage"`
	Number    int        `json:"number"`
	Model     envelope   `json:"model"`
}

type modelVersionMetadata struct {
	Description *string      `json:"description"`
	RunMetadata zen.Metadata `json:"run_metadata"`
}

type modelVersionResources struct {
	User     *envelope  `json:"user"`
	Services page       `json:"services"`
	Tags     []envelope `json:"tags"`
}

// modelVersionView renders a version; its resources come with every
// answer, among them the first page of its services (hydrated with it).
func modelVersionView(v *zen.ModelVersion, hydrate bool) envelope {
	e := modelVersionBare(v)
	services := page{Index: 1, MaxSize: 5, TotalPages: max(1, (v.ServicesTotal+4)/5), Total: v.ServicesTotal, Items: make([]any, 0, len(v.Services))}
	for _, sv := range v.Services {
		services.Items = append(services.Items, serviceView(sv, hydrate))
	}
	e.Resources = modelVersionResources{User: embeddedUser(v.User), Tags: tagViews(v.Tags), Services: services}
	if hydrate {
		meta := v.RunMetadata
		e.Metadata = modelVersionMetadata{Description: v.Description, RunMetadata: meta}
	}
	return e
}

// modelVersionBare is a version inside another answer: body only.
func modelVersionBare(v *zen.ModelVersion) envelope {
	return envelope{ID: v.ID, Name: named(v.Name),
		Body: modelVersionBody{Created: v.Created, Updated: v.Updated, UserID: v.UserID, ProjectID: v.ProjectID, Stage: v.Stage,
			Number: v.Number, Model: modelBare(v.Model)}}
}

// --- links of model versions to artifact versions and runs ---

type artifactLinkRequest struct {
	ModelVersion    uuid.UUID `json:"model_version" zen:"required"`
	ArtifactVersion uuid.UUID `json:"artifact_version" zen:"required"`
}

type runLinkRequest struct {
	ModelVersion uuid.UUID `json:"model_version" zen:"required"`
	PipelineRun  uuid.UUID `json:"pipeline_run" zen:"required"`
}

func (s *Server) linkArtifactVersion(r *http.Request) (any, error) {
	var req artifactLinkRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	l, err := s.db.LinkArtifactVersion(r.Context(), req.ModelVersion, req.ArtifactVersion)
	if err != nil {
		return nil, err
	}
	return s.linkView(l, l.New), nil
}

func (s *Server) linkRun(r *http.Request) (any, error) {
	var req runLinkRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	l, err := s.db.LinkRun(r.Context(), req.ModelVersion, req.PipelineRun)
	if err != nil {
		return nil, err
	}
	return s.linkView(l, l.New), nil
}

// listLinks lists the links of one kind; the only_* filters are flags.
func (s *Server) listLinks(runs bool) listRoute {
	res := filter.ModelVersionArtifacts
	if runs {
		res = filter.ModelVersionRuns
	}
	return listOf(res, func(r *http.Request, q *listQuery) (*zen.Page[*store.ModelVersionLink], error) {
		flags := map[string]bool{}
		for k, v := range q.Scope {
			flags[k], _ = filter.ParseBool(v)
		}
		return s.db.ListModelVersionLinks(r.Context(), runs, q.List, flags)
	}, s.linkView)
}

type artifactLinkBody struct {
	Created         zen.Time  `json:"created"`
	Updated         zen.Time  `json:"updated"`
	ModelVersion    uuid.UUID `json:"model_version"`
	ArtifactVersion *envelope `json:"artifact_version"`
}

type runLinkBody struct {
	Created      zen.Time  `json:"created"`
	Updated      zen.Time  `json:"updated"`
	ModelVersion uuid.UUID `json:"model_version"`
	PipelineRun  *envelope `json:"pipeline_run"`
}

// linkView renders a link: the linked resource bare, metadata an empty
// object when hydrated (and on the answer that created the link).
func (s *Server) linkView(l *store.ModelVersionLink, hydrate bool) envelope {
	e := envelope{ID: l.ID}
	if l.Run != nil {
		run := runView(l.Run, false, time.Now())
		run.Metadata, run.Resources = nil, nil
		e.Body = runLinkBody{Created: l.Created, Updated: l.Updated, ModelVersion: l.ModelVersionID, PipelineRun: &run}
	} else {
		var av *envelope
		if l.ArtifactVersion != nil {
			nested := artifactVersionNested(l.ArtifactVersion)
			av = &nested
		}
		e.Body = artifactLinkBody{Created: l.Created, Updated: l.Updated, ModelVersion: l.ModelVersionID, ArtifactVersion: av}
	}
	if hydrate {
		e.Metadata = emptyObject
	}
	return e
}

func (s *Server) unlinkArtifactVersions(r *http.Request) (any, error) {
	id, err := pathUUID(r, "model_version_id")
	if err != nil {
		return nil, err
	}
	onlyLinks, err := boolParam(r, "only_links", true)
	if err != nil {
		return nil, err
	}
	return nil, s.db.UnlinkArtifactVersions(r.Context(), id, onlyLinks)
}

func (s *Server) unlink(runs bool, param string) handler {
	return func(r *http.Request) (any, error) {
		id, err := pathUUID(r, "model_version_id")
		if err != nil {
			return nil, err
		}
		return nil, s.db.Unlink(r.Context(), runs, id, r.PathValue(param))
	}
}
