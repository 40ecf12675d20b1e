package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

const userSelect = `u.id, u.name, u.is_service_account, u.full_name, u.description, u.email,
	u.email_opted_in, u.active, u.is_admin, u.external_user_id, u.user_metadata, u.avatar_url,
	u.default_project_id, u.password_changed, u.created, u.updated`

// scanUser reads the userSelect columns and then any extra ones.
func scanUser(row interface{ Scan(...any) error }, extra ...any) (*zen.User, error) {
	u := &zen.User{}
	var emailOptedIn sql.NullBool
	dest := []any{dbID{&u.ID}, &u.Name, &u.IsServiceAccount, &u.FullName, &u.Description, &u.Email,
		&emailOptedIn, &u.Active, &u.IsAdmin, dbIDPtr{&u.ExternalUserID}, dbJSON{&u.UserMetadata, "{}"}, &u.AvatarURL,
		dbIDPtr{&u.DefaultProjectID}, dbTimePtr{&u.PasswordChangedAt}, dbTime{&u.Created}, dbTime{&u.Updated}}
	err := row.Scan(append(dest, extra...)...)
	if err != nil {
		return nil, err
	}
	if emailOptedIn.Valid {
		u.EmailOptedIn = &emailOptedIn.Bool
	}
	return u, nil
}

// UserSecrets are a user's stored credentials, for the auth layer only.
type UserSecrets struct {
	PasswordHash        *string
	ActivationTokenHash *string
}

// NewUser is what creating a user stores.
type NewUser struct {
	User                zen.User
	PasswordHash        *string
	ActivationTokenHash *string
}

// CreateUser stores a new user or service account. A name already taken by
// the same kind of account is a conflict.
func (db *DB) CreateUser(ctx context.Context, nu NewUser) (*zen.User, error) {
	var out *zen.User
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.createUser(ctx, nu)
		return err
	})
	return out, err
}

func (tx *Tx) createUser(ctx context.Context, nu NewUser) (*zen.User, error) {
	u := nu.User
	if u.ID == uuid.Nil {
		u.ID = uuid.New()
	}
	u.Created, u.Updated = tx.now, tx.now
	if nu.PasswordHash != nil {
		u.PasswordChangedAt = &tx.now
	}
	_, err := tx.exec(ctx, `INSERT INTO users (id, name, is_service_account, full_name, description, email,
		email_opted_in, password_hash, activation_token_hash, active, is_admin, external_user_id,
		user_metadata, avatar_url, default_project_id, password_changed, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		hexID(u.ID), u.Name, u.IsServiceAccount, u.FullName, u.Description, u.Email,
		u.EmailOptedIn, nu.PasswordHash, nu.ActivationTokenHash, u.Active, u.IsAdmin, hexIDPtr(u.ExternalUserID),
		jsonText(u.UserMetadata, "{}"), u.AvatarURL, hexIDPtr(u.DefaultProjectID), timePtr(u.PasswordChangedAt),
		u.Created.Micros(), u.Updated.Micros())
	if tx.db.dialect.isUniqueViolation(err) {
		if u.IsServiceAccount {
			return nil, zen.Errorf(zen.EConflict, "Unable to create service account with name '%s': Found existing service account with this name.", u.Name)
		}
		return nil, zen.Errorf(zen.EConflict, "Unable to create user with name '%s': Found an existing user account with this name.", u.Name)
	}
	if err != nil {
		return nil, err
	}
	if u.UserMetadata == nil {
		u.UserMetadata = []byte("{}")
	}
	return &u, nil
}

// AccountKind narrows a lookup to users, service accounts or either.
type AccountKind int

const (
	AnyAccount AccountKind = iota
	HumanAccount
	ServiceAccount
)

// GetUser finds an account by UUID or name. A value that parses as a UUID
// is looked up by id first and then by name, so a user whose name is a
// UUID stays reachable.
func (db *DB) GetUser(ctx context.Context, nameOrID string, kind AccountKind) (*zen.User, error) {
	var out *zen.User
	err := db.readOne(ctx, func(tx *Tx) error {
		var err error
		out, _, err = tx.getUser(ctx, nameOrID, kind)
		return err
	})
	return out, err
}

// GetUserSecrets returns an account with its credentials.
func (db *DB) GetUserSecrets(ctx context.Context, nameOrID string, kind AccountKind) (*zen.User, *UserSecrets, error) {
	var u *zen.User
	var s *UserSecrets
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		u, s, err = tx.getUser(ctx, nameOrID, kind)
		return err
	})
	return u, s, err
}

func (tx *Tx) getUser(ctx context.Context, nameOrID string, kind AccountKind) (*zen.User, *UserSecrets, error) {
	kindSQL := ""
	switch kind {
	case HumanAccount:
		kindSQL = " AND u.is_service_account = FALSE"
	case ServiceAccount:
		kindSQL = " AND u.is_service_account = TRUE"
	}
	// A value that parses as a UUID is looked up only as an id, as on the
	// reference; human users win over service accounts of the same name.
	where, arg := "u.name = ?", nameOrID
	id, idErr := uuid.Parse(nameOrID)
	if idErr == nil {
		where, arg = "u.id = ?", hexID(id)
	}
	row := tx.queryRow(ctx, `SELECT `+userSelect+`, u.password_hash, u.activation_token_hash
		FROM users u WHERE `+where+kindSQL+` ORDER BY u.is_service_account LIMIT 1`, arg)
	var sec UserSecrets
	u, err := scanUser(row, &sec.PasswordHash, &sec.ActivationTokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, userNotFound(nameOrID, kind, idErr == nil)
	}
	if err != nil {
		return nil, nil, err
	}
	return u, &sec, nil
}

func userNotFound(nameOrID string, kind AccountKind, byID bool) error {
	switch {
	case kind == ServiceAccount:
		return zen.NotFound("No service account with the '%s' name or ID was found", nameOrID)
	case byID:
		return zen.NotFound("No account with the '%s' name or ID was found", nameOrID)
	}
	return zen.NotFound("No user account with the '%s' name or ID was found", nameOrID)
}

// UserUpdate carries the fields an update changes; nil leaves a field be.
type UserUpdate struct {
	Name                *string
	FullName            *string
	Description         *string
	Email               *string
	EmailOptedIn        *bool
	Active              *bool
	IsAdmin             *bool
	ExternalUserID      *uuid.UUID
	UserMetadata        []byte
	AvatarURL           *string
	DefaultProjectID    *uuid.UUID
	PasswordHash        *string
	ActivationTokenHash **string
	// EmailAnswer, when set, replaces both the email and the opt-in, nulls
	// included (the answer to the email prompt).
	EmailAnswer *EmailAnswer
}

// EmailAnswer is a user's answer to the email prompt.
type EmailAnswer struct {
	Email   *string
	OptedIn *bool
}

// UpdateUser changes an account and returns it as stored.
func (db *DB) UpdateUser(ctx context.Context, id uuid.UUID, up UserUpdate) (*zen.User, error) {
	var out *zen.User
	err := db.write(ctx, func(tx *Tx) error {
		var isServiceAccount bool
		if err := tx.queryRow(ctx, `SELECT is_service_account FROM users WHERE id = ?`, hexID(id)).Scan(&isServiceAccount); err != nil {
			return err
		}
		var set conditions
		add := func(col string, v any) { set.addSQL(col+" = ?", v) }
		if up.Name != nil {
			add("name", *up.Name)
		}
		if up.FullName != nil {
			add("full_name", *up.FullName)
		}
		if up.Description != nil {
			add("description", *up.Description)
		}
		if up.Email != nil {
			add("email", *up.Email)
		}
		if up.EmailOptedIn != nil {
			add("email_opted_in", *up.EmailOptedIn)
		}
		if up.EmailAnswer != nil {
			add("email", up.EmailAnswer.Email)
			add("email_opted_in", up.EmailAnswer.OptedIn)
		}
		if up.Active != nil {
			add("active", *up.Active)
		}
		if up.IsAdmin != nil {
			add("is_admin", *up.IsAdmin)
		}
		if up.ExternalUserID != nil {
			add("external_user_id", hexID(*up.ExternalUserID))
		}
		if up.UserMetadata != nil {
			add("user_metadata", string(up.UserMetadata))
		}
		if up.AvatarURL != nil {
			add("avatar_url", *up.AvatarURL)
		}
		if up.DefaultProjectID != nil {
			add("default_project_id", hexID(*up.DefaultProjectID))
		}
		if up.PasswordHash != nil {
			add("password_hash", *up.PasswordHash)
			add("password_changed", tx.now.Micros())
		}
		if up.ActivationTokenHash != nil {
			add("activation_token_hash", *up.ActivationTokenHash)
		}
		add("updated", tx.now.Micros())
		args := append(set.args, hexID(id))
		_, err := tx.exec(ctx, "UPDATE users SET "+joinComma(set.parts)+" WHERE id = ?", args...)
		if tx.db.dialect.isUniqueViolation(err) {
			return zen.Errorf(zen.EConflict, "Unable to update %s with name '%s': Found an existing %s with this name.", accountNoun(isServiceAccount), deref(up.Name), accountNoun(isServiceAccount))
		}
		if err != nil {
			return err
		}
		out, _, err = tx.getUser(ctx, id.String(), AnyAccount)
		return err
	})
	return out, err
}

// DeleteUser removes an account, as the reference does: never the last
// admin, and never an account that owns resources (deactivating it keeps
// their history readable).
func (db *DB) DeleteUser(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		var isAdmin, isServiceAccount bool
		var admins int
		err := tx.queryRow(ctx, `SELECT u.is_admin, u.is_service_account, (SELECT COUNT(*) FROM users a WHERE a.is_admin = TRUE) FROM users u WHERE u.id = ?`,
			hexID(id)).Scan(&isAdmin, &isServiceAccount, &admins)
		if errors.Is(err, sql.ErrNoRows) {
			return zen.NotFound("No account with ID %s found", id)
		}
		if err != nil {
			return err
		}
		if isAdmin && admins == 1 {
			return zen.Errorf(zen.EForbidden, "There has to be at least one admin account configured on your system. This is the only admin account and therefore it cannot be deleted.")
		}
		owns, err := tx.ownsResources(ctx, id)
		if err != nil {
			return err
		}
		if owns {
			kind := "user"
			if isServiceAccount {
				kind = "service"
			}
			return zen.Errorf(zen.EForbidden, "The %[1]s account has already been used to create other resources that it now owns and therefore cannot be deleted. Please delete all resources owned by the %[1]s account or consider deactivating it instead.", kind)
		}
		_, err = tx.deleteCascading(ctx, "users", "id = ?", hexID(id))
		return err
	})
}

// CountAccounts counts human users (used to decide the first start).
func (db *DB) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := db.read(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE is_service_account = FALSE`).Scan(&n)
	})
	return n, err
}

var userFilterColumns = func() map[string]column {
	cols := baseColumns("u")
	cols["name"] = column{expr: "u.name", typ: filter.String}
	cols["full_name"] = column{expr: "u.full_name", typ: filter.String}
	cols["email"] = column{expr: "u.email", typ: filter.String, nullable: true}
	cols["active"] = column{expr: "u.active", typ: filter.Bool}
	cols["email_opted_in"] = column{expr: "u.email_opted_in", typ: filter.Bool, nullable: true}
	cols["external_user_id"] = column{expr: "u.external_user_id", typ: filter.UUID, nullable: true}
	cols["description"] = column{expr: "u.description", typ: filter.String, nullable: true}
	return cols
}()

// ListUsers lists human users or service accounts. onlyID, when set,
// restricts the list to one account (non-admins see only themselves).
func (db *DB) ListUsers(ctx context.Context, l *filter.List, kind AccountKind, onlyID *uuid.UUID) (*zen.Page[*zen.User], error) {
	spec := &listSpec{from: "users u", alias: "u", columns: userFilterColumns}
	scope := []clause{{"u.is_service_account = ?", []any{kind == ServiceAccount}}}
	if onlyID != nil {
		scope = append(scope, clause{"u.id = ?", []any{hexID(*onlyID)}})
	}
	return listRows(ctx, db, spec, l, scope, userSelect, func(r interface{ Scan(...any) error }) (*zen.User, error) { return scanUser(r) }, nil)
}

func accountNoun(serviceAccount bool) string {
	if serviceAccount {
		return "service account"
	}
	return "user account"
}
