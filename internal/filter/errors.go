package filter

import (
	"fmt"
	"strings"

	"zengo/internal/zen"
)

// ParamError is a query parameter that does not parse as its declared type
// (page=abc, size=0, hydrate=maybe). The reference reports these through
// FastAPI's validation handler: a 422 whose body is a bare JSON array.
type ParamError struct {
	Type  string // pydantic error type, e.g. "int_parsing"
	Loc   string // the parameter name
	Msg   string
	Input string
	Ctx   string // Python repr of the error context, if any
}

// ParamErrors are all the parameter errors of one request.
type ParamErrors []ParamError

func (e ParamErrors) Error() string {
	var b strings.Builder
	if len(e) == 1 {
		b.WriteString("1 validation error:\n")
	} else {
		fmt.Fprintf(&b, "%d validation errors:\n", len(e))
	}
	for _, p := range e {
		fmt.Fprintf(&b, "  {'type': '%s', 'loc': ('query', '%s'), 'msg': %s, 'input': %s", p.Type, p.Loc, zen.PyRepr(p.Msg), zen.PyRepr(p.Input))
		if p.Ctx != "" {
			fmt.Fprintf(&b, ", 'ctx': %s", p.Ctx)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// ModelError is a filter value the reference's filter model rejects: a 422
// `{"detail": ["ValueError", msg]}` carrying pydantic's rendering.
type ModelError struct {
	Model   string
	Entries []ModelEntry
}

// ModelEntry is one error of a model: its location line (empty for the
// whole model), message and the input pydantic shows.
type ModelEntry struct {
	Field     string
	Msg       string
	Input     string // Python repr; empty means the model's input dict
	InputType string
}

func (e *ModelError) Error() string {
	var b strings.Builder
	if len(e.Entries) == 1 {
		fmt.Fprintf(&b, "1 validation error for %s\n", e.Model)
	} else {
		fmt.Fprintf(&b, "%d validation errors for %s\n", len(e.Entries), e.Model)
	}
	for i, en := range e.Entries {
		if i > 0 {
			b.WriteString("\n")
		}
		if en.Field != "" {
			fmt.Fprintf(&b, "%s\n", en.Field)
		}
		input, typ := en.Input, en.InputType
		if input == "" {
			input, typ = "{...}", "dict"
		}
		fmt.Fprintf(&b, "  Value error, %s [type=value_error, input_value=%s, input_type=%s]\n    For further information visit https://errors.pydantic.dev/2.12/v/value_error", en.Msg, input, typ)
	}
	return b.String()
}

func (r *Resource) modelError(err error) error {
	if ve, ok := err.(*valueError); ok {
		return &ModelError{Model: r.Model, Entries: ve.entries}
	}
	return err
}
