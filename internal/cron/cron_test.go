package cron

import (
	"testing"
	"time"
)

// Next occurrences croniter gives for the same expressions and bases.
func TestNext(t *testing.T) {
	base := time.Date(2026, 12, 6, 19, 29, 8, 500, time.UTC) // a Sunday
	for _, c := range []struct{ expr, want string }{
		{"*/5 * * * *", "2026-12-06T19:30:00Z"},
		{"0 * * * *", "2026-12-06T20:00:00Z"},
		{"0 9 * * 1-5", "2026-12-07T09:00:00Z"},
		{"30 2 1 * *", "2027-01-01T02:30:00Z"},
		{"0 0 13 * 5", "2026-12-11T00:00:00Z"}, // day of month or Friday
		{"15 10 * jan sun", "2027-01-03T10:15:00Z"},
	} {
		s, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := s.Next(base).Format(time.RFC3339); got != c.want {
			t.Errorf("%s: %s, want %s", c.expr, got, c.want)
		}
	}
	if _, err := Parse("bad cron"); err == nil || err.Error() != "Exactly 5, 6 or 7 columns has to be specified for iterator expression." {
		t.Errorf("bad cron: %v", err)
	}
}
