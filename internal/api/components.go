package api

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// componentRequest is the reference's ComponentRequest.
type componentRequest struct {
	Name                string          `json:"name" zen:"required,max=255"`
	Type                componentType   `json:"type" zen:"required"`
	Flavor              string          `json:"flavor" zen:"required,max=255"`
	Environment         json.RawMessage `json:"environment"`
	Secrets             []string        `json:"secrets"`
	Configuration       json.RawMessage `json:"configuration" zen:"required"`
	ConnectorResourceID *string         `json:"connector_resource_id"`
	Labels              json.RawMessage `json:"labels"`
	Connector           *uuid.UUID      `json:"connector"`
}

// componentUpdate is the reference's ComponentUpdate.
type componentUpdate struct {
	Name                *string         `json:"name" zen:"max=255"`
	Configuration       json.RawMessage `json:"configuration"`
	Environment         json.RawMessage `json:"environment"`
	ConnectorResourceID *string         `json:"connector_resource_id"`
	Labels              json.RawMessage `json:"labels"`
	Connector           *uuid.UUID      `json:"connector"`
	AddSecrets          []string        `json:"add_secrets"`
	RemoveSecrets       []string        `json:"remove_secrets"`
	Present             Present
}

// secretReference is the form of a secret reference, `{{name.key}}`.
var secretReference = regexp.MustCompile(`^\{\{\s*\S+?\.\S+\s*\}\}$`)

func (s *Server) createComponent(r *http.Request) (any, error) {
	var req componentRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if secretReference.MatchString(req.Name) {
		return nil, valueErrors([]string{"body", "name"}, "Passing the `name` attribute of a stack component as a secret reference is not allowed.", req.Name)
	}
	for _, check := range []error{stringDict("environment", req.Environment), dictField("configuration", req.Configuration, false), dictField("labels", req.Labels, true)} {
		if check != nil {
			return nil, check
		}
	}
	if len(req.Secrets) > 0 {
		return nil, secretNotFound(req.Secrets[0])
	}
	c, err := s.db.CreateComponent(r.Context(), zen.Component{Name: req.Name, Type: string(req.Type), FlavorName: req.Flavor,
		Configuration: req.Configuration, Environment: req.Environment, Labels: req.Labels,
		ConnectorID: req.Connector, ConnectorResourceID: req.ConnectorResourceID, UserID: &current(r).user.ID})
	if err != nil {
		return nil, err
	}
	return componentView(c, true, false), nil
}

// secretNotFound is the reference's answer for a secret, named by name or
// id, that does not exist; zengo keeps no secrets yet.
func secretNotFound(nameOrID string) error {
	if _, err := uuid.Parse(nameOrID); err == nil {
		return zen.NotFound("Unable to get secret with name or ID '%s': No secret with this ID found.", nameOrID)
	}
	return zen.NotFound("Unable to get secret with name or ID '%s': '%s' is not a valid  UUID and no secret with this name exists.", nameOrID, nameOrID)
}

func (s *Server) updateComponent() handler {
	return updateByID("component_id", func(r *http.Request, id uuid.UUID, req *componentUpdate) (*zen.Component, error) {
		for _, check := range []error{stringDict("environment", req.Environment), dictField("configuration", req.Configuration, true), dictField("labels", req.Labels, true)} {
			if check != nil {
				return nil, check
			}
		}
		if len(req.AddSecrets) > 0 {
			return nil, secretNotFound(req.AddSecrets[0])
		}
		return s.db.UpdateComponent(r.Context(), id, store.ComponentUpdate{Name: req.Name, Configuration: req.Configuration,
			Environment: req.Environment, SetEnvironment: req.Present["environment"], Labels: req.Labels, SetLabels: req.Present["labels"],
			Connector: req.Connector, ConnectorResourceID: req.ConnectorResourceID})
	}, func(c *zen.Component, hydrate bool) envelope { return componentView(c, hydrate, false) })
}

func (s *Server) deleteComponent() handler { return deleteByID("component_id", s.db.DeleteComponent) }

func (s *Server) listComponents() listRoute {
	return listOf(filter.Components, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Component], error) {
		var scopeType *string
		if v := r.URL.Query().Get("scope_type"); v != "" {
			scopeType = &v
		}
		return s.db.ListComponents(r.Context(), q.List, q.scopeUser, scopeType)
	}, func(c *zen.Component, hydrate bool) envelope { return componentView(c, hydrate, false) })
}

func (s *Server) getComponent() handler {
	return getByID("component_id", s.db.GetComponent, func(c *zen.Component, hydrate bool) envelope { return componentView(c, hydrate, false) })
}

// componentTypeNames are the stack component types, in the reference's
// order.
var componentTypeNames = []string{"alerter", "annotator", "artifact_store", "container_registry", "data_validator", "experiment_tracker",
	"feature_store", "image_builder", "log_store", "model_deployer", "orchestrator", "step_operator", "model_registry",
	"deployer", "sandbox"}

// componentTypes lists the stack component types.
func (s *Server) componentTypes(r *http.Request) (any, error) { return componentTypeNames, nil }

type componentBody struct {
	Created     zen.Time   `json:"created"`
	Updated     zen.Time   `json:"updated"`
	UserID      *uuid.UUID `json:"user_id"`
	Type        string     `json:"type"`
	FlavorName  string     `json:"flavor_name"`
	Integration *string    `json:"integration"`
	LogoURL     *string    `json:"logo_url"`
}

type componentMetadata struct {
	Configuration       json.RawMessage `json:"configuration"`
	Environment         json.RawMessage `json:"environment"`
	Secrets             []string        `json:"secrets"`
	Labels              json.RawMessage `json:"labels"`
	ConnectorResourceID *string         `json:"connector_resource_id"`
	Connector           *envelope       `json:"connector"`
}

type componentResources struct {
	User   *envelope `json:"user"`
	Flavor envelope  `json:"flavor"`
}

// componentView renders a component; inside a stack's metadata the
// reference embeds components bare (no metadata, no resources).
func componentView(c *zen.Component, hydrate, embedded bool) envelope {
	e := envelope{ID: c.ID, Name: named(c.Name), Body: componentBody{
		Created: c.Created, Updated: c.Updated, UserID: c.UserID, Type: c.Type, FlavorName: c.FlavorName,
		Integration: c.Flavor.Integration, LogoURL: c.Flavor.LogoURL,
	}}
	if embedded {
		return e
	}
	e.Resources = componentResources{User: embeddedUser(c.User), Flavor: flavorView(c.Flavor, false, true)}
	if hydrate {
		md := componentMetadata{Configuration: rawOr(c.Configuration, "{}"), Environment: objectOrEmpty(c.Environment),
			Secrets: []string{}, Labels: rawOr(c.Labels, "null"), ConnectorResourceID: c.ConnectorResourceID}
		if c.Connector != nil {
			bare := connectorBodyView(c.Connector)
			md.Connector = &bare
		}
		e.Metadata = md
	}
	return e
}

// objectOrEmpty is a stored mapping the reference shows as {} when unset.
func objectOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	return raw
}

// dictField checks that a member the reference types as a dict is one
// (or null, where it is optional).
func dictField(name string, raw json.RawMessage, nullable bool) error {
	if raw == nil {
		if nullable {
			return nil
		}
		raw = json.RawMessage("null")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		return nil
	}
	return &validationError{errs: []fieldError{{typ: "dict_type", loc: []string{"body", name}, msg: "Input should be a valid dictionary", input: raw}}}
}

// stringDict checks an optional Dict[str, str] member (environments).
func stringDict(name string, raw json.RawMessage) error {
	if err := dictField(name, raw, true); err != nil || raw == nil {
		return err
	}
	var obj map[string]any
	json.Unmarshal(raw, &obj)
	var errs []fieldError
	for k, v := range obj {
		if _, ok := v.(string); !ok {
			errs = append(errs, fieldError{typ: "string_type", loc: []string{"body", name, k}, msg: "Input should be a valid string", input: v})
		}
	}
	if len(errs) > 0 {
		return &validationError{errs: errs}
	}
	return nil
}
