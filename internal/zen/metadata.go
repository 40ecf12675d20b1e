package zen

import (
	"encoding/json"
	"zengo/internal/jsonobj"
)

// Metadata is a resource's run metadata as the reference answers it: one
// value per key, the keys in the order of their first row.
type Metadata struct {
	keys   []string
	values map[string]json.RawMessage
}

// Set gives key its value (a new key goes last).
func (m *Metadata) Set(key string, value json.RawMessage) {
	if m.values == nil {
		m.values = map[string]json.RawMessage{}
	}
	if _, ok := m.values[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.values[key] = value
}

// Get returns a key's value.
func (m Metadata) Get(key string) (json.RawMessage, bool) {
	v, ok := m.values[key]
	return v, ok
}

// Keys lists the keys in order.
func (m Metadata) Keys() []string { return m.keys }

// Len is the number of keys.
func (m Metadata) Len() int { return len(m.keys) }

// MarshalJSON writes the keys in order ({} when there is none).
func (m Metadata) MarshalJSON() ([]byte, error) {
	return jsonobj.Ordered(m.keys, m.values), nil
}
