package jsonschema

import "testing"

func TestValid(t *testing.T) {
	schema := `{"type": "object", "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer", "minimum": 1},
		"tag": {"enum": ["a", "b"]}, "xs": {"type": "array", "items": {"type": "string", "maxLength": 2}}}, "required": ["ok"],
		"additionalProperties": false}`
	for value, want := range map[string]bool{
		`{"ok": true}`:                    true,
		`{"ok": "yes"}`:                   false,
		`{}`:                              false,
		`null`:                            false,
		`{"ok": false, "n": 2.0}`:         true,
		`{"ok": false, "n": 0}`:           false,
		`{"ok": false, "n": 1.5}`:         false,
		`{"ok": true, "tag": "c"}`:        false,
		`{"ok": true, "xs": ["ab", "c"]}`: true,
		`{"ok": true, "xs": ["abc"]}`:     false,
		`{"ok": true, "other": 1}`:        false,
	} {
		if got := Valid([]byte(schema), []byte(value)); got != want {
			t.Errorf("%s: %v, want %v", value, got, want)
		}
	}
	if !Valid([]byte(`{"anyOf": [{"type": "null"}, {"type": "string"}]}`), []byte(`null`)) {
		t.Error("anyOf null")
	}
	if Valid([]byte(`{"const": 1}`), []byte(`true`)) {
		t.Error("true is not 1")
	}
}
