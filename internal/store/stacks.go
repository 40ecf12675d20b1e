package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Flavors, stack components and stacks. Reading is complete; creating and
// changing them beyond the first-start catalogue comes later.

const flavorSelect = `f.id, f.name, f.type, f.display_name, f.integration, f.source, f.logo_url,
	f.is_custom, f.config_schema, f.connector_type, f.connector_resource_type,
	f.connector_resource_id_attr, f.docs_url, f.sdk_docs_url, f.user_id, f.created, f.updated`

func scanFlavor(row interface{ Scan(...any) error }) (*zen.Flavor, error) {
	f := &zen.Flavor{}
	err := row.Scan(flavorDest(f)...)
	return f, err
}

func flavorDest(f *zen.Flavor) []any {
	return []any{dbID{&f.ID}, &f.Name, &f.Type, &f.DisplayName, &f.Integration, &f.Source, &f.LogoURL,
		&f.IsCustom, dbJSON{&f.ConfigSchema, "{}"}, &f.ConnectorType, &f.ConnectorResourceType,
		&f.ConnectorResourceIDAttr, &f.DocsURL, &f.SDKDocsURL, dbIDPtr{&f.UserID}, dbTime{&f.Created}, dbTime{&f.Updated}}
}

// GetFlavor finds a flavor by id.
func (db *DB) GetFlavor(ctx context.Context, id uuid.UUID) (*zen.Flavor, error) {
	var out *zen.Flavor
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = scanFlavor(tx.queryRow(ctx, `SELECT `+flavorSelect+` FROM flavors f WHERE f.id = ?`, hexID(id)))
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("Unable to get flavor with ID '%s': No flavor with this ID found", id)
		}
		return err
	})
	return out, err
}

var flavorFilterColumns = func() map[string]column {
	cols := baseColumns("f")
	cols["name"] = column{expr: "f.name", typ: filter.String}
	cols["display_name"] = column{expr: "f.display_name", typ: filter.String, nullable: true}
	cols["type"] = column{expr: "f.type", typ: filter.String}
	cols["integration"] = column{expr: "f.integration", typ: filter.String, nullable: true}
	return cols
}()

// ListFlavors lists flavors.
func (db *DB) ListFlavors(ctx context.Context, l *filter.List, scopeUser *uuid.UUID) (*zen.Page[*zen.Flavor], error) {
	spec := &listSpec{from: "flavors f", alias: "f", columns: flavorFilterColumns,
		custom:   db.dialect.userScopedCustom("f.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("f.user_id")}}
	return listRows(ctx, db, spec, l, scopeUserClause("f.user_id", scopeUser), flavorSelect, scanFlavor, nil)
}

func scopeUserClause(userIDExpr string, scopeUser *uuid.UUID) []clause {
	if scopeUser == nil {
		return nil
	}
	return []clause{{userIDExpr + " = ?", []any{hexID(*scopeUser)}}}
}

// Components are read together with their flavor, joined on (name, type).
const componentSelect = `c.id, c.name, c.type, c.flavor_name, c.configuration, c.labels, c.environment,
	c.connector_resource_id, c.user_id, c.created, c.updated, ` + flavorSelect

const componentFrom = `components c ` + flavorJoin

const flavorJoin = `JOIN flavors f ON f.name = c.flavor_name AND f.type = c.type`

func scanComponent(row interface{ Scan(...any) error }, extra ...any) (*zen.Component, error) {
	c := &zen.Component{Flavor: &zen.Flavor{}}
	dest := []any{dbID{&c.ID}, &c.Name, &c.Type, &c.FlavorName, dbJSON{&c.Configuration, "{}"}, dbJSON{&c.Labels, "null"},
		dbJSON{&c.Environment, "{}"}, &c.ConnectorResourceID, dbIDPtr{&c.UserID}, dbTime{&c.Created}, dbTime{&c.Updated}}
	dest = append(dest, flavorDest(c.Flavor)...)
	err := row.Scan(append(dest, extra...)...)
	return c, err
}

// GetComponent finds a component by id.
func (db *DB) GetComponent(ctx context.Context, id uuid.UUID) (*zen.Component, error) {
	var out *zen.Component
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = scanComponent(tx.queryRow(ctx, `SELECT `+componentSelect+` FROM `+componentFrom+` WHERE c.id = ?`, hexID(id)))
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("Unable to get stack component with ID '%s': No stack component with this ID found", id)
		}
		return err
	})
	return out, err
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
	return listRows(ctx, db, spec, l, scope, componentSelect, func(r interface{ Scan(...any) error }) (*zen.Component, error) {
		return scanComponent(r)
	}, nil)
}

const stackSelect = `s.id, s.name, s.description, s.stack_spec_path, s.labels, s.environment, s.user_id, s.created, s.updated`

func scanStack(row interface{ Scan(...any) error }) (*zen.Stack, error) {
	s := &zen.Stack{}
	err := row.Scan(dbID{&s.ID}, &s.Name, &s.Description, &s.StackSpecPath, dbJSON{&s.Labels, "{}"},
		dbJSON{&s.Environment, "{}"}, dbIDPtr{&s.UserID}, dbTime{&s.Created}, dbTime{&s.Updated})
	return s, err
}

// GetStack finds a stack by id, with its components.
func (db *DB) GetStack(ctx context.Context, id uuid.UUID) (*zen.Stack, error) {
	var out *zen.Stack
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, err = scanStack(tx.queryRow(ctx, `SELECT `+stackSelect+` FROM stacks s WHERE s.id = ?`, hexID(id)))
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("Unable to get stack with ID '%s': No stack with this ID found", id)
		}
		if err != nil {
			return err
		}
		return tx.loadStackComponents(ctx, []*zen.Stack{out})
	})
	return out, err
}

// loadStackComponents fills the components of many stacks with one query.
func (tx *Tx) loadStackComponents(ctx context.Context, stacks []*zen.Stack) error {
	if len(stacks) == 0 {
		return nil
	}
	byID := make(map[uuid.UUID]*zen.Stack, len(stacks))
	args := make([]any, 0, len(stacks))
	for _, s := range stacks {
		byID[s.ID] = s
		args = append(args, hexID(s.ID))
	}
	rows, err := tx.query(ctx, `SELECT `+componentSelect+`, sc.stack_id FROM stack_components sc
		JOIN components c ON c.id = sc.component_id `+flavorJoin+`
		WHERE sc.stack_id IN (`+placeholders(len(args))+`) ORDER BY c.created, c.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var stackID uuid.UUID
		c, err := scanComponent(rows, dbID{&stackID})
		if err != nil {
			return err
		}
		if s := byID[stackID]; s != nil {
			s.Components = append(s.Components, c)
		}
	}
	return rows.Err()
}

var stackFilterColumns = func() map[string]column {
	cols := baseColumns("s")
	cols["name"] = column{expr: "s.name", typ: filter.String}
	cols["description"] = column{expr: "s.description", typ: filter.String}
	return cols
}()

// ListStacks lists stacks; withComponents loads their components in one
// more query.
func (db *DB) ListStacks(ctx context.Context, l *filter.List, scopeUser *uuid.UUID, withComponents bool) (*zen.Page[*zen.Stack], error) {
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
	var load func(context.Context, *Tx, []*zen.Stack) error
	if withComponents {
		load = func(ctx context.Context, tx *Tx, stacks []*zen.Stack) error {
			return tx.loadStackComponents(ctx, stacks)
		}
	}
	return listRows(ctx, db, spec, l, scopeUserClause("s.user_id", scopeUser), stackSelect, scanStack, load)
}
