package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/zen"
)

// ServiceConnector is a configured way to reach a cloud resource. Its
// secret configuration values live in an internal secret of their own
// (SecretID), sealed like any secret; the row keeps the rest.
type ServiceConnector struct {
	zen.ServiceConnector
	// Configuration is the non-secret configuration, in order.
	Configuration *jsonobj.Object
	// Secrets are the secret values, nil when not read.
	Secrets  SecretValues
	SecretID *uuid.UUID
	Labels   *jsonobj.Object
	User     *zen.User
}

// FullConfiguration is the configuration as the reference answers it: the
// non-secret values, then the secret ones (when read).
func (c *ServiceConnector) FullConfiguration() *jsonobj.Object {
	out := jsonobj.New()
	if c.Configuration != nil {
		for _, k := range c.Configuration.Keys() {
			v, _ := c.Configuration.Get(k)
			out.Set(k, v)
		}
	}
	for _, s := range c.Secrets {
		b, _ := json.Marshal(s.Value)
		out.Set(s.Key, b)
	}
	return out
}

const connectorSelect = `sc.id, sc.user_id, sc.name, sc.connector_type, sc.description, sc.auth_method, sc.resource_types, sc.resource_id,
	sc.supports_instances, sc.configuration, sc.secret_id, sc.expires_at, sc.expires_skew_tolerance, sc.expiration_seconds, sc.labels,
	sc.created, sc.updated`

func scanConnector(row interface{ Scan(...any) error }) (*ServiceConnector, error) {
	c := &ServiceConnector{}
	var resourceTypes, configuration, labels json.RawMessage
	err := row.Scan(dbID{&c.ID}, dbIDPtr{&c.UserID}, &c.Name, &c.ConnectorType, &c.Description, &c.AuthMethod,
		dbJSON{&resourceTypes, "[]"}, &c.ResourceID, &c.SupportsInstances, dbJSON{&configuration, "{}"}, dbIDPtr{&c.SecretID},
		dbTimePtr{&c.ExpiresAt}, &c.ExpiresSkewTolerance, &c.ExpirationSeconds, dbJSON{&labels, "{}"}, dbTime{&c.Created}, dbTime{&c.Updated})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resourceTypes, &c.ResourceTypes); err != nil {
		return nil, err
	}
	if c.Configuration, err = jsonobj.Parse(configuration); err != nil {
		return nil, err
	}
	c.Labels, err = jsonobj.Parse(labels)
	return c, err
}

// withConnectorSecrets reads the secret values of a page of connectors
// with one query.
func withConnectorSecrets(ctx context.Context, tx *Tx, items []*ServiceConnector) error {
	ids := make([]*uuid.UUID, len(items))
	for i, c := range items {
		ids[i] = c.SecretID
	}
	unique := uniqueIDs(ids...)
	if len(unique) == 0 {
		return nil
	}
	args := make([]any, len(unique))
	for i, id := range unique {
		args[i] = hexID(id)
	}
	values := map[uuid.UUID]SecretValues{}
	err := tx.each(ctx, `SELECT id, secret_values FROM secrets WHERE id IN (`+placeholders(len(args))+`)`, args, func(r *sql.Rows) error {
		var id uuid.UUID
		var sealed string
		if err := r.Scan(dbID{&id}, &sealed); err != nil {
			return err
		}
		v, err := tx.db.openSecretValues(id, sealed)
		values[id] = v
		return err
	})
	for _, c := range items {
		if c.SecretID != nil {
			c.Secrets = values[*c.SecretID]
		}
	}
	return err
}

var connectorRelations = []relation[*ServiceConnector]{
	withUsers(ref[*ServiceConnector, *zen.User]{func(c *ServiceConnector) *uuid.UUID { return c.UserID }, func(c *ServiceConnector, u *zen.User) { c.User = u }}),
}

// connectorsByID loads the connectors components name (their bodies).
func (tx *Tx) connectorsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.ServiceConnector, error) {
	out := map[uuid.UUID]*zen.ServiceConnector{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = hexID(id)
	}
	err := tx.each(ctx, `SELECT `+connectorSelect+` FROM service_connectors sc WHERE sc.id IN (`+placeholders(len(ids))+`)`, args, func(r *sql.Rows) error {
		c, err := scanConnector(r)
		if err == nil {
			out[c.ID] = &c.ServiceConnector
		}
		return err
	})
	return out, err
}

// ConnectorNotFound is the reference's answer for a service connector that
// does not exist.
func ConnectorNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get service connector with ID '%s': No service connector with this ID found", id)
}

func (tx *Tx) getConnector(ctx context.Context, id uuid.UUID, withSecrets bool) (*ServiceConnector, error) {
	c, err := scanConnector(tx.queryRow(ctx, `SELECT `+connectorSelect+` FROM service_connectors sc WHERE sc.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ConnectorNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	items := []*ServiceConnector{c}
	if withSecrets {
		if err := withConnectorSecrets(ctx, tx, items); err != nil {
			return nil, err
		}
	}
	return c, loadRelations(ctx, tx, items, connectorRelations)
}

// GetServiceConnector reads a connector, with its secret values if asked.
func (db *DB) GetServiceConnector(ctx context.Context, id uuid.UUID, withSecrets bool) (*ServiceConnector, error) {
	return readByID(ctx, db, id, func(tx *Tx, ctx context.Context, id uuid.UUID) (*ServiceConnector, error) {
		return tx.getConnector(ctx, id, withSecrets)
	})
}

// ConnectorConfigError is a configuration the connector type refuses: the
// reference's ValueError (a 400).
func ConnectorConfigError(msg string) error {
	return zen.Errorf(zen.EInvalid, "connector configuration is not valid: %s", msg)
}

// Configure is the reference's _validate_and_configure_resources for a
// connector of a type available here: it checks the authentication method
// and resource type, sets the resource types, and, when a configuration
// is given, keeps the schema's attributes, in its order, with the secret
// ones moved to Secrets. Attributes the schema does not know are dropped.
func (c *ServiceConnector) Configure(t *catalog.ConnectorType, resourceTypes []string, resourceTypesGiven bool, configuration *jsonobj.Object) error {
	resourceType := ""
	if resourceTypesGiven && len(resourceTypes) == 1 {
		resourceType = resourceTypes[0]
	}
	am, rt, err := t.FindResourceSpecifications(c.AuthMethod, resourceType)
	if err != nil {
		return ConnectorConfigError(zen.PyRepr(err.Error()))
	}
	if rt != nil {
		c.ResourceTypes, c.SupportsInstances = []string{rt.ResourceType}, rt.SupportsInstances
	} else {
		c.ResourceTypes, c.SupportsInstances = t.ResourceTypeNames(), false
	}
	if configuration == nil {
		return nil
	}
	plain, secrets := jsonobj.New(), SecretValues{}
	for _, a := range am.Attributes {
		if a.Multi {
			return errors.New("Service connector schema error.")
		}
		raw, ok := configuration.Get(a.Name)
		if !ok || string(raw) == "null" {
			if a.Required {
				return ConnectorConfigError("missing required attribute '" + a.Name + "'")
			}
			continue
		}
		var s string
		isString := json.Unmarshal(raw, &s) == nil
		switch {
		case a.Secret:
			if !isString {
				return ConnectorConfigError("attribute '" + a.Name + "' is a secret but is not a string")
			}
			secrets = append(secrets, SecretValue{Key: a.Name, Value: &s})
			continue
		case a.Array && isString:
			raw = splitArrayAttribute(s)
		}
		plain.Set(a.Name, raw)
	}
	c.Configuration, c.Secrets = plain, secrets
	return nil
}

// splitArrayAttribute reads a list attribute given as a string, as the
// reference does: JSON, or else comma-separated values.
func splitArrayAttribute(s string) json.RawMessage {
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		b, _ := json.Marshal(v)
		return b
	}
	b, _ := json.Marshal(strings.Split(s, ","))
	return b
}

func (tx *Tx) connectorNameTaken(ctx context.Context, name string, except uuid.UUID) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM service_connectors WHERE name = ? AND id <> ?`, name, hexID(except)).Scan(&n)
	return n > 0, err
}

// checkConnectorName answers the reference's 409 for a taken name.
func (tx *Tx) checkConnectorName(ctx context.Context, name, verb string, except uuid.UUID) error {
	if taken, err := tx.connectorNameTaken(ctx, name, except); err != nil || !taken {
		return err
	}
	return zen.Errorf(zen.EConflict, "Unable to %s the requested service connector with name '%s': Found another existing service connector with the same name.", verb, name)
}

var connectorSecretNameChars = regexp.MustCompile(`[^a-zA-Z0-9-]`)

// createConnectorSecret keeps a connector's secret values in a new
// internal secret named as the reference names it
// (connector-<name>-<4 random letters>, lower case); none without values.
func (tx *Tx) createConnectorSecret(ctx context.Context, connectorName string, owner uuid.UUID, values SecretValues) (*uuid.UUID, error) {
	if len(values) == 0 {
		return nil, nil
	}
	base := connectorSecretNameChars.ReplaceAllString(connectorName, "-")
	for {
		name := strings.ToLower("connector-" + base + "-" + randomSuffix(4))
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM secrets WHERE name = ?`, name).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			continue
		}
		s := Secret{UserID: owner, Name: name, Values: values, internal: true}
		if err := tx.insertSecret(ctx, &s); err != nil {
			return nil, err
		}
		return &s.ID, nil
	}
}

// CreateServiceConnector stores a connector; c.Secrets are its secret
// values (already separated by Configure, or none).
func (db *DB) CreateServiceConnector(ctx context.Context, c ServiceConnector) (*ServiceConnector, error) {
	var out *ServiceConnector
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkConnectorName(ctx, c.Name, "create", uuid.Nil); err != nil {
			return err
		}
		if err := tx.insertConnector(ctx, &c); err != nil {
			return err
		}
		var err error
		out, err = tx.getConnector(ctx, c.ID, true)
		return err
	})
	return out, err
}

// insertConnector writes a new connector row and the internal secret of
// its secret values (c.UserID owns both).
func (tx *Tx) insertConnector(ctx context.Context, c *ServiceConnector) error {
	var err error
	if c.SecretID, err = tx.createConnectorSecret(ctx, c.Name, *c.UserID, c.Secrets); err != nil {
		return err
	}
	c.ID = uuid.New()
	resourceTypes, _ := json.Marshal(nonNilStrings(c.ResourceTypes))
	_, err = tx.exec(ctx, `INSERT INTO service_connectors (id, user_id, name, connector_type, description, auth_method, resource_types,
		resource_id, supports_instances, configuration, secret_id, expires_at, expires_skew_tolerance, expiration_seconds, labels, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(c.ID), hexIDPtr(c.UserID), c.Name, c.ConnectorType, c.Description, c.AuthMethod, string(resourceTypes),
		c.ResourceID, c.SupportsInstances, objectOrNull(c.Configuration), hexIDPtr(c.SecretID), timePtr(c.ExpiresAt),
		c.ExpiresSkewTolerance, c.ExpirationSeconds, objectOrNull(c.Labels), tx.now.Micros(), tx.now.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		return tx.checkConnectorName(ctx, c.Name, "create", c.ID)
	}
	return err
}

// objectOrNull stores an object, or NULL when it is empty, as the
// reference stores configurations and labels.
func objectOrNull(o *jsonobj.Object) any {
	if o == nil || len(o.Keys()) == 0 {
		return nil
	}
	b, _ := o.MarshalJSON()
	return string(b)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ServiceConnectorUpdate is the reference's ServiceConnectorUpdate: nil
// leaves a field, except ResourceID and ExpirationSeconds, which nil
// clears. Configuration, when set, replaces the whole configuration.
type ServiceConnectorUpdate struct {
	Name, ConnectorType, Description, AuthMethod *string
	ResourceTypes                                []string
	ResourceTypesGiven                           bool
	ResourceID                                   *string
	SupportsInstances                            *bool
	ExpiresAt                                    *zen.Time
	ExpiresSkewTolerance, ExpirationSeconds      *int64
	Configuration                                *jsonobj.Object
	Labels                                       *jsonobj.Object
}

// UpdateServiceConnector applies an update in the reference's order: the
// name, the rules for a connector in use, the type's checks, then the
// secret and the row.
func (db *DB) UpdateServiceConnector(ctx context.Context, id uuid.UUID, up ServiceConnectorUpdate) (*ServiceConnector, error) {
	var out *ServiceConnector
	err := db.write(ctx, func(tx *Tx) (err error) {
		out, err = tx.updateConnector(ctx, id, up)
		return err
	})
	return out, err
}

// updateConnector is UpdateServiceConnector inside a transaction: a
// full-stack create updates the connectors it names as well.
func (tx *Tx) updateConnector(ctx context.Context, id uuid.UUID, up ServiceConnectorUpdate) (*ServiceConnector, error) {
	c, err := tx.getConnector(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if up.Name != nil && *up.Name != c.Name {
		if err := tx.checkConnectorName(ctx, *up.Name, "update", id); err != nil {
			return nil, err
		}
	}
	var used int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE connector_id = ?`, hexID(id)).Scan(&used); err != nil {
		return nil, err
	}
	if used > 0 {
		if err := checkConnectorInUse(c, &up); err != nil {
			return nil, err
		}
	}
	next := *c
	next.ResourceID, next.ExpirationSeconds = up.ResourceID, up.ExpirationSeconds
	for _, f := range []struct{ dst, src *string }{{&next.Name, up.Name}, {&next.ConnectorType, up.ConnectorType},
		{&next.Description, up.Description}, {&next.AuthMethod, up.AuthMethod}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if up.ResourceTypesGiven && up.ResourceTypes != nil {
		next.ResourceTypes = up.ResourceTypes
	}
	if up.SupportsInstances != nil {
		next.SupportsInstances = *up.SupportsInstances
	}
	if up.ExpiresAt != nil {
		next.ExpiresAt = up.ExpiresAt
	}
	if up.ExpiresSkewTolerance != nil {
		next.ExpiresSkewTolerance = up.ExpiresSkewTolerance
	}
	if up.Labels != nil {
		next.Labels = up.Labels
	}
	next.Secrets = nil
	if up.Configuration != nil {
		next.Configuration = up.Configuration
	}
	// The type checks run against the stored type, as on the reference.
	if t := catalog.LookupConnectorType(c.ConnectorType); t != nil {
		if err := next.Configure(t, up.ResourceTypes, up.ResourceTypesGiven && up.ResourceTypes != nil, up.Configuration); err != nil {
			return nil, err
		}
	}
	if up.Configuration != nil {
		if next.SecretID, err = tx.replaceConnectorSecret(ctx, c, next.Secrets); err != nil {
			return nil, err
		}
	}
	resourceTypes, _ := json.Marshal(nonNilStrings(next.ResourceTypes))
	_, err = tx.exec(ctx, `UPDATE service_connectors SET name = ?, connector_type = ?, description = ?, auth_method = ?, resource_types = ?,
		resource_id = ?, supports_instances = ?, configuration = ?, secret_id = ?, expires_at = ?, expires_skew_tolerance = ?,
		expiration_seconds = ?, labels = ?, updated = ? WHERE id = ?`,
		next.Name, next.ConnectorType, next.Description, next.AuthMethod, string(resourceTypes), next.ResourceID, next.SupportsInstances,
		objectOrNull(next.Configuration), hexIDPtr(next.SecretID), timePtr(next.ExpiresAt), next.ExpiresSkewTolerance,
		next.ExpirationSeconds, objectOrNull(next.Labels), tx.now.Micros(), hexID(id))
	if tx.db.dialect.isUniqueViolation(err) {
		return nil, tx.checkConnectorName(ctx, next.Name, "update", id)
	}
	if err != nil {
		return nil, err
	}
	return tx.getConnector(ctx, id, true)
}

// checkConnectorInUse refuses what the reference refuses for a connector
// that components use: another type, authentication method, resource
// types or resource id (a missing resource id counts as clearing it).
func checkConnectorInUse(c *ServiceConnector, up *ServiceConnectorUpdate) error {
	refuse := func(what string) error {
		return zen.Errorf(zen.EForbidden, "The %s of a service connector that is already actively used in one or more stack components cannot be changed.", what)
	}
	switch {
	case up.ConnectorType != nil && *up.ConnectorType != "" && *up.ConnectorType != c.ConnectorType:
		return zen.Errorf(zen.EForbidden, "The service type of a service connector that is already actively used in one or more stack components cannot be changed.")
	case up.AuthMethod != nil && *up.AuthMethod != "" && *up.AuthMethod != c.AuthMethod:
		return refuse("authentication method")
	case len(up.ResourceTypes) > 0 && !slices.Equal(up.ResourceTypes, c.ResourceTypes):
		return refuse("resource type")
	case !equalStringPtr(up.ResourceID, c.ResourceID):
		return refuse("resource ID")
	}
	return nil
}

func equalStringPtr(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// replaceConnectorSecret keeps a connector's new secret values: its secret
// is rewritten, created, or deleted when there are none any more.
func (tx *Tx) replaceConnectorSecret(ctx context.Context, c *ServiceConnector, values SecretValues) (*uuid.UUID, error) {
	if len(values) == 0 {
		if c.SecretID != nil {
			_, err := tx.deleteCascading(ctx, "secrets", "id = ?", hexID(*c.SecretID))
			return nil, err
		}
		return nil, nil
	}
	if c.SecretID == nil {
		owner := uuid.Nil
		if c.UserID != nil {
			owner = *c.UserID
		}
		return tx.createConnectorSecret(ctx, c.Name, owner, values)
	}
	sealed, err := tx.db.sealSecretValues(*c.SecretID, values)
	if err != nil {
		return nil, err
	}
	_, err = tx.exec(ctx, `UPDATE secrets SET secret_values = ?, updated = ? WHERE id = ?`, sealed, tx.now.Micros(), hexID(*c.SecretID))
	return c.SecretID, err
}

// DeleteServiceConnector removes a connector no component uses, and its
// secret.
func (db *DB) DeleteServiceConnector(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		c, err := tx.getConnector(ctx, id, false)
		if err != nil {
			return err
		}
		var used int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE connector_id = ?`, hexID(id)).Scan(&used); err != nil {
			return err
		}
		if used > 0 {
			return zen.Errorf(zen.EForbidden, "Service connector with ID %s cannot be deleted as it is still referenced by %d stack components. Before deleting this service connector, make sure to remove it from all stack components.", id, used)
		}
		if _, err := tx.deleteCascading(ctx, "service_connectors", "id = ?", hexID(id)); err != nil {
			return err
		}
		if c.SecretID != nil {
			_, err = tx.deleteCascading(ctx, "secrets", "id = ?", hexID(*c.SecretID))
		}
		return err
	})
}

var connectorFilterColumns = func() map[string]column {
	cols := baseColumns("sc")
	cols["name"] = column{expr: "sc.name", typ: filter.String}
	cols["connector_type"] = column{expr: "sc.connector_type", typ: filter.String}
	cols["auth_method"] = column{expr: "sc.auth_method", typ: filter.String}
	cols["resource_id"] = column{expr: "sc.resource_id", typ: filter.String, nullable: true}
	return cols
}()

// ConnectorListScope is what narrows a connector list beyond its filter,
// as the reference applies it after the query: a resource type the
// connector gives access to, and labels (nil value: present).
type ConnectorListScope struct {
	ResourceType string
	Labels       map[string]*string
}

// ListServiceConnectors lists connectors in the order they were created:
// the reference ignores sort_by here (its list fetches the rows itself).
// The resource type and label criteria are matched in the stored JSON
// text, which zengo writes itself (encoding/json: `"key":"value"`).
func (db *DB) ListServiceConnectors(ctx context.Context, l *filter.List, scopeUser *uuid.UUID, scope ConnectorListScope, withSecrets bool) (*zen.Page[*ServiceConnector], error) {
	spec := &listSpec{from: "service_connectors sc", alias: "sc", columns: connectorFilterColumns,
		custom: db.dialect.userScopedCustom("sc.user_id", nil), order: "sc.created ASC, sc.id ASC"}
	clauses := scopeUserClause("sc.user_id", scopeUser)
	if scope.ResourceType != "" {
		clauses = append(clauses, clause{"sc.resource_types LIKE ?", []any{"%" + jsonString(scope.ResourceType) + "%"}})
	}
	for k, v := range scope.Labels {
		pattern := "%" + jsonString(k) + ":%"
		if v != nil {
			pattern = "%" + jsonString(k) + ":" + jsonString(*v) + "%"
		}
		clauses = append(clauses, clause{"sc.labels LIKE ?", []any{pattern}})
	}
	return listRows(ctx, db, spec, l, clauses, connectorSelect, scanConnector, func(ctx context.Context, tx *Tx, items []*ServiceConnector) error {
		if withSecrets {
			if err := withConnectorSecrets(ctx, tx, items); err != nil {
				return err
			}
		}
		return loadRelations(ctx, tx, items, connectorRelations)
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
