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
	Model string
	Field string // location line; empty for whole-model validators
	Msg   string
	Input string
}

func (e *ModelError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "1 validation error for %s\n", e.Model)
	if e.Field != "" {
		fmt.Fprintf(&b, "%s\n", e.Field)
	}
	input := "{...}, input_type=dict"
	if e.Field != "" {
		input = zen.PyRepr(e.Input) + ", input_type=str"
	}
	fmt.Fprintf(&b, "  Value error, %s [type=value_error, input_value=%s]\n    For further information visit https://errors.pydantic.dev/2.12/v/value_error", e.Msg, input)
	return b.String()
}

func (r *Resource) modelError(err error) error {
	if ve, ok := err.(*valueError); ok {
		return &ModelError{Model: r.Model, Field: ve.field, Msg: ve.msg, Input: ve.input}
	}
	return err
}
