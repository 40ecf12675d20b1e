package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
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

var errBodyTooLarge = errors.New("request body too large")

// errBodyUnusable is a body the reference cannot read as JSON at all (not
// UTF-8, or nested beyond Python's recursion limit): its bare 400.
var errBodyUnusable = errors.New("there was an error parsing the body")

// bufferedBody is a request body already read by the JSON check before
// authentication; readBody hands its bytes on without reading or copying
// them again.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (*bufferedBody) Close() error { return nil }

// readBody reads a request body. Its size is bounded by withRequestLimits
// (a MaxBytesReader); a declared length sizes the buffer once.
func readBody(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(*bufferedBody); ok {
		return b.data, nil
	}
	if r.Body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r.Body)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, errBodyTooLarge
	case err != nil:
		return nil, &bodyReadError{err}
	}
	return buf.Bytes(), nil
}

// bodyReadError is a body the client did not finish sending: it hung up,
// or took longer than the read timeout.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "read request body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

func (e *bodyReadError) timedOut() bool {
	var ne net.Error
	return errors.As(e.err, &ne) && ne.Timeout()
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
		return redactIfSecret(dst, &validationError{errs: []fieldError{{typ: "model_attributes_type", loc: []string{"body"},
			msg: "Input should be a valid dictionary or object to extract fields from", input: pyBytes(body)}}})
	}
	return redactIfSecret(dst, decodeJSON(body, dst))
}

// carriesSecrets marks a request whose validation errors must not echo its
// input (the reference's do): it carries secret values, which reach no
// error text and so no log.
type carriesSecrets interface{ carriesSecrets() }

// redacted stands for a request's input in the errors of such a request, as
// pydantic shows a SecretStr.
const redacted = "**********"

func redactIfSecret(dst any, err error) error {
	var ve *validationError
	if _, secret := dst.(carriesSecrets); secret && errors.As(err, &ve) {
		for i := range ve.errs {
			ve.errs[i].input = redacted
		}
	}
	return err
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

// bodyEcho is the request's JSON body as an error entry about the whole
// body shows it.
func bodyEcho(r *http.Request) any {
	b, err := readBody(r)
	if err != nil {
		return nil
	}
	return json.RawMessage(bytes.TrimSpace(b))
}

// jsonSyntaxCheck answers a malformed JSON body as FastAPI does, before
// authentication: the reference parses bodies first. The check is linear in
// the body's size and the body is read once; the handler reuses it.
func jsonSyntaxCheck(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || !isJSONContent(r) {
		return nil
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	r.Body = &bufferedBody{Reader: bytes.NewReader(body), data: body}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return checkJSON(body)
}

// checkJSON answers a body Python's json module would not decode as the
// reference does: a 422 naming the first syntax error, or its bare 400.
func checkJSON(body []byte) error {
	switch msg, pos, verdict := pythonJSONError(body); verdict {
	case jsonSyntax:
		return jsonInvalid(msg, pos)
	case jsonUnusable:
		return errBodyUnusable
	}
	return nil
}

func jsonInvalid(msg string, pos int) *validationError {
	return &validationError{errs: []fieldError{{typ: "json_invalid", loc: []string{"body", strconv.Itoa(pos)}, msg: "JSON decode error",
		input: map[string]any{}, ctx: "{'error': " + zen.PyRepr(msg) + "}"}}}
}

// decodeJSON validates body into dst. The top-level object is split into
// its members' bytes; a member becomes a Go value only when a field needs
// one, and members kept as json.RawMessage (configurations, specs: the
// large parts of real requests) are never decoded at all, so they keep the
// client's key order and cost one copy of their bytes.
func decodeJSON(body []byte, dst any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return &validationError{errs: []fieldError{{typ: "missing", loc: []string{"body"}, msg: "Field required", input: nil}}}
	}
	if err := checkJSON(body); err != nil {
		return err
	}
	if !json.Valid(trimmed) {
		// Python's JSON takes NaN and Infinity; Go's does not.
		return jsonInvalid("Expecting value", 0)
	}
	if trimmed[0] != '{' {
		return &validationError{errs: []fieldError{{typ: "model_attributes_type", loc: []string{"body"},
			msg: "Input should be a valid dictionary or object to extract fields from", input: json.RawMessage(trimmed)}}}
	}
	obj := rawObject{body: trimmed}
	if err := json.Unmarshal(trimmed, &obj.members); err != nil {
		return jsonInvalid("Expecting value", 0)
	}
	var errs []fieldError
	validateObject(obj, reflect.ValueOf(dst).Elem(), []string{"body"}, &errs)
	if len(errs) > 0 {
		return &validationError{errs: errs}
	}
	return nil
}

// jsonObject is an object being validated: a nested one already decoded,
// or the top-level one as its members' bytes.
type jsonObject interface {
	keys() []string
	// member is a member's decoded value, and its bytes where they are kept.
	member(name string) (val any, raw json.RawMessage, ok bool)
	// echo is the object as an error entry shows it.
	echo() any
}

type decodedObject map[string]any

func (o decodedObject) keys() []string {
	out := make([]string, 0, len(o))
	for k := range o {
		out = append(out, k)
	}
	return out
}

func (o decodedObject) member(name string) (any, json.RawMessage, bool) {
	v, ok := o[name]
	return v, nil, ok
}

func (o decodedObject) echo() any { return map[string]any(o) }

type rawObject struct {
	body    []byte
	members map[string]json.RawMessage
}

func (o rawObject) keys() []string {
	out := make([]string, 0, len(o.members))
	for k := range o.members {
		out = append(out, k)
	}
	return out
}

func (o rawObject) member(name string) (any, json.RawMessage, bool) {
	raw, ok := o.members[name]
	if !ok {
		return nil, nil, false
	}
	var v any
	if string(raw) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		dec.Decode(&v) // the whole body was decoded once already
	}
	return v, raw, true
}

func (o rawObject) echo() any { return json.RawMessage(o.body) }

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

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

// rawField is a request field that reads its own JSON, for the shapes the
// generic conversions lose (an object whose key order matters); it reports
// its errors at loc like any other field.
type rawField interface {
	decodeRaw(raw json.RawMessage, loc []string, errs *[]fieldError)
}

// Enumerations: a request field of one of these string types takes only
// the listed values (pydantic's "enum" error otherwise), wherever it sits.
type (
	metadataType         string
	metadataResourceType string
	executionStatus      string
	artifactType         string
	artifactSaveType     string
	visualizationType    string
	deploymentStatus     string
	serviceState         string
	statsTimeGranularity string
	statsAggregation     string
	componentType        string
)

// asString turns an enumeration (or a pointer to one) back into the plain
// string the store keeps.
func asString[E ~string](e E) string { return string(e) }

func asStringPtr[E ~string](e *E) *string {
	if e == nil {
		return nil
	}
	s := string(*e)
	return &s
}

var enumTypes = map[reflect.Type][]string{
	reflect.TypeOf(metadataType("")):         {"str", "int", "float", "bool", "list", "dict", "tuple", "set", "Uri", "Path", "DType", "StorageSize"},
	reflect.TypeOf(executionStatus("")):      zen.ExecutionStatuses,
	reflect.TypeOf(artifactType("")):         {"DataAnalysisArtifact", "DataArtifact", "ModelArtifact", "SchemaArtifact", "ServiceArtifact", "StatisticsArtifact", "BaseArtifact"},
	reflect.TypeOf(artifactSaveType("")):     {"step_output", "manual", "preexisting", "external"},
	reflect.TypeOf(visualizationType("")):    {"csv", "html", "image", "markdown", "json"},
	reflect.TypeOf(componentType("")):        componentTypeNames,
	reflect.TypeOf(metadataResourceType("")): {"pipeline_run", "step_run", "artifact_version", "model_version", "schedule", "wait_condition"},
	reflect.TypeOf(deploymentStatus("")):     {"unknown", "pending", "running", "absent", "error"},
	reflect.TypeOf(serviceState("")):         zen.ServiceStates,
	reflect.TypeOf(statsTimeGranularity("")): {"hour", "day", "week", "month"},
	reflect.TypeOf(statsAggregation("")):     {"avg", "sum", "min", "max"},
	reflect.TypeOf(hookType("")):             hookTypes,
	reflect.TypeOf(waitConditionType("")):    {"external_input"},
	reflect.TypeOf(waitResolution("")):       {"continue", "abort"},
	reflect.TypeOf(leaseMode("")):            {"refresh", "finalize", "abandon"},
	reflect.TypeOf(triggerConcurrency("")):   {"skip", "submit"},
}

// jsonDict is a JSON object kept as the client wrote it (its key order is
// part of what the reference answers); anything else is pydantic's
// dict_type error. Null is no value, as for a pointer.
type jsonDict json.RawMessage

var jsonDictType = reflect.TypeOf(jsonDict(nil))

// Present records the JSON keys a request carried (PUT bodies hold only
// the fields the client set).
type Present map[string]bool

func validateObject(obj jsonObject, v reflect.Value, loc []string, errs *[]fieldError) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			// An embedded struct's fields are the object's own, in place.
			validateObject(obj, v.Field(i), loc, errs)
			continue
		}
		if sf.Type == presentType {
			p := Present{}
			for _, k := range obj.keys() {
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
		floc := append(append([]string{}, loc...), name)
		if sf.Type == rawMessageType {
			if _, raw, ok := obj.member(name); ok && raw != nil {
				if string(raw) != "null" {
					v.Field(i).Set(reflect.ValueOf(raw))
				}
				continue
			}
		}
		val, raw, ok := obj.member(name)
		if !ok {
			if r.required {
				*errs = append(*errs, fieldError{typ: "missing", loc: floc, msg: "Field required", input: obj.echo()})
			}
			continue
		}
		if rf, isRaw := v.Field(i).Addr().Interface().(rawField); isRaw {
			if raw == nil {
				raw, _ = json.Marshal(val)
			}
			rf.decodeRaw(raw, floc, errs)
			continue
		}
		if sf.Type == jsonDictType && raw != nil {
			setDict(val, raw, v.Field(i), r, floc, errs)
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
	if f.Type() == rawMessageType {
		b, _ := json.Marshal(val)
		f.Set(reflect.ValueOf(json.RawMessage(b)))
		return
	}
	if f.Type() == jsonDictType {
		// A nested object was decoded already: its keys come back sorted.
		b, _ := json.Marshal(val)
		setDict(val, b, f, r, loc, errs)
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
			*errs = append(*errs, fieldError{typ: "datetime_from_date_parsing", loc: loc, input: val,
				msg: "Input should be a valid datetime or date, invalid character in year", ctx: "{'error': 'invalid character in year'}"})
			return
		}
		f.Set(reflect.ValueOf(t))
		return
	}
	if allowed, ok := enumTypes[f.Type()]; ok {
		s, isString := val.(string)
		if !isString || !oneOf(s, allowed) {
			*errs = append(*errs, enumError(loc, val, allowed))
			return
		}
		f.SetString(s)
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
		validateObject(decodedObject(obj), f, loc, errs)
	case reflect.Interface:
		f.Set(reflect.ValueOf(val))
	default:
		bad("unsupported", "unsupported field type")
	}
}

// setDict keeps raw, a member's bytes, when it is an object. A required
// dictionary takes no null.
func setDict(val any, raw json.RawMessage, f reflect.Value, r rules, loc []string, errs *[]fieldError) {
	if _, ok := val.(map[string]any); ok {
		f.Set(reflect.ValueOf(jsonDict(raw)))
		return
	}
	if val == nil && !r.required {
		return
	}
	*errs = append(*errs, fieldError{typ: "dict_type", loc: loc, msg: "Input should be a valid dictionary", input: val})
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

// pyValue renders a decoded JSON value as Python's repr would (see
// zen.PyValue).
func pyValue(v any) string { return zen.PyValue(v) }

// pyBytes is a body shown as Python bytes in error entries.
type pyBytes = zen.PyBytes

// batchWrapper is how a list body is wrapped to be decoded as an object.
var batchWrapper = []byte(`{"items":`)

// wrapBatch wraps a list body as {"items": [...]}.
func wrapBatch(raw []byte) []byte {
	return append(append(append([]byte{}, batchWrapper...), raw...), '}')
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
		if raw, ok := ve.errs[i].input.(json.RawMessage); ok && bytes.HasPrefix(raw, batchWrapper) {
			ve.errs[i].input = raw[len(batchWrapper) : len(raw)-1]
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
