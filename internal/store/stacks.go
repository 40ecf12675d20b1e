package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/zen"
)

// Stacks: a named set of components. A stack's components are rows of
// stack_components, each with its place in the request (list_index) and,
// for the first of each type, the type it is the default of.

const stackSelect = `s.id, s.name, s.description, s.stack_spec_path, s.labels, s.environment, s.user_id, s.created, s.updated`

func scanStack(row interface{ Scan(...any) error }) (*zen.Stack, error) {
	s := &zen.Stack{}
	err := row.Scan(dbID{&s.ID}, &s.Name, &s.Description, &s.StackSpecPath, dbJSON{&s.Labels, "{}"},
		dbJSON{&s.Environment, "{}"}, dbIDPtr{&s.UserID}, dbTime{&s.Created}, dbTime{&s.Updated})
	return s, err
}

// stackRelations are what a hydrated stack shows; bare stacks (inside
// snapshots and runs) load none.
var stackRelations = []relation[*zen.Stack]{
	withUsers(ref[*zen.Stack, *zen.User]{func(s *zen.Stack) *uuid.UUID { return s.UserID }, func(s *zen.Stack, u *zen.User) { s.User = u }}),
	func(ctx context.Context, tx *Tx, stacks []*zen.Stack) error {
		return tx.loadStackComponents(ctx, stacks)
	},
}

func stackNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get stack with ID '%s': No stack with this ID found", id)
}

func (tx *Tx) getStack(ctx context.Context, id uuid.UUID) (*zen.Stack, error) {
	s, err := scanStack(tx.queryRow(ctx, `SELECT `+stackSelect+` FROM stacks s WHERE s.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, stackNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return s, loadRelations(ctx, tx, []*zen.Stack{s}, stackRelations)
}

// GetStack finds a stack by id, with its components.
func (db *DB) GetStack(ctx context.Context, id uuid.UUID) (*zen.Stack, error) {
	return readByID(ctx, db, id, (*Tx).getStack)
}

// loadStackComponents fills the components of many stacks with one query,
// in the reference's order: each type's default first (ordered by the
// type it is the default of), then the others as they were listed.
func (tx *Tx) loadStackComponents(ctx context.Context, stacks []*zen.Stack) error {
	byID := make(map[uuid.UUID]*zen.Stack, len(stacks))
	ids := make([]uuid.UUID, 0, len(stacks))
	for _, s := range stacks {
		byID[s.ID] = s
		ids = append(ids, s.ID)
	}
	return tx.each(ctx, `SELECT `+componentSelect+`, sc.stack_id FROM stack_components sc
		JOIN components c ON c.id = sc.component_id `+flavorJoin+`
		WHERE sc.stack_id IN (`+placeholders(len(ids))+`)
		ORDER BY CASE WHEN sc.default_for_type IS NULL THEN 1 ELSE 0 END, sc.default_for_type, sc.list_index`, idArgs(ids),
		func(rows *sql.Rows) error {
			var stackID uuid.UUID
			c, err := scanComponent(rows, dbID{&stackID})
			if err != nil {
				return err
			}
			if s := byID[stackID]; s != nil {
				s.Components = append(s.Components, c)
			}
			return nil
		})
}

var stackFilterColumns = func() map[string]column {
	cols := baseColumns("s")
	cols["name"] = column{expr: "s.name", typ: filter.String}
	cols["description"] = column{expr: "s.description", typ: filter.String, nullable: true}
	return cols
}()

// ListStacks lists stacks; hydrated pages load their components in one
// more query.
func (db *DB) ListStacks(ctx context.Context, l *filter.List, scopeUser *uuid.UUID, hydrate bool) (*zen.Page[*zen.Stack], error) {
	d := db.dialect
	spec := &listSpec{from: "stacks s", alias: "s", columns: stackFilterColumns,
		custom: d.userScopedCustom("s.user_id", func(c filter.Condition) (clause, bool) {
			var m clause
			switch c.Field {
			case "component_id":
				m = d.render(column{expr: "sc.component_id", typ: filter.UUID}, c)
			case "component":
				m = d.nameOrIDMatch("cc", c)
			default:
				return clause{}, false
			}
			return clause{"EXISTS (SELECT 1 FROM stack_components sc JOIN components cc ON cc.id = sc.component_id WHERE sc.stack_id = s.id AND " + m.sql + ")", m.args}, true
		}),
		sortKeys: map[string]sortKey{"user": userSortKey("s.user_id")}}
	rels := stackRelations[:1]
	if hydrate {
		rels = stackRelations
	}
	return listRows(ctx, db, spec, l, scopeUserClause("s.user_id", scopeUser), stackSelect, scanStack, relationsLoader(rels))
}

// StackMember is one component a stack request lists under a type: an
// existing one (ID), or one to create (Flavor and Configuration), linked,
// when ConnectorIndex is set, to that entry of the request's connectors.
type StackMember struct {
	Type                string
	ID                  *uuid.UUID
	Flavor              string
	Configuration       json.RawMessage
	ConnectorIndex      *int
	ConnectorResourceID *string
}

// StackConnector is one service connector a stack request lists: an
// existing one (ID), or one to create (the reference's
// ServiceConnectorInfo).
type StackConnector struct {
	ID               *uuid.UUID
	Type, AuthMethod string
	Configuration    *jsonobj.Object
}

// NewStack is a stack to create, with its members in request order.
type NewStack struct {
	Name, Description   string
	StackSpecPath       *string
	Labels, Environment json.RawMessage
	UserID              *uuid.UUID
	Members             []StackMember
	Connectors          []StackConnector
}

func stackTaken(verb, name string) error {
	return zen.Errorf(zen.EConflict, "Unable to %s the requested stack with name '%s': Found another existing stack with the same name.", verb, name)
}

// CreateStack is the reference's full-stack create, in one transaction:
// connectors to create come first, named after the stack; members to
// create become components named after the stack (labelled as it is),
// each linked to the connector it names; then the stack takes its members.
func (db *DB) CreateStack(ctx context.Context, ns NewStack) (*zen.Stack, error) {
	if err := checkEntityName("StackRequest", "Stack", ns.Name); err != nil {
		return nil, err
	}
	labels := json.RawMessage(jsonText(ns.Labels, "{}"))
	var out *zen.Stack
	err := db.write(ctx, func(tx *Tx) error {
		connectors, err := tx.stackConnectors(ctx, ns, labels)
		if err != nil {
			return err
		}
		members := make([]stackMember, len(ns.Members))
		for i, m := range ns.Members {
			members[i] = stackMember{typ: m.Type}
			if m.ID != nil {
				if err := tx.componentExists(ctx, *m.ID); err != nil {
					return err
				}
				members[i].id = *m.ID
				continue
			}
			tx.tick()
			c, err := tx.createStackMember(ctx, ns.Name, m, labels, ns.UserID, connectors)
			if err != nil {
				return err
			}
			members[i].id = c
		}
		taken, err := tx.stackNameTaken(ctx, ns.Name, uuid.Nil)
		if err != nil {
			return err
		}
		if taken {
			return stackTaken("create", ns.Name)
		}
		tx.tick()
		id := uuid.New()
		_, err = tx.exec(ctx, `INSERT INTO stacks (id, name, description, stack_spec_path, labels, environment, user_id, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, hexID(id), ns.Name, ns.Description, ns.StackSpecPath, string(labels),
			jsonText(ns.Environment, "{}"), hexIDPtr(ns.UserID), tx.now.Micros(), tx.now.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return stackTaken("create", ns.Name)
		}
		if err != nil {
			return err
		}
		if err := tx.setStackMembers(ctx, id, members); err != nil {
			return err
		}
		if out, err = tx.getStack(ctx, id); err != nil {
			return err
		}
		return tx.markStackOnboarding(ctx, out)
	})
	return out, err
}

// stackMember is a component a stack lists, under the type it was listed
// as (which the reference does not check against the component's own).
type stackMember struct {
	typ string
	id  uuid.UUID
}

func (tx *Tx) componentExists(ctx context.Context, id uuid.UUID) error {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE id = ?`, hexID(id)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return componentNotFound(id)
	}
	return nil
}

// createStackMember creates the component a stack request describes, as
// the reference's create_stack does, linked to its connector if it names
// one.
func (tx *Tx) createStackMember(ctx context.Context, stackName string, m StackMember, labels json.RawMessage, userID *uuid.UUID,
	connectors []*ServiceConnector) (uuid.UUID, error) {
	f, err := tx.flavorNamed(ctx, m.Flavor, m.Type)
	if err != nil {
		return uuid.Nil, err
	}
	if f == nil {
		return uuid.Nil, zen.Errorf(zen.EInvalid, "Flavor '%s' not found for component type '%s'.", m.Flavor, m.Type)
	}
	name, err := tx.freeComponentName(ctx, stackName, m.Type)
	if err != nil {
		return uuid.Nil, err
	}
	// Checked, but kept as sent: the reference re-orders a configuration
	// only in its components endpoint.
	if _, err := catalog.CheckConfiguration(f, m.Type, m.Configuration, nil); err != nil {
		return uuid.Nil, err
	}
	c := zen.Component{Name: name, Type: m.Type, FlavorName: m.Flavor, Configuration: m.Configuration, Labels: labels, UserID: userID}
	if err := tx.insertComponent(ctx, &c); err != nil {
		return uuid.Nil, err
	}
	if m.ConnectorIndex != nil {
		if err := tx.linkStackMember(ctx, c.ID, f, m, connectors[*m.ConnectorIndex]); err != nil {
			return uuid.Nil, err
		}
	}
	return c.ID, nil
}

// stackConnectors reads the connectors a stack request names and creates
// the ones it describes, in its order. As on the reference, a stack whose
// orchestrator runs on VMs (a vm_ flavor) asks its connectors for
// permanent tokens: a new connector is configured so, an existing one is
// updated unless it already is.
func (tx *Tx) stackConnectors(ctx context.Context, ns NewStack, labels json.RawMessage) ([]*ServiceConnector, error) {
	if len(ns.Connectors) == 0 {
		return nil, nil
	}
	permanent, err := tx.stackNeedsPermanentTokens(ctx, ns.Members)
	if err != nil {
		return nil, err
	}
	out := make([]*ServiceConnector, len(ns.Connectors))
	for i, sc := range ns.Connectors {
		tx.tick()
		if sc.ID != nil {
			out[i], err = tx.stackExistingConnector(ctx, *sc.ID, permanent)
		} else {
			out[i], err = tx.createStackConnector(ctx, ns, sc, labels, permanent)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// stackNeedsPermanentTokens is the reference's test: the flavor of the
// last orchestrator listed starts with "vm_".
func (tx *Tx) stackNeedsPermanentTokens(ctx context.Context, members []StackMember) (bool, error) {
	permanent := false
	for _, m := range members {
		if m.Type != "orchestrator" {
			continue
		}
		flavor := m.Flavor
		if m.ID != nil {
			c, err := tx.getComponent(ctx, *m.ID)
			if err != nil {
				return false, err
			}
			flavor = c.FlavorName
		}
		permanent = strings.HasPrefix(flavor, "vm_")
	}
	return permanent, nil
}

func (tx *Tx) stackExistingConnector(ctx context.Context, id uuid.UUID, permanent bool) (*ServiceConnector, error) {
	c, err := tx.getConnector(ctx, id, true)
	if err != nil || !permanent {
		return c, err
	}
	cfg := c.FullConfiguration()
	if v, ok := cfg.Get("generate_temporary_tokens"); ok && string(v) == "false" {
		return c, nil
	}
	cfg.Set("generate_temporary_tokens", json.RawMessage("false"))
	return tx.updateConnector(ctx, id, ServiceConnectorUpdate{Configuration: cfg})
}

// createStackConnector creates a connector a stack request describes,
// named after the stack (with a random suffix when that name is taken)
// and labelled with the stack's labels as strings.
func (tx *Tx) createStackConnector(ctx context.Context, ns NewStack, sc StackConnector, labels json.RawMessage, permanent bool) (*ServiceConnector, error) {
	cfg := jsonobj.New()
	if sc.Configuration != nil {
		for _, k := range sc.Configuration.Keys() {
			v, _ := sc.Configuration.Get(k)
			cfg.Set(k, v)
		}
	}
	cfg.Set("generate_temporary_tokens", json.RawMessage(strconv.FormatBool(!permanent)))
	c := &ServiceConnector{ServiceConnector: zen.ServiceConnector{UserID: ns.UserID, ConnectorType: sc.Type, AuthMethod: sc.AuthMethod},
		Configuration: cfg, Labels: stringLabels(labels)}
	if t := catalog.LookupConnectorType(sc.Type); t != nil {
		if err := c.Configure(t, nil, true, cfg); err != nil {
			return nil, err
		}
	}
	c.Name = ns.Name
	for {
		taken, err := tx.connectorNameTaken(ctx, c.Name, uuid.Nil)
		if err != nil {
			return nil, err
		}
		if !taken {
			break
		}
		c.Name = strings.ToLower(ns.Name + "-" + randomSuffix(4))
	}
	if err := tx.insertConnector(ctx, c); err != nil {
		return nil, err
	}
	return tx.getConnector(ctx, c.ID, true)
}

// stringLabels are a stack's labels as a connector takes them: each value
// as Python's str() writes it.
func stringLabels(labels json.RawMessage) *jsonobj.Object {
	obj, err := jsonobj.Parse(labels)
	if err != nil {
		return nil
	}
	out := jsonobj.New()
	for _, k := range obj.Keys() {
		v, _ := obj.Get(k)
		b, _ := json.Marshal(pyStr(v))
		out.Set(k, b)
	}
	return out
}

// pyStr is Python's str() of a JSON scalar as json.loads reads it (an
// integer stays as written, a float is Python's repr); objects and lists
// are written as json.dumps would.
func pyStr(raw json.RawMessage) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return string(raw)
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			return string(x)
		}
		f, _ := x.Float64()
		return jsonobj.PyFloatRepr(f)
	}
	s, err := jsonobj.PyDumps(raw)
	if err != nil {
		return string(raw)
	}
	return s
}

// linkStackMember links a component made inside a stack create to a
// connector, with the reference's checks and their ValueErrors: the
// flavor's connector requirements, then the resource id (given, or read
// from the configuration attribute that plays that role, or the
// connector's own).
func (tx *Tx) linkStackMember(ctx context.Context, componentID uuid.UUID, f *zen.Flavor, m StackMember, c *ServiceConnector) error {
	if f.ConnectorResourceType == nil || *f.ConnectorResourceType == "" {
		return zen.Errorf(zen.EInvalid, "The '%s' implementation does not support using a service connector to connect to resources.", f.Name)
	}
	resourceType := *f.ConnectorResourceType
	cfg, _ := jsonobj.Parse([]byte(jsonText(m.Configuration, "{}")))
	var resourceID *string
	if m.ConnectorResourceID != nil && *m.ConnectorResourceID != "" {
		resourceID = m.ConnectorResourceID
	} else if f.ConnectorResourceIDAttr != nil && cfg != nil {
		if raw, ok := cfg.Get(*f.ConnectorResourceIDAttr); ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				resourceID = &s
			}
		}
	}
	satisfied := (f.ConnectorType == nil || *f.ConnectorType == "" || *f.ConnectorType == c.ConnectorType) &&
		slices.Contains(c.ResourceTypes, resourceType)
	if satisfied && f.ConnectorResourceIDAttr != nil && *f.ConnectorResourceIDAttr != "" {
		raw, ok := json.RawMessage(nil), false
		if cfg != nil {
			raw, ok = cfg.Get(*f.ConnectorResourceIDAttr)
		}
		satisfied = ok && pyTruthy(raw)
	}
	if !satisfied {
		return zen.Errorf(zen.EInvalid, "Please pick a connector that is compatible with the component flavor and try again..")
	}
	if resourceID == nil || *resourceID == "" {
		switch {
		case c.ResourceID != nil && *c.ResourceID != "":
			resourceID = c.ResourceID
		case c.SupportsInstances:
			return zen.Errorf(zen.EInvalid, "Multiple %s resources are available for the selected connector. Please use a `resource_id` to configure a %s resource.", resourceType, resourceType)
		default:
			resourceID = nil
		}
	}
	_, err := tx.exec(ctx, `UPDATE components SET connector_id = ?, connector_resource_id = ?, updated = ? WHERE id = ?`,
		hexID(c.ID), resourceID, tx.now.Micros(), hexID(componentID))
	return err
}

// pyTruthy is Python's truth of a JSON value.
func pyTruthy(raw json.RawMessage) bool {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return false
	}
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, _ := x.Float64()
		return f != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// setStackMembers replaces a stack's components; the first listed of each
// type is that type's default.
func (tx *Tx) setStackMembers(ctx context.Context, stackID uuid.UUID, members []stackMember) error {
	if _, err := tx.exec(ctx, `DELETE FROM stack_components WHERE stack_id = ?`, hexID(stackID)); err != nil {
		return err
	}
	var rows rowsBuilder
	seenType := map[string]bool{}
	seenID := map[uuid.UUID]bool{}
	for i, m := range members {
		if seenID[m.id] {
			continue // one row per component, as the reference's key
		}
		seenID[m.id] = true
		var def any
		if !seenType[m.typ] {
			seenType[m.typ] = true
			def = m.typ
		}
		rows.add(4, hexID(stackID), hexID(m.id), def, i)
	}
	_, err := tx.insertRows(ctx, "stack_components (stack_id, component_id, default_for_type, list_index)", rows, false)
	return err
}

// markStackOnboarding records the reference's onboarding steps for a stack
// with a remote orchestrator or artifact store.
func (tx *Tx) markStackOnboarding(ctx context.Context, s *zen.Stack) error {
	for _, c := range s.Components {
		switch {
		case c.Type == "orchestrator" && c.FlavorName != "local" && c.FlavorName != "local_docker":
			if err := tx.markOnboarding(ctx, "stack_with_remote_orchestrator_created"); err != nil {
				return err
			}
		case c.Type == "artifact_store" && c.FlavorName != "local":
			if err := tx.markOnboarding(ctx, "stack_with_remote_artifact_store_created"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tx *Tx) stackNameTaken(ctx context.Context, name string, except uuid.UUID) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM stacks WHERE name = ? AND id <> ?`, name, hexID(except)).Scan(&n)
	return n > 0, err
}

// StackUpdate changes a stack: each Set* flag says the client sent that
// field (a null clears it); Members, when not nil, replace the components.
type StackUpdate struct {
	Name                                                        *string
	Description, StackSpecPath                                  *string
	Labels, Environment                                         json.RawMessage
	SetDescription, SetStackSpecPath, SetLabels, SetEnvironment bool
	Members                                                     []StackMember
}

// UpdateStack applies an update; the default stack stays as it is.
func (db *DB) UpdateStack(ctx context.Context, id uuid.UUID, up StackUpdate) (*zen.Stack, error) {
	var out *zen.Stack
	err := db.write(ctx, func(tx *Tx) error {
		s, err := scanStack(tx.queryRow(ctx, `SELECT `+stackSelect+` FROM stacks s WHERE s.id = ?`, hexID(id)))
		if errors.Is(err, sql.ErrNoRows) {
			return stackNotFound(id)
		}
		if err != nil {
			return err
		}
		if s.Name == "default" {
			return zen.Errorf(zen.EForbidden, "The default stack cannot be modified.")
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Name != nil {
			taken, err := tx.stackNameTaken(ctx, *up.Name, id)
			if err != nil {
				return err
			}
			if taken {
				return stackTaken("update", *up.Name)
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.SetDescription {
			set.addSQL("description = ?", up.Description)
		}
		if up.SetStackSpecPath {
			set.addSQL("stack_spec_path = ?", up.StackSpecPath)
		}
		if up.SetLabels {
			set.addSQL("labels = ?", jsonText(up.Labels, "null"))
		}
		if up.SetEnvironment {
			set.addSQL("environment = ?", jsonText(up.Environment, "{}"))
		}
		_, err = tx.exec(ctx, "UPDATE stacks SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...)
		if tx.db.dialect.isUniqueViolation(err) {
			return stackTaken("update", *up.Name)
		}
		if err != nil {
			return err
		}
		if up.Members != nil {
			members := make([]stackMember, len(up.Members))
			for i, m := range up.Members {
				if err := tx.componentExists(ctx, *m.ID); err != nil {
					return err
				}
				members[i] = stackMember{typ: m.Type, id: *m.ID}
			}
			if err := tx.setStackMembers(ctx, id, members); err != nil {
				return err
			}
		}
		out, err = tx.getStack(ctx, id)
		return err
	})
	return out, err
}

// DeleteStack removes a stack (its snapshots and builds keep no stack);
// the default stack stays.
func (db *DB) DeleteStack(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		var name string
		err := tx.queryRow(ctx, `SELECT name FROM stacks WHERE id = ?`, hexID(id)).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return stackNotFound(id)
		}
		if err != nil {
			return err
		}
		if name == "default" {
			return zen.Errorf(zen.EForbidden, "The default stack cannot be deleted.")
		}
		_, err = tx.deleteCascading(ctx, "stacks", "id = ?", hexID(id))
		return err
	})
}
