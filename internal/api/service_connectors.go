package api

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// connectorTypeField is a request's connector_type: a type name, or a
// whole type model (the client may send what it read), of which only the
// name counts.
type connectorTypeField struct {
	name  string
	given bool
}

func (f *connectorTypeField) decodeRaw(raw json.RawMessage, loc []string, errs *[]fieldError) {
	if string(raw) == "null" {
		return
	}
	f.given = true
	if json.Unmarshal(raw, &f.name) == nil {
		return
	}
	var model struct {
		ConnectorType string `json:"connector_type"`
	}
	if json.Unmarshal(raw, &model) != nil || model.ConnectorType == "" {
		*errs = append(*errs, fieldError{typ: "string_type", loc: append(loc, "str"), msg: "Input should be a valid string", input: raw})
		return
	}
	f.name = model.ConnectorType
}

// connectorRequest is the reference's ServiceConnectorRequest (its user is
// the caller).
type connectorRequest struct {
	Name                 string             `json:"name" zen:"required,max=255"`
	ConnectorType        connectorTypeField `json:"connector_type" zen:"required"`
	Description          string             `json:"description"`
	AuthMethod           string             `json:"auth_method" zen:"required,max=255"`
	ResourceTypes        []string           `json:"resource_types"`
	ResourceID           *string            `json:"resource_id" zen:"max=255"`
	SupportsInstances    bool               `json:"supports_instances"`
	ExpiresAt            *zen.Time          `json:"expires_at"`
	ExpiresSkewTolerance *int64             `json:"expires_skew_tolerance"`
	ExpirationSeconds    *int64             `json:"expiration_seconds"`
	Configuration        json.RawMessage    `json:"configuration"`
	Labels               labelsField        `json:"labels"`
	Present              Present
}

// connectorUpdate is the reference's ServiceConnectorUpdate.
type connectorUpdate struct {
	Name                 *string            `json:"name" zen:"max=255"`
	ConnectorType        connectorTypeField `json:"connector_type"`
	Description          *string            `json:"description"`
	AuthMethod           *string            `json:"auth_method" zen:"max=255"`
	ResourceTypes        []string           `json:"resource_types"`
	ResourceID           *string            `json:"resource_id" zen:"max=255"`
	SupportsInstances    *bool              `json:"supports_instances"`
	ExpiresAt            *zen.Time          `json:"expires_at"`
	ExpiresSkewTolerance *int64             `json:"expires_skew_tolerance"`
	ExpirationSeconds    *int64             `json:"expiration_seconds"`
	Configuration        json.RawMessage    `json:"configuration"`
	Labels               labelsField        `json:"labels"`
	Present              Present
}

// labelsField is a connector's labels, a mapping of strings kept in the
// client's order (null: none given).
type labelsField struct{ labels *jsonobj.Object }

func (f *labelsField) decodeRaw(raw json.RawMessage, loc []string, errs *[]fieldError) {
	if string(raw) == "null" {
		return
	}
	obj, err := jsonobj.Parse(raw)
	if err != nil {
		*errs = append(*errs, fieldError{typ: "dict_type", loc: loc, msg: "Input should be a valid dictionary", input: raw})
		return
	}
	for _, k := range obj.Keys() {
		v, _ := obj.Get(k)
		var s string
		if json.Unmarshal(v, &s) != nil {
			*errs = append(*errs, fieldError{typ: "string_type", loc: append(append([]string{}, loc...), k), msg: "Input should be a valid string", input: v})
		}
	}
	f.labels = obj
}

func configurationObject(raw json.RawMessage) (*jsonobj.Object, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if err := dictField("configuration", raw, true); err != nil {
		return nil, err
	}
	return jsonobj.Parse(raw)
}

// connectorFromRequest builds the connector a request describes, checked
// and configured by its type when the type is available here (the
// reference's create_service_connector and verify do the same).
func connectorFromRequest(req *connectorRequest, owner uuid.UUID) (*store.ServiceConnector, error) {
	cfg, err := configurationObject(req.Configuration)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = jsonobj.New()
	}
	c := &store.ServiceConnector{ServiceConnector: zen.ServiceConnector{UserID: &owner, Name: req.Name, ConnectorType: req.ConnectorType.name,
		Description: req.Description, AuthMethod: req.AuthMethod, ResourceTypes: req.ResourceTypes, ResourceID: req.ResourceID,
		SupportsInstances: req.SupportsInstances, ExpiresAt: req.ExpiresAt, ExpiresSkewTolerance: req.ExpiresSkewTolerance,
		ExpirationSeconds: req.ExpirationSeconds}, Configuration: cfg, Labels: req.Labels.labels}
	if t := catalog.LookupConnectorType(c.ConnectorType); t != nil {
		if err := c.Configure(t, req.ResourceTypes, true, cfg); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (s *Server) createServiceConnector(r *http.Request) (any, error) {
	var req connectorRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	c, err := connectorFromRequest(&req, current(r).user.ID)
	if err != nil {
		return nil, err
	}
	if c, err = s.db.CreateServiceConnector(r.Context(), *c); err != nil {
		return nil, err
	}
	return connectorView(c, true), nil
}

func (s *Server) listServiceConnectors() listRoute {
	return listOf(filter.ServiceConnectors, func(r *http.Request, q *listQuery) (*zen.Page[*store.ServiceConnector], error) {
		expand, err := boolParam(r, "expand_secrets", true)
		if err != nil {
			return nil, err
		}
		return s.db.ListServiceConnectors(r.Context(), q.List, q.scopeUser, connectorScope(q.List), expand)
	}, connectorView)
}

// connectorScope reads the criteria the reference applies after its query:
// resource_type, and labels_str (a JSON object, or k=v,k2= pairs).
func connectorScope(l *filter.List) store.ConnectorListScope {
	scope := store.ConnectorListScope{ResourceType: l.Scope["resource_type"]}
	text, ok := l.Scope["labels_str"]
	if !ok || text == "" {
		return scope
	}
	scope.Labels = map[string]*string{}
	if json.Unmarshal([]byte(text), &scope.Labels) == nil {
		return scope
	}
	scope.Labels = map[string]*string{}
	for _, pair := range strings.Split(text, ",") {
		k, v, hasValue := strings.Cut(pair, "=")
		if hasValue {
			scope.Labels[k] = &v
		} else {
			scope.Labels[k] = nil
		}
	}
	return scope
}

func (s *Server) getServiceConnector() handler {
	return func(r *http.Request) (any, error) {
		expand, err := boolParam(r, "expand_secrets", true)
		if err != nil {
			return nil, err
		}
		return getByID("connector_id", func(ctx context.Context, id uuid.UUID) (*store.ServiceConnector, error) {
			return s.db.GetServiceConnector(ctx, id, expand)
		}, connectorView)(r)
	}
}

func (s *Server) updateServiceConnector() handler {
	return updateByID("connector_id", func(r *http.Request, id uuid.UUID, req *connectorUpdate) (*store.ServiceConnector, error) {
		cfg, err := configurationObject(req.Configuration)
		if err != nil {
			return nil, err
		}
		up := store.ServiceConnectorUpdate{Name: req.Name, Description: req.Description, AuthMethod: req.AuthMethod,
			ResourceTypes: req.ResourceTypes, ResourceTypesGiven: req.ResourceTypes != nil, ResourceID: req.ResourceID,
			SupportsInstances: req.SupportsInstances, ExpiresAt: req.ExpiresAt, ExpiresSkewTolerance: req.ExpiresSkewTolerance,
			ExpirationSeconds: req.ExpirationSeconds, Configuration: cfg, Labels: req.Labels.labels}
		if req.ConnectorType.given {
			up.ConnectorType = &req.ConnectorType.name
		}
		return s.db.UpdateServiceConnector(r.Context(), id, up)
	}, connectorView)
}

func (s *Server) deleteServiceConnector() handler {
	return deleteByID("connector_id", s.db.DeleteServiceConnector)
}

// connectorUnavailable is the reference's answer for verifying or using a
// connector whose type is not available on the server.
func connectorUnavailable(name string) error {
	return zen.Errorf(zen.ENotImplemented, "Service connector type %s is not available locally. Please make sure the corresponding packages and/or ZenML integration are installed and try again.", name)
}

// verifyConnectorConfig checks a configuration that is not stored.
func (s *Server) verifyConnectorConfig(r *http.Request) (any, error) {
	var req connectorRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	listResources, err := boolParam(r, "list_resources", true)
	if err != nil {
		return nil, err
	}
	t := catalog.LookupConnectorType(req.ConnectorType.name)
	if t == nil {
		return nil, connectorUnavailable(req.ConnectorType.name)
	}
	c, err := connectorFromRequest(&req, current(r).user.ID)
	if err != nil {
		return nil, err
	}
	c.ID = uuid.Nil
	return verifiedResources(t, c, nil, "", "", listResources)
}

func (s *Server) verifyServiceConnector(r *http.Request) (any, error) {
	id, err := pathUUID(r, "connector_id")
	if err != nil {
		return nil, err
	}
	listResources, err := boolParam(r, "list_resources", true)
	if err != nil {
		return nil, err
	}
	c, err := s.db.GetServiceConnector(r.Context(), id, true)
	if err != nil {
		return nil, err
	}
	t := catalog.LookupConnectorType(c.ConnectorType)
	if t == nil {
		return nil, connectorUnavailable(c.ConnectorType)
	}
	q := r.URL.Query()
	return verifiedResources(t, c, &c.ID, q.Get("resource_type"), q.Get("resource_id"), listResources)
}

// typedResources is the reference's ServiceConnectorTypedResourcesModel.
type typedResources struct {
	ResourceType string    `json:"resource_type"`
	ResourceIDs  *[]string `json:"resource_ids"`
	Error        *string   `json:"error"`
}

// connectorResources is the reference's ServiceConnectorResourcesModel.
type connectorResources struct {
	ID            *uuid.UUID       `json:"id"`
	Name          *string          `json:"name"`
	ConnectorType json.RawMessage  `json:"connector_type"`
	Resources     []typedResources `json:"resources"`
	Error         *string          `json:"error"`
}

// dockerHub is the registry a Docker connector without one reaches.
const dockerHub = "docker.io"

var registryPattern = regexp.MustCompile(`^(https?://)?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*(:[0-9]+)?(/.+)*$`)

// defaultResourceID is the resource a single-instance connector of the
// types available here reaches: the Docker registry (canonical form) or
// the OAuth2 API URL.
func defaultResourceID(c *store.ServiceConnector) string {
	cfg := c.FullConfiguration()
	read := func(key string) string {
		raw, _ := cfg.Get(key)
		var s string
		json.Unmarshal(raw, &s)
		return s
	}
	switch c.ConnectorType {
	case "docker":
		id := read("registry")
		if c.ResourceID != nil {
			id = *c.ResourceID
		}
		if id == "" {
			id = dockerHub
		}
		if !registryPattern.MatchString(id) {
			return id
		}
		if strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://") {
			id = strings.Split(id, "/")[2]
		} else {
			id = strings.Split(id, "/")[0]
		}
		if id == "index."+dockerHub {
			id = dockerHub
		}
		return id
	case "oauth2":
		if c.ResourceID != nil {
			return *c.ResourceID
		}
		return read("api_url")
	}
	return ""
}

// verifiedResources answers a verification of a connector of a type
// available here. The two types there are (Docker, OAuth2) reach one
// resource each and verify no credentials on a server, so the answer is
// that resource.
func verifiedResources(t *catalog.ConnectorType, c *store.ServiceConnector, id *uuid.UUID, resourceType, resourceID string, listResources bool) (any, error) {
	types := c.ResourceTypes
	if resourceType != "" {
		types = []string{resourceType}
	}
	out := connectorResources{ID: id, ConnectorType: t.Raw, Resources: []typedResources{}}
	if id != nil {
		out.Name = &c.Name
	}
	for _, rt := range types {
		res := typedResources{ResourceType: rt}
		if listResources || resourceID != "" {
			ids := []string{defaultResourceID(c)}
			res.ResourceIDs = &ids
		}
		out.Resources = append(out.Resources, res)
	}
	return out, nil
}

// listConnectorResources answers, for the connectors of one list page,
// what each reaches; for types not available here, what the connector
// names, with the reference's error (its per-character loop over a given
// resource type included).
func (s *Server) listConnectorResources(r *http.Request) (any, error) {
	q, err := parseListQuery(r, filter.ServiceConnectors)
	if err != nil {
		return nil, err
	}
	resourceID := r.URL.Query().Get("resource_id")
	q.List.Conditions = withoutField(q.List.Conditions, "resource_id")
	page, err := s.db.ListServiceConnectors(r.Context(), q.List, q.scopeUser, connectorScope(q.List), true)
	if err != nil {
		return nil, err
	}
	resourceType := q.List.Scope["resource_type"]
	out := []any{}
	for _, c := range page.Items {
		if t := catalog.LookupConnectorType(c.ConnectorType); t != nil {
			// The reference instantiates these from the listed model,
			// which has no secret values: a connector whose method
			// requires one fails and is left out (only logged).
			check := *c
			check.Secrets = nil
			if check.Configure(t, c.ResourceTypes, true, check.FullConfiguration()) != nil {
				continue
			}
			res, _ := verifiedResources(t, c, &c.ID, resourceType, resourceID, true)
			out = append(out, res)
			continue
		}
		if resourceID != "" && (c.ResourceID == nil || *c.ResourceID != resourceID) {
			continue
		}
		name := c.Name
		typeName, _ := json.Marshal(c.ConnectorType)
		res := connectorResources{ID: &c.ID, Name: &name, ConnectorType: typeName, Resources: []typedResources{}}
		types := c.ResourceTypes
		if resourceType != "" {
			types = strings.Split(resourceType, "")
		}
		for _, rt := range types {
			tr := typedResources{ResourceType: rt}
			if c.ResourceID != nil && *c.ResourceID != "" {
				tr.ResourceIDs = &[]string{*c.ResourceID}
			} else {
				msg := "The service '" + c.ConnectorType + "' connector type is not available."
				tr.Error = &msg
			}
			res.Resources = append(res.Resources, tr)
		}
		out = append(out, res)
	}
	return out, nil
}

func withoutField(conds []filter.Condition, field string) []filter.Condition {
	var out []filter.Condition
	for _, c := range conds {
		if c.Field != field {
			out = append(out, c)
		}
	}
	return out
}

// connectorClient answers the connector a client uses for one resource:
// the connector itself, scoped to its resource, as the reference's
// to_response_model makes it (a new model: created and updated now).
func (s *Server) connectorClient(r *http.Request) (any, error) {
	id, err := pathUUID(r, "connector_id")
	if err != nil {
		return nil, err
	}
	c, err := s.db.GetServiceConnector(r.Context(), id, true)
	if err != nil {
		return nil, err
	}
	if catalog.LookupConnectorType(c.ConnectorType) == nil {
		return nil, connectorUnavailable(c.ConnectorType)
	}
	rid := defaultResourceID(c)
	c.ResourceID = &rid
	c.Configuration, c.Secrets = inSchemaOrder(c), nil
	now := zen.NewTime(time.Now())
	c.Created, c.Updated = now, now
	return connectorView(c, true), nil
}

// connectorInfo is the reference's ServiceConnectorInfo: a connector to
// create, described by its type, method and configuration.
type connectorInfo struct {
	Type          string          `json:"type" zen:"required"`
	AuthMethod    string          `json:"auth_method" zen:"required"`
	Configuration json.RawMessage `json:"configuration"`
}

// fullStackComponentTypes are the component types a full-stack wizard
// offers resources for, in the reference's order.
var fullStackComponentTypes = []string{"artifact_store", "orchestrator", "container_registry"}

// fullStackResources answers what the stack wizard may build on a
// connector (given by id, or described): the resources of the cloud
// connector types, none of which is available here; the types that are
// (Docker, OAuth2) offer no full-stack resources.
func (s *Server) fullStackResources(r *http.Request) (any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var info *connectorInfo
	if len(strings.TrimSpace(string(body))) > 0 && string(body) != "null" {
		info = &connectorInfo{}
		if err := decodeJSON(body, info); err != nil {
			return nil, err
		}
	}
	var connectorID *uuid.UUID
	if v := r.URL.Query().Get("connector_uuid"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return nil, &validationError{errs: []fieldError{uuidError([]string{"query", "connector_uuid"}, v)}}
		}
		connectorID = &id
	}
	switch {
	case info != nil && connectorID != nil:
		return nil, zen.Errorf(zen.EInvalid, "Only one of connector_info or connector_uuid must be provided.")
	case info == nil && connectorID == nil:
		return nil, zen.Errorf(zen.EInvalid, "Either connector_info or connector_uuid must be provided.")
	}
	typeName := ""
	if info != nil {
		typeName = info.Type
	} else {
		c, err := s.db.GetServiceConnector(r.Context(), *connectorID, false)
		if err != nil {
			return nil, err
		}
		typeName = c.ConnectorType
	}
	if catalog.LookupConnectorType(typeName) == nil {
		return nil, connectorUnavailable(typeName)
	}
	components := jsonobj.New()
	for _, t := range fullStackComponentTypes {
		components.Set(t, json.RawMessage("[]"))
	}
	return struct {
		ConnectorType string          `json:"connector_type"`
		Components    *jsonobj.Object `json:"components_resources_info"`
	}{typeName, components}, nil
}

// inSchemaOrder is a connector's whole configuration in its
// authentication method's attribute order, as a connector built from its
// configuration model writes it.
func inSchemaOrder(c *store.ServiceConnector) *jsonobj.Object {
	full, out := c.FullConfiguration(), jsonobj.New()
	t := catalog.LookupConnectorType(c.ConnectorType)
	if t == nil || t.AuthMethod(c.AuthMethod) == nil {
		return full
	}
	for _, a := range t.AuthMethod(c.AuthMethod).Attributes {
		if v, ok := full.Get(a.Name); ok {
			out.Set(a.Name, v)
		}
	}
	return out
}

// listConnectorTypes answers the catalogue, filtered as the reference's
// registry filters it.
func (s *Server) listConnectorTypes(r *http.Request) (any, error) {
	q := r.URL.Query()
	out := []json.RawMessage{}
	for _, t := range catalog.ConnectorTypes(q.Get("connector_type"), q.Get("resource_type"), q.Get("auth_method")) {
		out = append(out, t.Raw)
	}
	return out, nil
}

func (s *Server) getConnectorType(r *http.Request) (any, error) {
	name := r.PathValue("connector_type")
	t := catalog.LookupConnectorType(name)
	if t == nil {
		return nil, zen.NotFound("Service connector type %s is not available. Please make sure the corresponding packages and/or ZenML integration are installed and try again.", name)
	}
	return t.Raw, nil
}

type connectorBody struct {
	Created              zen.Time        `json:"created"`
	Updated              zen.Time        `json:"updated"`
	UserID               *uuid.UUID      `json:"user_id"`
	Description          string          `json:"description"`
	ConnectorType        json.RawMessage `json:"connector_type"`
	AuthMethod           string          `json:"auth_method"`
	ResourceTypes        []string        `json:"resource_types"`
	ResourceID           *string         `json:"resource_id"`
	SupportsInstances    bool            `json:"supports_instances"`
	ExpiresAt            *zen.Time       `json:"expires_at"`
	ExpiresSkewTolerance *int64          `json:"expires_skew_tolerance"`
}

type connectorMetadata struct {
	Configuration     *jsonobj.Object `json:"configuration"`
	ExpirationSeconds *int64          `json:"expiration_seconds"`
	Labels            *jsonobj.Object `json:"labels"`
}

func connectorBodyOf(c *zen.ServiceConnector, typeJSON json.RawMessage) connectorBody {
	rts := c.ResourceTypes
	if rts == nil {
		rts = []string{}
	}
	return connectorBody{Created: c.Created, Updated: c.Updated, UserID: c.UserID, Description: c.Description, ConnectorType: typeJSON,
		AuthMethod: c.AuthMethod, ResourceTypes: rts, ResourceID: c.ResourceID, SupportsInstances: c.SupportsInstances,
		ExpiresAt: c.ExpiresAt, ExpiresSkewTolerance: c.ExpiresSkewTolerance}
}

// connectorBodyView is a connector as a component's metadata embeds it:
// its body, with the type's name (the reference fills in the type model
// only for connectors it answers directly).
func connectorBodyView(c *zen.ServiceConnector) envelope {
	name, _ := json.Marshal(c.ConnectorType)
	return envelope{ID: c.ID, Name: named(c.Name), Body: connectorBodyOf(c, name)}
}

// connectorView renders a connector; a type available here is shown as
// its whole type model, as the reference populates it.
func connectorView(c *store.ServiceConnector, hydrate bool) envelope {
	typeJSON, _ := json.Marshal(c.ConnectorType)
	if t := catalog.LookupConnectorType(c.ConnectorType); t != nil {
		typeJSON = t.Raw
	}
	e := envelope{ID: c.ID, Name: named(c.Name), Body: connectorBodyOf(&c.ServiceConnector, typeJSON),
		Resources: userResources{User: embeddedUser(c.User)}}
	// Adding the secret values hydrates the reference's model, so a
	// connector answered with its secrets has metadata, asked or not.
	if hydrate || c.Secrets != nil {
		labels := c.Labels
		if labels == nil {
			labels = jsonobj.New()
		}
		e.Metadata = connectorMetadata{Configuration: c.FullConfiguration(), ExpirationSeconds: c.ExpirationSeconds, Labels: labels}
	}
	return e
}
