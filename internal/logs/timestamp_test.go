package logs

import "testing"

// The expected renderings are pydantic's (zenml 0.98.0's parse_log_entry
// run on the same inputs).
func TestParseTimestampAsPydantic(t *testing.T) {
	cases := map[string]string{
		"2024-05-01T10:00:00.123Z":           "2024-05-01T10:00:00.123000Z",
		"2024-05-01t10:00:00z":               "2024-05-01T10:00:00Z",
		"2024-05-01_10:00:00":                "2024-05-01T10:00:00",
		"2024-05-01 10:00":                   "2024-05-01T10:00:00",
		"2024-05-01T10:00:00,5":              "2024-05-01T10:00:00.500000",
		"2024-05-01T10:00:00.1234567890123Z": "2024-05-01T10:00:00.123456Z",
		"2024-05-01T10:00:00+0200":           "2024-05-01T10:00:00+02:00",
		"2024-05-01T10:00:00-00:00":          "2024-05-01T10:00:00Z",
		"2024-05-01T10:00:00+00:00":          "2024-05-01T10:00:00Z",
		"2024-05-01T10:00:00.000000Z":        "2024-05-01T10:00:00Z",
		"9999-12-31T23:59:59+14:00":          "9999-12-31T23:59:59+14:00",
		"2024-05-01T10:00:00-05:30":          "2024-05-01T10:00:00-05:30",
		"0001-01-01":                         "0001-01-01T00:00:00",
		"1714557600":                         "2024-05-01T10:00:00Z",
		"+1714557600":                        "2024-05-01T10:00:00Z",
		"1714557600.5":                       "2024-05-01T10:00:00.500000Z",
	}
	for in, want := range cases {
		ts, why := ParseTimestamp(in)
		if why != "" || ts.String() != want {
			t.Errorf("ParseTimestamp(%q) = %q (%s), want %q", in, ts.String(), why, want)
		}
	}
	for _, in := range []string{"2024-05-01T10", "2024-05-01T10:00:00+02", "2024-05-01T10:00:00+02:30:15",
		"2024-05-01T10:00:60", "2024-02-30", "2024-05-01T24:00:00", "2024-05-01T10:00:00 ", "2024-05-01T10:00:00.Z",
		"2024-5-01", "1e3", "2024-05-01T10:00:00+24:00", "garbage", "+-5"} {
		if ts, why := ParseTimestamp(in); why == "" {
			t.Errorf("ParseTimestamp(%q) = %q, want a failure", in, ts.String())
		}
	}
	if _, why := ParseTimestamp("garbage"); why != "input is too short" {
		t.Errorf("garbage: %q", why)
	}
}

func TestUnixTimestamps(t *testing.T) {
	cases := map[float64]string{
		1714557600.5:       "2024-05-01T10:00:00.500000Z",
		1714557600123:      "2024-05-01T10:00:00.123000Z",
		-5:                 "1969-12-31T23:59:55Z",
		1e3:                "1970-01-01T00:16:40Z",
		20000000001:        "1970-08-20T11:33:20.001000Z",
		1714557600.1234567: "2024-05-01T10:00:00.123457Z",
	}
	for in, want := range cases {
		ts, ok := timestampFromUnix(in)
		if !ok || ts.String() != want {
			t.Errorf("timestampFromUnix(%v) = %q, want %q", in, ts.String(), want)
		}
	}
}
