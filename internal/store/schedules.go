package store

import (
	"context"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Schedule runs a pipeline on an orchestrator that schedules by itself.
type Schedule struct {
	ID, ProjectID                        uuid.UUID
	UserID, OrchestratorID, PipelineID   *uuid.UUID
	Name                                 string
	Active, Catchup, IsArchived          bool
	CronExpression                       *string
	StartTime, EndTime, RunOnceStartTime *zen.Time
	IntervalSecond                       *float64
	Created, Updated                     zen.Time

	User        *zen.User
	RunMetadata zen.Metadata
}

const scheduleSelect = `sc.id, sc.project_id, sc.user_id, sc.orchestrator_id, sc.pipeline_id, sc.name, sc.active, sc.catchup, sc.is_archived,
	sc.cron_expression, sc.start_time, sc.end_time, sc.run_once_start_time, sc.interval_second, sc.created, sc.updated`

func scanSchedule(row interface{ Scan(...any) error }) (*Schedule, error) {
	s := &Schedule{}
	err := row.Scan(dbID{&s.ID}, dbID{&s.ProjectID}, dbIDPtr{&s.UserID}, dbIDPtr{&s.OrchestratorID}, dbIDPtr{&s.PipelineID}, &s.Name,
		&s.Active, &s.Catchup, &s.IsArchived, &s.CronExpression, dbTimePtr{&s.StartTime}, dbTimePtr{&s.EndTime}, dbTimePtr{&s.RunOnceStartTime},
		&s.IntervalSecond, dbTime{&s.Created}, dbTime{&s.Updated})
	return s, err
}

var scheduleLinks = polymorphic[*Schedule]{"schedule", func(s *Schedule) uuid.UUID { return s.ID }}

var scheduleRelations = []relation[*Schedule]{
	withUsers(ref[*Schedule, *zen.User]{func(s *Schedule) *uuid.UUID { return s.UserID }, func(s *Schedule, u *zen.User) { s.User = u }}),
	withRunMetadata(scheduleLinks, func(s *Schedule, m zen.Metadata) { s.RunMetadata = m }),
}

func scheduleNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get schedule with ID '%s': No schedule with this ID found", id)
}

func (tx *Tx) getSchedule(ctx context.Context, id uuid.UUID) (*Schedule, error) {
	return getRow(ctx, tx, `SELECT `+scheduleSelect+` FROM schedules sc WHERE sc.id = ?`, []any{hexID(id)}, scanSchedule, scheduleNotFound(id), scheduleRelations)
}

// GetSchedule finds a schedule by id.
func (db *DB) GetSchedule(ctx context.Context, id uuid.UUID) (*Schedule, error) {
	return readByID(ctx, db, id, (*Tx).getSchedule)
}

// CreateSchedule stores a schedule after checking its orchestrator and
// pipeline.
func (db *DB) CreateSchedule(ctx context.Context, s Schedule) (*Schedule, error) {
	var out *Schedule
	err := db.write(ctx, func(tx *Tx) error {
		var n int
		if s.OrchestratorID != nil {
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE id = ? AND type = 'orchestrator'`, hexID(*s.OrchestratorID)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return zen.NotFound("The orchestrator with ID %s referenced by the schedule being created was not found", *s.OrchestratorID)
			}
		}
		if s.PipelineID != nil {
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM pipelines WHERE id = ? AND project_id = ?`, hexID(*s.PipelineID), hexID(s.ProjectID)).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return zen.NotFound("The pipeline with ID %s referenced by the schedule being created was not found in the '%s' project", *s.PipelineID, s.ProjectID)
			}
		}
		if err := tx.checkName(ctx, "schedules", "schedule", "create", s.Name, s.ProjectID, uuid.Nil); err != nil {
			return err
		}
		s.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO schedules (id, project_id, user_id, name, active, cron_expression, start_time, end_time, interval_second,
			catchup, run_once_start_time, is_archived, orchestrator_id, pipeline_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(s.ID), hexID(s.ProjectID), hexIDPtr(s.UserID), s.Name, s.Active, s.CronExpression, timePtr(s.StartTime), timePtr(s.EndTime),
			s.IntervalSecond, s.Catchup, timePtr(s.RunOnceStartTime), false, hexIDPtr(s.OrchestratorID), hexIDPtr(s.PipelineID),
			tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		var err error
		out, err = tx.getSchedule(ctx, s.ID)
		return err
	})
	return out, err
}

// ScheduleUpdate changes a schedule's name, cron expression or activity.
type ScheduleUpdate struct {
	Name, CronExpression *string
	Active               *bool
}

// UpdateSchedule applies an update; archived schedules stay as they are.
func (db *DB) UpdateSchedule(ctx context.Context, id uuid.UUID, up ScheduleUpdate) (*Schedule, error) {
	var out *Schedule
	err := db.write(ctx, func(tx *Tx) error {
		s, err := tx.getSchedule(ctx, id)
		if err != nil {
			return err
		}
		if s.IsArchived {
			return zen.Errorf(zen.EForbidden, "Archived schedules can not be updated.")
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Name != nil {
			if err := tx.checkName(ctx, "schedules", "schedule", "update", *up.Name, s.ProjectID, id); err != nil {
				return err
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.CronExpression != nil && *up.CronExpression != "" {
			set.addSQL("cron_expression = ?", *up.CronExpression)
		}
		if up.Active != nil {
			set.addSQL("active = ?", *up.Active)
		}
		if _, err := tx.updateByID(ctx, "schedules", id, set); err != nil {
			return err
		}
		out, err = tx.getSchedule(ctx, id)
		return err
	})
	return out, err
}

// DeleteSchedule removes a schedule, or with soft archives it: inactive,
// renamed with a random suffix so that its name is free again.
func (db *DB) DeleteSchedule(ctx context.Context, id uuid.UUID, soft bool) error {
	return db.write(ctx, func(tx *Tx) error {
		s, err := tx.getSchedule(ctx, id)
		if err != nil {
			return err
		}
		if soft {
			_, err := tx.exec(ctx, `UPDATE schedules SET is_archived = ?, active = ?, name = ? WHERE id = ?`, true, false, s.Name+"_"+uuid.New().String(), hexID(id))
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE pipeline_snapshots SET schedule_id = NULL WHERE schedule_id = ?`, hexID(id)); err != nil {
			return err
		}
		_, err = tx.deleteCascading(ctx, "schedules", "id = ?", hexID(id))
		return err
	})
}

var scheduleFilterColumns = func() map[string]column {
	cols := baseColumns("sc")
	for _, c := range []string{"pipeline_id", "orchestrator_id"} {
		cols[c] = column{expr: "sc." + c, typ: filter.UUID, nullable: true}
	}
	for _, c := range []string{"active", "catchup", "is_archived"} {
		cols[c] = column{expr: "sc." + c, typ: filter.Bool}
	}
	cols["name"] = column{expr: "sc.name", typ: filter.String}
	cols["cron_expression"] = column{expr: "sc.cron_expression", typ: filter.String, nullable: true}
	for _, c := range []string{"start_time", "end_time", "run_once_start_time"} {
		cols[c] = column{expr: "sc." + c, typ: filter.Datetime, nullable: true}
	}
	cols["interval_second"] = column{expr: "sc.interval_second", typ: filter.Float, nullable: true}
	return cols
}()

// ListSchedules lists a project's schedules.
func (db *DB) ListSchedules(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*Schedule], error) {
	spec := &listSpec{from: "schedules sc", alias: "sc", columns: scheduleFilterColumns,
		custom:   db.dialect.userScopedCustom("sc.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("sc.user_id")}}
	return listRows(ctx, db, spec, l, scope.clauses("sc"), scheduleSelect, scanSchedule, func(ctx context.Context, tx *Tx, items []*Schedule) error {
		return loadRelations(ctx, tx, items, scheduleRelations)
	})
}
