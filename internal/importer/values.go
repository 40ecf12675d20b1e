package importer

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// row is one source row, its values by column name.
type row struct {
	vals []any
	idx  map[string]int
}

func (r row) raw(col string) any {
	i, ok := r.idx[col]
	if !ok {
		panic("importer: no source column " + col)
	}
	return r.vals[i]
}

// str is a text column (nil for NULL).
func (r row) str(col string) any {
	switch v := r.raw(col).(type) {
	case nil:
		return nil
	case []byte:
		return string(v)
	case string:
		return v
	case time.Time:
		return v.UTC().Format("2006-01-02 15:04:05.999999")
	default:
		return fmt.Sprint(v)
	}
}

// text is a NOT NULL text column ("" for NULL).
func (r row) text(col string) string {
	if s, ok := r.str(col).(string); ok {
		return s
	}
	return ""
}

// id is a UUID column as zengo keeps it: 32 lower-case hex characters.
func (r row) id(col string) any {
	s, ok := r.str(col).(string)
	if !ok || s == "" {
		return nil
	}
	return strings.ToLower(strings.ReplaceAll(s, "-", ""))
}

// boolean is a BOOLEAN column (nil for NULL).
func (r row) boolean(col string) any {
	switch v := r.raw(col).(type) {
	case nil:
		return nil
	case bool:
		return v
	case int64:
		return v != 0
	case []byte:
		return string(v) != "0" && string(v) != ""
	case string:
		return v != "0" && v != ""
	}
	return nil
}

func (r row) flag(col string) bool {
	b, _ := r.boolean(col).(bool)
	return b
}

// integer is an INTEGER column (nil for NULL).
func (r row) integer(col string) any {
	switch v := r.raw(col).(type) {
	case nil:
		return nil
	case int64:
		return v
	case float64:
		return int64(v)
	case []byte:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil
		}
		return n
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil
		}
		return n
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	}
	return nil
}

func (r row) float(col string) any {
	switch v := r.raw(col).(type) {
	case nil:
		return nil
	case float64:
		return v
	case int64:
		return float64(v)
	case []byte:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil
		}
		return f
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		return f
	}
	return nil
}

// micros is a DATETIME column as zengo keeps it: microseconds since the
// epoch, UTC (ZenML writes naive UTC datetimes).
func (r row) micros(col string) any {
	v := r.raw(col)
	switch t := v.(type) {
	case nil:
		return nil
	case time.Time:
		return t.UnixMicro()
	case []byte:
		return parseTime(string(t))
	case string:
		return parseTime(t)
	}
	return nil
}

// at is a NOT NULL DATETIME column.
func (r row) at(col string) int64 {
	if n, ok := r.micros(col).(int64); ok {
		return n
	}
	return 0
}

func parseTime(s string) any {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro()
		}
	}
	return nil
}

// blobJSON is a column ZenML keeps as base64 of JSON text (its
// stack-component configuration, labels and the like); JSON null becomes
// NULL.
func (r row) blobJSON(col string) any {
	s, ok := r.str(col).(string)
	if !ok {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		// Not base64: already JSON text.
		raw = []byte(s)
	}
	if t := strings.TrimSpace(string(raw)); t == "null" || t == "" {
		return nil
	}
	return string(raw)
}

// jsonOr is blobJSON with a default for NOT NULL columns.
func (r row) blobJSONOr(col, def string) string {
	if s, ok := r.blobJSON(col).(string); ok {
		return s
	}
	return def
}

// textOr is a text column with a default for NULL or "null".
func (r row) textOr(col, def string) string {
	s, ok := r.str(col).(string)
	if !ok || s == "" || s == "null" {
		return def
	}
	return s
}

func fileExists(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("is a directory")
	}
	return nil
}
