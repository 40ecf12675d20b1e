package logs

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ParseLine reads one line of a log file as the reference's
// parse_log_entry does: blank lines are no entry; a line that is a JSON
// object valid as a LogEntry is that entry; anything else is an INFO
// entry with the line as its message, its `[YYYY-MM-DD HH:MM:SS UTC] `
// prefix (the old format) taken as the timestamp. Entries without an id
// get newID's.
func ParseLine(line string, newID func() uuid.UUID) (Entry, bool) {
	line = strings.TrimFunc(line, isPySpace)
	if line == "" {
		return Entry{}, false
	}
	if strings.HasPrefix(line, "{") && strings.HasSuffix(line, "}") {
		if e, ok := decodeEntry([]byte(line)); ok {
			if e.ID == uuid.Nil {
				e.ID = newID()
			}
			return e, true
		}
	}
	info := 20
	e := Entry{Level: &info, TotalChunks: 1, ID: newID()}
	if m := oldFormatPrefix.FindStringSubmatch(line); m != nil {
		// The reference hands "<date> <time>Z" to pydantic; a prefix that
		// is no valid datetime fails its request, zengo keeps the line.
		if ts, why := ParseTimestamp(m[1] + "Z"); why == "" {
			e.Timestamp = &ts
			line = strings.TrimFunc(strings.ReplaceAll(line, m[0], ""), isPySpace)
		}
	}
	e.Message = line
	return e, true
}

var oldFormatPrefix = regexp.MustCompile(`^\[(\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2})\s+UTC\]`)

// isPySpace is Python's str.isspace, which also counts the ASCII
// separators 0x1c-0x1f.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// decodeEntry validates a JSON object as pydantic validates LogEntry in
// JSON mode: keys matched exactly (the last of duplicates wins), unknown
// keys ignored, `message` a required string, each other field of its
// type or null where the model allows null.
func decodeEntry(line []byte) (Entry, bool) {
	var obj map[string]json.RawMessage
	if !utf8.Valid(line) || hasLoneSurrogate(line) || json.Unmarshal(line, &obj) != nil {
		return Entry{}, false
	}
	e := Entry{TotalChunks: 1}
	msg, ok := obj["message"]
	if !ok || !decodeString(msg, &e.Message) {
		return Entry{}, false
	}
	ok = optString(obj["name"], &e.Name) && optString(obj["module"], &e.Module) && optString(obj["filename"], &e.Filename)
	if !ok {
		return Entry{}, false
	}
	if raw, present := obj["level"]; present && !isNull(raw) {
		n, isNum := jsonWholeNumber(raw)
		if !isNum || !isLevel(int(n)) {
			return Entry{}, false
		}
		lvl := int(n)
		e.Level = &lvl
	}
	if raw, present := obj["timestamp"]; present && !isNull(raw) {
		ts, ok := decodeTimestamp(raw)
		if !ok {
			return Entry{}, false
		}
		e.Timestamp = &ts
	}
	if raw, present := obj["lineno"]; present && !isNull(raw) {
		n, ok := laxInt(raw)
		if !ok {
			return Entry{}, false
		}
		e.Lineno = &n
	}
	for key, dst := range map[string]*int64{"chunk_index": &e.ChunkIndex, "total_chunks": &e.TotalChunks} {
		if raw, present := obj[key]; present {
			n, ok := laxInt(raw)
			if !ok {
				return Entry{}, false
			}
			*dst = n
		}
	}
	if raw, present := obj["id"]; present {
		var s string
		if !decodeString(raw, &s) {
			return Entry{}, false
		}
		id, err := uuid.Parse(s)
		if err != nil {
			return Entry{}, false
		}
		e.ID = id
	}
	return e, true
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func decodeString(raw json.RawMessage, dst *string) bool {
	return len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, dst) == nil
}

func optString(raw json.RawMessage, dst **string) bool {
	if raw == nil || isNull(raw) {
		return true
	}
	var s string
	if !decodeString(raw, &s) {
		return false
	}
	*dst = &s
	return true
}

// jsonWholeNumber reads a JSON number without a fractional part (30,
// 30.0, 3e1).
func jsonWholeNumber(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, false
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// laxInt is pydantic's lax int: a whole number, a string of one (spaces
// around allowed), or a boolean.
func laxInt(raw json.RawMessage) (int64, bool) {
	switch {
	case string(raw) == "true":
		return 1, true
	case string(raw) == "false":
		return 0, true
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		return n, err == nil
	}
	return jsonWholeNumber(raw)
}

// decodeTimestamp reads a JSON string or number as a datetime.
func decodeTimestamp(raw json.RawMessage) (Timestamp, bool) {
	var s string
	if decodeString(raw, &s) {
		ts, why := ParseTimestamp(s)
		return ts, why == ""
	}
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return Timestamp{}, false
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return Timestamp{}, false
	}
	return timestampFromUnix(v)
}

// hasLoneSurrogate finds a \uD800-\uDFFF escape that is not part of a
// pair, which pydantic refuses and Go would silently replace.
func hasLoneSurrogate(b []byte) bool {
	for i := bytes.Index(b, []byte(`\u`)); i >= 0 && i+6 <= len(b); {
		if i > 0 && countBackslashes(b[:i])%2 == 1 {
			// an escaped backslash followed by "u": not an escape
		} else if r, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 32); err == nil && r >= 0xd800 && r <= 0xdfff {
			if r >= 0xdc00 {
				return true
			}
			if i+12 > len(b) || string(b[i+6:i+8]) != `\u` {
				return true
			}
			lo, err := strconv.ParseUint(string(b[i+8:i+12]), 16, 32)
			if err != nil || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 6
		}
		next := bytes.Index(b[i+2:], []byte(`\u`))
		if next < 0 {
			break
		}
		i += 2 + next
	}
	return false
}

func countBackslashes(b []byte) int {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n
}
