package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// artifactVersionRequest is the reference's ArtifactVersionRequest.
type artifactVersionRequest struct {
	Project         uuid.UUID                  `json:"project" zen:"required"`
	ArtifactName    *string                    `json:"artifact_name"`
	ArtifactID      *uuid.UUID                 `json:"artifact_id"`
	Version         json.RawMessage            `json:"version"`
	HasCustomName   bool                       `json:"has_custom_name"`
	Type            string                     `json:"type" zen:"required"`
	URI             string                     `json:"uri" zen:"required,max=65535"`
	Materializer    json.RawMessage            `json:"materializer" zen:"required"`
	DataType        json.RawMessage            `json:"data_type" zen:"required"`
	SaveType        string                     `json:"save_type" zen:"required"`
	ArtifactStoreID *uuid.UUID                 `json:"artifact_store_id"`
	ContentHash     *string                    `json:"content_hash" zen:"max=255"`
	ItemCount       *int64                     `json:"item_count"`
	Tags            []json.RawMessage          `json:"tags"`
	Visualizations  []visualizationReq         `json:"visualizations"`
	Metadata        map[string]json.RawMessage `json:"metadata"`
}

type visualizationReq struct {
	Type string `json:"type" zen:"required"`
	URI  string `json:"uri" zen:"required"`
}

// sourceObject reads a source given as a dotted path or as the reference's
// {module, attribute, type} object, and returns the object form.
func sourceObject(raw json.RawMessage) json.RawMessage {
	var dotted string
	if json.Unmarshal(raw, &dotted) != nil {
		return raw
	}
	return catalog.SourceObject(dotted)
}

func (req artifactVersionRequest) toStore(userID uuid.UUID) (store.NewArtifactVersion, error) {
	if req.ArtifactName == nil {
		return store.NewArtifactVersion{}, valueErrors([]string{"body"}, "Either `artifact_name` or `artifact_id` must be provided.", map[string]any{})
	}
	nv := store.NewArtifactVersion{ArtifactVersion: store.ArtifactVersion{
		ProjectID: req.Project, ArtifactName: *req.ArtifactName, HasCustomName: req.HasCustomName, UserID: &userID,
		Type: req.Type, URI: req.URI, Materializer: sourceObject(req.Materializer), DataType: sourceObject(req.DataType),
		SaveType: req.SaveType, ArtifactStoreID: req.ArtifactStoreID, ContentHash: req.ContentHash, ItemCount: req.ItemCount,
	}, Metadata: req.Metadata, Tags: tagRefs(req.Tags)}
	if len(req.Version) > 0 && string(req.Version) != "null" {
		v := strings.Trim(string(req.Version), `"`)
		nv.RequestedVersion = &v
	}
	for _, v := range req.Visualizations {
		nv.Visualizations = append(nv.Visualizations, struct{ Type, URI string }{v.Type, v.URI})
	}
	return nv, nil
}

func (s *Server) createArtifactVersion(r *http.Request) (any, error) {
	var req artifactVersionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	out, err := s.createArtifactVersions(r, []artifactVersionRequest{req})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Server) createArtifactVersionBatch(r *http.Request) (any, error) {
	var body struct {
		Items []artifactVersionRequest `json:"items" zen:"required"`
	}
	raw, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := decodeJSON(wrapBatch(raw), &body); err != nil {
		return nil, rewrapBatchError(err)
	}
	return s.createArtifactVersions(r, body.Items)
}

func (s *Server) createArtifactVersions(r *http.Request, reqs []artifactVersionRequest) ([]envelope, error) {
	me := current(r).user
	news := make([]store.NewArtifactVersion, 0, len(reqs))
	for _, req := range reqs {
		nv, err := req.toStore(me.ID)
		if err != nil {
			return nil, err
		}
		if _, err := s.db.GetProject(r.Context(), req.Project.String()); err != nil {
			return nil, err
		}
		news = append(news, nv)
	}
	created, err := s.db.CreateArtifactVersions(r.Context(), news)
	if err != nil {
		return nil, err
	}
	out := make([]envelope, 0, len(created))
	for _, av := range created {
		out = append(out, artifactVersionView(av, true))
	}
	return out, nil
}

func (s *Server) getArtifactVersion() handler {
	return getByID("artifact_version_id", s.db.GetArtifactVersion, artifactVersionView)
}

type artifactVersionBody struct {
	Created         zen.Time        `json:"created"`
	Updated         zen.Time        `json:"updated"`
	UserID          *uuid.UUID      `json:"user_id"`
	ProjectID       uuid.UUID       `json:"project_id"`
	Artifact        envelope        `json:"artifact"`
	Version         string          `json:"version"`
	URI             string          `json:"uri"`
	Type            string          `json:"type"`
	Materializer    json.RawMessage `json:"materializer"`
	DataType        json.RawMessage `json:"data_type"`
	SaveType        string          `json:"save_type"`
	ArtifactStoreID *uuid.UUID      `json:"artifact_store_id"`
	ContentHash     *string         `json:"content_hash"`
	ItemCount       *int64          `json:"item_count"`
}

type artifactVersionMetadata struct {
	Visualizations []envelope                 `json:"visualizations"`
	RunMetadata    map[string]json.RawMessage `json:"run_metadata"`
}

type artifactVersionResources struct {
	User                  *envelope  `json:"user"`
	Tags                  []envelope `json:"tags"`
	ProducerStepRunID     *uuid.UUID `json:"producer_step_run_id"`
	ProducerPipelineRunID *uuid.UUID `json:"producer_pipeline_run_id"`
}

// artifactVersionView renders an artifact version; nested in a step it
// goes bare (no metadata, no resources).
func artifactVersionView(av *store.ArtifactVersion, hydrate bool) envelope {
	artifact := envelope{ID: av.ArtifactID, Name: named(av.ArtifactName),
		Body: scopedBody{Created: av.ArtifactCreated, Updated: av.ArtifactUpdated, UserID: av.ArtifactUserID, ProjectID: av.ProjectID}}
	e := envelope{ID: av.ID, Body: artifactVersionBody{Created: av.Created, Updated: av.Updated, UserID: av.UserID, ProjectID: av.ProjectID,
		Artifact: artifact, Version: av.Version, URI: av.URI, Type: av.Type, Materializer: av.Materializer, DataType: av.DataType,
		SaveType: av.SaveType, ArtifactStoreID: av.ArtifactStoreID, ContentHash: av.ContentHash, ItemCount: av.ItemCount}}
	if hydrate {
		vis := make([]envelope, 0, len(av.Visualizations))
		for _, v := range av.Visualizations {
			vis = append(vis, artifactVisualizationView(v))
		}
		meta := av.RunMetadata
		if meta == nil {
			meta = map[string]json.RawMessage{}
		}
		e.Metadata = artifactVersionMetadata{Visualizations: vis, RunMetadata: meta}
		e.Resources = artifactVersionResources{User: embeddedUser(av.User), Tags: tagViews(av.Tags)}
	}
	return e
}
