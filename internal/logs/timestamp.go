package logs

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a datetime as pydantic keeps it: with its UTC offset, or
// naive (no zone at all), to the microsecond.
type Timestamp struct {
	t     time.Time
	naive bool
}

// Time is the instant, naive values read as UTC (the reference's
// to_utc_timezone).
func (ts Timestamp) Time() time.Time { return ts.t }

// Naive reports whether the value carried no zone.
func (ts Timestamp) Naive() bool { return ts.naive }

// String renders the value as pydantic serialises a datetime: the fraction
// only when non-zero, then "Z" for UTC, "±HH:MM" for other offsets and
// nothing for a naive value.
func (ts Timestamp) String() string {
	b := ts.t.AppendFormat(make([]byte, 0, 32), "2006-01-02T15:04:05")
	if us := ts.t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		b = append(b, strconv.Itoa(1000000 + us)[1:]...)
	}
	if ts.naive {
		return string(b)
	}
	_, off := ts.t.Zone()
	if off == 0 {
		return string(append(b, 'Z'))
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return string(append(b, sign, byte('0'+off/36000), byte('0'+off/3600%10), ':', byte('0'+off/600%6), byte('0'+off/60%10)))
}

// MarshalJSON writes String as a JSON string.
func (ts Timestamp) MarshalJSON() ([]byte, error) { return []byte(`"` + ts.String() + `"`), nil }

// unixMillisThreshold is pydantic's bound above which a number is read as
// milliseconds rather than seconds.
const unixMillisThreshold = 2e10

// timestampFromUnix reads a unix time in seconds (or milliseconds beyond
// 2e10) as pydantic does; the result is UTC.
func timestampFromUnix(v float64) (Timestamp, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Timestamp{}, false
	}
	if math.Abs(v) > unixMillisThreshold {
		v /= 1000
	}
	sec := math.Floor(v)
	us := math.Round((v - sec) * 1e6)
	if us >= 1e6 {
		sec, us = sec+1, 0
	}
	t := time.Unix(int64(sec), int64(us)*1000).UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return Timestamp{}, false
	}
	return Timestamp{t: t}, true
}

// ParseTimestamp reads a datetime string as pydantic does (speedate): a
// unix number, a date (midnight, naive), or a date, a `T`, `t`, `_` or
// space, HH:MM[:SS[.f…]] and an optional `Z` or ±HH[:]MM. Fractions beyond
// microseconds are cut. The reason is pydantic's wording of the failure.
func ParseTimestamp(s string) (Timestamp, string) {
	if isUnixNumber(s) {
		v, err := strconv.ParseFloat(s, 64)
		if ts, ok := timestampFromUnix(v); err == nil && ok {
			return ts, ""
		}
		return Timestamp{}, "invalid datetime format"
	}
	if len(s) < 10 {
		return Timestamp{}, "input is too short"
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	switch {
	case !ok1:
		return Timestamp{}, "invalid character in year"
	case s[4] != '-' || s[7] != '-' || !ok2 || !ok3:
		return Timestamp{}, "invalid date separator"
	}
	date := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if date.Month() != time.Month(month) || date.Day() != day || month < 1 {
		return Timestamp{}, "invalid date"
	}
	if len(s) == 10 {
		return Timestamp{t: date, naive: true}, ""
	}
	if !strings.ContainsRune("Tt _", rune(s[10])) {
		return Timestamp{}, "invalid datetime separator"
	}
	rest := s[11:]
	if len(rest) < 5 || rest[2] != ':' {
		return Timestamp{}, "invalid time"
	}
	hour, okh := digits(rest[0:2])
	minute, okm := digits(rest[3:5])
	rest = rest[5:]
	second, ns := 0, 0
	if strings.HasPrefix(rest, ":") {
		var oks bool
		if len(rest) < 3 {
			return Timestamp{}, "invalid time"
		}
		if second, oks = digits(rest[1:3]); !oks {
			return Timestamp{}, "invalid time"
		}
		rest = rest[3:]
		if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
			n := 1
			for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
				n++
			}
			if n == 1 {
				return Timestamp{}, "invalid time"
			}
			frac := (rest[1:n] + "000000")[:6]
			us, _ := strconv.Atoi(frac)
			ns = us * 1000
			rest = rest[n:]
		}
	}
	if !okh || !okm || hour > 23 || minute > 59 || second > 59 {
		return Timestamp{}, "invalid time"
	}
	loc, naive, ok := parseOffset(rest)
	if !ok {
		return Timestamp{}, "invalid timezone"
	}
	return Timestamp{t: time.Date(year, time.Month(month), day, hour, minute, second, ns, loc), naive: naive}, ""
}

// parseOffset reads what follows the time: nothing (naive), Z, or ±HH[:]MM.
func parseOffset(s string) (*time.Location, bool, bool) {
	switch {
	case s == "":
		return time.UTC, true, true
	case s == "Z" || s == "z":
		return time.UTC, false, true
	case s[0] != '+' && s[0] != '-':
		return nil, false, false
	}
	body := strings.Replace(s[1:], ":", "", 1)
	if len(body) != 4 || (len(s) == 6 && s[3] != ':') {
		return nil, false, false
	}
	h, ok1 := digits(body[:2])
	m, ok2 := digits(body[2:])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return nil, false, false
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	if off == 0 {
		return time.UTC, false, true
	}
	return time.FixedZone("", off), false, true
}

// isUnixNumber: an optional sign, digits, an optional fraction.
func isUnixNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if _, ok := digits(whole); !ok {
		return false
	}
	if hasFrac {
		_, ok := digits(frac)
		return ok
	}
	return true
}

// digits reads a non-empty run of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
