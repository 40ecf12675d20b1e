// Package filter is ZenML's list language: query parameters become typed
// conditions, a sort and a page. It knows nothing of SQL; the store renders
// the conditions it returns. Each resource declares its fields in a Resource
// table, and only names from that table ever reach the store.
package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// Type is a filter field's value type; it decides the operators allowed.
type Type int

const (
	String Type = iota
	UUID
	Datetime
	Int
	Bool
	Float
	// PlainBool is a boolean query parameter that takes no operators.
	PlainBool
	// Literal values are compared as written: no operator, no checks.
	Literal
)

// Op is a filter operator as written on the wire ("equals", "contains", ...).
type Op string

const (
	Equals      Op = "equals"
	NotEquals   Op = "notequals"
	Contains    Op = "contains"
	NotContains Op = "notcontains"
	StartsWith  Op = "startswith"
	EndsWith    Op = "endswith"
	OneOf       Op = "oneof"
	NotOneOf    Op = "notoneof"
	GT          Op = "gt"
	GTE         Op = "gte"
	LT          Op = "lt"
	LTE         Op = "lte"
	In          Op = "in"
	IsNull      Op = "isnull"
	IsNotNull   Op = "isnotnull"
)

// knownOps lists every operator the reference recognises as a prefix; a
// value whose text before the first colon is not one of them is a literal.
var knownOps = map[Op]bool{
	Equals: true, NotEquals: true, Contains: true, NotContains: true,
	StartsWith: true, EndsWith: true, OneOf: true, NotOneOf: true,
	GT: true, GTE: true, LT: true, LTE: true, In: true,
	IsNull: true, IsNotNull: true,
}

// opsOrder is the reference's order of operators in its error messages.
var allowedOps = map[Type][]Op{
	String:   {Equals, NotEquals, StartsWith, Contains, EndsWith, OneOf, NotOneOf, NotContains, IsNull, IsNotNull, GT, GTE, LT, LTE},
	UUID:     {Equals, NotEquals, StartsWith, Contains, EndsWith, OneOf, NotOneOf, NotContains, IsNull, IsNotNull, GT, GTE, LT, LTE},
	Datetime: {Equals, NotEquals, IsNull, IsNotNull, GT, GTE, LT, LTE, In},
	Int:      {Equals, NotEquals, IsNull, IsNotNull, GT, GTE, LT, LTE},
	Float:    {Equals, NotEquals, IsNull, IsNotNull, GT, GTE, LT, LTE},
	Bool:     {Equals, NotEquals, IsNull, IsNotNull},
}

func init() { allowedOps[PlainBool] = []Op{Equals} }

// Field is one filterable query parameter of a resource.
type Field struct {
	Name string
	Type Type
	// Single fields take one value; a repeated parameter keeps the last,
	// as FastAPI does for scalar query parameters.
	Single bool
	// Scope fields (project, scope_user) are not conditions: they always
	// narrow the list, whatever the logical operator. Parse leaves their
	// raw value in List.Scope for the caller to resolve.
	Scope bool
	// Custom fields are matched through a related table (user, tags, ...).
	// The reference validates them only when it builds the query, so their
	// errors come after every other check, under the name of the inner
	// filter model, or as a 400 for malformed values.
	Custom bool
	// Schema is the reference's table class, named in some messages.
	Schema string
	// Fixed fields are conditions that are always AND-ed with the rest,
	// whatever the logical operator (pipelines' latest_run_status). They
	// land in List.Fixed. An empty value turns them off.
	Fixed bool
}

// Resource declares a list endpoint's language: its fields and the extra
// sort keys that are not fields.
type Resource struct {
	// Model names the reference's filter class, for error messages.
	Model  string
	Fields []Field
	// SortKeys are custom sort options (e.g. "user", "tags", "latest_run").
	SortKeys []string
	// Unsortable fields are accepted as filters but refused as sort keys.
	Unsortable []string
}

func (r *Resource) field(name string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Condition is one parsed filter: field, operator and typed value.
// Value is nil (isnull/isnotnull), string, []string (oneof), float64,
// int64, bool, zen.Time, or [2]zen.Time (datetime "in").
type Condition struct {
	Field string
	Op    Op
	Value any
	// Raw is the value as written, after the operator prefix.
	Raw string
	// Text is the whole value as written, prefix included, for the few
	// filters the reference compares literally.
	Text string
}

// As re-reads a condition's value as another type: a "user" condition is
// matched against the id (UUID), the name and the full name (strings).
// A value that does not fit the type matches nothing.
func (c Condition) As(t Type) (Condition, bool) {
	prefixed := string(c.Op) + ":" + c.Raw
	if c.Op == IsNull || c.Op == IsNotNull {
		prefixed = string(c.Op) + ":"
	}
	out, err := ParseCondition(Field{Name: c.Field, Type: t}, prefixed)
	return out, err == nil
}

// List is a parsed list request.
type List struct {
	Conditions []Condition
	Fixed      []Condition
	Scope      map[string]string
	Or         bool
	SortField  string
	SortDesc   bool
	Page       int
	// PageText is the page as the client wrote it when it is beyond the
	// int range (Python's integers have none).
	PageText string
	Size     int
	Hydrate  bool
}

// PageLabel is the page number as the reference prints it.
func (l *List) PageLabel() string {
	if l.PageText != "" {
		return l.PageText
	}
	return strconv.Itoa(l.Page)
}

// Offset is the row offset of the page.
func (l *List) Offset() int { return (l.Page - 1) * l.Size }

// Values returns the conditions on one field, in request order.
func (l *List) Values(field string) []Condition {
	var out []Condition
	for _, c := range l.Conditions {
		if c.Field == field {
			out = append(out, c)
		}
	}
	return out
}

// Without returns the conditions that are not on the named fields.
func (l *List) Without(fields ...string) []Condition {
	var out []Condition
next:
	for _, c := range l.Conditions {
		for _, f := range fields {
			if c.Field == f {
				continue next
			}
		}
		out = append(out, c)
	}
	return out
}

// Page limits, as the reference's.
const (
	DefaultPageSize = 20
	MaxPageSize     = 10000
)

// ParseOptions carries per-route defaults.
type ParseOptions struct {
	HydrateDefault bool
}

// Parse reads a list request's query parameters for resource r.
func Parse(q url.Values, r *Resource, opts ParseOptions) (*List, error) {
	l := &List{Page: 1, Size: DefaultPageSize, Hydrate: opts.HydrateDefault, SortField: "created"}
	var perr ParamErrors

	if v, ok := last(q, "page"); ok {
		n, err := parseIntParam("page", v)
		switch {
		case err != nil:
			perr = append(perr, *err)
		case n < 1:
			perr = append(perr, ParamError{Type: "greater_than_equal", Loc: "page", Msg: "Input should be greater than or equal to 1", Input: v, Ctx: "{'ge': 1}"})
		default:
			l.Page = n
			if n == math.MaxInt {
				l.PageText = PythonInt(v)
			}
		}
	}
	if v, ok := last(q, "size"); ok {
		n, err := parseIntParam("size", v)
		switch {
		case err != nil:
			perr = append(perr, *err)
		case n < 1:
			perr = append(perr, ParamError{Type: "greater_than_equal", Loc: "size", Msg: "Input should be greater than or equal to 1", Input: v, Ctx: "{'ge': 1}"})
		case n > MaxPageSize:
			perr = append(perr, ParamError{Type: "less_than_equal", Loc: "size", Msg: "Input should be less than or equal to 10000", Input: v, Ctx: "{'le': 10000}"})
		default:
			l.Size = n
		}
	}
	if v, ok := last(q, "hydrate"); ok {
		b, okb := ParseBool(v)
		if !okb {
			perr = append(perr, ParamError{Type: "bool_parsing", Loc: "hydrate", Msg: "Input should be a valid boolean, unable to interpret input", Input: v})
		} else {
			l.Hydrate = b
		}
	}
	if v, ok := last(q, "logical_operator"); ok {
		switch v {
		case "and":
		case "or":
			l.Or = true
		default:
			perr = append(perr, ParamError{Type: "enum", Loc: "logical_operator", Msg: "Input should be 'or' or 'and'", Input: v, Ctx: `{'expected': "'or' or 'and'"}`})
		}
	}
	// Plain boolean fields are typed parameters too: no operators.
	for _, f := range r.Fields {
		if f.Type != PlainBool {
			continue
		}
		if v, ok := last(q, f.Name); ok {
			b, okb := ParseBool(v)
			if !okb {
				perr = append(perr, ParamError{Type: "bool_parsing", Loc: f.Name, Msg: "Input should be a valid boolean, unable to interpret input", Input: v})
				continue
			}
			l.Conditions = append(l.Conditions, Condition{Field: f.Name, Op: Equals, Value: b, Raw: v, Text: v})
		}
	}
	if len(perr) > 0 {
		return nil, perr
	}

	// Errors that the reference only finds while building the query (bad
	// operands of custom filters, non-numeric comparisons) are reported
	// after every value has validated.
	var queryErr error
	for _, f := range r.Fields {
		raw, ok := q[f.Name]
		if !ok || f.Type == PlainBool {
			continue
		}
		if f.Single || f.Scope {
			raw = raw[len(raw)-1:]
		}
		if f.Scope {
			if l.Scope == nil {
				l.Scope = map[string]string{}
			}
			l.Scope[f.Name] = raw[0]
			continue
		}
		if f.Fixed {
			if raw[len(raw)-1] == "" {
				continue
			}
			raw = raw[len(raw)-1:]
		}
		for _, v := range raw {
			c, err := ParseCondition(f, v)
			if err != nil {
				if late := lateError(f, err); late != nil {
					if queryErr == nil {
						queryErr = late
					}
					continue
				}
				return nil, r.modelError(err)
			}
			if f.Fixed {
				l.Fixed = append(l.Fixed, c)
			} else {
				l.Conditions = append(l.Conditions, c)
			}
		}
	}

	sortBy := "created"
	if v, ok := last(q, "sort_by"); ok {
		sortBy = v
	}
	if err := l.setSort(r, sortBy); err != nil {
		return nil, err
	}
	if queryErr != nil {
		return nil, queryErr
	}
	return l, nil
}

// lateError says whether err is one the reference reports only at query
// time, and how: custom fields' operator errors name the inner filter
// model; their malformed values are a plain 400.
func lateError(f Field, err error) error {
	if ze, ok := err.(*zen.Error); ok {
		return ze
	}
	ve, ok := err.(*valueError)
	if !ok || !f.Custom {
		return nil
	}
	if ve.entries[0].Field == "operation" {
		model := "StrFilter"
		if f.Type == UUID {
			model = "UUIDFilter"
		}
		return &ModelError{Model: model, Entries: ve.entries}
	}
	return zen.Errorf(zen.EInvalid, "%s", ve.entries[0].Msg)
}

func last(q url.Values, key string) (string, bool) {
	vs, ok := q[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

func parseIntParam(loc, v string) (int, *ParamError) {
	n, ok := laxIntSaturating(v)
	if !ok {
		return 0, &ParamError{Type: "int_parsing", Loc: loc, Msg: "Input should be a valid integer, unable to parse string as an integer", Input: v}
	}
	return n, nil
}

// LaxInt reads an integer the way pydantic's lax mode does: surrounding
// space, a sign, underscores between digits, and a zero fraction ("2.0")
// are accepted.
func LaxInt(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if whole, frac, ok := strings.Cut(v, "."); ok {
		if frac == "" || strings.Trim(frac, "0") != "" {
			return 0, false
		}
		v = whole
	}
	if strings.HasPrefix(v, "_") || strings.HasSuffix(v, "_") || strings.Contains(v, "__") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	return n, err == nil
}

// laxIntSaturating is LaxInt for Python's unbounded integers: a well-formed
// integer beyond the int range becomes the nearest bound, so that limits
// compare as they would in Python.
func laxIntSaturating(v string) (int, bool) {
	if n, ok := LaxInt(v); ok {
		return n, true
	}
	d := strings.TrimSpace(v)
	if whole, frac, ok := strings.Cut(d, "."); ok {
		if frac == "" || strings.Trim(frac, "0") != "" {
			return 0, false
		}
		d = whole
	}
	if !bigIntPattern.MatchString(d) {
		return 0, false
	}
	if d[0] == '-' {
		return math.MinInt, true
	}
	return math.MaxInt, true
}

var bigIntPattern = regexp.MustCompile(`^[+-]?[0-9](_?[0-9])*$`)

// PythonInt renders the integer a lax integer parameter stands for, as
// Python prints it (no sign, leading zeros or underscores), even beyond the
// int range.
func PythonInt(v string) string {
	d := strings.TrimSpace(v)
	d, _, _ = strings.Cut(d, ".")
	neg := strings.HasPrefix(d, "-")
	d = strings.TrimLeft(strings.ReplaceAll(strings.TrimLeft(d, "+-"), "_", ""), "0")
	if d == "" {
		return "0"
	}
	if neg {
		return "-" + d
	}
	return d
}

// setSort validates sort_by the way the reference does: an unknown
// direction prefix falls back to ascending on the column; the column must
// be a field of the resource or one of its custom sort keys.
func (l *List) setSort(r *Resource, value string) error {
	column := value
	desc := false
	if dir, col, ok := strings.Cut(value, ":"); ok {
		column = col
		switch dir {
		case "desc":
			desc = true
		case "asc":
		default:
			value = column // unknown direction: ascending
		}
	}
	for _, k := range r.SortKeys {
		if k == column {
			l.SortField, l.SortDesc = column, desc
			return nil
		}
	}
	sortError := func(msg string) error {
		return &ModelError{Model: r.Model, Entries: []ModelEntry{{Field: "sort_by", Msg: msg, Input: zen.PyRepr(value), InputType: "str"}}}
	}
	unsortable := fmt.Sprintf("This resource can not be sorted by this field: '%s'", value)
	switch column {
	case "sort_by", "page", "size", "logical_operator":
		return sortError(unsortable)
	}
	for _, u := range r.Unsortable {
		if u == column {
			return sortError(unsortable)
		}
	}
	if _, ok := r.field(column); ok || column == "id" || column == "created" || column == "updated" {
		l.SortField, l.SortDesc = column, desc
		return nil
	}
	return sortError("You can only sort by valid fields of this resource")
}

// SplitOp separates an operator prefix from a filter value. Text before the
// first colon that is not an operator leaves the whole value as an equality
// literal, so "name=a:b" means name equals "a:b".
func SplitOp(v string) (Op, string) {
	if prefix, rest, ok := strings.Cut(v, ":"); ok && knownOps[Op(prefix)] {
		return Op(prefix), rest
	}
	return Equals, v
}

// Messages the reference uses for malformed filter values.
const (
	MsgOneOf    = "When you are using the 'oneof:'/'notoneof:' filtering make sure that the provided value is a json formatted list."
	MsgNoValue  = "When using 'isnull:'/'isnotnull:', use the explicit 'operator:' form without a value (e.g. 'isnull:')."
	MsgDatetime = "The datetime filter only works with values in the following format: %Y-%m-%d %H:%M:%S"
	MsgBool     = "The bool filter only works with boolean values."
)

// valueError is a filter value that does not validate; Parse wraps it into
// the reference's model error.
type valueError struct{ entries []ModelEntry }

func (e *valueError) Error() string { return e.entries[0].Msg }

// ParseCondition parses one value of field f, following the reference's
// filter models: the operator prefix, then the value by the field's type.
func ParseCondition(f Field, raw string) (Condition, error) {
	if f.Type == Literal {
		return Condition{Field: f.Name, Op: Equals, Value: raw, Raw: raw, Text: raw}, nil
	}
	if f.Type == Bool {
		// Boolean fields first try the whole value as a lax boolean
		// ("on", "t", ...), and only then an operator prefix.
		if b, ok := ParseBool(raw); ok {
			return Condition{Field: f.Name, Op: Equals, Value: b, Raw: raw, Text: raw}, nil
		}
	}
	op, v := SplitOp(raw)
	c := Condition{Field: f.Name, Op: op, Raw: v, Text: raw}
	if op == IsNull || op == IsNotNull {
		if v != "" {
			return c, &valueError{entries: []ModelEntry{{Msg: MsgNoValue}}}
		}
	}
	if op == OneOf || op == NotOneOf {
		var list []any
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return c, &valueError{entries: []ModelEntry{{Msg: MsgOneOf}}}
		}
		vals := make([]string, 0, len(list))
		for _, item := range list {
			s := pyStr(item)
			if f.Type == UUID {
				s = strings.ReplaceAll(s, "-", "")
			}
			vals = append(vals, s)
		}
		c.Value = vals
	}
	opError := ModelEntry{Field: "operation", Msg: fmt.Sprintf("This datatype can not be filtered using this operation: '%s'. The allowed operations are: %s", op, opsRepr(allowedOps[f.Type])),
		Input: opEnumRepr(op), InputType: "GenericFilterOps"}
	switch f.Type {
	case Datetime:
		// The value is read before the operator is checked.
		if op != IsNull && op != IsNotNull {
			if err := parseDatetimeValue(&c, op, v); err != nil {
				return c, err
			}
		}
		if !opAllowed(f.Type, op) {
			return c, &valueError{entries: []ModelEntry{opError}}
		}
		return c, nil
	case Int, Float:
		if op != IsNull && op != IsNotNull {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return c, &valueError{entries: []ModelEntry{{Msg: "The int filter only works with integer values."}}}
			}
			c.Value = float64(n)
		}
		if !opAllowed(f.Type, op) {
			return c, &valueError{entries: []ModelEntry{opError}}
		}
		return c, nil
	case Bool:
		var entries []ModelEntry
		if !opAllowed(f.Type, op) {
			entries = append(entries, opError)
		}
		if op != IsNull && op != IsNotNull {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "1", "y", "yes", "true":
				c.Value = true
			case "0", "n", "no", "false":
				c.Value = false
			default:
				entries = append(entries, ModelEntry{Field: "value", Msg: MsgBool, Input: zen.PyRepr(v), InputType: "str"})
			}
		}
		if len(entries) > 0 {
			return c, &valueError{entries: entries}
		}
		return c, nil
	}
	if !opAllowed(f.Type, op) {
		return c, &valueError{entries: []ModelEntry{opError}}
	}
	if op == IsNull || op == IsNotNull || c.Value != nil {
		return c, nil
	}
	if op == GT || op == GTE || op == LT || op == LTE {
		// The reference compares text columns numerically for these.
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return c, zen.Errorf(zen.EInvalid, "Failed to compare the column '%s.%s' to the value '%s' (must be numeric): could not convert string to float: %s", f.Schema, f.Name, v, zen.PyRepr(v))
		}
		c.Value = n
		return c, nil
	}
	switch f.Type {
	case String:
		c.Value = v
	case UUID:
		if op == Equals || op == NotEquals {
			// A value that is not a UUID matches nothing on equals (and
			// everything on notequals), as on the reference.
			if id, err := uuid.Parse(v); err == nil {
				c.Value = strings.ReplaceAll(id.String(), "-", "")
			} else {
				c.Value = InvalidUUID{}
			}
		} else {
			c.Value = strings.ReplaceAll(v, "-", "")
		}
	}
	return c, nil
}

// parseDatetimeValue reads a datetime filter operand: one value, or for
// "in" two separated by a comma.
func parseDatetimeValue(c *Condition, op Op, v string) error {
	if lo, hi, two := strings.Cut(v, ","); two {
		t1, err1 := ParseFilterTime(lo)
		t2, err2 := ParseFilterTime(hi)
		if err1 != nil || err2 != nil {
			return &valueError{entries: []ModelEntry{{Msg: MsgDatetime}}}
		}
		if op != In {
			return &valueError{entries: []ModelEntry{{Msg: "Only a single datetime value is allowed for operator " + string(op) + "."}}}
		}
		c.Value = [2]zen.Time{t1, t2}
		return nil
	}
	t, err := ParseFilterTime(v)
	if err != nil {
		return &valueError{entries: []ModelEntry{{Msg: MsgDatetime}}}
	}
	if op == In {
		return &valueError{entries: []ModelEntry{{Msg: "Two comma separated datetime values are required for the `in` operator."}}}
	}
	c.Value = t
	return nil
}

// InvalidUUID marks an equals/notequals UUID value that does not parse.
type InvalidUUID struct{}

func opAllowed(t Type, op Op) bool {
	for _, a := range allowedOps[t] {
		if a == op {
			return true
		}
	}
	return false
}

// ParseFilterTime reads a datetime filter value in the reference's only
// format, "%Y-%m-%d %H:%M:%S", as strptime reads it: fields other than the
// year may have one digit.
func ParseFilterTime(s string) (zen.Time, error) {
	m := filterTimePattern.FindStringSubmatch(s)
	if m == nil {
		return zen.Time{}, &valueError{entries: []ModelEntry{{Msg: MsgDatetime}}}
	}
	n := make([]int, 6)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC)
	// Reject values time.Date would normalise (February 30th, hour 25).
	if t.Year() != n[0] || int(t.Month()) != n[1] || t.Day() != n[2] || t.Hour() != n[3] || t.Minute() != n[4] || t.Second() != n[5] {
		return zen.Time{}, &valueError{entries: []ModelEntry{{Msg: MsgDatetime}}}
	}
	return zen.NewTime(t), nil
}

var filterTimePattern = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$`)

// ParseBool accepts the spellings the reference's boolean parsing accepts.
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "on", "t":
		return true, true
	case "false", "0", "no", "n", "off", "f":
		return false, true
	}
	return false, false
}

// pyStr renders a JSON list item as Python's str() would.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// opEnumRepr is Python's repr of the operator enum member.
func opEnumRepr(op Op) string {
	name, ok := opEnumName[op]
	if !ok {
		return zen.PyRepr(string(op))
	}
	return "<GenericFilterOps." + name + ": '" + string(op) + "'>"
}

func opsRepr(ops []Op) string {
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = opEnumRepr(op)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

var opEnumName = map[Op]string{
	Equals: "EQUALS", NotEquals: "NOT_EQUALS", Contains: "CONTAINS", NotContains: "NOT_CONTAINS",
	StartsWith: "STARTSWITH", EndsWith: "ENDSWITH", OneOf: "ONEOF", NotOneOf: "NOT_ONEOF",
	GT: "GT", GTE: "GTE", LT: "LT", LTE: "LTE", In: "IN", IsNull: "IS_NULL", IsNotNull: "IS_NOT_NULL",
}

// AllowedOps lists the operators a field type takes, in the reference's
// order.
func AllowedOps(t Type) []Op { return allowedOps[t] }
