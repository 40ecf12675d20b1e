package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// API keys are read with their service account joined in, so that every
// answer and every login check costs one statement.
const apiKeySelect = `k.id, k.name, k.description, k.active, k.retain_period_minutes, k.key_gen, k.last_login,
	k.last_rotated, k.created, k.updated, ` + userSelect

const apiKeyFrom = `api_keys k JOIN users u ON u.id = k.service_account_id`

func scanAPIKey(row interface{ Scan(...any) error }, extra ...any) (*zen.APIKey, error) {
	k := &zen.APIKey{}
	var sa *zen.User
	dest := []any{dbID{&k.ID}, &k.Name, &k.Description, &k.Active, &k.RetainPeriodMinutes, &k.Generation, dbTimePtr{&k.LastLogin},
		dbTimePtr{&k.LastRotated}, dbTime{&k.Created}, dbTime{&k.Updated}}
	sa, err := scanUser(scanPrefix{row, dest}, extra...)
	k.ServiceAccount = sa
	return k, err
}

// scanPrefix lets a scanner of one entity read columns that come first in
// the row into other destinations.
type scanPrefix struct {
	row  interface{ Scan(...any) error }
	head []any
}

func (p scanPrefix) Scan(dest ...any) error {
	return p.row.Scan(append(append([]any{}, p.head...), dest...)...)
}

// APIKeySecrets are the stored hashes of a key, for the login check.
type APIKeySecrets struct {
	KeyHash         string
	PreviousKeyHash *string
}

// CreateAPIKey adds a key to a service account.
func (db *DB) CreateAPIKey(ctx context.Context, serviceAccountID uuid.UUID, name, description, keyHash string) (*zen.APIKey, error) {
	var out *zen.APIKey
	err := db.write(ctx, func(tx *Tx) error {
		id := uuid.New()
		_, err := tx.exec(ctx, `INSERT INTO api_keys (id, service_account_id, name, description, key_hash, active, created, updated)
			VALUES (?, ?, ?, ?, ?, 1, ?, ?)`, hexID(id), hexID(serviceAccountID), name, description, keyHash, tx.now.Micros(), tx.now.Micros())
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Unable to register API key with name '%s': Found an existing API key with the same name for the same service account.", name)
		}
		if err != nil {
			return err
		}
		out, _, err = tx.getAPIKey(ctx, serviceAccountID, id.String())
		return err
	})
	return out, err
}

// GetAPIKey finds a service account's key by name or id.
func (db *DB) GetAPIKey(ctx context.Context, serviceAccountID uuid.UUID, nameOrID string) (*zen.APIKey, error) {
	var out *zen.APIKey
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		out, _, err = tx.getAPIKey(ctx, serviceAccountID, nameOrID)
		return err
	})
	return out, err
}

func (tx *Tx) getAPIKey(ctx context.Context, serviceAccountID uuid.UUID, nameOrID string) (*zen.APIKey, *APIKeySecrets, error) {
	where, arg := "k.name = ?", nameOrID
	if id, err := uuid.Parse(nameOrID); err == nil {
		where, arg = "k.id = ?", hexID(id)
	}
	var sec APIKeySecrets
	k, err := scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeySelect+`, k.key_hash, k.previous_key_hash FROM `+apiKeyFrom+`
		WHERE k.service_account_id = ? AND `+where, hexID(serviceAccountID), arg),
		&sec.KeyHash, &sec.PreviousKeyHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, zen.NotFound("An API key with ID or name '%s' is not configured for service account with ID '%s'.", nameOrID, serviceAccountID)
	}
	return k, &sec, err
}

// APIKeyForLogin loads a key by id with its hashes and its service account.
func (db *DB) APIKeyForLogin(ctx context.Context, id uuid.UUID) (*zen.APIKey, *APIKeySecrets, error) {
	var k *zen.APIKey
	var sec APIKeySecrets
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		k, err = scanAPIKey(tx.queryRow(ctx, `SELECT `+apiKeySelect+`, k.key_hash, k.previous_key_hash FROM `+apiKeyFrom+` WHERE k.id = ?`, hexID(id)),
			&sec.KeyHash, &sec.PreviousKeyHash)
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("API key %s not found", id)
		}
		return err
	})
	return k, &sec, err
}

// APIKeyUpdate carries the fields an update changes.
type APIKeyUpdate struct {
	Name        *string
	Description *string
	Active      *bool
}

// UpdateAPIKey changes a key.
func (db *DB) UpdateAPIKey(ctx context.Context, serviceAccountID, id uuid.UUID, up APIKeyUpdate) (*zen.APIKey, error) {
	var out *zen.APIKey
	err := db.write(ctx, func(tx *Tx) error {
		var set conditions
		if up.Name != nil {
			set.addSQL("name = ?", *up.Name)
		}
		if up.Description != nil {
			set.addSQL("description = ?", *up.Description)
		}
		if up.Active != nil {
			set.addSQL("active = ?", *up.Active)
		}
		set.addSQL("updated = ?", tx.now.Micros())
		_, err := tx.updateByID(ctx, "api_keys", id, set)
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Unable to update API key with name '%s': Found an existing API key with the same name for the same service account.", deref(up.Name))
		}
		if err != nil {
			return err
		}
		out, _, err = tx.getAPIKey(ctx, serviceAccountID, id.String())
		return err
	})
	return out, err
}

// RotateAPIKey replaces a key's secret; the old one keeps working for
// retainMinutes.
func (db *DB) RotateAPIKey(ctx context.Context, serviceAccountID, id uuid.UUID, newHash string, retainMinutes int) (*zen.APIKey, error) {
	var out *zen.APIKey
	err := db.write(ctx, func(tx *Tx) error {
		var prev any
		if retainMinutes > 0 {
			// Keep the current hash as the previous one.
			if _, err := tx.exec(ctx, `UPDATE api_keys SET previous_key_hash = key_hash WHERE id = ?`, hexID(id)); err != nil {
				return err
			}
			prev = "keep"
		}
		q := `UPDATE api_keys SET key_hash = ?, retain_period_minutes = ?, last_rotated = ?, updated = ?, key_gen = key_gen + 1`
		if prev == nil {
			q += `, previous_key_hash = NULL`
		}
		if _, err := tx.exec(ctx, q+` WHERE id = ?`, newHash, retainMinutes, tx.now.Micros(), tx.now.Micros(), hexID(id)); err != nil {
			return err
		}
		var err error
		out, _, err = tx.getAPIKey(ctx, serviceAccountID, id.String())
		return err
	})
	return out, err
}

// TouchAPIKeyLogin records a successful login with a key.
func (db *DB) TouchAPIKeyLogin(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE api_keys SET last_login = ? WHERE id = ?`, tx.now.Micros(), hexID(id))
		return err
	})
}

// DeleteAPIKey removes a key.
func (db *DB) DeleteAPIKey(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM api_keys WHERE id = ?`, hexID(id))
		return err
	})
}

var apiKeyFilterColumns = func() map[string]column {
	cols := baseColumns("k")
	cols["name"] = column{expr: "k.name", typ: filter.String}
	cols["description"] = column{expr: "k.description", typ: filter.String}
	cols["active"] = column{expr: "k.active", typ: filter.Bool}
	cols["last_login"] = column{expr: "k.last_login", typ: filter.Datetime, nullable: true}
	cols["last_rotated"] = column{expr: "k.last_rotated", typ: filter.Datetime, nullable: true}
	return cols
}()

// ListAPIKeys lists a service account's keys.
func (db *DB) ListAPIKeys(ctx context.Context, serviceAccountID uuid.UUID, l *filter.List) (*zen.Page[*zen.APIKey], error) {
	spec := &listSpec{from: apiKeyFrom, alias: "k", columns: apiKeyFilterColumns}
	scope := []clause{{"k.service_account_id = ?", []any{hexID(serviceAccountID)}}}
	return listRows(ctx, db, spec, l, scope, apiKeySelect, func(r interface{ Scan(...any) error }) (*zen.APIKey, error) {
		return scanAPIKey(r)
	}, nil)
}
