package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Flavors: the catalogue a server starts with, plus custom flavors users
// register. A flavor is known to components by (name, type).

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

var flavorRelations = []relation[*zen.Flavor]{
	withUsers(ref[*zen.Flavor, *zen.User]{func(f *zen.Flavor) *uuid.UUID { return f.UserID }, func(f *zen.Flavor, u *zen.User) { f.User = u }}),
}

func (tx *Tx) getFlavor(ctx context.Context, id uuid.UUID) (*zen.Flavor, error) {
	f, err := scanFlavor(tx.queryRow(ctx, `SELECT `+flavorSelect+` FROM flavors f WHERE f.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get flavor with ID '%s': No flavor with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	return f, loadRelations(ctx, tx, []*zen.Flavor{f}, flavorRelations)
}

// GetFlavor finds a flavor by id.
func (db *DB) GetFlavor(ctx context.Context, id uuid.UUID) (*zen.Flavor, error) {
	return readByID(ctx, db, id, (*Tx).getFlavor)
}

// flavorNamed finds the flavor a component of a type names, nil if there
// is none.
func (tx *Tx) flavorNamed(ctx context.Context, name, typ string) (*zen.Flavor, error) {
	f, err := scanFlavor(tx.queryRow(ctx, `SELECT `+flavorSelect+` FROM flavors f WHERE f.name = ? AND f.type = ?`, name, typ))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return f, err
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
	return listRows(ctx, db, spec, l, scopeUserClause("f.user_id", scopeUser), flavorSelect, scanFlavor, relationsLoader(flavorRelations))
}

// relationsLoader is a list's loader that fills rels for the page.
func relationsLoader[T any](rels []relation[T]) func(context.Context, *Tx, []T) error {
	return func(ctx context.Context, tx *Tx, items []T) error { return loadRelations(ctx, tx, items, rels) }
}

func scopeUserClause(userIDExpr string, scopeUser *uuid.UUID) []clause {
	if scopeUser == nil {
		return nil
	}
	return []clause{{userIDExpr + " = ?", []any{hexID(*scopeUser)}}}
}

// maxConfigSchema is the reference's TEXT_FIELD_MAX_LENGTH for a flavor's
// config schema.
const maxConfigSchema = 65535

func flavorTaken(verb, typ, name string) error {
	if verb == "register" {
		return zen.Errorf(zen.EConflict, "Unable to register '%s' flavor with name '%s' and type '%s': Found an existing flavor with the same name and type.", typ, name, typ)
	}
	return zen.Errorf(zen.EConflict, "Unable to update '%s' flavor with name '%s': Found an existing flavor with the same name and type.", typ, name)
}

// CreateFlavor registers a flavor. As on the reference, its display name
// is not stored (it is derived from the name when shown), a missing
// integration is stored as "", and built-in flavors belong to nobody.
func (db *DB) CreateFlavor(ctx context.Context, f zen.Flavor) (*zen.Flavor, error) {
	if !f.IsCustom {
		f.UserID = nil
	}
	var out *zen.Flavor
	err := db.write(ctx, func(tx *Tx) error {
		if other, err := tx.flavorNamed(ctx, f.Name, f.Type); err != nil || other != nil {
			if err != nil {
				return err
			}
			return flavorTaken("register", f.Type, f.Name)
		}
		if len(jsonText(f.ConfigSchema, "{}")) > maxConfigSchema {
			return zen.Errorf(zen.EInvalid, "Json representation of configuration schemaexceeds max length.")
		}
		if f.Integration == nil {
			empty := ""
			f.Integration = &empty
		}
		f.ID = uuid.New()
		_, err := tx.exec(ctx, `INSERT INTO flavors (id, name, type, display_name, integration, source, logo_url, is_custom, config_schema,
			connector_type, connector_resource_type, connector_resource_id_attr, docs_url, sdk_docs_url, user_id, created, updated)
			VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(f.ID), f.Name, f.Type, f.Integration, f.Source, f.LogoURL, f.IsCustom, jsonText(f.ConfigSchema, "{}"),
			f.ConnectorType, f.ConnectorResourceType, f.ConnectorResourceIDAttr, f.DocsURL, f.SDKDocsURL, hexIDPtr(f.UserID),
			tx.now.Micros(), tx.now.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return flavorTaken("register", f.Type, f.Name)
		}
		if err != nil {
			return err
		}
		out, err = tx.getFlavor(ctx, f.ID)
		return err
	})
	return out, err
}

// FlavorUpdate sets the fields the client sent (null included), named as
// the reference names them; Name and Type move the flavor's key.
type FlavorUpdate struct {
	Name, Type *string
	Set        map[string]any
}

// flavorColumns are the columns a flavor update may set.
var flavorColumns = []string{"display_name", "config_schema", "connector_type", "connector_resource_type",
	"connector_resource_id_attr", "source", "integration", "logo_url", "docs_url", "sdk_docs_url", "is_custom"}

// UpdateFlavor applies an update; a new (name, type) must be free.
func (db *DB) UpdateFlavor(ctx context.Context, id uuid.UUID, up FlavorUpdate) (*zen.Flavor, error) {
	var out *zen.Flavor
	err := db.write(ctx, func(tx *Tx) error {
		f, err := tx.getFlavor(ctx, id)
		if err != nil {
			return err
		}
		name, typ := f.Name, f.Type
		if up.Name != nil && *up.Name != "" {
			name = *up.Name
		}
		if up.Type != nil {
			typ = *up.Type
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if name != f.Name || typ != f.Type {
			if other, err := tx.flavorNamed(ctx, name, typ); err != nil || other != nil {
				if err != nil {
					return err
				}
				return flavorTaken("update", f.Type, f.Name)
			}
		}
		if up.Name != nil {
			set.addSQL("name = ?", *up.Name)
		}
		if up.Type != nil {
			set.addSQL("type = ?", *up.Type)
		}
		for _, c := range flavorColumns {
			if v, ok := up.Set[c]; ok {
				if raw, isJSON := v.(json.RawMessage); isJSON {
					v = configSchemaText(raw)
				}
				set.addSQL(c+" = ?", v)
			}
		}
		_, err = tx.updateByID(ctx, "flavors", id, set)
		if tx.db.dialect.isUniqueViolation(err) {
			return flavorTaken("update", f.Type, f.Name)
		}
		if err != nil {
			return err
		}
		out, err = tx.getFlavor(ctx, id)
		return err
	})
	return out, err
}

// DeleteFlavor removes a flavor no component uses. Like the reference, it
// counts the components of that flavor name whatever their type.
func (db *DB) DeleteFlavor(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		f, err := tx.getFlavor(ctx, id)
		if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE flavor_name = ?`, f.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return zen.Errorf(zen.EForbidden, "Stack Component `%s` of type `%s cannot be deleted as it is used by %d components. Before deleting this flavor, make sure to delete all associated components.", f.Name, f.Type, n)
		}
		_, err = tx.exec(ctx, `DELETE FROM flavors WHERE id = ?`, hexID(id))
		return err
	})
}

// SyncFlavors is the reference's flavor sync: every catalogue flavor is
// registered again, created if it is missing and otherwise reset to the
// catalogue's values.
func (db *DB) SyncFlavors(ctx context.Context) error {
	flavors, err := catalog.Flavors()
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		for i, f := range flavors {
			existing, err := tx.flavorNamed(ctx, f.Name, f.Type)
			if err != nil {
				return err
			}
			if existing == nil {
				if err := tx.insertCatalogueFlavor(ctx, f, tx.now.Micros()+int64(i)); err != nil {
					return err
				}
				continue
			}
			_, err = tx.exec(ctx, `UPDATE flavors SET display_name = ?, integration = ?, source = ?, logo_url = ?, is_custom = ?,
				config_schema = ?, connector_type = ?, connector_resource_type = ?, connector_resource_id_attr = ?, docs_url = ?,
				sdk_docs_url = ?, updated = ? WHERE id = ?`, f.DisplayName, f.Integration, f.Source, f.LogoURL, false,
				jsonText(f.ConfigSchema, "{}"), f.ConnectorType, f.ConnectorResourceType, f.ConnectorResourceIDAttr, f.DocsURL,
				f.SDKDocsURL, tx.now.Micros(), hexID(existing.ID))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// insertCatalogueFlavor registers one flavor of the catalogue, created at.
func (tx *Tx) insertCatalogueFlavor(ctx context.Context, f catalog.Flavor, at int64) error {
	_, err := tx.exec(ctx, `INSERT INTO flavors (id, name, type, display_name, integration, source, logo_url,
		is_custom, config_schema, connector_type, connector_resource_type, connector_resource_id_attr,
		docs_url, sdk_docs_url, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(uuid.New()), f.Name, f.Type, f.DisplayName, f.Integration, f.Source, f.LogoURL,
		jsonText(f.ConfigSchema, "{}"), f.ConnectorType, f.ConnectorResourceType, f.ConnectorResourceIDAttr,
		f.DocsURL, f.SDKDocsURL, at, at)
	if err != nil {
		return fmt.Errorf("flavor %s/%s: %w", f.Type, f.Name, err)
	}
	return nil
}

// configSchemaText is a flavor update's config schema as stored.
func configSchemaText(raw json.RawMessage) string { return jsonText(raw, "{}") }
