package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Request bodies are validated the way the reference's pydantic models
// validate them, so a bad body gets the same 422 with the same error
// entries. Each request struct declares its rules in `zen` tags:
//
//	Name *string `json:"name" zen:"required,max=255"`
//
// Fields are pointers so that "absent" and "null" can be told apart from
// zero values; Present records which keys the client sent.

// fieldError is one pydantic-style validation error.
type fieldError struct {
	typ   string
	loc   []string
	msg   string
	input any // the offending JSON value, rendered as a Python repr
	ctx   string
}

// validationError is a 422 answered as a bare JSON array, as FastAPI's
// request validation handler does on the reference.
type validationError struct{ errs []fieldError }

func (e *validationError) Error() string {
	var b strings.Builder
	if len(e.errs) == 1 {
		b.WriteString("1 validation error:\n")
	} else {
		fmt.Fprintf(&b, "%d validation errors:\n", len(e.errs))
	}
	for _, fe := range e.errs {
		locs := make([]string, len(fe.loc))
		for i, l := range fe.loc {
			if n, err := strconv.Atoi(l); err == nil {
				locs[i] = strconv.Itoa(n)
			} else {
				locs[i] = zen.PyRepr(l)
			}
		}
		loc := "(" + strings.Join(locs, ", ") + ")"
		if len(locs) == 1 {
			loc = "(" + locs[0] + ",)"
		}
		fmt.Fprintf(&b, "  {'type': '%s', 'loc': %s, 'msg': %s, 'input': %s", fe.typ, loc, zen.PyRepr(fe.msg), pyValue(fe.input))
		if fe.ctx != "" {
			fmt.Fprintf(&b, ", 'ctx': %s", fe.ctx)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// paramError adapts the filter package's query parameter errors.
func paramError(pe filter.ParamErrors) *validationError {
	out := &validationError{}
	for _, p := range pe {
		out.errs = append(out.errs, fieldError{typ: p.Type, loc: []string{"query", p.Loc}, msg: p.Msg, input: p.Input, ctx: p.Ctx})
	}
	return out
}

// maxBodyBytes bounds a request body; the reference refuses larger ones
// with a bare 413.
const maxBodyBytes = 256 << 20

var errBodyTooLarge = errors.New("request body too large")

// readBody reads a JSON body within the size limit.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errBodyTooLarge
	}
	return body, err
}

// decodeBody reads the request body into dst, a pointer to a request
// struct, and validates it against the struct's rules.
func decodeBody(r *http.Request, dst any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if !isJSONContent(r) && len(body) > 0 {
		// The reference reads only JSON bodies as JSON; anything else
		// reaches its model as raw bytes.
		return &validationError{errs: []fieldError{{typ: "model_attributes_type", loc: []string{"body"},
			msg: "Input should be a valid dictionary or object to extract fields from", input: pyBytes(body)}}}
	}
	return decodeJSON(body, dst)
}

// isJSONContent reports whether a request's body is to be read as JSON:
// no content type, or a JSON one.
func isJSONContent(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// pyBytes is a body shown as Python bytes in error entries.
type pyBytes []byte

// jsonSyntaxCheck answers a malformed JSON body as FastAPI does, before
// authentication: the reference parses bodies first.
func jsonSyntaxCheck(r *http.Request) error {
	if r.Body == nil || r.ContentLength == 0 || !isJSONContent(r) {
		return nil
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if msg, pos, bad := pythonJSONError(body); bad {
		return jsonInvalid(msg, pos)
	}
	return nil
}

func jsonInvalid(msg string, pos int) *validationError {
	return &validationError{errs: []fieldError{{typ: "json_invalid", loc: []string{"body", strconv.Itoa(pos)}, msg: "JSON decode error",
		input: map[string]any{}, ctx: "{'error': " + zen.PyRepr(msg) + "}"}}}
}

func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 || string(bytes.TrimSpace(body)) == "null" {
		return &validationError{errs: []fieldError{{typ: "missing", loc: []string{"body"}, msg: "Field required", input: nil}}}
	}
	if msg, pos, bad := pythonJSONError(body); bad {
		return jsonInvalid(msg, pos)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || dec.More() {
		// Python's JSON takes NaN and Infinity; Go's does not.
		return jsonInvalid("Expecting value", 0)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return &validationError{errs: []fieldError{{typ: "model_attributes_type", loc: []string{"body"},
			msg: "Input should be a valid dictionary or object to extract fields from", input: raw}}}
	}
	var errs []fieldError
	validateObject(obj, reflect.ValueOf(dst).Elem(), []string{"body"}, &errs)
	if len(errs) > 0 {
		return &validationError{errs: errs}
	}
	keepRawJSON(body, reflect.ValueOf(dst).Elem())
	return nil
}

// keepRawJSON gives top-level json.RawMessage fields the exact bytes the
// client sent. Going through Go maps would sort object keys, and some keys'
// order is meaningful (a snapshot's steps run in the order they are listed).
func keepRawJSON(body []byte, v reflect.Value) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return
	}
	rawType := reflect.TypeOf(json.RawMessage(nil))
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type != rawType {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if b, ok := raw[name]; ok {
			v.Field(i).Set(reflect.ValueOf(b))
		}
	}
}

type rules struct {
	required bool
	max      int
	min      int
	hasMin   bool
}

func parseRules(tag string) rules {
	var r rules
	for _, part := range strings.Split(tag, ",") {
		switch {
		case part == "required":
			r.required = true
		case strings.HasPrefix(part, "max="):
			r.max, _ = strconv.Atoi(part[4:])
		case strings.HasPrefix(part, "min="):
			r.min, _ = strconv.Atoi(part[4:])
			r.hasMin = true
		}
	}
	return r
}

var presentType = reflect.TypeOf(Present(nil))

// Present records the JSON keys a request carried (PUT bodies hold only
// the fields the client set).
type Present map[string]bool

func validateObject(obj map[string]any, v reflect.Value, loc []string, errs *[]fieldError) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Type == presentType {
			p := Present{}
			for k := range obj {
				p[k] = true
			}
			v.Field(i).Set(reflect.ValueOf(p))
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		r := parseRules(sf.Tag.Get("zen"))
		val, ok := obj[name]
		floc := append(append([]string{}, loc...), name)
		if !ok {
			if r.required {
				*errs = append(*errs, fieldError{typ: "missing", loc: floc, msg: "Field required", input: obj})
			}
			continue
		}
		setValue(val, v.Field(i), r, floc, errs)
	}
}

// setValue converts one JSON value into the field, with pydantic's lax
// coercions (a "true" string is a boolean, 1 is an integer).
func setValue(val any, f reflect.Value, r rules, loc []string, errs *[]fieldError) {
	if val == nil {
		if f.Kind() == reflect.Pointer || f.Kind() == reflect.Slice || f.Kind() == reflect.Map || f.Kind() == reflect.Interface {
			f.Set(reflect.Zero(f.Type()))
			return
		}
	}
	if f.Type() == reflect.TypeOf(json.RawMessage(nil)) {
		b, _ := json.Marshal(val)
		f.Set(reflect.ValueOf(json.RawMessage(b)))
		return
	}
	if f.Kind() == reflect.Pointer {
		elem := reflect.New(f.Type().Elem())
		before := len(*errs)
		setValue(val, elem.Elem(), r, loc, errs)
		if len(*errs) == before {
			f.Set(elem)
		}
		return
	}
	bad := func(typ, msg string) {
		*errs = append(*errs, fieldError{typ: typ, loc: loc, msg: msg, input: val})
	}
	switch f.Type() {
	case reflect.TypeOf(uuid.UUID{}):
		s, ok := val.(string)
		if !ok {
			bad("uuid_type", "UUID input should be a string, bytes or UUID object")
			return
		}
		id, err := uuid.Parse(s)
		if err != nil {
			*errs = append(*errs, uuidError(loc, s))
			return
		}
		f.Set(reflect.ValueOf(id))
		return
	case reflect.TypeOf(zen.Time{}):
		s, ok := val.(string)
		if !ok {
			bad("datetime_type", "Input should be a valid datetime")
			return
		}
		t, err := zen.ParseTime(s)
		if err != nil {
			bad("datetime_from_date_parsing", "Input should be a valid datetime or date, invalid character in year")
			return
		}
		f.Set(reflect.ValueOf(t))
		return
	}
	switch f.Kind() {
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			bad("string_type", "Input should be a valid string")
			return
		}
		n := utf8.RuneCountInString(s)
		if r.max > 0 && n > r.max {
			*errs = append(*errs, fieldError{typ: "string_too_long", loc: loc, msg: fmt.Sprintf("String should have at most %d characters", r.max), input: val, ctx: fmt.Sprintf("{'max_length': %d}", r.max)})
			return
		}
		if r.hasMin && n < r.min {
			plural := "s"
			if r.min == 1 {
				plural = ""
			}
			*errs = append(*errs, fieldError{typ: "string_too_short", loc: loc, msg: fmt.Sprintf("String should have at least %d character%s", r.min, plural), input: val, ctx: fmt.Sprintf("{'min_length': %d}", r.min)})
			return
		}
		f.SetString(s)
	case reflect.Bool:
		switch x := val.(type) {
		case bool:
			f.SetBool(x)
		case string:
			b, ok := filter.ParseBool(x)
			if !ok {
				bad("bool_parsing", "Input should be a valid boolean, unable to interpret input")
				return
			}
			f.SetBool(b)
		case json.Number:
			if x.String() == "0" || x.String() == "1" {
				f.SetBool(x.String() == "1")
				return
			}
			bad("bool_parsing", "Input should be a valid boolean, unable to interpret input")
		default:
			bad("bool_type", "Input should be a valid boolean")
		}
	case reflect.Int, reflect.Int64:
		var n float64
		switch x := val.(type) {
		case json.Number:
			v, err := x.Float64()
			if err != nil {
				bad("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
				return
			}
			n = v
		case string:
			v, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				bad("int_parsing", "Input should be a valid integer, unable to parse string as an integer")
				return
			}
			n = float64(v)
		default:
			bad("int_type", "Input should be a valid integer")
			return
		}
		if n != math.Trunc(n) {
			bad("int_from_float", "Input should be a valid integer, got a number with a fractional part")
			return
		}
		if r.hasMin && int(n) < r.min {
			*errs = append(*errs, fieldError{typ: "greater_than_equal", loc: loc, msg: fmt.Sprintf("Input should be greater than or equal to %d", r.min), input: val, ctx: fmt.Sprintf("{'ge': %d}", r.min)})
			return
		}
		f.SetInt(int64(n))
	case reflect.Slice:
		list, ok := val.([]any)
		if !ok {
			bad("list_type", "Input should be a valid list")
			return
		}
		out := reflect.MakeSlice(f.Type(), len(list), len(list))
		for i, item := range list {
			setValue(item, out.Index(i), rules{}, append(append([]string{}, loc...), strconv.Itoa(i)), errs)
		}
		f.Set(out)
	case reflect.Map:
		obj, ok := val.(map[string]any)
		if !ok {
			bad("dict_type", "Input should be a valid dictionary")
			return
		}
		out := reflect.MakeMapWithSize(f.Type(), len(obj))
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ev := reflect.New(f.Type().Elem()).Elem()
			setValue(obj[k], ev, rules{}, append(append([]string{}, loc...), k), errs)
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
		f.Set(out)
	case reflect.Struct:
		obj, ok := val.(map[string]any)
		if !ok {
			bad("model_type", "Input should be a valid dictionary or instance of the model")
			return
		}
		validateObject(obj, f, loc, errs)
	case reflect.Interface:
		f.Set(reflect.ValueOf(val))
	default:
		bad("unsupported", "unsupported field type")
	}
}

// uuidParseDetail explains a malformed UUID in the words of the parser
// behind the reference's validation.
func uuidParseDetail(s string) string {
	for i, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF-", c) {
			return fmt.Sprintf("invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `%c` at %d", c, i+1)
		}
	}
	if !strings.Contains(s, "-") {
		return fmt.Sprintf("invalid length: expected length 32 for simple format, found %d", len(s))
	}
	groups := strings.Split(s, "-")
	if len(groups) != 5 {
		return fmt.Sprintf("invalid group count: expected 5, found %d", len(groups))
	}
	for i, want := range []int{8, 4, 4, 4, 12} {
		if len(groups[i]) != want {
			return fmt.Sprintf("invalid group length in group %d: expected %d, found %d", i, want, len(groups[i]))
		}
	}
	return "invalid length"
}

// pyValue renders a decoded JSON value as Python's repr would.
func pyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return zen.PyRepr(x)
	case json.Number:
		return x.String()
	case pyBytes:
		return "b" + zen.PyRepr(string(x))
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = zen.PyRepr(k) + ": " + pyValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// rewrapBatchError moves error locations of a list body decoded as
// {"items": [...]} back to where the client put them.
func rewrapBatchError(err error) error {
	var ve *validationError
	if !errors.As(err, &ve) {
		return err
	}
	for i := range ve.errs {
		loc := ve.errs[i].loc
		if len(loc) >= 2 && loc[0] == "body" && loc[1] == "items" {
			ve.errs[i].loc = append([]string{"body"}, loc[2:]...)
		}
		if m, ok := ve.errs[i].input.(map[string]any); ok {
			if items, ok := m["items"]; ok && len(m) == 1 {
				ve.errs[i].input = items
			}
		}
	}
	return ve
}

func itoa(i int) string { return strconv.Itoa(i) }

// valueErrorAt is pydantic's entry for a validator that raised ValueError.
func valueErrorAt(loc []string, msg string, input any) fieldError {
	return fieldError{typ: "value_error", loc: loc, msg: "Value error, " + msg, input: input,
		ctx: "{'error': ValueError(" + zen.PyRepr(msg) + ")}"}
}

// valueErrors is a 422 with one validator error.
func valueErrors(loc []string, msg string, input any) *validationError {
	return &validationError{errs: []fieldError{valueErrorAt(loc, msg, input)}}
}
