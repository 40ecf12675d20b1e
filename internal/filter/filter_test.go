package filter

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"zengo/internal/zen"
)

func parse(t *testing.T, r *Resource, query string) (*List, error) {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(q, r, ParseOptions{})
}

func TestOperatorDetection(t *testing.T) {
	cases := []struct {
		value string
		op    Op
		raw   string
	}{
		{"plain", Equals, "plain"},
		{"contains:ab", Contains, "ab"},
		{"a:b", Equals, "a:b"},                // not an operator: a literal
		{"EQUALS:x", Equals, "EQUALS:x"},      // operators are case-sensitive
		{"startswith:a:b", StartsWith, "a:b"}, // only the first colon splits
		{"notcontains:", NotContains, ""},
	}
	for _, c := range cases {
		op, raw := SplitOp(c.value)
		if op != c.op || raw != c.raw {
			t.Errorf("%q: got %s %q, want %s %q", c.value, op, raw, c.op, c.raw)
		}
	}
}

func TestParseConditions(t *testing.T) {
	l, err := parse(t, Pipelines, "name=contains:a&name=b&created=gte:2024-01-31 08:00:00&tags=isnull:&id=startswith:AB-12&logical_operator=or")
	if err != nil {
		t.Fatal(err)
	}
	if !l.Or || len(l.Conditions) != 5 {
		t.Fatalf("conditions %+v", l.Conditions)
	}
	byField := map[string][]Condition{}
	for _, c := range l.Conditions {
		byField[c.Field] = append(byField[c.Field], c)
	}
	if got := byField["created"][0].Value.(zen.Time).String(); got != "2024-01-31T08:00:00" {
		t.Errorf("created value %s", got)
	}
	if got := byField["id"][0].Value; got != "AB12" {
		t.Errorf("uuid operands lose their hyphens: %v", got)
	}
	if byField["tags"][0].Op != IsNull || byField["tags"][0].Value != nil {
		t.Errorf("tags isnull: %+v", byField["tags"][0])
	}
}

func TestParseDefaultsAndPaging(t *testing.T) {
	l, err := parse(t, Users, "")
	if err != nil {
		t.Fatal(err)
	}
	if l.Page != 1 || l.Size != 20 || l.SortField != "created" || l.SortDesc || l.Hydrate {
		t.Errorf("defaults: %+v", l)
	}
	l, _ = parse(t, Users, "page=3&size=7&sort_by=desc:name&hydrate=True")
	if l.Offset() != 14 || !l.SortDesc || l.SortField != "name" || !l.Hydrate {
		t.Errorf("explicit: %+v", l)
	}
	l, _ = parse(t, Users, "sort_by=sideways:name")
	if l.SortField != "name" || l.SortDesc {
		t.Errorf("an unknown direction sorts ascending: %+v", l)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		query string
		param bool   // a bare-array parameter error
		text  string // part of the message
	}{
		{"page=0", true, "Input should be greater than or equal to 1"},
		{"size=10001", true, "Input should be less than or equal to 10000"},
		{"page=abc", true, "unable to parse string as an integer"},
		{"hydrate=maybe", true, "Input should be a valid boolean"},
		{"logical_operator=xor", true, "Input should be 'or' or 'and'"},
		{"sort_by=nope", false, "You can only sort by valid fields of this resource"},
		{"sort_by=page", false, "This resource can not be sorted by this field: 'page'"},
		{"name=in:a", false, "This datatype can not be filtered using this operation: 'in'"},
		{"created=2024-01-31T08:00:00", false, MsgDatetime},
		{"name=oneof:notjson", false, MsgOneOf},
		{"name=isnull:x", false, MsgNoValue},
		{"active=maybe", false, MsgBool},
	}
	for _, c := range cases {
		_, err := parse(t, Users, c.query)
		var pe ParamErrors
		var me *ModelError
		switch {
		case err == nil:
			t.Errorf("%s: no error", c.query)
		case c.param && !errors.As(err, &pe):
			t.Errorf("%s: want a parameter error, got %T %v", c.query, err, err)
		case !c.param && !errors.As(err, &me):
			t.Errorf("%s: want a model error, got %T %v", c.query, err, err)
		case !strings.Contains(err.Error(), c.text):
			t.Errorf("%s: message %q lacks %q", c.query, err.Error(), c.text)
		}
	}
}

func TestNumericComparisonOfTextNeedsANumber(t *testing.T) {
	_, err := parse(t, Users, "name=gt:m")
	if zen.ErrorCode(err) != zen.EInvalid || !strings.Contains(err.Error(), "must be numeric") {
		t.Fatalf("want a 400 ValueError, got %v", err)
	}
}

func TestInvalidUUIDEqualsMatchesNothing(t *testing.T) {
	l, err := parse(t, Users, "id=not-a-uuid")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Conditions[0].Value.(InvalidUUID); !ok {
		t.Fatalf("want InvalidUUID, got %#v", l.Conditions[0].Value)
	}
}

// Fuzzing the list language: whatever the query, Parse answers a list or
// one of the errors the API turns into the reference's 400/422, and never
// panics. `make fuzz` runs it.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "page=2&size=5", "name=contains:ab", "sort_by=desc:created", "logical_operator=or&name=x&id=startswith:1",
		"created=gt:2024-01-01 10:00:00", "tag=startswith:a&tags=x&tags=y", "page=99999999999999999999", "hydrate=yes",
		"user=default", "index=lte:3", "size=1_0", "created=in:2024-01-01 00:00:00,2024-02-01 00:00:00", "sort_by=asc:name&size=10000",
		"tags=oneof:[\"a\"]", "id=%zz",
	} {
		f.Add(seed)
	}
	resources := []*Resource{Users, ServiceAccounts, APIKeys, Projects, Flavors, Components, Stacks, Pipelines, Tags, Runs, Steps, CodeRepositories}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		for _, r := range resources {
			l, err := Parse(q, r, ParseOptions{})
			if err == nil {
				if l == nil || l.Page < 1 || l.Size < 1 || l.Size > MaxPageSize {
					t.Fatalf("%s %q: list %+v", r.Model, query, l)
				}
				continue
			}
			var pe ParamErrors
			var me *ModelError
			var ze *zen.Error
			if !errors.As(err, &pe) && !errors.As(err, &me) && !errors.As(err, &ze) {
				t.Fatalf("%s %q: untyped error %T %v", r.Model, query, err, err)
			}
		}
	})
}
