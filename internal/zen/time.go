package zen

import (
	"time"
)

// Time is a UTC instant with microsecond precision, written on the wire the
// way the reference writes its naive UTC datetimes: no offset, and the
// fraction only when it is not zero ("2024-01-02T03:04:05" or
// "2024-01-02T03:04:05.400000").
//
// The database keeps it as an integer count of microseconds since the Unix
// epoch, which sorts and compares the same on every engine.
type Time struct{ t time.Time }

// TimeFromMicros turns a stored value back into a Time.
func TimeFromMicros(us int64) Time { return Time{time.UnixMicro(us).UTC()} }

// NewTime truncates t to microseconds and moves it to UTC.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// Micros is the stored form.
func (t Time) Micros() int64 { return t.t.UnixMicro() }

// Std returns the standard library time.
func (t Time) Std() time.Time { return t.t }

// IsZero reports whether t is the zero instant.
func (t Time) IsZero() bool { return t.t.IsZero() }

// String is the wire form.
func (t Time) String() string {
	if t.t.Nanosecond() == 0 {
		return t.t.Format("2006-01-02T15:04:05")
	}
	return t.t.Format("2006-01-02T15:04:05.000000")
}

// MarshalText gives the wire form; encoding/json quotes it. (As a text
// marshaler rather than a JSON one, encoding/json does not re-scan the
// output for validity: every answer carries a few per resource.)
func (t Time) MarshalText() ([]byte, error) {
	b := make([]byte, 0, len("2006-01-02T15:04:05.000000"))
	if t.t.Nanosecond() == 0 {
		return t.t.AppendFormat(b, "2006-01-02T15:04:05"), nil
	}
	return t.t.AppendFormat(b, "2006-01-02T15:04:05.000000"), nil
}

// UnmarshalJSON accepts what the client sends: ISO-8601 with or without an
// offset (naive values are UTC, as in the reference).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' {
		return Errorf(EUnprocessable, "Input should be a valid datetime")
	}
	parsed, err := ParseTime(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// isoLayouts are the datetime spellings accepted in request bodies, tried in
// order; those without a zone are read as UTC.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads an ISO-8601 datetime as the reference's body validation does.
func ParseTime(s string) (Time, error) {
	for _, layout := range isoLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return NewTime(v), nil
		}
	}
	return Time{}, Errorf(EUnprocessable, "Input should be a valid datetime, invalid datetime format")
}
