package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/secretbox"
	"zengo/internal/zen"
)

// Secret is a named set of key/value pairs, public or private to its
// owner. Its values are sealed in the row (secretbox) and read only where
// the reference shows them: a get, a create, an update, never a list.
type Secret struct {
	ID, UserID       uuid.UUID
	Name             string
	Private          bool
	Created, Updated zen.Time
	// internal secrets hold what another resource keeps secret (a
	// service connector's credentials); the secrets API does not show them.
	internal bool

	// Values is nil when the values were not read (lists).
	Values SecretValues
	User   *zen.User
}

// SecretValue is one key of a secret; a nil Value in an update removes
// the key.
type SecretValue struct {
	Key   string
	Value *string
}

// SecretValues keep the order the client gave the keys in, which is the
// order the reference answers them in.
type SecretValues []SecretValue

// MarshalJSON writes the values as an object, in order.
func (v SecretValues) MarshalJSON() ([]byte, error) {
	o := jsonobj.New()
	for _, e := range v {
		b, err := json.Marshal(e.Value)
		if err != nil {
			return nil, err
		}
		o.Set(e.Key, b)
	}
	return o.MarshalJSON()
}

func (v *SecretValues) unmarshal(b []byte) error {
	o, err := jsonobj.Parse(b)
	if err != nil {
		return err
	}
	*v = SecretValues{}
	for _, k := range o.Keys() {
		raw, _ := o.Get(k)
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		*v = append(*v, SecretValue{Key: k, Value: &s})
	}
	return nil
}

// merged applies an update as the reference does: a value replaces its
// key in place or is appended, a nil value removes its key; with replace,
// keys the update does not name are removed too.
func (v SecretValues) merged(up SecretValues, replace bool) SecretValues {
	named := map[string]bool{}
	for _, e := range up {
		named[e.Key] = true
	}
	out := SecretValues{}
	for _, e := range v {
		if !replace || named[e.Key] {
			out = append(out, e)
		}
	}
	for _, e := range up {
		i := out.index(e.Key)
		switch {
		case e.Value == nil && i >= 0:
			out = append(out[:i], out[i+1:]...)
		case e.Value != nil && i >= 0:
			out[i].Value = e.Value
		case e.Value != nil:
			out = append(out, e)
		}
	}
	return out
}

func (v SecretValues) index(key string) int {
	for i, e := range v {
		if e.Key == key {
			return i
		}
	}
	return -1
}

// secretValuesMaxBytes bounds the UTF-8 bytes of all keys and values of a
// secret, the reference's limit.
const secretValuesMaxBytes = 64 * 1024

func (v SecretValues) checkSize() error {
	n := 0
	for _, e := range v {
		if e.Value != nil {
			n += len(e.Key) + len(*e.Value)
		}
	}
	if n > secretValuesMaxBytes {
		return zen.Errorf(zen.EInvalid, "Secret key and value strings exceed the maximum total size (%d KiB of UTF-8 across all keys and values). Split the data or use an artifact store for large files.", secretValuesMaxBytes/1024)
	}
	return nil
}

const secretSelect = `s.id, s.user_id, s.name, s.private, s.internal, s.created, s.updated`

func scanSecret(row interface{ Scan(...any) error }) (*Secret, error) {
	s := &Secret{}
	err := row.Scan(dbID{&s.ID}, dbID{&s.UserID}, &s.Name, &s.Private, &s.internal, dbTime{&s.Created}, dbTime{&s.Updated})
	return s, err
}

var secretRelations = []relation[*Secret]{
	withUsers(ref[*Secret, *zen.User]{func(s *Secret) *uuid.UUID { return &s.UserID }, func(s *Secret, u *zen.User) { s.User = u }}),
}

// nameScope is what a secret's name must be unique within: its owner for
// a private secret, the server for a public one.
func nameScope(private bool, owner uuid.UUID) string {
	if private {
		return hexID(owner)
	}
	return ""
}

// getVisibleSecret reads a secret the viewer may see (public, or private
// and theirs), with its values if asked.
func (tx *Tx) getVisibleSecret(ctx context.Context, id, viewer uuid.UUID, withValues bool) (*Secret, error) {
	s, err := scanSecret(tx.queryRow(ctx, `SELECT `+secretSelect+` FROM secrets s WHERE s.id = ?`, hexID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get secret with name or ID '%s': No secret with this ID found.", id)
	}
	if err != nil {
		return nil, err
	}
	if s.internal || s.Private && s.UserID != viewer {
		return nil, zen.NotFound("Secret with name or ID %s not found or is private and not owned by the current user.", id)
	}
	if withValues {
		if s.Values, err = tx.secretValues(ctx, id); err != nil {
			return nil, err
		}
	}
	return s, loadRelations(ctx, tx, []*Secret{s}, secretRelations)
}

// secretValues reads and opens a secret's values.
func (tx *Tx) secretValues(ctx context.Context, id uuid.UUID) (SecretValues, error) {
	var sealed string
	if err := tx.queryRow(ctx, `SELECT secret_values FROM secrets WHERE id = ?`, hexID(id)).Scan(&sealed); err != nil {
		return nil, err
	}
	return tx.db.openSecretValues(id, sealed)
}

// openSecretValues decrypts a secret's values. A value the configured key
// does not open is the reference's KeyError; the text names no value.
func (db *DB) openSecretValues(id uuid.UUID, sealed string) (SecretValues, error) {
	plain, err := db.secrets.Open(id, sealed)
	var v SecretValues
	if err == nil {
		err = v.unmarshal(plain)
	}
	if err != nil {
		return nil, zen.NotFound("Secret values for secret %s could not be decoded. This can happen if encryption has been enabled/disabled or if the encryption key has been reconfigured without proper secrets migration.", id)
	}
	return v, nil
}

func (db *DB) sealSecretValues(id uuid.UUID, v SecretValues) (string, error) {
	plain, err := v.MarshalJSON()
	if err != nil {
		return "", err
	}
	return db.secrets.Seal(id, plain), nil
}

// checkSecretName answers the reference's 409 for a name taken in the
// secret's scope: among the owner's private secrets, or among all public
// ones.
func (tx *Tx) checkSecretName(ctx context.Context, name string, private bool, owner, except uuid.UUID) error {
	var ownerName string
	err := tx.queryRow(ctx, `SELECT u.name FROM secrets s JOIN users u ON u.id = s.user_id WHERE s.name_scope = ? AND s.name = ? AND s.id <> ?`,
		nameScope(private, owner), name, hexID(except)).Scan(&ownerName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if private {
		return zen.Errorf(zen.EConflict, "Found an existing private secret with the same '%s' name for the same '%s' user", name, ownerName)
	}
	return zen.Errorf(zen.EConflict, "Found an existing public secret with the same '%s' name", name)
}

// CreateSecret stores a secret owned by s.UserID; values without a value
// (null) are left out, as the reference leaves them out.
func (db *DB) CreateSecret(ctx context.Context, s Secret) (*Secret, error) {
	var out *Secret
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkSecretName(ctx, s.Name, s.Private, s.UserID, uuid.Nil); err != nil {
			return err
		}
		if err := tx.insertSecret(ctx, &s); err != nil {
			if db.dialect.isUniqueViolation(err) {
				return tx.checkSecretName(ctx, s.Name, s.Private, s.UserID, s.ID)
			}
			return err
		}
		var err error
		out, err = tx.getVisibleSecret(ctx, s.ID, s.UserID, true)
		return err
	})
	return out, err
}

// insertSecret writes a new secret row with its values sealed; values
// without a value (null) are left out, as the reference leaves them out.
func (tx *Tx) insertSecret(ctx context.Context, s *Secret) error {
	values := SecretValues{}.merged(s.Values, false)
	if err := values.checkSize(); err != nil {
		return err
	}
	s.ID = uuid.New()
	sealed, err := tx.db.sealSecretValues(s.ID, values)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO secrets (id, user_id, name, private, internal, name_scope, secret_values, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(s.ID), hexID(s.UserID), s.Name, s.Private, s.internal, nameScope(s.Private, s.UserID), sealed, tx.now.Micros(), tx.now.Micros())
	return err
}

// GetSecret reads a secret the viewer may see, with its values.
func (db *DB) GetSecret(ctx context.Context, id, viewer uuid.UUID) (*Secret, error) {
	return readByID(ctx, db, id, func(tx *Tx, ctx context.Context, id uuid.UUID) (*Secret, error) {
		return tx.getVisibleSecret(ctx, id, viewer, true)
	})
}

// SecretUpdate changes a secret's name, visibility or values. Values nil
// leaves them; ReplaceValues drops the keys Values does not name.
type SecretUpdate struct {
	Name          *string
	Private       *bool
	Values        SecretValues
	ReplaceValues bool
}

// UpdateSecret applies an update for the viewer: anyone who sees a secret
// may change it, only its owner may change its visibility.
func (db *DB) UpdateSecret(ctx context.Context, id, viewer uuid.UUID, up SecretUpdate) (*Secret, error) {
	var out *Secret
	err := db.write(ctx, func(tx *Tx) error {
		s, err := tx.getVisibleSecret(ctx, id, viewer, true)
		if err != nil {
			return err
		}
		if up.Private != nil && s.UserID != viewer {
			return zen.Errorf(zen.EForbidden, "Only the user who created the secret is allowed to update its private status.")
		}
		name, private := s.Name, s.Private
		if up.Name != nil {
			name = *up.Name
		}
		if up.Private != nil {
			private = *up.Private
		}
		if name != s.Name || private != s.Private {
			if err := tx.checkSecretName(ctx, name, private, s.UserID, id); err != nil {
				return err
			}
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		set.addSQL("name = ?", name)
		set.addSQL("private = ?", private)
		set.addSQL("name_scope = ?", nameScope(private, s.UserID))
		if up.Values != nil {
			values := s.Values.merged(up.Values, up.ReplaceValues)
			if err := values.checkSize(); err != nil {
				return err
			}
			sealed, err := db.sealSecretValues(id, values)
			if err != nil {
				return err
			}
			set.addSQL("secret_values = ?", sealed)
		}
		if _, err := tx.exec(ctx, "UPDATE secrets SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...); err != nil {
			if db.dialect.isUniqueViolation(err) {
				return tx.checkSecretName(ctx, name, private, s.UserID, id)
			}
			return err
		}
		out, err = tx.getVisibleSecret(ctx, id, viewer, true)
		return err
	})
	return out, err
}

// DeleteSecret removes a secret the viewer may see.
func (db *DB) DeleteSecret(ctx context.Context, id, viewer uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getVisibleSecret(ctx, id, viewer, false); err != nil {
			return err
		}
		_, err := tx.deleteCascading(ctx, "secrets", "id = ?", hexID(id))
		return err
	})
}

// Internal secrets hold what a server keeps for itself (a webhook's signing
// secret): sealed and rotated like the others, shown by no secrets route.

// createInternalSecret stores values as a public internal secret owned by
// owner under a generated name, as the reference does, and returns its id.
func (tx *Tx) createInternalSecret(ctx context.Context, owner uuid.UUID, prefix string, values SecretValues) (uuid.UUID, error) {
	s := Secret{UserID: owner, Name: prefix + "-" + hexID(uuid.New()), Values: values, internal: true}
	err := tx.insertSecret(ctx, &s)
	return s.ID, err
}

// internalSecretValues opens an internal secret.
func (tx *Tx) internalSecretValues(ctx context.Context, id uuid.UUID) (SecretValues, error) {
	var sealed string
	if err := tx.queryRow(ctx, `SELECT secret_values FROM secrets WHERE id = ? AND internal = ?`, hexID(id), true).Scan(&sealed); err != nil {
		return nil, err
	}
	return tx.db.openSecretValues(id, sealed)
}

// replaceInternalSecret overwrites an internal secret's values.
func (tx *Tx) replaceInternalSecret(ctx context.Context, id uuid.UUID, values SecretValues) error {
	sealed, err := tx.db.sealSecretValues(id, values)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE secrets SET secret_values = ?, updated = ? WHERE id = ? AND internal = ?`, sealed, tx.now.Micros(), hexID(id), true)
	return err
}

var secretFilterColumns = func() map[string]column {
	cols := baseColumns("s")
	cols["name"] = column{expr: "s.name", typ: filter.String}
	cols["private"] = column{expr: "s.private", typ: filter.Bool}
	return cols
}()

// ListSecrets lists the secrets the viewer may see (public ones and their
// own private ones), without values. The visibility rule is AND-ed with
// whatever the filter asks, whatever its logical operator; the client's
// scope_user is ignored, as the reference replaces it by the viewer.
func (db *DB) ListSecrets(ctx context.Context, l *filter.List, viewer uuid.UUID) (*zen.Page[*Secret], error) {
	spec := &listSpec{from: "secrets s", alias: "s", columns: secretFilterColumns,
		custom:   db.dialect.userScopedCustom("s.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("s.user_id")}}
	visible := clause{"s.internal = ? AND (s.private = ? OR s.user_id = ?)", []any{false, false, hexID(viewer)}}
	return listRows(ctx, db, spec, l, []clause{visible}, secretSelect, scanSecret, func(ctx context.Context, tx *Tx, items []*Secret) error {
		return loadRelations(ctx, tx, items, secretRelations)
	})
}

// CheckSecretsKey tells whether the configured key opens the stored
// secrets, so that a server with the wrong key (or none, or one where the
// secrets are unencrypted) refuses to start instead of failing per request.
// Rotation rewrites every secret in one transaction, so one secret speaks
// for all.
func (db *DB) CheckSecretsKey(ctx context.Context) error {
	return db.read(ctx, func(tx *Tx) error {
		var id uuid.UUID
		var sealed string
		err := tx.queryRow(ctx, `SELECT id, secret_values FROM secrets ORDER BY created DESC, id LIMIT 1`).Scan(dbID{&id}, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := db.secrets.Open(id, sealed); err != nil {
			return fmt.Errorf("%w (secret %s); start with the key the secrets were stored with, or re-encrypt them with `zengo secrets rotate-key`", err, id)
		}
		return nil
	})
}

// RotateSecretsKey re-encrypts every secret from the old key to the new one
// (either may be empty: unencrypted) in one transaction: if any secret
// does not open with the old key, nothing changes. It reports how many
// secrets it rewrote.
func (db *DB) RotateSecretsKey(ctx context.Context, oldKey, newKey string) (int, error) {
	from, to := secretbox.New(oldKey), secretbox.New(newKey)
	n := 0
	err := db.write(ctx, func(tx *Tx) error {
		n = 0
		type row struct {
			id     uuid.UUID
			sealed string
		}
		var rows []row
		err := tx.each(ctx, `SELECT id, secret_values FROM secrets ORDER BY id`+db.dialect.forUpdate(), nil, func(r *sql.Rows) error {
			var x row
			if err := r.Scan(dbID{&x.id}, &x.sealed); err != nil {
				return err
			}
			rows = append(rows, x)
			return nil
		})
		if err != nil {
			return err
		}
		for _, x := range rows {
			plain, err := from.Open(x.id, x.sealed)
			if err != nil {
				return fmt.Errorf("secret %s: %w with the old key; nothing was changed", x.id, err)
			}
			if _, err := tx.exec(ctx, `UPDATE secrets SET secret_values = ? WHERE id = ?`, to.Seal(x.id, plain), hexID(x.id)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
