// Package jsonschema checks a JSON value against a JSON Schema, for the
// results a wait condition is resolved with. It knows the keywords such
// schemas use (type, enum, const, properties, required,
// additionalProperties, items, sizes, bounds, pattern, and the
// combinators); other keywords accept anything.
package jsonschema

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"unicode/utf8"
)

// Valid reports whether value (JSON) matches schema (JSON).
func Valid(schema, value json.RawMessage) bool {
	var s, v any
	if decode(schema, &s) != nil || decode(value, &v) != nil {
		return false
	}
	return valid(s, v)
}

func decode(raw json.RawMessage, dst *any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(dst)
}

func valid(schema, v any) bool {
	switch s := schema.(type) {
	case bool:
		return s
	case map[string]any:
		return validObject(s, v)
	}
	return true
}

func validObject(s map[string]any, v any) bool {
	if t, ok := s["type"]; ok && !typeMatches(t, v) {
		return false
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if equal(x, v) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if c, ok := s["const"]; ok && !equal(c, v) {
		return false
	}
	for _, sub := range list(s["allOf"]) {
		if !valid(sub, v) {
			return false
		}
	}
	if subs := list(s["anyOf"]); subs != nil {
		n := 0
		for _, sub := range subs {
			if valid(sub, v) {
				n++
			}
		}
		if n == 0 {
			return false
		}
	}
	if subs := list(s["oneOf"]); subs != nil {
		n := 0
		for _, sub := range subs {
			if valid(sub, v) {
				n++
			}
		}
		if n != 1 {
			return false
		}
	}
	if not, ok := s["not"]; ok && valid(not, v) {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range list(s["required"]) {
			if name, ok := r.(string); ok {
				if _, present := x[name]; !present {
					return false
				}
			}
		}
		for k, val := range x {
			if sub, ok := props[k]; ok {
				if !valid(sub, val) {
					return false
				}
			} else if extra, ok := s["additionalProperties"]; ok && !valid(extra, val) {
				return false
			}
		}
		if !withinCount(s, "minProperties", "maxProperties", len(x)) {
			return false
		}
	case []any:
		if items, ok := s["items"]; ok {
			for _, e := range x {
				if !valid(items, e) {
					return false
				}
			}
		}
		if !withinCount(s, "minItems", "maxItems", len(x)) {
			return false
		}
	case string:
		if !withinCount(s, "minLength", "maxLength", utf8.RuneCountInString(x)) {
			return false
		}
		if p, ok := s["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err == nil && !re.MatchString(x) {
				return false
			}
		}
	case json.Number:
		f, _ := x.Float64()
		if m, ok := number(s["minimum"]); ok && f < m {
			return false
		}
		if m, ok := number(s["maximum"]); ok && f > m {
			return false
		}
		if m, ok := number(s["exclusiveMinimum"]); ok && f <= m {
			return false
		}
		if m, ok := number(s["exclusiveMaximum"]); ok && f >= m {
			return false
		}
		if m, ok := number(s["multipleOf"]); ok && m != 0 {
			if q := f / m; q != math.Trunc(q) {
				return false
			}
		}
	}
	return true
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func withinCount(s map[string]any, minKey, maxKey string, n int) bool {
	if m, ok := number(s[minKey]); ok && float64(n) < m {
		return false
	}
	if m, ok := number(s[maxKey]); ok && float64(n) > m {
		return false
	}
	return true
}

func typeMatches(t, v any) bool {
	if names, ok := t.([]any); ok {
		for _, n := range names {
			if typeMatches(n, v) {
				return true
			}
		}
		return false
	}
	name, _ := t.(string)
	switch x := v.(type) {
	case nil:
		return name == "null"
	case bool:
		return name == "boolean"
	case string:
		return name == "string"
	case []any:
		return name == "array"
	case map[string]any:
		return name == "object"
	case json.Number:
		if name == "number" {
			return true
		}
		f, err := x.Float64()
		return name == "integer" && err == nil && f == math.Trunc(f)
	}
	return false
}

// equal compares JSON values as jsonschema does: numbers by value,
// booleans never equal to numbers.
func equal(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, _ := x.Float64()
		fy, _ := y.Float64()
		return fx == fy
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, present := y[k]; !present || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}
