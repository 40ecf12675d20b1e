// Package jsonobj edits JSON objects without losing their key order, which
// the reference's answers keep (pydantic writes fields in model order).
package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Object is a JSON object with ordered keys.
type Object struct {
	keys   []string
	values map[string]json.RawMessage
}

// Parse reads a JSON object, remembering its key order.
func Parse(raw []byte) (*Object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	o := &Object{values: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o.Set(key, v)
	}
	return o, nil
}

// New is an empty object.
func New() *Object { return &Object{values: map[string]json.RawMessage{}} }

// JSON is the object's encoding.
func (o *Object) JSON() json.RawMessage {
	b, _ := o.MarshalJSON()
	return b
}

// Get returns a key's raw value.
func (o *Object) Get(key string) (json.RawMessage, bool) {
	v, ok := o.values[key]
	return v, ok
}

// Set replaces a key's value in place, or appends the key.
func (o *Object) Set(key string, v json.RawMessage) {
	if _, ok := o.values[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.values[key] = v
}

// Delete removes a key.
func (o *Object) Delete(key string) {
	if _, ok := o.values[key]; !ok {
		return
	}
	delete(o.values, key)
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// Order moves the given keys (those present) to the front, in the given
// order; the other keys follow in their order.
func (o *Object) Order(first ...string) {
	keys := make([]string, 0, len(o.keys))
	placed := map[string]bool{}
	for _, k := range first {
		if _, ok := o.values[k]; ok && !placed[k] {
			keys = append(keys, k)
			placed[k] = true
		}
	}
	for _, k := range o.keys {
		if !placed[k] {
			keys = append(keys, k)
		}
	}
	o.keys = keys
}

// Keys lists the keys in order.
func (o *Object) Keys() []string { return o.keys }

// MarshalJSON writes the object with its keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	return Ordered(o.keys, o.values), nil
}

// Ordered writes a JSON object with the members of values in the order of
// keys.
func Ordered(keys []string, values map[string]json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(values[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Overlay returns the defaults object with given's members laid over it:
// the defaults' keys keep their order, keys only given come after.
func Overlay(defaults string, given json.RawMessage) (*Object, error) {
	out, err := Parse([]byte(defaults))
	if err != nil {
		return nil, err
	}
	if len(given) == 0 || string(given) == "null" {
		return out, nil
	}
	in, err := Parse(given)
	if err != nil {
		return nil, err
	}
	for _, k := range in.Keys() {
		v, _ := in.Get(k)
		out.Set(k, v)
	}
	return out, nil
}
