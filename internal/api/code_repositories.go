package api

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// Code repositories: where a pipeline's code may come from. The source
// names the class that reads the repository; the server keeps it as given
// (the reference validates its shape and imports nothing).

// sourceField is the reference's Source: an object with a module, an
// optional attribute and a type, stored as those three.
type sourceField struct{ raw json.RawMessage }

func (f *sourceField) decodeRaw(raw json.RawMessage, loc []string, errs *[]fieldError) {
	var src struct {
		Module    *string `json:"module"`
		Attribute *string `json:"attribute"`
		Type      *string `json:"type"`
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		*errs = append(*errs, fieldError{typ: "model_attributes_type", loc: loc, msg: "Input should be a valid dictionary or object to extract fields from", input: raw})
		return
	}
	json.Unmarshal(raw, &src)
	if src.Module == nil {
		*errs = append(*errs, fieldError{typ: "missing", loc: append(append([]string{}, loc...), "module"), msg: "Field required", input: raw})
		return
	}
	if src.Type == nil {
		src.Type = new(string)
		*src.Type = "unknown"
	}
	f.raw, _ = json.Marshal(struct {
		Module    string  `json:"module"`
		Attribute *string `json:"attribute"`
		Type      string  `json:"type"`
	}{*src.Module, src.Attribute, *src.Type})
}

type codeRepositoryRequest struct {
	Project     uuid.UUID       `json:"project" zen:"required"`
	Name        string          `json:"name" zen:"required,max=255"`
	Config      json.RawMessage `json:"config" zen:"required"`
	Source      sourceField     `json:"source" zen:"required"`
	LogoURL     *string         `json:"logo_url" zen:"max=255"`
	Description *string         `json:"description" zen:"max=65535"`
}

type codeRepositoryUpdate struct {
	Name        *string         `json:"name" zen:"max=255"`
	Config      json.RawMessage `json:"config"`
	LogoURL     *string         `json:"logo_url" zen:"max=255"`
	Description *string         `json:"description" zen:"max=65535"`
}

func (s *Server) createCodeRepository(r *http.Request) (any, error) {
	var req codeRepositoryRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := dictField("config", req.Config, false); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	c, err := s.db.CreateCodeRepository(r.Context(), store.CodeRepository{ProjectID: project.ID, UserID: &current(r).user.ID,
		Name: req.Name, Config: req.Config, Source: req.Source.raw, LogoURL: req.LogoURL, Description: req.Description})
	if err != nil {
		return nil, err
	}
	return codeRepositoryView(c, true), nil
}

func (s *Server) listCodeRepositories() listRoute {
	return listOf(filter.CodeRepositories, func(r *http.Request, q *listQuery) (*zen.Page[*store.CodeRepository], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListCodeRepositories(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, codeRepositoryView)
}

func (s *Server) getCodeRepository() handler {
	return getByID("code_repository_id", s.db.GetCodeRepository, codeRepositoryView)
}

func (s *Server) updateCodeRepository() handler {
	return updateByID("code_repository_id", func(r *http.Request, id uuid.UUID, req *codeRepositoryUpdate) (*store.CodeRepository, error) {
		if err := dictField("config", req.Config, true); err != nil {
			return nil, err
		}
		return s.db.UpdateCodeRepository(r.Context(), id, store.CodeRepositoryUpdate{Name: req.Name, Description: req.Description,
			LogoURL: req.LogoURL, Config: req.Config})
	}, codeRepositoryView)
}

func (s *Server) deleteCodeRepository() handler {
	return deleteByID("code_repository_id", s.db.DeleteCodeRepository)
}

type codeRepositoryBody struct {
	Created   zen.Time        `json:"created"`
	Updated   zen.Time        `json:"updated"`
	UserID    *uuid.UUID      `json:"user_id"`
	ProjectID uuid.UUID       `json:"project_id"`
	Source    json.RawMessage `json:"source"`
	LogoURL   *string         `json:"logo_url"`
}

type codeRepositoryMetadata struct {
	Config      json.RawMessage `json:"config"`
	Description *string         `json:"description"`
}

func codeRepositoryView(c *store.CodeRepository, hydrate bool) envelope {
	e := envelope{ID: c.ID, Name: named(c.Name),
		Body:      codeRepositoryBody{Created: c.Created, Updated: c.Updated, UserID: c.UserID, ProjectID: c.ProjectID, Source: c.Source, LogoURL: c.LogoURL},
		Resources: userResources{User: embeddedUser(c.User)}}
	if hydrate {
		e.Metadata = codeRepositoryMetadata{Config: c.Config, Description: c.Description}
	}
	return e
}
