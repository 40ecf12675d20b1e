package api

import (
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// artifactRequest is the reference's ArtifactRequest.
type artifactRequest struct {
	Project       uuid.UUID `json:"project" zen:"required"`
	Name          string    `json:"name" zen:"required,max=255"`
	HasCustomName bool      `json:"has_custom_name"`
	Tags          []string  `json:"tags"`
}

// artifactUpdate is the reference's ArtifactUpdate.
type artifactUpdate struct {
	Name          *string  `json:"name"`
	AddTags       []string `json:"add_tags"`
	RemoveTags    []string `json:"remove_tags"`
	HasCustomName *bool    `json:"has_custom_name"`
}

func (s *Server) createArtifact(r *http.Request) (any, error) {
	var req artifactRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	me := current(r).user
	a, err := s.db.CreateArtifact(r.Context(), store.Artifact{Name: req.Name, ProjectID: project.ID, UserID: &me.ID, HasCustomName: req.HasCustomName}, req.Tags)
	if err != nil {
		return nil, err
	}
	return artifactView(a, true), nil
}

func (s *Server) updateArtifact() handler {
	return updateByID("artifact_id", func(r *http.Request, id uuid.UUID, req *artifactUpdate) (*store.Artifact, error) {
		return s.db.UpdateArtifact(r.Context(), id, store.ArtifactUpdate{Name: req.Name, HasCustomName: req.HasCustomName,
			AddTags: req.AddTags, RemoveTags: req.RemoveTags}, &current(r).user.ID)
	}, artifactView)
}

func (s *Server) listArtifacts() listRoute {
	return listOf(filter.Artifacts, func(r *http.Request, q *listQuery) (*zen.Page[*store.Artifact], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListArtifacts(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, artifactView)
}

func (s *Server) getArtifact() handler { return getByID("artifact_id", s.db.GetArtifact, artifactView) }

func (s *Server) deleteArtifact() handler { return deleteByID("artifact_id", s.db.DeleteArtifact) }

type artifactMetadata struct {
	HasCustomName bool `json:"has_custom_name"`
}

type artifactResources struct {
	User              *envelope  `json:"user"`
	Tags              []envelope `json:"tags"`
	LatestVersionName *string    `json:"latest_version_name"`
	LatestVersionID   *uuid.UUID `json:"latest_version_id"`
}

// artifactView renders an artifact; its resources come with every answer,
// lists included, as on the reference.
func artifactView(a *store.Artifact, hydrate bool) envelope {
	e := envelope{ID: a.ID, Name: named(a.Name),
		Body: scopedBody{Created: a.Created, Updated: a.Updated, UserID: a.UserID, ProjectID: a.ProjectID},
		Resources: artifactResources{User: embeddedUser(a.User), Tags: tagViews(a.Tags),
			LatestVersionName: a.LatestVersionName, LatestVersionID: a.LatestVersionID}}
	if hydrate {
		e.Metadata = artifactMetadata{HasCustomName: a.HasCustomName}
	}
	return e
}
