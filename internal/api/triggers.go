package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"zengo/internal/cron"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// Triggers: a request is one of three models told apart by "type"
// (schedule, platform_event, webhook); each keeps its own fields in the
// trigger's configuration document. Firing them (the schedule ticker, the
// event dispatcher, runs through the workload manager) is the reference's
// Pro side: a self-hosted server stores and shows triggers and fires
// nothing, as zengo does.

type triggerConcurrency string

// triggerCommon are the fields every trigger request has.
type triggerCommon struct {
	Project     uuid.UUID           `json:"project" zen:"required"`
	Name        string              `json:"name" zen:"required,max=255"`
	Active      *bool               `json:"active"`
	Concurrency *triggerConcurrency `json:"concurrency"`
	Present     Present
}

// scheduleFields are a native schedule's own fields, in the reference's
// order; they are the stored configuration of a schedule trigger.
type scheduleFields struct {
	CronExpression   *string   `json:"cron_expression"`
	Interval         *int64    `json:"interval"`
	EndTime          *zen.Time `json:"end_time"`
	StartTime        *zen.Time `json:"start_time"`
	RunOnceStartTime *zen.Time `json:"run_once_start_time"`
	MaxRuns          *int64    `json:"max_runs"`
}

type scheduleTriggerRequest struct {
	triggerCommon
	scheduleFields
}

type sourceEntity struct {
	Type string    `json:"type"`
	ID   uuid.UUID `json:"id"`
}

// platformEventFields are a platform event trigger's own fields.
type platformEventFields struct {
	SourceEntity sourceEntity `json:"source_entity"`
	TargetEvents []string     `json:"target_events"`
}

type platformEventTriggerRequest struct {
	triggerCommon
	SourceEntity json.RawMessage `json:"source_entity" zen:"required"`
	TargetEvents []string        `json:"target_events" zen:"required"`
}

type webhookTriggerRequest struct {
	triggerCommon
	WebhookID     uuid.UUID `json:"webhook_id" zen:"required"`
	Configuration jsonDict  `json:"configuration" zen:"required"`
}

// Updates carry the same fields without the project; a webhook trigger's
// update must carry every mutable field.
type triggerUpdateCommon struct {
	Name        string              `json:"name" zen:"required,max=255"`
	Active      *bool               `json:"active"`
	Concurrency *triggerConcurrency `json:"concurrency"`
	Present     Present
}

type scheduleTriggerUpdate struct {
	triggerUpdateCommon
	scheduleFields
	NextOccurrence *zen.Time `json:"next_occurrence"`
}

type platformEventTriggerUpdate struct {
	triggerUpdateCommon
	SourceEntity json.RawMessage `json:"source_entity" zen:"required"`
	TargetEvents []string        `json:"target_events" zen:"required"`
}

type webhookTriggerUpdate struct {
	triggerUpdateCommon
	Configuration jsonDict `json:"configuration" zen:"required"`
}

var triggerTypes = []string{"schedule", "platform_event", "webhook"}

// triggerUnion is the request (or, with update, the update) union of
// trigger models.
func triggerUnion(update bool) taggedUnion {
	return taggedUnion{discriminator: "type", enum: "TriggerType", tags: triggerTypes,
		member: func(tag string) any {
			members := map[string][2]any{
				"schedule":       {&scheduleTriggerRequest{}, &scheduleTriggerUpdate{}},
				"platform_event": {&platformEventTriggerRequest{}, &platformEventTriggerUpdate{}},
				"webhook":        {&webhookTriggerRequest{}, &webhookTriggerUpdate{}},
			}[tag]
			if update {
				return members[1]
			}
			return members[0]
		}}
}

var triggerRequestUnion, triggerUpdateUnion = triggerUnion(false), triggerUnion(true)

// decodeTrigger reads a trigger request or update body: the union's tag,
// then the member's fields, then the member's own model checks.
func decodeTrigger(r *http.Request, u taggedUnion) (string, any, error) {
	body, err := readBody(r)
	if err != nil {
		return "", nil, err
	}
	if err := decodeJSON(body, &struct{}{}); err != nil {
		return "", nil, err
	}
	var errs []fieldError
	tag, member, ok := u.validateItem(body, []string{"body"}, &errs)
	if len(errs) > 0 || !ok {
		return "", nil, &validationError{errs: errs}
	}
	loc := []string{"body", tag}
	modelError := func(msg string) error {
		return &validationError{errs: []fieldError{{typ: "value_error", loc: loc, msg: "Value error, " + msg, input: json.RawMessage(body),
			ctx: "{'error': ValueError(" + zen.PyRepr(msg) + ")}"}}}
	}
	switch m := member.(type) {
	case *scheduleTriggerRequest:
		if msg := m.check(); msg != "" {
			return "", nil, modelError(msg)
		}
	case *scheduleTriggerUpdate:
		if msg := m.check(); msg != "" {
			return "", nil, modelError(msg)
		}
	case *platformEventTriggerRequest, *platformEventTriggerUpdate:
		raw, events := m.(interface {
			parts() (json.RawMessage, []string)
		}).parts()
		if _, err := parseSourceEntity(raw, events, loc, modelError); err != nil {
			return "", nil, err
		}
	case *webhookTriggerUpdate:
		var missing []string
		for _, f := range []string{"active", "concurrency", "configuration", "name"} {
			if !m.Present[f] {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			return "", nil, modelError("Webhook trigger updates must include all mutable fields. Missing: " + strings.Join(missing, ", ") + ".")
		}
	}
	return tag, member, nil
}

func (m *platformEventTriggerRequest) parts() (json.RawMessage, []string) {
	return m.SourceEntity, m.TargetEvents
}
func (m *platformEventTriggerUpdate) parts() (json.RawMessage, []string) {
	return m.SourceEntity, m.TargetEvents
}

// parseSourceEntity reads a platform event's source and checks its events
// against those the source type offers.
func parseSourceEntity(raw json.RawMessage, events []string, loc []string, modelError func(string) error) (platformEventFields, error) {
	var se sourceEntity
	if err := json.Unmarshal(raw, &se); err != nil || platformEvents[se.Type] == nil {
		return platformEventFields{}, &validationError{errs: []fieldError{{typ: "enum", loc: append(append([]string{}, loc...), "source_entity", "type"),
			msg: "Input should be 'pipeline', 'pipeline_run' or 'pipeline_snapshot'", input: raw, ctx: "{'expected': \"'pipeline', 'pipeline_run' or 'pipeline_snapshot'\"}"}}}
	}
	if len(events) == 0 {
		return platformEventFields{}, &validationError{errs: []fieldError{{typ: "too_short", loc: append(append([]string{}, loc...), "target_events"),
			msg: "List should have at least 1 item after validation, not 0", input: json.RawMessage("[]"), ctx: "{'field_type': 'List', 'min_length': 1, 'actual_length': 0}"}}}
	}
	allowed := platformEvents[se.Type]
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = "'" + a.Value + "'"
	}
	for _, e := range events {
		known := false
		for _, a := range allowed {
			known = known || a.Value == e
		}
		if !known {
			return platformEventFields{}, modelError("Invalid event '" + e + "' for source_type '" + se.Type + "'. Allowed events: [" + strings.Join(names, ", ") + "]")
		}
	}
	return platformEventFields{SourceEntity: se, TargetEvents: events}, nil
}

// check is the reference's ScheduleTrigger model checks, in its order.
func (f *scheduleFields) check() string {
	if f.Interval != nil && f.StartTime == nil {
		return "Interval must be set with start time."
	}
	n := 0
	for _, set := range []bool{f.CronExpression != nil, f.Interval != nil, f.RunOnceStartTime != nil} {
		if set {
			n++
		}
	}
	if n == 0 {
		return "You must specify an execution option (cron, interval, one-off) for the schedule."
	}
	if n > 1 {
		return "You must specify exactly one option (cron, interval, one-off) for the schedule."
	}
	if f.EndTime != nil && f.StartTime != nil && f.EndTime.Micros() <= f.StartTime.Micros() {
		return "The end time must be after the start time."
	}
	return ""
}

// firstOccurrence is the reference's calculate_first_occurrence: the
// first run at least a second from now.
func (f *scheduleFields) firstOccurrence(now time.Time) (*zen.Time, error) {
	base := now.UTC().Add(time.Second)
	var next time.Time
	switch {
	case f.CronExpression != nil && *f.CronExpression != "":
		c, err := cron.Parse(*f.CronExpression)
		if err != nil {
			return nil, zen.Errorf(zen.EUnprocessable, "%s", err.Error())
		}
		from := base
		if f.StartTime != nil && f.StartTime.Std().After(base) {
			from = f.StartTime.Std()
		}
		next = c.Next(from)
	case f.StartTime != nil && f.Interval != nil && *f.Interval != 0:
		start := f.StartTime.Std()
		if start.After(base) {
			next = start
		} else {
			step := time.Duration(*f.Interval) * time.Second
			next = start.Add((base.Sub(start)/step + 1) * step)
		}
	case f.RunOnceStartTime != nil:
		next = f.RunOnceStartTime.Std()
	default:
		return nil, nil
	}
	t := zen.NewTime(next)
	return &t, nil
}

func (c *triggerCommon) concurrency() string {
	if c.Concurrency == nil {
		return "skip"
	}
	return string(*c.Concurrency)
}

func activeOr(b *bool) bool { return b == nil || *b }

func (s *Server) createTrigger(r *http.Request) (any, error) {
	tag, member, err := decodeTrigger(r, triggerRequestUnion)
	if err != nil {
		return nil, err
	}
	var common *triggerCommon
	t := store.Trigger{Type: tag}
	ctx := r.Context()
	switch m := member.(type) {
	case *scheduleTriggerRequest:
		common, t.Flavor = &m.triggerCommon, "native schedule"
		if t.NextOccurrence, err = m.firstOccurrence(s.cfg.Now()); err != nil {
			return nil, err
		}
		t.Configuration, _ = json.Marshal(m.scheduleFields)
	case *platformEventTriggerRequest:
		common, t.Flavor = &m.triggerCommon, "platform event"
		pe, _ := parseSourceEntity(m.SourceEntity, m.TargetEvents, nil, nil)
		if err := s.checkEventSource(r, pe.SourceEntity); err != nil {
			return nil, err
		}
		t.Configuration, _ = json.Marshal(pe)
		t.SourceEntity, t.TargetEvents = pe.flat()
	case *webhookTriggerRequest:
		common, t.Flavor = &m.triggerCommon, "webhook"
		w, err := s.db.GetWebhook(ctx, m.WebhookID)
		if err != nil {
			return nil, err
		}
		configuration, err := webhookConfiguration(w.Type, json.RawMessage(m.Configuration))
		if err != nil {
			return nil, err
		}
		t.Configuration, _ = json.Marshal(map[string]json.RawMessage{"configuration": configuration})
		t.WebhookID = &m.WebhookID
	}
	project, err := s.scopeProject(r, common.Project.String())
	if err != nil {
		return nil, err
	}
	t.ProjectID, t.UserID, t.Name, t.Active, t.Concurrency = project.ID, &current(r).user.ID, common.Name, activeOr(common.Active), common.concurrency()
	created, err := s.db.CreateTrigger(ctx, t)
	if err != nil {
		return nil, err
	}
	return triggerView(created, true), nil
}

// flat is what the reference keeps in columns for event matching.
func (pe platformEventFields) flat() (*string, *string) {
	source := pe.SourceEntity.Type + ":" + pe.SourceEntity.ID.String()
	events := make([]string, len(pe.TargetEvents))
	for i, e := range pe.TargetEvents {
		events[i] = "event:" + e
	}
	joined := strings.Join(events, " ")
	return &source, &joined
}

// checkEventSource finds a platform event's source: a pipeline, a run or
// a snapshot.
func (s *Server) checkEventSource(r *http.Request, se sourceEntity) error {
	var err error
	switch se.Type {
	case "pipeline":
		_, err = s.db.GetPipeline(r.Context(), se.ID)
	case "pipeline_run":
		_, err = s.db.GetRun(r.Context(), se.ID)
	default:
		_, err = s.db.GetSnapshot(r.Context(), se.ID)
	}
	return err
}

func (s *Server) updateTrigger(r *http.Request) (any, error) {
	id, err := pathUUID(r, "trigger_id")
	if err != nil {
		return nil, err
	}
	tag, member, err := decodeTrigger(r, triggerUpdateUnion)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	existing, err := s.db.GetTrigger(ctx, id)
	if err != nil {
		return nil, err
	}
	if existing.Type != tag {
		return nil, zen.Errorf(zen.EForbidden, "A trigger can not be updated with a different trigger type.")
	}
	up := store.TriggerUpdate{Type: tag}
	var common *triggerUpdateCommon
	switch m := member.(type) {
	case *scheduleTriggerUpdate:
		common = &m.triggerUpdateCommon
		up.Configuration, _ = json.Marshal(m.scheduleFields)
		if m.NextOccurrence != nil {
			up.SetNextOccurrence, up.NextOccurrence = true, m.NextOccurrence
		} else if up.NextOccurrence, err = m.firstOccurrence(s.cfg.Now()); err != nil {
			return nil, err
		} else {
			up.SetNextOccurrence = up.NextOccurrence != nil
		}
	case *platformEventTriggerUpdate:
		common = &m.triggerUpdateCommon
		pe, _ := parseSourceEntity(m.SourceEntity, m.TargetEvents, nil, nil)
		if err := s.checkEventSource(r, pe.SourceEntity); err != nil {
			return nil, err
		}
		up.Configuration, _ = json.Marshal(pe)
		up.SourceEntity, up.TargetEvents = pe.flat()
	case *webhookTriggerUpdate:
		common = &m.triggerUpdateCommon
		if existing.Webhook == nil {
			return nil, zen.Errorf(zen.EForbidden, "A trigger can not be updated with a different trigger type.")
		}
		configuration, err := webhookConfiguration(existing.Webhook.Type, json.RawMessage(m.Configuration))
		if err != nil {
			return nil, err
		}
		up.Configuration, _ = json.Marshal(map[string]json.RawMessage{"configuration": configuration})
	}
	up.Name = &common.Name
	if common.Present["active"] {
		up.Active = common.Active
	}
	if common.Concurrency != nil {
		c := string(*common.Concurrency)
		up.Concurrency = &c
	}
	updated, err := s.db.UpdateTrigger(ctx, id, up)
	if err != nil {
		return nil, err
	}
	return triggerView(updated, true), nil
}

func (s *Server) listTriggers() listRoute {
	return listOf(filter.Triggers, func(r *http.Request, q *listQuery) (*zen.Page[*store.Trigger], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		flags := store.TriggerFlags{}
		if v := q.Scope["is_archived"]; v != "" {
			if flags.IsArchived, err = boolParam(r, "is_archived", false); err != nil {
				return nil, err
			}
		}
		for name, dst := range map[string]*[]string{"type": &flags.Types, "flavor": &flags.Flavors, "pipeline_id": &flags.PipelineIDs, "snapshot_id": &flags.SnapshotIDs} {
			if v := q.Scope[name]; v != "" {
				*dst = []string{v}
				if name == "pipeline_id" || name == "snapshot_id" {
					id, err := uuid.Parse(v)
					if err != nil {
						return nil, zen.Errorf(zen.EInvalid, "Invalid UUID: %s", v)
					}
					*dst = []string{strings.ReplaceAll(id.String(), "-", "")}
				}
			}
		}
		return s.db.ListTriggers(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser}, flags)
	}, triggerView)
}

func (s *Server) getTrigger() handler { return getByID("trigger_id", s.db.GetTrigger, triggerView) }

// deleteTrigger archives a trigger (soft, the default) or removes it.
func (s *Server) deleteTrigger(r *http.Request) (any, error) {
	id, err := pathUUID(r, "trigger_id")
	if err != nil {
		return nil, err
	}
	soft, err := boolParam(r, "soft", true)
	if err != nil {
		return nil, err
	}
	return nil, s.db.DeleteTrigger(r.Context(), id, soft)
}

// attachTriggerSnapshot attaches a named snapshot to a trigger the way the
// reference does: it derives an executable snapshot from it for
// server-side runs, which needs a snapshot the server can run (a remote
// build and a stack of remote components), and attaches that one, in
// place of the one made before from the same snapshot with allow_replace.
// The run configuration the body may carry is not applied
// (docs/differences.md).
func (s *Server) attachTriggerSnapshot(r *http.Request) (any, error) {
	triggerID, err := pathUUID(r, "trigger_id")
	if err != nil {
		return nil, err
	}
	snapshotID, err := pathUUID(r, "snapshot_id")
	if err != nil {
		return nil, err
	}
	allowReplace, err := boolParam(r, "allow_replace", false)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	t, err := s.db.GetTrigger(ctx, triggerID)
	if err != nil {
		return nil, err
	}
	snap, err := s.db.GetSnapshot(ctx, snapshotID)
	if err != nil {
		return nil, err
	}
	if t.ProjectID != snap.ProjectID {
		return nil, zen.NotFound("Snapshot %s not found.", snapshotID)
	}
	if snap.Name == nil {
		return nil, zen.Errorf(zen.EForbidden, "Can not attach a snapshot without name to a trigger.")
	}
	var replaced *uuid.UUID
	for _, a := range t.Attached {
		if a.ID == snapshotID || (a.SourceSnapshotID != nil && *a.SourceSnapshotID == snapshotID) {
			if !allowReplace {
				return nil, zen.Errorf(zen.EForbidden, "Trigger %s is already attached to snapshot %s. To attach %s with a different configuration, "+
					"please detach the current attachment first or use the `allow_replace` flag.", triggerID, snapshotID, snapshotID)
			}
			replaced = &a.ID
		}
	}
	exec, err := s.checkServerExecution(ctx, snap)
	if err != nil {
		return nil, err
	}
	derived, err := executableSnapshot(snap, exec, &current(r).user.ID)
	if err != nil {
		return nil, err
	}
	executable, err := s.db.CreateSnapshot(ctx, derived, nil)
	if err != nil {
		return nil, err
	}
	return nil, s.db.AttachTriggerSnapshot(ctx, triggerID, executable.ID, replaced)
}

func (s *Server) detachTriggerSnapshot(r *http.Request) (any, error) {
	triggerID, err := pathUUID(r, "trigger_id")
	if err != nil {
		return nil, err
	}
	snapshotID, err := pathUUID(r, "snapshot_id")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if _, err := s.db.GetTrigger(ctx, triggerID); err != nil {
		return nil, err
	}
	if _, err := s.db.GetSnapshot(ctx, snapshotID); err != nil {
		return nil, err
	}
	return nil, s.db.DetachTriggerSnapshot(ctx, triggerID, snapshotID)
}

func (s *Server) clearTriggerDispatchState(r *http.Request) (any, error) {
	triggerID, err := pathUUID(r, "trigger_id")
	if err != nil {
		return nil, err
	}
	var snapshotID *uuid.UUID
	if v := r.URL.Query().Get("snapshot_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return nil, &validationError{errs: []fieldError{uuidError([]string{"query", "snapshot_id"}, v)}}
		}
		snapshotID = &id
	}
	return nil, s.db.ClearTriggerDispatchErrors(r.Context(), triggerID, snapshotID)
}

// triggerBase is the body every trigger starts with, in the reference's
// order; the type's own fields follow.
type triggerBase struct {
	Name        string     `json:"name"`
	Active      bool       `json:"active"`
	Type        string     `json:"type"`
	Concurrency string     `json:"concurrency"`
	Created     zen.Time   `json:"created"`
	Updated     zen.Time   `json:"updated"`
	UserID      *uuid.UUID `json:"user_id"`
	ProjectID   uuid.UUID  `json:"project_id"`
	IsArchived  bool       `json:"is_archived"`
	Flavor      string     `json:"flavor"`
}

type scheduleTriggerBody struct {
	triggerBase
	scheduleFields
	NextOccurrence *zen.Time `json:"next_occurrence"`
}

type platformEventTriggerBody struct {
	triggerBase
	platformEventFields
}

type webhookTriggerBody struct {
	triggerBase
	Configuration json.RawMessage `json:"configuration"`
	WebhookID     *uuid.UUID      `json:"webhook_id"`
}

type triggerResources struct {
	User                   *envelope      `json:"user"`
	Snapshots              []any          `json:"snapshots"`
	ExecutableSnapshots    []any          `json:"executable_snapshots"`
	LatestRun              *envelope      `json:"latest_run"`
	Webhook                *envelope      `json:"webhook"`
	SnapshotDispatchStates map[string]any `json:"snapshot_dispatch_states"`
}

// triggerView renders a trigger. Its executable snapshots are those
// attached to it, its snapshots the named ones they were made from, and its
// latest run is the newest it fired, which a self-hosted server never does.
func triggerView(t *store.Trigger, hydrate bool) envelope {
	base := triggerBase{Name: t.Name, Active: t.Active, Type: t.Type, Concurrency: t.Concurrency, Created: t.Created, Updated: t.Updated,
		UserID: t.UserID, ProjectID: t.ProjectID, IsArchived: t.IsArchived, Flavor: t.Flavor}
	var body any
	switch t.Type {
	case "schedule":
		b := scheduleTriggerBody{triggerBase: base}
		json.Unmarshal(t.Configuration, &b.scheduleFields)
		if t.Active && !t.IsArchived {
			b.NextOccurrence = t.NextOccurrence
		}
		body = b
	case "platform_event":
		b := platformEventTriggerBody{triggerBase: base}
		json.Unmarshal(t.Configuration, &b.platformEventFields)
		body = b
	default:
		var stored struct {
			Configuration json.RawMessage `json:"configuration"`
		}
		json.Unmarshal(t.Configuration, &stored)
		body = webhookTriggerBody{triggerBase: base, Configuration: stored.Configuration, WebhookID: t.WebhookID}
	}
	snapshots, executable := make([]any, len(t.Attached)), make([]any, len(t.Attached))
	for i, a := range t.Attached {
		executable[i], snapshots[i] = bareSnapshot(a), bareSnapshot(a)
		if a.SourceSnapshotID != nil && t.Sources[*a.SourceSnapshotID] != nil {
			snapshots[i] = bareSnapshot(t.Sources[*a.SourceSnapshotID])
		}
	}
	e := envelope{ID: t.ID, Body: body, Resources: triggerResources{User: embeddedUser(t.User), Snapshots: snapshots, ExecutableSnapshots: executable,
		Webhook: embeddedWebhook(t.Webhook), SnapshotDispatchStates: map[string]any{}}}
	if hydrate {
		e.Metadata = struct{}{}
	}
	return e
}
