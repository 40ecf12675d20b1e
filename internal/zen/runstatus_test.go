package zen

import "testing"

func TestNextRunStatus(t *testing.T) {
	cases := []struct {
		current, requested string
		steps              int
		stepStatuses       []string
		want               string
		forbidden, ignored bool
	}{
		{current: "running", requested: "completed", steps: 0, want: "completed"},
		{current: "running", requested: "completed", steps: 2, want: "running"}, // steps still missing
		{current: "running", requested: "completed", steps: 2, stepStatuses: []string{"completed", "completed"}, want: "completed"},
		{current: "running", requested: "running", steps: 2, stepStatuses: []string{"failed", "completed"}, want: "failed"},
		{current: "running", requested: "stopping", steps: 1, stepStatuses: []string{"running"}, want: "stopping"},
		{current: "running", requested: "stopping", steps: 1, want: "stopped"},
		{current: "initializing", requested: "provisioning", steps: 1, want: "provisioning"},
		{current: "completed", requested: "provisioning", steps: 1, want: "completed", ignored: true},
		{current: "completed", requested: "failed", steps: 0, forbidden: true},
		{current: "running", requested: "cached", forbidden: true},
		{current: "running", requested: "resuming", forbidden: true},
	}
	for _, c := range cases {
		got, err := NextRunStatus(c.current, c.requested, false, c.steps, c.stepStatuses, false)
		if c.forbidden {
			if ErrorCode(err) != EForbidden {
				t.Errorf("%s -> %s: want forbidden, got %+v %v", c.current, c.requested, got, err)
			}
			continue
		}
		if err != nil || got.Status != c.want || got.Ignored != c.ignored || got.InProgress == IsFinished(c.want) {
			t.Errorf("%s -> %s (%d steps %v): got %+v %v, want %s", c.current, c.requested, c.steps, c.stepStatuses, got, err, c.want)
		}
	}
}

func TestTimeWireForm(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"2024-01-02T03:04:05", "2024-01-02T03:04:05"},
		{"2024-01-02T03:04:05.4", "2024-01-02T03:04:05.400000"},
		{"2024-01-02T03:04:05.000005Z", "2024-01-02T03:04:05.000005"},
		{"2024-01-02T05:04:05+02:00", "2024-01-02T03:04:05"},
	} {
		tm, err := ParseTime(c.in)
		if err != nil || tm.String() != c.out {
			t.Errorf("%s: got %s %v, want %s", c.in, tm, err, c.out)
		}
		if TimeFromMicros(tm.Micros()).String() != c.out {
			t.Errorf("%s does not survive storage", c.in)
		}
	}
}

func TestNotFoundQuotesLikePython(t *testing.T) {
	if got := NotFound("No pipeline named 'x'").Message; got != `"No pipeline named 'x'"` {
		t.Errorf("got %s", got)
	}
	if got := NotFound("plain").Message; got != `'plain'` {
		t.Errorf("got %s", got)
	}
}
