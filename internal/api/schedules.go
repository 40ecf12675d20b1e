package api

import (
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// scheduleRequest is the reference's ScheduleRequest; orchestrator_id and
// pipeline_id must be present, even as null.
type scheduleRequest struct {
	Project          uuid.UUID       `json:"project" zen:"required"`
	Name             string          `json:"name" zen:"required"`
	Active           bool            `json:"active" zen:"required"`
	CronExpression   *string         `json:"cron_expression"`
	StartTime        *zen.Time       `json:"start_time"`
	EndTime          *zen.Time       `json:"end_time"`
	IntervalSecond   json.RawMessage `json:"interval_second"`
	Catchup          bool            `json:"catchup"`
	RunOnceStartTime *zen.Time       `json:"run_once_start_time"`
	OrchestratorID   json.RawMessage `json:"orchestrator_id" zen:"required"`
	PipelineID       json.RawMessage `json:"pipeline_id" zen:"required"`
}

// scheduleUpdate is the reference's ScheduleUpdate.
type scheduleUpdate struct {
	Name           *string `json:"name"`
	CronExpression *string `json:"cron_expression"`
	Active         *bool   `json:"active"`
}

func (s *Server) createSchedule(r *http.Request) (any, error) {
	var req scheduleRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	interval, err := parseInterval(req.IntervalSecond)
	if err != nil {
		return nil, err
	}
	orchestrator, err := optionalUUID([]string{"body", "orchestrator_id"}, req.OrchestratorID)
	if err != nil {
		return nil, err
	}
	pipeline, err := optionalUUID([]string{"body", "pipeline_id"}, req.PipelineID)
	if err != nil {
		return nil, err
	}
	hasCron := req.CronExpression != nil && *req.CronExpression != ""
	hasInterval := req.StartTime != nil && interval != nil && *interval != 0
	if !hasCron && !hasInterval && req.RunOnceStartTime == nil {
		return nil, valueErrors([]string{"body"}, "Either a cron expression, a start time and interval seconds or a run once start time need to be set for a valid schedule.", bodyEcho(r))
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	sc, err := s.db.CreateSchedule(r.Context(), store.Schedule{ProjectID: project.ID, UserID: &current(r).user.ID, Name: req.Name,
		Active: req.Active, CronExpression: req.CronExpression, StartTime: req.StartTime, EndTime: req.EndTime, IntervalSecond: interval,
		Catchup: req.Catchup, RunOnceStartTime: req.RunOnceStartTime, OrchestratorID: orchestrator, PipelineID: pipeline})
	if err != nil {
		return nil, err
	}
	return scheduleView(sc, true), nil
}

// optionalUUID reads a UUID that may be null.
func optionalUUID(loc []string, raw json.RawMessage) (*uuid.UUID, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, &validationError{errs: []fieldError{{typ: "uuid_type", loc: loc, msg: "UUID input should be a string, bytes or UUID object", input: raw}}}
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return nil, &validationError{errs: []fieldError{uuidError(loc, s)}}
	}
	return &id, nil
}

var isoDuration = regexp.MustCompile(`^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseInterval reads a timedelta as pydantic does: seconds, or an ISO
// 8601 duration.
func parseInterval(raw json.RawMessage) (*float64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		f, err := n.Float64()
		if err == nil {
			return &f, nil
		}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return &f, nil
		}
		if m := isoDuration.FindStringSubmatch(strings.ToUpper(s)); m != nil && s != "P" && s != "PT" {
			part := func(i int) float64 { f, _ := strconv.ParseFloat(m[i], 64); return f }
			total := part(2)*365*86400 + part(3)*7*86400 + part(4)*86400 + part(5)*3600 + part(6)*60 + part(7)
			if m[1] == "-" {
				total = -total
			}
			return &total, nil
		}
	}
	return nil, &validationError{errs: []fieldError{{typ: "time_delta_parsing", loc: []string{"body", "interval_second"},
		msg: "Input should be a valid timedelta, invalid digit in duration", input: raw}}}
}

// durationISO writes seconds as pydantic writes a timedelta: P1Y35D,
// PT1M30.5S, PT0S (a year is 365 days, no weeks, zero parts left out).
func durationISO(secs float64) string {
	sign := ""
	if secs < 0 {
		sign, secs = "-", -secs
	}
	micros := int64(math.Round(secs * 1e6))
	days := micros / 86_400_000_000
	micros %= 86_400_000_000
	var b strings.Builder
	b.WriteString(sign + "P")
	if y := days / 365; y > 0 {
		b.WriteString(strconv.FormatInt(y, 10) + "Y")
	}
	if d := days % 365; d > 0 {
		b.WriteString(strconv.FormatInt(d, 10) + "D")
	}
	h, m := micros/3_600_000_000, micros/60_000_000%60
	s := float64(micros%60_000_000) / 1e6
	if h > 0 || m > 0 || s > 0 {
		b.WriteString("T")
		if h > 0 {
			b.WriteString(strconv.FormatInt(h, 10) + "H")
		}
		if m > 0 {
			b.WriteString(strconv.FormatInt(m, 10) + "M")
		}
		if s > 0 {
			b.WriteString(strconv.FormatFloat(s, 'f', -1, 64) + "S")
		}
	}
	if b.Len() == len(sign)+1 {
		return sign + "PT0S"
	}
	return b.String()
}

func (s *Server) updateSchedule() handler {
	return updateByID("schedule_id", func(r *http.Request, id uuid.UUID, req *scheduleUpdate) (*store.Schedule, error) {
		return s.db.UpdateSchedule(r.Context(), id, store.ScheduleUpdate{Name: req.Name, CronExpression: req.CronExpression, Active: req.Active})
	}, scheduleView)
}

func (s *Server) listSchedules() listRoute {
	return listOf(filter.Schedules, func(r *http.Request, q *listQuery) (*zen.Page[*store.Schedule], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListSchedules(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, scheduleView)
}

func (s *Server) getSchedule() handler { return getByID("schedule_id", s.db.GetSchedule, scheduleView) }

// deleteSchedule removes a schedule, or archives it with soft (which the
// reference requires to be given).
func (s *Server) deleteSchedule(r *http.Request) (any, error) {
	id, err := pathUUID(r, "schedule_id")
	if err != nil {
		return nil, err
	}
	if _, ok := r.URL.Query()["soft"]; !ok {
		return nil, &validationError{errs: []fieldError{{typ: "missing", loc: []string{"query", "soft"}, msg: "Field required", input: nil}}}
	}
	soft, err := boolParam(r, "soft", false)
	if err != nil {
		return nil, err
	}
	return nil, s.db.DeleteSchedule(r.Context(), id, soft)
}

type scheduleBody struct {
	Created          zen.Time   `json:"created"`
	Updated          zen.Time   `json:"updated"`
	UserID           *uuid.UUID `json:"user_id"`
	ProjectID        uuid.UUID  `json:"project_id"`
	Active           bool       `json:"active"`
	CronExpression   *string    `json:"cron_expression"`
	StartTime        *zen.Time  `json:"start_time"`
	EndTime          *zen.Time  `json:"end_time"`
	IntervalSecond   *string    `json:"interval_second"`
	Catchup          bool       `json:"catchup"`
	RunOnceStartTime *zen.Time  `json:"run_once_start_time"`
	IsArchived       bool       `json:"is_archived"`
}

type scheduleMetadata struct {
	OrchestratorID *uuid.UUID   `json:"orchestrator_id"`
	PipelineID     *uuid.UUID   `json:"pipeline_id"`
	RunMetadata    zen.Metadata `json:"run_metadata"`
}

func scheduleView(sc *store.Schedule, hydrate bool) envelope {
	var interval *string
	if sc.IntervalSecond != nil {
		d := durationISO(*sc.IntervalSecond)
		interval = &d
	}
	e := envelope{ID: sc.ID, Name: named(sc.Name),
		Body: scheduleBody{Created: sc.Created, Updated: sc.Updated, UserID: sc.UserID, ProjectID: sc.ProjectID, Active: sc.Active,
			CronExpression: sc.CronExpression, StartTime: sc.StartTime, EndTime: sc.EndTime, IntervalSecond: interval, Catchup: sc.Catchup,
			RunOnceStartTime: sc.RunOnceStartTime, IsArchived: sc.IsArchived},
		Resources: userResources{User: embeddedUser(sc.User)}}
	if hydrate {
		meta := sc.RunMetadata
		e.Metadata = scheduleMetadata{OrchestratorID: sc.OrchestratorID, PipelineID: sc.PipelineID, RunMetadata: meta}
	}
	return e
}
