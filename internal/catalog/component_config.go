package catalog

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"zengo/internal/jsonobj"
	"zengo/internal/zen"
)

// CheckConfiguration is the reference's validate_stack_component_config as
// far as a flavor's config schema tells it. The reference imports the
// flavor's config class and builds it from the configuration; zengo has the
// class's JSON schema (the catalogue) instead, which carries what matters
// for a request: the known keys (others are refused, except keys the
// component's existing configuration already holds), the required ones,
// and the scalar field types (coerced as pydantic's lax mode does).
// Validators written in Python (e.g. an artifact store's path scheme) are
// not in the schema and are not run. Custom flavors are not checked: the
// reference cannot import them on the server either.
//
// It returns the configuration as the reference stores it after a
// component create or update (model_dump of the fields set): coerced
// values, keys in the config class's field order.
func CheckConfiguration(f *zen.Flavor, componentType string, cfg, existing json.RawMessage) (json.RawMessage, error) {
	if f.IsCustom {
		return cfg, nil
	}
	given, err := jsonobj.Parse(rawOr(cfg, "{}"))
	if err != nil {
		return nil, zen.Errorf(zen.EInvalid, "The configuration of a stack component must be a JSON object.")
	}
	var schema struct {
		Title      string          `json:"title"`
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(rawOr(f.ConfigSchema, "{}"), &schema); err != nil {
		return nil, fmt.Errorf("flavor %s/%s: config schema: %w", f.Type, f.Name, err)
	}
	fields, err := jsonobj.Parse(rawOr(schema.Properties, "{}"))
	if err != nil {
		return nil, fmt.Errorf("flavor %s/%s: config schema properties: %w", f.Type, f.Name, err)
	}
	var kept *jsonobj.Object
	if len(existing) > 0 {
		kept, _ = jsonobj.Parse(existing)
	}
	var extra []string
	for _, k := range given.Keys() {
		if _, known := fields.Get(k); known {
			continue
		}
		if kept != nil {
			if _, had := kept.Get(k); had {
				continue
			}
		}
		extra = append(extra, zen.PyRepr(k))
	}
	if len(extra) > 0 {
		return nil, zen.Errorf(zen.EInvalid, "Invalid configuration keys [%s] for %s %s.", strings.Join(extra, ", "), f.Name, componentType)
	}

	var problems []string
	out := jsonobj.New()
	for _, k := range fields.Keys() {
		v, set := given.Get(k)
		if !set {
			for _, r := range schema.Required {
				if r == k {
					problems = append(problems, k+"\n  "+pydanticLine("missing", "Field required", zen.PyValue(json.RawMessage(rawOr(cfg, "{}"))), "dict"))
				}
			}
			continue
		}
		spec, _ := fields.Get(k)
		coerced, problem := coerceField(spec, v)
		if problem != "" {
			problems = append(problems, k+"\n  "+problem)
			continue
		}
		out.Set(k, coerced)
	}
	if len(problems) > 0 {
		count := "1 validation error"
		if len(problems) > 1 {
			count = fmt.Sprintf("%d validation errors", len(problems))
		}
		return nil, zen.Errorf(zen.EUnprocessable, "%s for %s\n%s", count, schema.Title, strings.Join(problems, "\n"))
	}
	for _, k := range given.Keys() {
		if _, known := fields.Get(k); !known {
			v, _ := given.Get(k)
			out.Set(k, v)
		}
	}
	return out.JSON(), nil
}

func rawOr(raw json.RawMessage, def string) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage(def)
	}
	return raw
}

// pydanticLine is one error of pydantic's ValidationError text.
func pydanticLine(typ, msg, inputRepr, inputType string) string {
	return fmt.Sprintf("%s [type=%s, input_value=%s, input_type=%s]\n    For further information visit https://errors.pydantic.dev/2.12/v/%s",
		msg, typ, zen.PydanticInput(inputRepr), inputType, typ)
}

// fieldSpec is the part of a field's schema that coercion reads: a scalar
// type, possibly made optional with anyOf [{type}, {type: null}].
type fieldSpec struct {
	Type  string `json:"type"`
	AnyOf []struct {
		Type string `json:"type"`
	} `json:"anyOf"`
}

// coerceField checks a scalar field's value as pydantic's lax mode does and
// returns it converted; fields of other shapes pass unchanged.
func coerceField(spec, v json.RawMessage) (json.RawMessage, string) {
	var fs fieldSpec
	json.Unmarshal(spec, &fs)
	typ, nullable := fs.Type, false
	if typ == "" && len(fs.AnyOf) == 2 {
		for i, alt := range fs.AnyOf {
			if alt.Type == "null" {
				typ, nullable = fs.AnyOf[1-i].Type, true
			}
		}
	}
	var val any
	if err := json.Unmarshal(v, &val); err != nil {
		return v, ""
	}
	if val == nil {
		if nullable || typ == "" {
			return v, ""
		}
	}
	repr, pyType := zen.PyValue(json.RawMessage(v)), pythonType(val)
	fail := func(t, msg string) (json.RawMessage, string) { return nil, pydanticLine(t, msg, repr, pyType) }
	switch typ {
	case "string":
		if _, ok := val.(string); !ok {
			return fail("string_type", "Input should be a valid string")
		}
	case "boolean":
		switch x := val.(type) {
		case bool:
		case string:
			switch strings.ToLower(x) {
			case "0", "off", "f", "false", "n", "no":
				return json.RawMessage("false"), ""
			case "1", "on", "t", "true", "y", "yes":
				return json.RawMessage("true"), ""
			}
			return fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")
		case float64:
			if x == 0 || x == 1 {
				return json.RawMessage(strconv.FormatBool(x == 1)), ""
			}
			return fail("bool_parsing", "Input should be a valid boolean, unable to interpret input")
		default:
			return fail("bool_type", "Input should be a valid boolean")
		}
	case "integer":
		switch x := val.(type) {
		case float64:
			if x != math.Trunc(x) {
				return fail("int_from_float", "Input should be a valid integer, got a number with a fractional part")
			}
			return json.RawMessage(strconv.FormatFloat(x, 'f', -1, 64)), ""
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return fail("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
			}
			return json.RawMessage(strconv.FormatInt(n, 10)), ""
		default:
			return fail("int_type", "Input should be a valid integer")
		}
	case "number":
		switch x := val.(type) {
		case float64:
		case string:
			n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return fail("float_parsing", "Input should be a valid number, unable to parse string as a number")
			}
			b, _ := json.Marshal(n)
			return b, ""
		default:
			return fail("float_type", "Input should be a valid number")
		}
	}
	return v, ""
}

// pythonType names a decoded JSON value's Python type, as pydantic's
// input_type does.
func pythonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case float64:
		if x == math.Trunc(x) {
			return "int"
		}
		return "float"
	case []any:
		return "list"
	}
	return "dict"
}
