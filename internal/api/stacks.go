package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// stackRequest is the reference's StackRequest. components maps component
// types to existing components' ids or to components to create
// (ComponentInfo); service_connectors lists connector ids or connectors to
// create. Both are read by stackComponents and stackConnectors, which
// answer pydantic's errors for them.
type stackRequest struct {
	Name              string          `json:"name" zen:"required,max=255"`
	Description       string          `json:"description" zen:"max=255"`
	StackSpecPath     *string         `json:"stack_spec_path"`
	Components        json.RawMessage `json:"components" zen:"required"`
	Environment       json.RawMessage `json:"environment"`
	Secrets           []string        `json:"secrets"`
	Labels            json.RawMessage `json:"labels"`
	ServiceConnectors json.RawMessage `json:"service_connectors"`
	Present           Present
}

// stackUpdate is the reference's StackUpdate; its components are ids only.
type stackUpdate struct {
	Name          *string         `json:"name" zen:"max=255"`
	Description   *string         `json:"description" zen:"max=255"`
	StackSpecPath *string         `json:"stack_spec_path"`
	Components    json.RawMessage `json:"components"`
	Environment   json.RawMessage `json:"environment"`
	Labels        json.RawMessage `json:"labels"`
	AddSecrets    []string        `json:"add_secrets"`
	RemoveSecrets []string        `json:"remove_secrets"`
	Present       Present
}

// multiplePerStack are the component types a stack may hold more than one
// of.
var multiplePerStack = map[string]bool{"alerter": true, "experiment_tracker": true, "step_operator": true, "sandbox": true}

// stackMembers reads a stack request's components (withInfo: ids or
// ComponentInfo; otherwise ids only), in the order the client listed
// them, and applies the reference's validator: at most one component of
// most types, and at least an orchestrator and an artifact store.
func stackMembers(raw json.RawMessage, withInfo bool) ([]store.StackMember, []fieldError) {
	loc := []string{"body", "components"}
	obj, err := jsonobj.Parse(raw)
	if err != nil {
		return nil, []fieldError{{typ: "dict_type", loc: loc, msg: "Input should be a valid dictionary", input: raw}}
	}
	var members []store.StackMember
	var errs []fieldError
	counts := map[string]int{}
	for _, typ := range obj.Keys() {
		tloc := append(append([]string{}, loc...), typ)
		if !oneOf(typ, componentTypeNames) {
			errs = append(errs, enumError([]string{"body", "components", typ, "[key]"}, typ, componentTypeNames))
		}
		itemsRaw, _ := obj.Get(typ)
		var items []json.RawMessage
		if json.Unmarshal(itemsRaw, &items) != nil || items == nil {
			errs = append(errs, fieldError{typ: "list_type", loc: tloc, msg: "Input should be a valid list", input: itemsRaw})
			continue
		}
		for i, item := range items {
			m, itemErrs := stackMember(typ, item, []string{"body", "components", typ, strconv.Itoa(i)}, withInfo)
			errs = append(errs, itemErrs...)
			members = append(members, m)
		}
		counts[typ] = len(items)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for _, typ := range obj.Keys() {
		if !multiplePerStack[typ] && counts[typ] > 1 {
			return nil, []fieldError{valueErrorAt(loc, fmt.Sprintf("Stack component type '%s' does not support multiple components in a single stack.", typ), raw)}
		}
	}
	if counts["orchestrator"] == 0 || counts["artifact_store"] == 0 {
		return nil, []fieldError{valueErrorAt(loc, "Stack must contain at least an orchestrator and artifact store.", raw)}
	}
	return members, nil
}

// componentInfo is the reference's ComponentInfo.
type componentInfo struct {
	Flavor                     string          `json:"flavor" zen:"required"`
	ServiceConnectorIndex      *int            `json:"service_connector_index"`
	ServiceConnectorResourceID *string         `json:"service_connector_resource_id"`
	Configuration              json.RawMessage `json:"configuration"`
}

// stackMember reads one entry of a components list: an id, or (withInfo)
// a component to create. A value that is neither gets pydantic's two
// errors of a union, one per alternative.
func stackMember(typ string, item json.RawMessage, loc []string, withInfo bool) (store.StackMember, []fieldError) {
	m := store.StackMember{Type: typ}
	val := decodeNumbers(item)
	idLoc := loc
	if withInfo {
		idLoc = append(append([]string{}, loc...), "uuid")
	}
	var idErr fieldError
	if s, ok := val.(string); ok {
		id, err := uuid.Parse(s)
		if err == nil {
			m.ID = &id
			return m, nil
		}
		idErr = uuidError(idLoc, s)
	} else {
		idErr = fieldError{typ: "uuid_type", loc: idLoc, msg: "UUID input should be a string, bytes or UUID object", input: item}
	}
	if !withInfo {
		return m, []fieldError{idErr}
	}
	infoLoc := append(append([]string{}, loc...), "ComponentInfo")
	if _, ok := val.(map[string]any); !ok {
		return m, []fieldError{idErr, {typ: "model_attributes_type", loc: infoLoc,
			msg: "Input should be a valid dictionary or object to extract fields from", input: item}}
	}
	var info componentInfo
	var errs []fieldError
	validateObject(decodedObject(val.(map[string]any)), reflect.ValueOf(&info).Elem(), infoLoc, &errs)
	if info.Configuration != nil {
		if err := dictField("configuration", info.Configuration, false); err != nil {
			errs = append(errs, fieldError{typ: "dict_type", loc: append(append([]string{}, infoLoc...), "configuration"),
				msg: "Input should be a valid dictionary", input: info.Configuration})
		}
	}
	if len(errs) > 0 {
		return m, append([]fieldError{idErr}, errs...)
	}
	m.Flavor, m.Configuration = info.Flavor, info.Configuration
	m.ConnectorIndex, m.ConnectorResourceID = info.ServiceConnectorIndex, info.ServiceConnectorResourceID
	return m, nil
}

// decodeNumbers decodes JSON as the request decoder sees values: numbers
// kept as json.Number.
func decodeNumbers(raw json.RawMessage) any {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.Decode(&v)
	return v
}

// stackConnectors reads a stack request's service_connectors: ids, or
// connectors to create (ServiceConnectorInfo).
func stackConnectors(raw json.RawMessage) ([]store.StackConnector, []fieldError) {
	loc := []string{"body", "service_connectors"}
	if raw == nil {
		return nil, nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || items == nil {
		return nil, []fieldError{{typ: "list_type", loc: loc, msg: "Input should be a valid list", input: raw}}
	}
	out := make([]store.StackConnector, len(items))
	var errs []fieldError
	for i, item := range items {
		iloc := []string{"body", "service_connectors", strconv.Itoa(i)}
		val := decodeNumbers(item)
		if s, ok := val.(string); ok {
			if id, err := uuid.Parse(s); err == nil {
				out[i].ID = &id
				continue
			}
		}
		var info struct {
			Type          string          `json:"type" zen:"required"`
			AuthMethod    string          `json:"auth_method" zen:"required"`
			Configuration json.RawMessage `json:"configuration"`
		}
		if obj, ok := val.(map[string]any); ok {
			var infoErrs []fieldError
			infoLoc := append(iloc, "ServiceConnectorInfo")
			validateObject(decodedObject(obj), reflect.ValueOf(&info).Elem(), infoLoc, &infoErrs)
			var cfg *jsonobj.Object
			if info.Configuration != nil {
				if dictField("configuration", info.Configuration, false) != nil {
					infoErrs = append(infoErrs, fieldError{typ: "dict_type", loc: append(append([]string{}, infoLoc...), "configuration"),
						msg: "Input should be a valid dictionary", input: info.Configuration})
				} else {
					cfg, _ = jsonobj.Parse(info.Configuration)
				}
			}
			if len(infoErrs) == 0 {
				out[i] = store.StackConnector{Type: info.Type, AuthMethod: info.AuthMethod, Configuration: cfg}
				continue
			}
			errs = append(errs, fieldError{typ: "uuid_type", loc: append(iloc, "uuid"), msg: "UUID input should be a string, bytes or UUID object", input: item})
			errs = append(errs, infoErrs...)
			continue
		}
		if s, ok := val.(string); ok {
			errs = append(errs, uuidError(append(iloc, "uuid"), s))
		} else {
			errs = append(errs, fieldError{typ: "uuid_type", loc: append(iloc, "uuid"), msg: "UUID input should be a string, bytes or UUID object", input: item})
		}
		errs = append(errs, fieldError{typ: "model_attributes_type", loc: append(iloc, "ServiceConnectorInfo"),
			msg: "Input should be a valid dictionary or object to extract fields from", input: item})
	}
	return out, errs
}

// withFieldErrors merges errors found outside the decoder into its
// validation error, in the model's field order.
func withFieldErrors(err error, order []string, extra ...[]fieldError) error {
	var all []fieldError
	if ve, ok := err.(*validationError); ok {
		all = ve.errs
	} else if err != nil {
		return err
	}
	for _, e := range extra {
		all = append(all, e...)
	}
	if len(all) == 0 {
		return nil
	}
	rank := func(fe fieldError) int {
		if len(fe.loc) > 1 {
			for i, f := range order {
				if fe.loc[1] == f {
					return i
				}
			}
		}
		return len(order)
	}
	sorted := make([]fieldError, 0, len(all))
	for r := 0; r <= len(order); r++ {
		for _, fe := range all {
			if rank(fe) == r {
				sorted = append(sorted, fe)
			}
		}
	}
	return &validationError{errs: sorted}
}

var stackRequestFields = []string{"user", "name", "description", "stack_spec_path", "components", "environment", "secrets", "labels", "service_connectors"}

func (s *Server) createStack(r *http.Request) (any, error) {
	var req stackRequest
	err := decodeBody(r, &req)
	if err != nil {
		if _, ok := err.(*validationError); !ok {
			return nil, err
		}
	}
	var members []store.StackMember
	var memberErrs []fieldError
	if req.Components != nil {
		members, memberErrs = stackMembers(req.Components, true)
	} else if req.Present["components"] {
		memberErrs = []fieldError{{typ: "dict_type", loc: []string{"body", "components"}, msg: "Input should be a valid dictionary", input: nil}}
	}
	connectors, connectorErrs := stackConnectors(req.ServiceConnectors)
	var dictErrs []fieldError
	for _, check := range []error{stringDict("environment", req.Environment), dictField("labels", req.Labels, true)} {
		if ve, ok := check.(*validationError); ok {
			dictErrs = append(dictErrs, ve.errs...)
		}
	}
	if err := withFieldErrors(err, stackRequestFields, memberErrs, connectorErrs, dictErrs); err != nil {
		return nil, err
	}
	for _, m := range members {
		if i := m.ConnectorIndex; i != nil && (*i < 0 || *i >= len(connectors)) {
			return nil, valueErrors([]string{"body"}, fmt.Sprintf("Service connector index %d is out of range. Please provide a valid index referring to the position in the list of service connectors.", *i), bodyEcho(r))
		}
	}
	for _, c := range connectors {
		if c.ID != nil {
			if _, err := s.db.GetServiceConnector(r.Context(), *c.ID, false); err != nil {
				return nil, err
			}
		}
	}
	if err := s.checkComponentsExist(r, members); err != nil {
		return nil, err
	}
	if len(req.Secrets) > 0 {
		return nil, secretNotFound(req.Secrets[0])
	}
	st, err := s.db.CreateStack(r.Context(), store.NewStack{Name: req.Name, Description: req.Description, StackSpecPath: req.StackSpecPath,
		Labels: req.Labels, Environment: req.Environment, UserID: &current(r).user.ID, Members: members, Connectors: connectors})
	if err != nil {
		return nil, err
	}
	return stackView(st, true), nil
}

// checkComponentsExist answers, as the reference's router does before
// anything else, a 404 for the first listed component that does not exist.
func (s *Server) checkComponentsExist(r *http.Request, members []store.StackMember) error {
	for _, m := range members {
		if m.ID != nil {
			if _, err := s.db.GetComponent(r.Context(), *m.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) updateStack() handler {
	return updateByID("stack_id", func(r *http.Request, id uuid.UUID, req *stackUpdate) (*zen.Stack, error) {
		var members []store.StackMember
		var errs []fieldError
		if req.Components != nil {
			members, errs = stackMembers(req.Components, false)
		}
		for _, check := range []error{stringDict("environment", req.Environment), dictField("labels", req.Labels, true)} {
			if ve, ok := check.(*validationError); ok {
				errs = append(errs, ve.errs...)
			}
		}
		if len(errs) > 0 {
			return nil, &validationError{errs: errs}
		}
		if err := s.checkComponentsExist(r, members); err != nil {
			return nil, err
		}
		if len(req.AddSecrets) > 0 {
			return nil, secretNotFound(req.AddSecrets[0])
		}
		return s.db.UpdateStack(r.Context(), id, store.StackUpdate{Name: req.Name,
			Description: req.Description, SetDescription: req.Present["description"],
			StackSpecPath: req.StackSpecPath, SetStackSpecPath: req.Present["stack_spec_path"],
			Labels: req.Labels, SetLabels: req.Present["labels"], Environment: req.Environment, SetEnvironment: req.Present["environment"],
			Members: members})
	}, stackView)
}

func (s *Server) deleteStack() handler { return deleteByID("stack_id", s.db.DeleteStack) }

func (s *Server) listStacks() listRoute {
	return listOf(filter.Stacks, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Stack], error) {
		return s.db.ListStacks(r.Context(), q.List, q.scopeUser, q.hydrate)
	}, stackView)
}

func (s *Server) getStack() handler {
	return getByID("stack_id", s.db.GetStack, stackView)
}

type stackBody struct {
	Created zen.Time   `json:"created"`
	Updated zen.Time   `json:"updated"`
	UserID  *uuid.UUID `json:"user_id"`
}

type stackMetadata struct {
	Components    json.RawMessage `json:"components"`
	Description   *string         `json:"description"`
	StackSpecPath *string         `json:"stack_spec_path"`
	Environment   json.RawMessage `json:"environment"`
	Secrets       []string        `json:"secrets"`
	Labels        json.RawMessage `json:"labels"`
}

func stackView(s *zen.Stack, hydrate bool) envelope {
	e := envelope{ID: s.ID, Name: named(s.Name), Body: stackBody{Created: s.Created, Updated: s.Updated, UserID: s.UserID},
		Resources: userResources{User: embeddedUser(s.User)}}
	if hydrate {
		e.Metadata = stackMetadata{Components: componentsByType(s.Components), Description: s.Description, StackSpecPath: s.StackSpecPath,
			Environment: objectOrEmpty(s.Environment), Secrets: []string{}, Labels: rawOr(s.Labels, "{}")}
	}
	return e
}

// componentsByType groups a stack's components by their type, the types
// in the order their first component comes.
func componentsByType(components []*zen.Component) json.RawMessage {
	var order []string
	groups := map[string][]envelope{}
	for _, c := range components {
		if _, seen := groups[c.Type]; !seen {
			order = append(order, c.Type)
		}
		groups[c.Type] = append(groups[c.Type], componentView(c, false, true))
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, typ := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(typ)
		v, _ := json.Marshal(groups[typ])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}
