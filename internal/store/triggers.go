package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Trigger starts runs of the snapshots attached to it: on a schedule, on a
// platform event (a run of a pipeline completing) or on a webhook event.
// Configuration holds its type's own fields as the JSON object the
// reference answers in its body; the fields lists filter on are columns.
type Trigger struct {
	ID, ProjectID                   uuid.UUID
	UserID, WebhookID               *uuid.UUID
	Name, Type, Flavor, Concurrency string
	Active, IsArchived              bool
	Configuration                   json.RawMessage
	NextOccurrence                  *zen.Time
	SourceEntity, TargetEvents      *string
	Created, Updated                zen.Time
	User                            *zen.User
	Webhook                         *Webhook
	// Attached are the executable snapshots attached to the trigger, in
	// the order of their ids (the reference's association key), each with the named snapshot it was
	// made from (Sources, by id), which is what the trigger shows.
	Attached []*zen.Snapshot
	Sources  map[uuid.UUID]*zen.Snapshot
}

const triggerSelect = `t.id, t.project_id, t.user_id, t.webhook_id, t.name, t.type, t.flavor, t.concurrency, t.active, t.is_archived,
	t.configuration, t.next_occurrence, t.source_entity, t.target_events, t.created, t.updated`

func scanTrigger(row interface{ Scan(...any) error }) (*Trigger, error) {
	t := &Trigger{}
	err := row.Scan(dbID{&t.ID}, dbID{&t.ProjectID}, dbIDPtr{&t.UserID}, dbIDPtr{&t.WebhookID}, &t.Name, &t.Type, &t.Flavor, &t.Concurrency,
		&t.Active, &t.IsArchived, dbJSON{&t.Configuration, "{}"}, dbTimePtr{&t.NextOccurrence}, &t.SourceEntity, &t.TargetEvents,
		dbTime{&t.Created}, dbTime{&t.Updated})
	return t, err
}

func loadWebhooks(tx *Tx, ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Webhook, error) {
	return byIDs(ctx, tx, `SELECT `+webhookSelect+` FROM webhooks w WHERE w.id`, ids, scanWebhook, func(w *Webhook) uuid.UUID { return w.ID })
}

var triggerRelations = []relation[*Trigger]{
	withUsers(ref[*Trigger, *zen.User]{func(t *Trigger) *uuid.UUID { return t.UserID }, func(t *Trigger, u *zen.User) { t.User = u }}),
	withRows(loadWebhooks, ref[*Trigger, *Webhook]{func(t *Trigger) *uuid.UUID { return t.WebhookID }, func(t *Trigger, w *Webhook) { t.Webhook = w }}),
	withAttachedSnapshots,
}

// withAttachedSnapshots loads the executable snapshots attached to the
// triggers and the snapshots they were made from: two queries and the
// snapshots' own relations for the page.
func withAttachedSnapshots(ctx context.Context, tx *Tx, items []*Trigger) error {
	byID := make(map[uuid.UUID]*Trigger, len(items))
	ids := make([]uuid.UUID, len(items))
	for i, t := range items {
		byID[t.ID], ids[i] = t, t.ID
	}
	type link struct{ triggerID, snapshotID uuid.UUID }
	var links []link
	err := tx.each(ctx, `SELECT ts.trigger_id, ts.snapshot_id FROM trigger_snapshots ts WHERE ts.trigger_id IN (`+placeholders(len(ids))+`)
		ORDER BY ts.snapshot_id`, idArgs(ids), func(r *sql.Rows) error {
		var l link
		err := r.Scan(dbID{&l.triggerID}, dbID{&l.snapshotID})
		links = append(links, l)
		return err
	})
	if err != nil || len(links) == 0 {
		return err
	}
	snapIDs := make([]*uuid.UUID, len(links))
	for i := range links {
		snapIDs[i] = &links[i].snapshotID
	}
	attached, err := tx.snapshotsWithResources(ctx, uniqueIDs(snapIDs...))
	if err != nil {
		return err
	}
	sourceIDs := make([]*uuid.UUID, 0, len(attached))
	for _, s := range attached {
		sourceIDs = append(sourceIDs, s.SourceSnapshotID)
	}
	sources, err := tx.snapshotsWithResources(ctx, uniqueIDs(sourceIDs...))
	if err != nil {
		return err
	}
	for _, l := range links {
		t, s := byID[l.triggerID], attached[l.snapshotID]
		if s == nil {
			continue
		}
		t.Attached = append(t.Attached, s)
		if s.SourceSnapshotID != nil && sources[*s.SourceSnapshotID] != nil {
			if t.Sources == nil {
				t.Sources = map[uuid.UUID]*zen.Snapshot{}
			}
			t.Sources[*s.SourceSnapshotID] = sources[*s.SourceSnapshotID]
		}
	}
	return nil
}

func triggerNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get trigger with ID '%s': No trigger with this ID found", id)
}

func (tx *Tx) getTrigger(ctx context.Context, id uuid.UUID) (*Trigger, error) {
	return getRow(ctx, tx, `SELECT `+triggerSelect+` FROM triggers t WHERE t.id = ?`, []any{hexID(id)}, scanTrigger, triggerNotFound(id), triggerRelations)
}

// GetTrigger finds a trigger by id.
func (db *DB) GetTrigger(ctx context.Context, id uuid.UUID) (*Trigger, error) {
	return readByID(ctx, db, id, (*Tx).getTrigger)
}

// CreateTrigger stores a trigger; a webhook trigger's webhook must be in
// the trigger's project.
func (db *DB) CreateTrigger(ctx context.Context, t Trigger) (*Trigger, error) {
	var out *Trigger
	err := db.write(ctx, func(tx *Tx) error {
		if t.WebhookID != nil {
			w, err := tx.getWebhook(ctx, *t.WebhookID)
			if err != nil {
				return err
			}
			if w.ProjectID != t.ProjectID {
				return zen.NotFound("Webhook %s not found.", *t.WebhookID)
			}
		}
		if err := tx.checkName(ctx, "triggers", "trigger", "create", t.Name, t.ProjectID, uuid.Nil); err != nil {
			return err
		}
		t.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO triggers (id, project_id, user_id, name, active, is_archived, type, flavor, configuration, concurrency,
			webhook_id, next_occurrence, source_entity, target_events, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(t.ID), hexID(t.ProjectID), hexIDPtr(t.UserID), t.Name, t.Active, false, t.Type, t.Flavor, string(t.Configuration), t.Concurrency,
			hexIDPtr(t.WebhookID), timePtr(t.NextOccurrence), t.SourceEntity, t.TargetEvents, tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		var err error
		out, err = tx.getTrigger(ctx, t.ID)
		return err
	})
	return out, err
}

// TriggerUpdate replaces a trigger's common fields and its configuration;
// the flat columns follow the configuration (SetNextOccurrence: a schedule
// whose timing changed).
type TriggerUpdate struct {
	Type              string
	Name              *string
	Active            *bool
	Concurrency       *string
	Configuration     json.RawMessage
	SetNextOccurrence bool
	NextOccurrence    *zen.Time
	SourceEntity      *string
	TargetEvents      *string
}

// UpdateTrigger applies an update. As on the reference, it leaves the
// trigger's updated time as it was.
func (db *DB) UpdateTrigger(ctx context.Context, id uuid.UUID, up TriggerUpdate) (*Trigger, error) {
	var out *Trigger
	err := db.write(ctx, func(tx *Tx) error {
		t, err := tx.getTrigger(ctx, id)
		if err != nil {
			return err
		}
		if t.IsArchived {
			return zen.Errorf(zen.EForbidden, "Archived triggers can not be updated.")
		}
		if t.Type != up.Type {
			return zen.Errorf(zen.EForbidden, "A trigger can not be updated with a different trigger type.")
		}
		var set conditions
		set.addSQL("configuration = ?", string(up.Configuration))
		if up.Name != nil {
			if err := tx.checkName(ctx, "triggers", "trigger", "update", *up.Name, t.ProjectID, id); err != nil {
				return err
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.Active != nil {
			set.addSQL("active = ?", *up.Active)
		}
		if up.Concurrency != nil {
			set.addSQL("concurrency = ?", *up.Concurrency)
		}
		if up.SetNextOccurrence {
			set.addSQL("next_occurrence = ?", timePtr(up.NextOccurrence))
		}
		if up.SourceEntity != nil {
			set.addSQL("source_entity = ?", *up.SourceEntity)
			set.addSQL("target_events = ?", up.TargetEvents)
		}
		if _, err := tx.exec(ctx, "UPDATE triggers SET "+joinComma(set.parts)+" WHERE id = ?", append(set.args, hexID(id))...); err != nil {
			return err
		}
		out, err = tx.getTrigger(ctx, id)
		return err
	})
	return out, err
}

// DeleteTrigger removes a trigger, or with soft archives it: inactive,
// renamed with a random suffix so that its name is free again, detached
// from its snapshots.
func (db *DB) DeleteTrigger(ctx context.Context, id uuid.UUID, soft bool) error {
	return db.write(ctx, func(tx *Tx) error {
		t, err := tx.getTrigger(ctx, id)
		if err != nil {
			return err
		}
		if !soft {
			_, err := tx.deleteCascading(ctx, "triggers", "id = ?", hexID(id))
			return err
		}
		if t.IsArchived {
			return zen.Errorf(zen.EForbidden, "Trigger %s is already archived.", id)
		}
		if _, err := tx.exec(ctx, `UPDATE triggers SET is_archived = ?, active = ?, name = ? WHERE id = ?`, true, false,
			t.Name+"_("+uuid.New().String()[:8]+")", hexID(id)); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM trigger_snapshots WHERE trigger_id = ?`, hexID(id))
		return err
	})
}

// attachedSnapshots are the executable snapshots attached to a trigger that
// are snapshotID or were made from it.
func (tx *Tx) attachedSnapshots(ctx context.Context, triggerID, snapshotID uuid.UUID, includeExecutable bool) ([]string, error) {
	cond := "s.source_snapshot_id = ?"
	args := []any{hexID(triggerID), hexID(snapshotID)}
	if includeExecutable {
		cond = "(s.source_snapshot_id = ? OR s.id = ?)"
		args = append(args, hexID(snapshotID))
	}
	var ids []string
	err := tx.each(ctx, `SELECT ts.snapshot_id FROM trigger_snapshots ts JOIN pipeline_snapshots s ON s.id = ts.snapshot_id
		WHERE ts.trigger_id = ? AND `+cond+` ORDER BY ts.snapshot_id`, args, func(r *sql.Rows) error {
		var id string
		err := r.Scan(&id)
		ids = append(ids, id)
		return err
	})
	return ids, err
}

// AttachTriggerSnapshot attaches an executable snapshot to a trigger, in
// place of the one made from the same snapshot (replace), if given. An
// archived trigger takes none; the executable snapshot, made before, stays
// as it does on the reference.
func (db *DB) AttachTriggerSnapshot(ctx context.Context, triggerID, snapshotID uuid.UUID, replace *uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if replace != nil {
			if _, err := tx.exec(ctx, `DELETE FROM trigger_snapshots WHERE trigger_id = ? AND snapshot_id = ?`, hexID(triggerID), hexID(*replace)); err != nil {
				return err
			}
		}
		t, err := tx.getTrigger(ctx, triggerID)
		if err != nil {
			return err
		}
		if t.IsArchived {
			return zen.Errorf(zen.EForbidden, "Can not attach snapshot %s to archived trigger %s.", snapshotID, triggerID)
		}
		_, err = tx.exec(ctx, `INSERT INTO trigger_snapshots (trigger_id, snapshot_id, created) VALUES (?, ?, ?)`,
			hexID(triggerID), hexID(snapshotID), tx.now.Micros())
		return err
	})
}

// DetachTriggerSnapshot detaches the executable snapshots made from (or
// being) snapshotID from a trigger.
func (db *DB) DetachTriggerSnapshot(ctx context.Context, triggerID, snapshotID uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getTrigger(ctx, triggerID); err != nil {
			return err
		}
		ids, err := tx.attachedSnapshots(ctx, triggerID, snapshotID, true)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return zen.NotFound("Snapshot %s is not attached to trigger %s", snapshotID, triggerID)
		}
		for _, sid := range ids {
			if _, err := tx.exec(ctx, `DELETE FROM trigger_snapshots WHERE trigger_id = ? AND snapshot_id = ?`, hexID(triggerID), sid); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearTriggerDispatchErrors forgets the dispatch errors recorded for a
// trigger's snapshots (those made from snapshotID, if given). zengo
// dispatches nothing, so there are none to forget; the checks are the
// reference's.
func (db *DB) ClearTriggerDispatchErrors(ctx context.Context, triggerID uuid.UUID, snapshotID *uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getTrigger(ctx, triggerID); err != nil {
			return err
		}
		if snapshotID == nil {
			return nil
		}
		ids, err := tx.attachedSnapshots(ctx, triggerID, *snapshotID, false)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return zen.NotFound("Snapshot %s is not attached to trigger %s", *snapshotID, triggerID)
		}
		return nil
	})
}

// triggerSnapshotsOf is the condition "snapshot (alias a) is attached to
// the trigger, or made the executable snapshot attached to it", the
// snapshot list's trigger_id filter.
func triggerSnapshotsOf(a string, triggerID uuid.UUID) clause {
	return clause{a + `.id IN (SELECT COALESCE(tse.source_snapshot_id, tse.id) FROM trigger_snapshots ts
		JOIN pipeline_snapshots tse ON tse.id = ts.snapshot_id WHERE ts.trigger_id = ?)`, []any{hexID(triggerID)}}
}

var triggerFilterColumns = func() map[string]column {
	cols := baseColumns("t")
	cols["name"] = column{expr: "t.name", typ: filter.String}
	cols["active"] = column{expr: "t.active", typ: filter.Bool}
	cols["next_occurrence"] = column{expr: "t.next_occurrence", typ: filter.Datetime, nullable: true}
	cols["concurrency"] = column{expr: "t.concurrency", typ: filter.String}
	cols["webhook_id"] = column{expr: "t.webhook_id", typ: filter.UUID, nullable: true}
	return cols
}()

// TriggerFlags are the trigger list's filters that apply whatever the
// logical operator: archived or not, the types and flavors (any of), the
// pipelines and snapshots of the attached snapshots.
type TriggerFlags struct {
	IsArchived                               bool
	Types, Flavors, PipelineIDs, SnapshotIDs []string
}

// ListTriggers lists a project's triggers.
func (db *DB) ListTriggers(ctx context.Context, l *filter.List, scope ProjectScope, flags TriggerFlags) (*zen.Page[*Trigger], error) {
	spec := &listSpec{from: "triggers t", alias: "t", columns: triggerFilterColumns,
		custom:   db.dialect.userScopedCustom("t.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("t.user_id")}}
	where := append(scope.clauses("t"), clause{"t.is_archived = ?", []any{flags.IsArchived}})
	in := func(expr string, values []string) clause {
		args := make([]any, len(values))
		for i, v := range values {
			args[i] = v
		}
		return clause{expr + " IN (" + placeholders(len(values)) + ")", args}
	}
	if len(flags.Types) > 0 {
		where = append(where, in("t.type", flags.Types))
	}
	if len(flags.Flavors) > 0 {
		where = append(where, in("t.flavor", flags.Flavors))
	}
	if len(flags.PipelineIDs) > 0 || len(flags.SnapshotIDs) > 0 {
		var conds conditions
		conds.addSQL("fts.trigger_id = t.id")
		if len(flags.PipelineIDs) > 0 {
			conds.add(in("fs.pipeline_id", flags.PipelineIDs))
		}
		if len(flags.SnapshotIDs) > 0 {
			a, b := in("fts.snapshot_id", flags.SnapshotIDs), in("fs.source_snapshot_id", flags.SnapshotIDs)
			conds.add(clause{"(" + a.sql + " OR " + b.sql + ")", append(a.args, b.args...)})
		}
		c := conds.join("AND")
		where = append(where, clause{"EXISTS (SELECT 1 FROM trigger_snapshots fts JOIN pipeline_snapshots fs ON fs.id = fts.snapshot_id WHERE " + c.sql + ")", c.args})
	}
	return listRows(ctx, db, spec, l, where, triggerSelect, scanTrigger, func(ctx context.Context, tx *Tx, items []*Trigger) error {
		return loadRelations(ctx, tx, items, triggerRelations)
	})
}
