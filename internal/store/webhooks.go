package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Webhook receives signed deliveries from a provider (custom, GitHub,
// ClickUp, Slack) for the triggers of its project. Its signing secret is an
// internal secret; its intake statistics are kept on its row.
type Webhook struct {
	ID, ProjectID    uuid.UUID
	UserID           *uuid.UUID
	Name, Type       string
	Active           bool
	Created, Updated zen.Time
	Stats            WebhookStats

	secretID uuid.UUID
	User     *zen.User
}

// WebhookStats counts a webhook's deliveries by outcome.
type WebhookStats struct {
	Received, Accepted, AuthFailed, InvalidPayload int64
	LastReceived, LastAccepted, LastError          *zen.Time
	LastErrorSummary                               *string
}

// webhookSecretKey is the key of the signing secret in its internal secret.
const webhookSecretKey = "secret"

const webhookSelect = `w.id, w.project_id, w.user_id, w.name, w.webhook_type, w.active, w.secret_id, w.received_count, w.accepted_count,
	w.auth_failed_count, w.invalid_payload_count, w.last_received_at, w.last_accepted_at, w.last_error_at, w.last_error_summary, w.created, w.updated`

func scanWebhook(row interface{ Scan(...any) error }) (*Webhook, error) {
	w := &Webhook{}
	st := &w.Stats
	err := row.Scan(dbID{&w.ID}, dbID{&w.ProjectID}, dbIDPtr{&w.UserID}, &w.Name, &w.Type, &w.Active, dbID{&w.secretID}, &st.Received, &st.Accepted,
		&st.AuthFailed, &st.InvalidPayload, dbTimePtr{&st.LastReceived}, dbTimePtr{&st.LastAccepted}, dbTimePtr{&st.LastError}, &st.LastErrorSummary,
		dbTime{&w.Created}, dbTime{&w.Updated})
	return w, err
}

var webhookRelations = []relation[*Webhook]{
	withUsers(ref[*Webhook, *zen.User]{func(w *Webhook) *uuid.UUID { return w.UserID }, func(w *Webhook, u *zen.User) { w.User = u }}),
}

func webhookNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get webhook with ID '%s': No webhook with this ID found", id)
}

func (tx *Tx) getWebhook(ctx context.Context, id uuid.UUID) (*Webhook, error) {
	return getRow(ctx, tx, `SELECT `+webhookSelect+` FROM webhooks w WHERE w.id = ?`, []any{hexID(id)}, scanWebhook, webhookNotFound(id), webhookRelations)
}

// GetWebhook finds a webhook by id.
func (db *DB) GetWebhook(ctx context.Context, id uuid.UUID) (*Webhook, error) {
	return readByID(ctx, db, id, (*Tx).getWebhook)
}

// CreateWebhook stores a webhook and its signing secret (an internal secret
// owned by the creator).
func (db *DB) CreateWebhook(ctx context.Context, w Webhook, secret string) (*Webhook, error) {
	var out *Webhook
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkName(ctx, "webhooks", "webhook", "create", w.Name, w.ProjectID, uuid.Nil); err != nil {
			return err
		}
		secretID, err := tx.createInternalSecret(ctx, *w.UserID, "webhook", SecretValues{{Key: webhookSecretKey, Value: &secret}})
		if err != nil {
			return err
		}
		w.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO webhooks (id, project_id, user_id, name, webhook_type, active, secret_id, created, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, hexID(w.ID), hexID(w.ProjectID), hexIDPtr(w.UserID), w.Name, w.Type, w.Active, hexID(secretID),
			tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		out, err = tx.getWebhook(ctx, w.ID)
		return err
	})
	return out, err
}

// WebhookUpdate renames a webhook or switches it on or off.
type WebhookUpdate struct {
	Name   *string
	Active *bool
}

// UpdateWebhook applies an update.
func (db *DB) UpdateWebhook(ctx context.Context, id uuid.UUID, up WebhookUpdate) (*Webhook, error) {
	var out *Webhook
	err := db.write(ctx, func(tx *Tx) error {
		w, err := tx.getWebhook(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Name != nil {
			if err := tx.checkName(ctx, "webhooks", "webhook", "update", *up.Name, w.ProjectID, id); err != nil {
				return err
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.Active != nil {
			set.addSQL("active = ?", *up.Active)
		}
		if _, err := tx.exec(ctx, "UPDATE webhooks SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...); err != nil {
			return err
		}
		out, err = tx.getWebhook(ctx, id)
		return err
	})
	return out, err
}

// RotateWebhookSecret replaces a webhook's signing secret.
func (db *DB) RotateWebhookSecret(ctx context.Context, id uuid.UUID, secret string) error {
	return db.write(ctx, func(tx *Tx) error {
		w, err := tx.getWebhook(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.replaceInternalSecret(ctx, w.secretID, SecretValues{{Key: webhookSecretKey, Value: &secret}}); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE webhooks SET updated = ? WHERE id = ?`, tx.now.Micros(), hexID(id))
		return err
	})
}

// DeleteWebhook removes a webhook and its signing secret; archived
// triggers that name it forget it, live ones keep it from going.
func (db *DB) DeleteWebhook(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		w, err := tx.getWebhook(ctx, id)
		if err != nil {
			return err
		}
		var live int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM triggers WHERE webhook_id = ? AND is_archived = ?`, hexID(id), false).Scan(&live); err != nil {
			return err
		}
		if live > 0 {
			return zen.Errorf(zen.EForbidden, "The webhook can not be deleted while non-archived triggers reference it.")
		}
		if _, err := tx.exec(ctx, `UPDATE triggers SET webhook_id = NULL, updated = ? WHERE webhook_id = ?`, tx.now.Micros(), hexID(id)); err != nil {
			return err
		}
		if _, err := tx.deleteCascading(ctx, "webhooks", "id = ?", hexID(id)); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM secrets WHERE id = ? AND internal = ?`, hexID(w.secretID), true)
		return err
	})
}

// WebhookIntake is what intake needs of a webhook: its type, whether it
// is active and its signing secret.
type WebhookIntake struct {
	Type, Secret string
	Active       bool
}

// WebhookIntakeConfig reads a webhook's intake configuration; ok is false
// when there is no such webhook.
func (db *DB) WebhookIntakeConfig(ctx context.Context, id uuid.UUID) (cfg WebhookIntake, ok bool, err error) {
	err = db.read(ctx, func(tx *Tx) error {
		var secretID uuid.UUID
		err := tx.queryRow(ctx, `SELECT webhook_type, active, secret_id FROM webhooks WHERE id = ?`, hexID(id)).Scan(&cfg.Type, &cfg.Active, dbID{&secretID})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		values, err := tx.internalSecretValues(ctx, secretID)
		if err != nil {
			return err
		}
		if i := values.index(webhookSecretKey); i >= 0 && values[i].Value != nil {
			cfg.Secret = *values[i].Value
		}
		ok = true
		return nil
	})
	return cfg, ok, err
}

// WebhookOutcome is the result of one delivery.
type WebhookOutcome int

// The outcomes intake counts.
const (
	WebhookAccepted WebhookOutcome = iota
	WebhookAuthFailed
	WebhookInvalidPayload
)

// RecordWebhookEvent counts one delivery, with one statement; errorSummary
// (if any) becomes the webhook's last error.
func (db *DB) RecordWebhookEvent(ctx context.Context, id uuid.UUID, outcome WebhookOutcome, errorSummary *string) error {
	return db.write(ctx, func(tx *Tx) error {
		var set conditions
		set.addSQL("received_count = received_count + 1")
		set.addSQL("last_received_at = ?", tx.now.Micros())
		switch outcome {
		case WebhookAccepted:
			set.addSQL("accepted_count = accepted_count + 1")
			set.addSQL("last_accepted_at = ?", tx.now.Micros())
		case WebhookAuthFailed:
			set.addSQL("auth_failed_count = auth_failed_count + 1")
		case WebhookInvalidPayload:
			set.addSQL("invalid_payload_count = invalid_payload_count + 1")
		}
		if errorSummary != nil {
			set.addSQL("last_error_at = ?", tx.now.Micros())
			set.addSQL("last_error_summary = ?", *errorSummary)
		}
		_, err := tx.exec(ctx, "UPDATE webhooks SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...)
		return err
	})
}

var webhookFilterColumns = func() map[string]column {
	cols := baseColumns("w")
	cols["name"] = column{expr: "w.name", typ: filter.String}
	cols["webhook_type"] = column{expr: "w.webhook_type", typ: filter.String}
	cols["active"] = column{expr: "w.active", typ: filter.Bool}
	return cols
}()

// ListWebhooks lists a project's webhooks.
func (db *DB) ListWebhooks(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*Webhook], error) {
	spec := &listSpec{from: "webhooks w", alias: "w", columns: webhookFilterColumns,
		custom:   db.dialect.userScopedCustom("w.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("w.user_id")}}
	return listRows(ctx, db, spec, l, scope.clauses("w"), webhookSelect, scanWebhook, func(ctx context.Context, tx *Tx, items []*Webhook) error {
		return loadRelations(ctx, tx, items, webhookRelations)
	})
}
