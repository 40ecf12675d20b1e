package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Stack components: a named configuration of a flavor, unique by (name,
// type). Components are read together with their flavor, joined on (name,
// type).

const componentSelect = `c.id, c.name, c.type, c.flavor_name, c.configuration, c.labels, c.environment,
	c.connector_id, c.connector_resource_id, c.user_id, c.created, c.updated, ` + flavorSelect

const componentFrom = `components c ` + flavorJoin

const flavorJoin = `JOIN flavors f ON f.name = c.flavor_name AND f.type = c.type`

func scanComponent(row interface{ Scan(...any) error }, extra ...any) (*zen.Component, error) {
	c := &zen.Component{Flavor: &zen.Flavor{}}
	dest := []any{dbID{&c.ID}, &c.Name, &c.Type, &c.FlavorName, dbJSON{&c.Configuration, "{}"}, dbJSON{&c.Labels, "null"},
		dbJSON{&c.Environment, "{}"}, dbIDPtr{&c.ConnectorID}, &c.ConnectorResourceID, dbIDPtr{&c.UserID}, dbTime{&c.Created}, dbTime{&c.Updated}}
	dest = append(dest, flavorDest(c.Flavor)...)
	err := row.Scan(append(dest, extra...)...)
	return c, err
}

func scanComponentRow(r interface{ Scan(...any) error }) (*zen.Component, error) {
	return scanComponent(r)
}

var componentRelations = []relation[*zen.Component]{
	withUsers(ref[*zen.Component, *zen.User]{func(c *zen.Component) *uuid.UUID { return c.UserID }, func(c *zen.Component, u *zen.User) { c.User = u }}),
	withRows((*Tx).connectorsByID, ref[*zen.Component, *zen.ServiceConnector]{func(c *zen.Component) *uuid.UUID { return c.ConnectorID },
		func(c *zen.Component, sc *zen.ServiceConnector) { c.Connector = sc }}),
}

// checkConnector answers the reference's 404 for a connector that does not
// exist.
func (tx *Tx) checkConnector(ctx context.Context, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM service_connectors WHERE id = ?`, hexID(*id)).Scan(&n); err != nil || n > 0 {
		return err
	}
	return ConnectorNotFound(*id)
}

func componentNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get stack component with ID '%s': No stack component with this ID found", id)
}

func (tx *Tx) getComponent(ctx context.Context, id uuid.UUID) (*zen.Component, error) {
	c, err := scanComponent(tx.queryRow(ctx, `SELECT `+componentSelect+` FROM `+componentFrom+` WHERE c.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, componentNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return c, loadRelations(ctx, tx, []*zen.Component{c}, componentRelations)
}

// GetComponent finds a component by id.
func (db *DB) GetComponent(ctx context.Context, id uuid.UUID) (*zen.Component, error) {
	return readByID(ctx, db, id, (*Tx).getComponent)
}

var componentFilterColumns = func() map[string]column {
	cols := baseColumns("c")
	cols["name"] = column{expr: "c.name", typ: filter.String}
	cols["flavor"] = column{expr: "c.flavor_name", typ: filter.String}
	cols["type"] = column{expr: "c.type", typ: filter.String}
	cols["connector_id"] = column{expr: "c.connector_id", typ: filter.UUID, nullable: true}
	return cols
}()

// ListComponents lists stack components.
func (db *DB) ListComponents(ctx context.Context, l *filter.List, scopeUser *uuid.UUID, scopeType *string) (*zen.Page[*zen.Component], error) {
	d := db.dialect
	spec := &listSpec{from: componentFrom, alias: "c", columns: componentFilterColumns,
		custom: d.userScopedCustom("c.user_id", func(c filter.Condition) (clause, bool) {
			if c.Field != "stack_id" {
				return clause{}, false
			}
			m := d.render(column{expr: "sc.stack_id", typ: filter.UUID}, c)
			return clause{"EXISTS (SELECT 1 FROM stack_components sc WHERE sc.component_id = c.id AND " + m.sql + ")", m.args}, true
		}),
		sortKeys: map[string]sortKey{"user": userSortKey("c.user_id")}}
	scope := scopeUserClause("c.user_id", scopeUser)
	if scopeType != nil {
		scope = append(scope, clause{"c.type = ?", []any{*scopeType}})
	}
	return listRows(ctx, db, spec, l, scope, componentSelect, scanComponentRow, relationsLoader(componentRelations))
}

// isDefaultComponent tells the components of the default stack, which the
// reference refuses to change or delete.
func isDefaultComponent(c *zen.Component) bool {
	if c.Name != "default" {
		return false
	}
	for _, t := range catalog.DefaultStackComponents {
		if c.Type == t {
			return true
		}
	}
	return false
}

// checkComponentName answers the reference's 409 for a (name, type) taken
// by another component.
func (tx *Tx) checkComponentName(ctx context.Context, name, typ string, except uuid.UUID) error {
	taken, err := tx.componentNameTaken(ctx, name, typ, except)
	if err != nil || !taken {
		return err
	}
	return componentTaken(name, typ)
}

func (tx *Tx) componentNameTaken(ctx context.Context, name, typ string, except uuid.UUID) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE name = ? AND type = ? AND id <> ?`, name, typ, hexID(except)).Scan(&n)
	return n > 0, err
}

func componentTaken(name, typ string) error {
	return zen.Errorf(zen.EConflict, "Unable to register '%s' component with name '%s': Found an existing component with the same name and type.", typ, name)
}

// flavorFor finds a component's flavor, or answers the reference's
// KeyError.
func (tx *Tx) flavorFor(ctx context.Context, name, typ string) (*zen.Flavor, error) {
	f, err := tx.flavorNamed(ctx, name, typ)
	if err == nil && f == nil {
		err = zen.NotFound("No flavor with name '%s' and type '%s' exists.", name, typ)
	}
	return f, err
}

// CreateComponent stores a component after checking its configuration
// against its flavor. The configuration is kept as the reference keeps a
// component created through its API: checked and re-ordered by
// catalog.CheckConfiguration.
func (db *DB) CreateComponent(ctx context.Context, c zen.Component) (*zen.Component, error) {
	var out *zen.Component
	err := db.write(ctx, func(tx *Tx) error {
		f, err := tx.flavorFor(ctx, c.FlavorName, c.Type)
		if err != nil {
			return err
		}
		if c.Configuration, err = catalog.CheckConfiguration(f, c.Type, c.Configuration, nil); err != nil {
			return err
		}
		if err := tx.checkConnector(ctx, c.ConnectorID); err != nil {
			return err
		}
		if err := checkEntityName("ComponentRequest", "Component", c.Name); err != nil {
			return err
		}
		if err := tx.checkComponentName(ctx, c.Name, c.Type, uuid.Nil); err != nil {
			return err
		}
		if err := tx.insertComponent(ctx, &c); err != nil {
			return err
		}
		out, err = tx.getComponent(ctx, c.ID)
		return err
	})
	return out, err
}

// insertComponent writes a new component row.
func (tx *Tx) insertComponent(ctx context.Context, c *zen.Component) error {
	c.ID = uuid.New()
	_, err := tx.exec(ctx, `INSERT INTO components (id, name, type, flavor_name, configuration, labels, environment, connector_id,
		connector_resource_id, user_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(c.ID), c.Name, c.Type, c.FlavorName, jsonText(c.Configuration, "{}"), nullableJSON(c.Labels), jsonText(c.Environment, "{}"),
		hexIDPtr(c.ConnectorID), c.ConnectorResourceID, hexIDPtr(c.UserID), tx.now.Micros(), tx.now.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		return componentTaken(c.Name, c.Type)
	}
	return err
}

// freeComponentName is the name a component made inside a stack create
// gets: the stack's name, or, when a component of that type holds it, the
// stack's name with a random suffix, as the reference names it.
func (tx *Tx) freeComponentName(ctx context.Context, stackName, typ string) (string, error) {
	name := stackName
	for {
		taken, err := tx.componentNameTaken(ctx, name, typ, uuid.Nil)
		if err != nil || !taken {
			return name, err
		}
		name = strings.ToLower(stackName + "-" + randomSuffix(4))
	}
}

// randomSuffix is the reference's random_str: ASCII letters.
func randomSuffix(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

// ComponentUpdate changes a component. Absent fields stay; Labels and
// ConnectorResourceID are set when present (null clears them). Like the
// reference, an update that names no connector leaves the component
// without one.
type ComponentUpdate struct {
	Name                *string
	Configuration       json.RawMessage
	Environment         json.RawMessage
	SetEnvironment      bool
	Labels              json.RawMessage
	SetLabels           bool
	Connector           *uuid.UUID
	ConnectorResourceID *string
}

// UpdateComponent applies an update; the default stack's components stay
// as they are.
func (db *DB) UpdateComponent(ctx context.Context, id uuid.UUID, up ComponentUpdate) (*zen.Component, error) {
	var out *zen.Component
	err := db.write(ctx, func(tx *Tx) error {
		c, err := tx.getComponent(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Configuration != nil {
			cfg, err := catalog.CheckConfiguration(c.Flavor, c.Type, up.Configuration, c.Configuration)
			if err != nil {
				return err
			}
			set.addSQL("configuration = ?", string(cfg))
		}
		if err := tx.checkConnector(ctx, up.Connector); err != nil {
			return err
		}
		if isDefaultComponent(c) {
			return zen.Errorf(zen.EForbidden, "The default %s cannot be modified.", c.Type)
		}
		if up.Name != nil && *up.Name != "" && *up.Name != c.Name {
			if err := tx.checkComponentName(ctx, *up.Name, c.Type, id); err != nil {
				return err
			}
		}
		if up.Name != nil {
			set.addSQL("name = ?", *up.Name)
		}
		if up.SetEnvironment {
			set.addSQL("environment = ?", jsonText(up.Environment, "{}"))
		}
		if up.SetLabels {
			set.addSQL("labels = ?", nullableJSON(up.Labels))
		}
		if up.Connector != nil {
			set.addSQL("connector_id = ?", hexID(*up.Connector))
			set.addSQL("connector_resource_id = ?", up.ConnectorResourceID)
		} else {
			set.addSQL("connector_id = ?", nil)
			set.addSQL("connector_resource_id = ?", nil)
		}
		_, err = tx.exec(ctx, "UPDATE components SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...)
		if tx.db.dialect.isUniqueViolation(err) {
			return componentTaken(*up.Name, c.Type)
		}
		if err != nil {
			return err
		}
		out, err = tx.getComponent(ctx, id)
		return err
	})
	return out, err
}

// componentUse is a table whose rows keep a component from being deleted,
// and the reference's refusal while n of them name it.
type componentUse struct {
	table, column string
	// where narrows the rows that count (SQL on the table's columns).
	where string
	// ofType, when set, limits the reason to components of that type.
	ofType string
	refuse func(c *zen.Component, n int) error
}

// componentUses are every reason a component cannot be deleted, checked in
// this order with one statement.
var componentUses = []componentUse{
	{table: "deployments", column: "deployer_id", where: "status <> 'absent'", ofType: "deployer", refuse: func(c *zen.Component, n int) error {
		return zen.Errorf(zen.EForbidden, "The %s deployer stack component cannot be deleted because there are still %d deployments being managed by it and this would result in orphaned resources.Please deprovision or delete the deployments first.", c.Name, n)
	}},
	{table: "stack_components", column: "component_id", refuse: func(c *zen.Component, n int) error {
		return zen.Errorf(zen.EForbidden, "Stack Component `%s` of type `%s cannot be deleted as it is part of %d stacks. Before deleting this stack component, make sure to remove it from all stacks.", c.Name, c.Type, n)
	}},
}

// componentUseCounts counts, for each componentUses entry, the rows that
// name the component.
func (tx *Tx) componentUseCounts(ctx context.Context, id uuid.UUID) ([]int, error) {
	parts := make([]string, len(componentUses))
	args := make([]any, len(componentUses))
	dest := make([]any, len(componentUses))
	counts := make([]int, len(componentUses))
	for i, u := range componentUses {
		where := u.column + " = ?"
		if u.where != "" {
			where += " AND " + u.where
		}
		parts[i] = "(SELECT COUNT(*) FROM " + u.table + " WHERE " + where + ")"
		args[i] = hexID(id)
		dest[i] = &counts[i]
	}
	err := tx.queryRow(ctx, "SELECT "+joinComma(parts), args...).Scan(dest...)
	return counts, err
}

// DeleteComponent removes a component that nothing uses; the default
// stack's components stay.
func (db *DB) DeleteComponent(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		c, err := tx.getComponent(ctx, id)
		if err != nil {
			return err
		}
		if isDefaultComponent(c) {
			return zen.Errorf(zen.EForbidden, "The default %s cannot be deleted.", c.Type)
		}
		counts, err := tx.componentUseCounts(ctx, id)
		if err != nil {
			return err
		}
		for i, n := range counts {
			if u := componentUses[i]; n > 0 && (u.ofType == "" || u.ofType == c.Type) {
				return u.refuse(c, n)
			}
		}
		_, err = tx.deleteCascading(ctx, "components", "id = ?", hexID(id))
		return err
	})
}
