package api

import (
	"net/http"

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

func (s *Server) getCurated() handler {
	return getByID("visualization_id", s.db.GetCurated, curatedView)
}

func (s *Server) deleteCurated() handler { return deleteByID("visualization_id", s.db.DeleteCurated) }
