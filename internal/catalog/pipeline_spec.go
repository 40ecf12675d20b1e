package catalog

import (
	"bytes"
	"encoding/json"
	"sort"

	"zengo/internal/jsonobj"
)

// PipelineSpec renders a snapshot's pipeline spec as the reference answers
// it: the reference stores the spec as JSON with sorted keys (at every
// depth) and answers it through its PipelineSpec model, so that the
// models' fields come in their declared order, with their defaults, and
// every free-form dictionary (parameters, schemas, step inputs, parameter
// specs, a source's extra fields) keeps the sorted order. Unknown fields
// of the models are dropped, as the reference ignores them. A spec that is
// not an object is returned as it is.
func PipelineSpec(raw json.RawMessage) json.RawMessage {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" || trimmed[0] != '{' {
		return raw
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	spec, ok := v.(map[string]any)
	if !ok {
		return raw
	}
	out := jsonobj.New()
	field(out, spec, "version", `"0.5"`)
	out.Set("source", specSource(spec["source"]))
	field(out, spec, "parameters", `{}`)
	field(out, spec, "input_schema", `null`)
	var steps []json.RawMessage
	if list, ok := spec["steps"].([]any); ok {
		for _, s := range list {
			steps = append(steps, stepSpec(s))
		}
	}
	out.Set("steps", rawList(steps))
	var outputs []json.RawMessage
	if list, ok := spec["outputs"].([]any); ok {
		for _, o := range list {
			m, _ := o.(map[string]any)
			obj := jsonobj.New()
			field(obj, m, "step_name", `null`)
			field(obj, m, "output_name", `null`)
			outputs = append(outputs, obj.JSON())
		}
	}
	out.Set("outputs", rawList(outputs))
	field(out, spec, "output_schema", `null`)
	return out.JSON()
}

// stepSpec is one StepSpec in its model's order.
func stepSpec(v any) json.RawMessage {
	m, ok := v.(map[string]any)
	if !ok {
		return sorted(v)
	}
	if _, ok := m["invocation_id"]; !ok {
		// the model's migration of an older field
		if p, ok := m["pipeline_parameter_name"]; ok {
			m["invocation_id"] = p
		} else {
			m["invocation_id"] = ""
		}
	}
	out := jsonobj.New()
	out.Set("source", specSource(m["source"]))
	field(out, m, "upstream_steps", `[]`)
	inputs := jsonobj.New()
	if in, ok := m["inputs"].(map[string]any); ok {
		for _, name := range sortedKeys(in) {
			if list, ok := in[name].([]any); ok {
				var specs []json.RawMessage
				for _, x := range list {
					specs = append(specs, inputSpec(x))
				}
				inputs.Set(name, rawList(specs))
			} else {
				inputs.Set(name, inputSpec(in[name]))
			}
		}
	}
	out.Set("inputs", inputs.JSON())
	field(out, m, "invocation_id", `""`)
	field(out, m, "enable_heartbeat", `false`)
	field(out, m, "parameter_spec", `null`)
	return out.JSON()
}

func inputSpec(v any) json.RawMessage {
	m, ok := v.(map[string]any)
	if !ok {
		return sorted(v)
	}
	out := jsonobj.New()
	field(out, m, "step_name", `null`)
	field(out, m, "output_name", `null`)
	field(out, m, "chunk_index", `null`)
	field(out, m, "chunk_size", `null`)
	return out.JSON()
}

// specSource is a Source: its fields, then its extra fields (a subclass's,
// kept by the base model) in sorted order. A dotted path becomes a source.
func specSource(v any) json.RawMessage {
	switch s := v.(type) {
	case nil:
		return json.RawMessage("null")
	case string:
		return SourceObject(s)
	case map[string]any:
		out := jsonobj.New()
		field(out, s, "module", `null`)
		field(out, s, "attribute", `null`)
		field(out, s, "type", `"unknown"`)
		for _, k := range sortedKeys(s) {
			if k != "module" && k != "attribute" && k != "type" {
				out.Set(k, sorted(s[k]))
			}
		}
		return out.JSON()
	}
	return sorted(v)
}

// field sets key from m (with its nested objects' keys sorted), or its
// default.
func field(out *jsonobj.Object, m map[string]any, key, def string) {
	if v, ok := m[key]; ok {
		out.Set(key, sorted(v))
		return
	}
	out.Set(key, json.RawMessage(def))
}

// sorted encodes a value with every object's keys sorted (encoding/json
// sorts map keys), numbers kept as written.
func sorted(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return json.RawMessage("null")
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func rawList(items []json.RawMessage) json.RawMessage {
	if len(items) == 0 {
		return json.RawMessage("[]")
	}
	b, _ := json.Marshal(items)
	return b
}
