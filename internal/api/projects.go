package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// projectRequest is the reference's ProjectRequest. The name may be left
// out when a display name is given: it is then derived from it.
type projectRequest struct {
	Name            *string         `json:"name"`
	DisplayName     *string         `json:"display_name" zen:"max=255"`
	Description     *string         `json:"description" zen:"max=255"`
	ProjectMetadata json.RawMessage `json:"project_metadata"`
	Present         Present
}

type projectUpdate struct {
	Name            *string         `json:"name"`
	DisplayName     *string         `json:"display_name" zen:"max=255"`
	Description     *string         `json:"description" zen:"max=255"`
	ProjectMetadata json.RawMessage `json:"project_metadata"`
}

var projectNamePattern = regexp.MustCompile(`^[a-z0-9_-]+$`)

const projectNameMax = 50

// checkProjectName applies the reference's name rules.
func checkProjectName(name string, body map[string]any) error {
	loc := []string{"body", "name"}
	switch {
	case name == "":
		return &validationError{errs: []fieldError{{typ: "string_too_short", loc: loc, msg: "String should have at least 1 character", input: name, ctx: "{'min_length': 1}"}}}
	case utf8.RuneCountInString(name) > projectNameMax:
		return &validationError{errs: []fieldError{{typ: "string_too_long", loc: loc, msg: "String should have at most 50 characters", input: name, ctx: "{'max_length': 50}"}}}
	case !projectNamePattern.MatchString(name):
		return &validationError{errs: []fieldError{{typ: "string_pattern_mismatch", loc: loc, msg: "String should match pattern '^[a-z0-9_-]+$'", input: name, ctx: "{'pattern': '^[a-z0-9_-]+$'}"}}}
	}
	return nil
}

var nonProjectNameChars = regexp.MustCompile(`[^a-z0-9_-]`)

func (s *Server) createProject(r *http.Request) (any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if !isJSONContent(r) && len(body) > 0 {
		return nil, &validationError{errs: []fieldError{{typ: "model_attributes_type", loc: []string{"body"},
			msg: "Input should be a valid dictionary or object to extract fields from", input: pyBytes(body)}}}
	}
	// The reference's model fills a missing display name from the name
	// before it validates either.
	if obj, err := jsonobj.Parse(body); err == nil {
		if name, ok := obj.Get("name"); ok {
			if dn, ok := obj.Get("display_name"); !ok || string(dn) == "null" || string(dn) == `""` {
				obj.Set("display_name", name)
				body, _ = obj.MarshalJSON()
			}
		}
	}
	var req projectRequest
	if err := decodeJSON(body, &req); err != nil {
		return nil, err
	}
	name, display := deref(req.Name), deref(req.DisplayName)
	if name == "" && display != "" {
		name = nonProjectNameChars.ReplaceAllString(strings.ReplaceAll(strings.ToLower(display), " ", "-"), "")
	}
	if req.Name == nil && display == "" {
		return nil, &validationError{errs: []fieldError{{typ: "missing", loc: []string{"body", "name"}, msg: "Field required", input: map[string]any{}}}}
	}
	if err := checkProjectName(name, nil); err != nil {
		return nil, err
	}
	if display == "" {
		display = name
	}
	p, err := s.db.CreateProject(r.Context(), zen.Project{Name: name, DisplayName: display, Description: deref(req.Description), Metadata: req.ProjectMetadata})
	if err != nil {
		return nil, err
	}
	return projectView(p, true), nil
}

func (s *Server) getProject(r *http.Request) (any, error) {
	hydrate, err := hydrateParam(r, true)
	if err != nil {
		return nil, err
	}
	p, err := s.db.GetProject(r.Context(), r.PathValue("project_name_or_id"))
	if err != nil {
		return nil, err
	}
	return projectView(p, hydrate), nil
}

func (s *Server) updateProject(r *http.Request) (any, error) {
	var req projectUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Name != nil {
		if err := checkProjectName(*req.Name, nil); err != nil {
			return nil, err
		}
	}
	id, err := pathUUID(r, "project_name_or_id")
	if err != nil {
		return nil, err
	}
	p, err := s.db.GetProject(r.Context(), id.String())
	if err != nil {
		return nil, err
	}
	if req.Name != nil && *req.Name != p.Name && p.Name == s.cfg.DefaultProjectName {
		return nil, forbidden("The name of the default project cannot be changed.")
	}
	updated, err := s.db.UpdateProject(r.Context(), p.ID, store.ProjectUpdate{Name: req.Name, DisplayName: req.DisplayName,
		Description: req.Description, Metadata: req.ProjectMetadata})
	if err != nil {
		return nil, err
	}
	return projectView(updated, true), nil
}

func (s *Server) deleteProject(r *http.Request) (any, error) {
	p, err := s.db.GetProject(r.Context(), r.PathValue("project_name_or_id"))
	if err != nil {
		return nil, err
	}
	if p.Name == s.cfg.DefaultProjectName {
		return nil, forbidden("The default project cannot be deleted.")
	}
	return nil, s.db.DeleteProject(r.Context(), p.ID)
}

// projectStatistics counts a project's pipelines and runs.
func (s *Server) projectStatistics(r *http.Request) (any, error) {
	p, err := s.db.GetProject(r.Context(), r.PathValue("project_name_or_id"))
	if err != nil {
		return nil, err
	}
	pipelines, runs, err := s.db.ProjectStatistics(r.Context(), p.ID)
	if err != nil {
		return nil, err
	}
	return map[string]int{"pipelines": pipelines, "runs": runs}, nil
}

func (s *Server) listProjects() listRoute {
	return listOf(filter.Projects, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Project], error) {
		return s.db.ListProjects(r.Context(), q.List)
	}, projectView)
}
