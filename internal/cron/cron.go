// Package cron reads the five-field cron expressions of native schedules
// and finds their next occurrence, as the reference's croniter does for
// them: minute, hour, day of month, month, day of week (0 or 7 is Sunday);
// `*`, lists, ranges and steps; when both days are restricted, either
// matches.
package cron

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed expression.
type Schedule struct {
	fields         [5]map[int]bool
	domAny, dowAny bool
}

var bounds = [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}

var names = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// Parse reads an expression; its errors are croniter's texts.
func Parse(expr string) (*Schedule, error) {
	parts := strings.Fields(expr)
	if len(parts) < 5 || len(parts) > 7 {
		return nil, errors.New("Exactly 5, 6 or 7 columns has to be specified for iterator expression.")
	}
	if len(parts) > 5 {
		return nil, errors.New("[" + expr + "] is not acceptable: zengo reads five-field expressions")
	}
	s := &Schedule{domAny: parts[2] == "*", dowAny: parts[4] == "*"}
	for i, p := range parts {
		set, err := field(p, bounds[i][0], bounds[i][1])
		if err != nil {
			return nil, errors.New("[" + expr + "] is not acceptable")
		}
		s.fields[i] = set
	}
	if s.fields[4][7] {
		s.fields[4][0] = true
	}
	return s, nil
}

func value(v string) (int, error) {
	if n, ok := names[strings.ToLower(v)]; ok {
		return n, nil
	}
	return strconv.Atoi(v)
}

func field(expr string, lo, hi int) (map[int]bool, error) {
	set := map[int]bool{}
	for _, item := range strings.Split(expr, ",") {
		step := 1
		if i := strings.Index(item, "/"); i >= 0 {
			n, err := strconv.Atoi(item[i+1:])
			if err != nil || n <= 0 {
				return nil, errors.New("bad step")
			}
			step, item = n, item[:i]
		}
		from, to := lo, hi
		switch {
		case item == "*":
		case strings.Contains(item, "-"):
			a, b, _ := strings.Cut(item, "-")
			var err1, err2 error
			from, err1 = value(a)
			to, err2 = value(b)
			if err1 != nil || err2 != nil {
				return nil, errors.New("bad range")
			}
		default:
			n, err := value(item)
			if err != nil {
				return nil, err
			}
			from, to = n, n
			if step > 1 {
				to = hi
			}
		}
		if from < lo || to > hi || from > to {
			return nil, errors.New("out of range")
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

// Next is the first occurrence strictly after base (whole minutes, UTC).
func (s *Schedule) Next(base time.Time) time.Time {
	t := base.UTC().Truncate(time.Minute).Add(time.Minute)
	for limit := 0; limit < 5*366*24*60; limit++ {
		if !s.fields[3][int(t.Month())] {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !s.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !s.fields[1][t.Hour()] {
			t = t.Truncate(time.Hour).Add(time.Hour)
			continue
		}
		if !s.fields[0][t.Minute()] {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return t
}

func (s *Schedule) dayMatches(t time.Time) bool {
	dom, dow := s.fields[2][t.Day()], s.fields[4][int(t.Weekday())]
	switch {
	case s.domAny && s.dowAny:
		return true
	case s.domAny:
		return dow
	case s.dowAny:
		return dom
	}
	return dom || dow
}
