package store

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// Conversions between domain values and their stored forms.

// hexID is the stored form of an id: 32 hex characters, no hyphens.
func hexID(id uuid.UUID) string { return hex.EncodeToString(id[:]) }

// hexIDPtr stores an optional id as NULL or hex.
func hexIDPtr(id *uuid.UUID) any {
	if id == nil {
		return nil
	}
	return hexID(*id)
}

// dbID scans a stored id.
type dbID struct{ id *uuid.UUID }

func (d dbID) Scan(src any) error {
	s, err := asString(src)
	if err != nil {
		return err
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return fmt.Errorf("stored id %q: %w", s, err)
	}
	*d.id = u
	return nil
}

// dbIDPtr scans a nullable stored id.
type dbIDPtr struct{ id **uuid.UUID }

func (d dbIDPtr) Scan(src any) error {
	if src == nil {
		*d.id = nil
		return nil
	}
	var u uuid.UUID
	if err := (dbID{&u}).Scan(src); err != nil {
		return err
	}
	*d.id = &u
	return nil
}

// dbTime scans a stored microsecond timestamp.
type dbTime struct{ t *zen.Time }

func (d dbTime) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*d.t = zen.TimeFromMicros(n.Int64)
	return nil
}

// dbTimePtr scans a nullable stored timestamp.
type dbTimePtr struct{ t **zen.Time }

func (d dbTimePtr) Scan(src any) error {
	if src == nil {
		*d.t = nil
		return nil
	}
	var t zen.Time
	if err := (dbTime{&t}).Scan(src); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

// dbJSON scans JSON text into raw JSON, defaulting to the given literal.
type dbJSON struct {
	dst *json.RawMessage
	def string
}

func (d dbJSON) Scan(src any) error {
	if src == nil {
		*d.dst = json.RawMessage(d.def)
		return nil
	}
	s, err := asString(src)
	if err != nil {
		return err
	}
	*d.dst = json.RawMessage(s)
	return nil
}

// jsonText is the stored form of raw JSON, with a default for empty input.
func jsonText(raw json.RawMessage, def string) string {
	if len(raw) == 0 || string(raw) == "null" {
		return def
	}
	return string(raw)
}

func timePtr(t *zen.Time) any {
	if t == nil {
		return nil
	}
	return t.Micros()
}

func asString(src any) (string, error) {
	switch v := src.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	}
	return "", fmt.Errorf("expected text, got %T", src)
}

func joinComma(parts []string) string { return strings.Join(parts, ", ") }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
