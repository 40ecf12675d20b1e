package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/store"
	"zengo/internal/zen"
)

var visualizationResourceTypes = []string{"deployment", "model", "pipeline", "pipeline_run", "pipeline_snapshot", "project"}

var layoutSizes = []string{"full_width", "half_width"}

type curatedRequest struct {
	Project                 uuid.UUID `json:"project" zen:"required"`
	ArtifactVisualizationID uuid.UUID `json:"artifact_visualization_id" zen:"required"`
	ResourceID              uuid.UUID `json:"resource_id" zen:"required"`
	ResourceType            string    `json:"resource_type" zen:"required"`
	DisplayName             *string   `json:"display_name"`
	DisplayOrder            *int      `json:"display_order" zen:"min=0"`
	LayoutSize              *string   `json:"layout_size"`
}

type curatedUpdate struct {
	DisplayName  *string `json:"display_name"`
	DisplayOrder *int    `json:"display_order" zen:"min=0"`
	LayoutSize   *string `json:"layout_size"`
	Present      Present
}

func checkEnum(loc []string, v *string, allowed []string) error {
	if v != nil && !oneOf(*v, allowed) {
		return &validationError{errs: []fieldError{enumError(loc, *v, allowed)}}
	}
	return nil
}

func (s *Server) createCurated(r *http.Request) (any, error) {
	var req curatedRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkEnum([]string{"body", "resource_type"}, &req.ResourceType, visualizationResourceTypes); err != nil {
		return nil, err
	}
	if err := checkEnum([]string{"body", "layout_size"}, req.LayoutSize, layoutSizes); err != nil {
		return nil, err
	}
	layout := "full_width"
	if req.LayoutSize != nil {
		layout = *req.LayoutSize
	}
	v, err := s.db.CreateCurated(r.Context(), zen.CuratedVisualization{ProjectID: req.Project, ArtifactVisualizationID: req.ArtifactVisualizationID,
		ResourceID: req.ResourceID, ResourceType: req.ResourceType, DisplayName: req.DisplayName, DisplayOrder: req.DisplayOrder, LayoutSize: layout})
	if err != nil {
		return nil, err
	}
	return curatedView(v, true), nil
}

func (s *Server) updateCurated(r *http.Request) (any, error) {
	id, err := pathUUID(r, "visualization_id")
	if err != nil {
		return nil, err
	}
	var req curatedUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkEnum([]string{"body", "layout_size"}, req.LayoutSize, layoutSizes); err != nil {
		return nil, err
	}
	v, err := s.db.UpdateCurated(r.Context(), id, store.CuratedUpdate{
		DisplayName: req.DisplayName, ClearDisplayName: req.Present["display_name"] && req.DisplayName == nil,
		DisplayOrder: req.DisplayOrder, ClearDisplayOrder: req.Present["display_order"] && req.DisplayOrder == nil,
		LayoutSize: req.LayoutSize,
	})
	if err != nil {
		return nil, err
	}
	return curatedView(v, true), nil
}

// artifactVersionRequest is the part of the reference's
// ArtifactVersionRequest zengo stores so far.
type artifactVersionRequest struct {
	Project         uuid.UUID          `json:"project" zen:"required"`
	ArtifactName    *string            `json:"artifact_name"`
	Artifact        *uuid.UUID         `json:"artifact_id"`
	Version         json.RawMessage    `json:"version"`
	HasCustomName   bool               `json:"has_custom_name"`
	Type            string             `json:"type" zen:"required"`
	URI             string             `json:"uri" zen:"required,max=65535"`
	Materializer    json.RawMessage    `json:"materializer" zen:"required"`
	DataType        json.RawMessage    `json:"data_type" zen:"required"`
	SaveType        string             `json:"save_type" zen:"required"`
	ArtifactStoreID *uuid.UUID         `json:"artifact_store_id"`
	Visualizations  []visualizationReq `json:"visualizations"`
}

type visualizationReq struct {
	Type string `json:"type" zen:"required"`
	URI  string `json:"uri" zen:"required"`
}

// sourceString reads a source given as a dotted string or as the
// reference's {module, attribute} object.
func sourceString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Module    string  `json:"module"`
		Attribute *string `json:"attribute"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		if obj.Attribute != nil {
			return obj.Module + "." + *obj.Attribute
		}
		return obj.Module
	}
	return string(raw)
}

// sourceView renders a dotted source as the reference's Source object.
func sourceView(s string) map[string]any {
	module, attr := s, (*string)(nil)
	if i := strings.LastIndex(s, "."); i >= 0 {
		module = s[:i]
		a := s[i+1:]
		attr = &a
	}
	return map[string]any{"module": module, "attribute": attr, "type": "unknown"}
}

func (s *Server) createArtifactVersion(r *http.Request) (any, error) {
	var req artifactVersionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.ArtifactName == nil {
		return nil, &validationError{errs: []fieldError{{typ: "value_error", loc: []string{"body"}, msg: "Value error, Either `artifact_name` or `artifact_id` must be provided.", input: map[string]any{}}}}
	}
	me := current(r).user
	av := store.ArtifactVersion{ProjectID: req.Project, ArtifactName: *req.ArtifactName, HasCustomName: req.HasCustomName,
		UserID: &me.ID, Type: req.Type, URI: req.URI, Materializer: sourceString(req.Materializer), DataType: sourceString(req.DataType),
		SaveType: req.SaveType, ArtifactStoreID: req.ArtifactStoreID}
	if len(req.Version) > 0 && string(req.Version) != "null" {
		v := strings.Trim(string(req.Version), `"`)
		av.RequestedVersion = &v
	}
	for _, v := range req.Visualizations {
		av.VisualizationReqs = append(av.VisualizationReqs, struct{ Type, URI string }{v.Type, v.URI})
	}
	if _, err := s.db.GetProject(r.Context(), req.Project.String()); err != nil {
		return nil, err
	}
	out, err := s.db.CreateArtifactVersion(r.Context(), av)
	if err != nil {
		return nil, err
	}
	return artifactVersionView(out, me), nil
}

func artifactVersionView(av *store.ArtifactVersion, user *zen.User) envelope {
	vis := make([]envelope, 0, len(av.Visualizations))
	for _, v := range av.Visualizations {
		vis = append(vis, artifactVisualizationView(v))
	}
	artifact := envelope{ID: av.ArtifactID, Name: named(av.ArtifactName),
		Body: scopedBody{Created: av.ArtifactCreated, Updated: av.ArtifactUpdated, UserID: av.UserID, ProjectID: av.ProjectID}}
	return envelope{ID: av.ID,
		Body: map[string]any{
			"created": av.Created, "updated": av.Updated, "user_id": av.UserID, "project_id": av.ProjectID,
			"artifact": artifact, "version": av.Version, "uri": av.URI, "type": av.Type,
			"materializer": sourceView(av.Materializer), "data_type": sourceView(av.DataType),
			"save_type": av.SaveType, "artifact_store_id": av.ArtifactStoreID, "content_hash": nil, "item_count": nil,
		},
		Metadata: map[string]any{"visualizations": vis, "run_metadata": emptyObject},
		Resources: map[string]any{"user": embeddedUser(user), "tags": []envelope{},
			"producer_step_run_id": nil, "producer_pipeline_run_id": nil},
	}
}

func (s *Server) getCurated() handler {
	return getByID("visualization_id", s.db.GetCurated, curatedView)
}

func (s *Server) deleteCurated() handler { return deleteByID("visualization_id", s.db.DeleteCurated) }
