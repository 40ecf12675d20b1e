package api

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// serviceType is the reference's ServiceType; other keys are dropped.
type serviceType struct {
	Type        string `json:"type" zen:"required"`
	Flavor      string `json:"flavor" zen:"required"`
	Name        string `json:"name"`
	Description string `json:"description"`
	LogoURL     string `json:"logo_url"`
}

// serviceRequest is the reference's ServiceRequest.
type serviceRequest struct {
	Project        uuid.UUID     `json:"project" zen:"required"`
	Name           string        `json:"name" zen:"required,max=255"`
	ServiceType    serviceType   `json:"service_type" zen:"required"`
	ServiceSource  *string       `json:"service_source"`
	AdminState     *serviceState `json:"admin_state"`
	Config         jsonDict      `json:"config" zen:"required"`
	Labels         jsonDict      `json:"labels"`
	Status         jsonDict      `json:"status"`
	Endpoint       jsonDict      `json:"endpoint"`
	PredictionURL  *string       `json:"prediction_url"`
	HealthCheckURL *string       `json:"health_check_url"`
	ModelVersionID *uuid.UUID    `json:"model_version_id"`
	PipelineRunID  *uuid.UUID    `json:"pipeline_run_id"`
}

// serviceUpdate is the reference's ServiceUpdate: a field sent as null is
// left as it is. Keys it does not declare (config, pipeline_run_id, ...)
// are ignored.
type serviceUpdate struct {
	Name           *string       `json:"name" zen:"max=255"`
	AdminState     *serviceState `json:"admin_state"`
	ServiceSource  *string       `json:"service_source"`
	Status         jsonDict      `json:"status"`
	Endpoint       jsonDict      `json:"endpoint"`
	PredictionURL  *string       `json:"prediction_url"`
	HealthCheckURL *string       `json:"health_check_url"`
	Labels         jsonDict      `json:"labels"`
	ModelVersionID *uuid.UUID    `json:"model_version_id"`
}

// checkLabels applies labels' dict[str, str]: every value a string.
func checkLabels(labels jsonDict) error {
	var m map[string]any
	if labels == nil || json.Unmarshal(labels, &m) != nil {
		return nil
	}
	var errs []fieldError
	for k, v := range m {
		if _, ok := v.(string); !ok {
			errs = append(errs, fieldError{typ: "string_type", loc: []string{"body", "labels", k}, msg: "Input should be a valid string", input: v})
		}
	}
	if len(errs) > 0 {
		return &validationError{errs: errs}
	}
	return nil
}

func (s *Server) createService(r *http.Request) (any, error) {
	var req serviceRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkLabels(req.Labels); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	st := req.ServiceType
	svc, err := s.db.CreateService(r.Context(), store.Service{ProjectID: project.ID, UserID: &current(r).user.ID, Name: req.Name,
		ServiceType: mustJSON(st), Type: st.Type, Flavor: st.Flavor, ServiceSource: req.ServiceSource, AdminState: asStringPtr(req.AdminState),
		Config: json.RawMessage(req.Config), Labels: json.RawMessage(req.Labels), Status: json.RawMessage(req.Status),
		Endpoint: json.RawMessage(req.Endpoint), PredictionURL: req.PredictionURL, HealthCheckURL: req.HealthCheckURL,
		ModelVersionID: req.ModelVersionID, PipelineRunID: req.PipelineRunID})
	if err != nil {
		return nil, err
	}
	return serviceView(svc, true), nil
}

// mustJSON encodes a value that always encodes.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (s *Server) updateService() handler {
	return updateByID("service_id", func(r *http.Request, id uuid.UUID, req *serviceUpdate) (*store.Service, error) {
		if err := checkLabels(req.Labels); err != nil {
			return nil, err
		}
		return s.db.UpdateService(r.Context(), id, store.ServiceUpdate{Name: req.Name, AdminState: asStringPtr(req.AdminState),
			ServiceSource: req.ServiceSource, PredictionURL: req.PredictionURL, HealthCheckURL: req.HealthCheckURL,
			Labels: json.RawMessage(req.Labels), Status: json.RawMessage(req.Status), Endpoint: json.RawMessage(req.Endpoint),
			ModelVersionID: req.ModelVersionID})
	}, serviceView)
}

func (s *Server) listServices() listRoute {
	return listOf(filter.Services, func(r *http.Request, q *listQuery) (*zen.Page[*store.Service], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListServices(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, serviceView)
}

func (s *Server) getService() handler { return getByID("service_id", s.db.GetService, serviceView) }

func (s *Server) deleteService() handler { return deleteByID("service_id", s.db.DeleteService) }

type serviceBody struct {
	Created     zen.Time        `json:"created"`
	Updated     zen.Time        `json:"updated"`
	UserID      *uuid.UUID      `json:"user_id"`
	ProjectID   uuid.UUID       `json:"project_id"`
	ServiceType json.RawMessage `json:"service_type"`
	Labels      json.RawMessage `json:"labels"`
	State       *string         `json:"state"`
}

type serviceMetadata struct {
	ServiceSource  *string         `json:"service_source"`
	AdminState     *string         `json:"admin_state"`
	Config         json.RawMessage `json:"config"`
	Status         json.RawMessage `json:"status"`
	Endpoint       json.RawMessage `json:"endpoint"`
	PredictionURL  *string         `json:"prediction_url"`
	HealthCheckURL *string         `json:"health_check_url"`
}

type serviceResources struct {
	User         *envelope `json:"user"`
	PipelineRun  *envelope `json:"pipeline_run"`
	ModelVersion *envelope `json:"model_version"`
}

// orNull is the reference's `x or None` for text: empty is null.
func orNull(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// serviceView renders a service; its resources come with every answer.
func serviceView(sv *store.Service, hydrate bool) envelope {
	res := serviceResources{User: embeddedUser(sv.User), PipelineRun: bareRun(sv.PipelineRun)}
	if sv.ModelVersion != nil {
		mv := modelVersionBare(sv.ModelVersion)
		res.ModelVersion = &mv
	}
	e := envelope{ID: sv.ID, Name: named(sv.Name), Resources: res,
		Body: serviceBody{Created: sv.Created, Updated: sv.Updated, UserID: sv.UserID, ProjectID: sv.ProjectID,
			ServiceType: sv.ServiceType, Labels: rawOr(sv.Labels, "null"), State: sv.State}}
	if hydrate {
		e.Metadata = serviceMetadata{ServiceSource: sv.ServiceSource, AdminState: orNull(sv.AdminState), Config: sv.Config,
			Status: rawOr(sv.Status, "null"), Endpoint: rawOr(sv.Endpoint, "null"), PredictionURL: orNull(sv.PredictionURL),
			HealthCheckURL: sv.HealthCheckURL}
	}
	return e
}
