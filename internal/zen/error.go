// Package zen holds zengo's domain: the resources a ZenML server keeps and
// the one error type every layer speaks. It depends on nothing else in zengo.
package zen

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Code is the kind of failure. It decides the HTTP status and the ZenML
// exception name the client rebuilds from `{"detail": [name, message]}`.
type Code int

const (
	EInternal       Code = iota // 500 RuntimeError
	EInvalid                    // 400 ValueError: a well-formed request that cannot be done
	EUnprocessable              // 422 ValueError: input that does not validate
	EUnauthorized               // 401 CredentialsNotValid: the client re-authenticates on it
	EForbidden                  // 403 IllegalOperationError
	ENotFound                   // 404 KeyError
	EConflict                   // 409 EntityExistsError
	EUnavailable                // 503 RuntimeError: the database cannot be reached
	ENotImplemented             // 501 NotImplementedError
)

// Error is an application error: a code and a message meant for the caller.
// Anything that is not an *Error reaches the caller as a 500 and is logged.
type Error struct {
	Code    Code
	Message string
	// Name overrides the exception name derived from Code, for the few
	// places where the reference reports a more specific class.
	Name string
}

func (e *Error) Error() string { return e.Message }

// Status is the HTTP status for the error's code.
func (e *Error) Status() int {
	switch e.Code {
	case EInvalid:
		return 400
	case EUnprocessable:
		return 422
	case EUnauthorized:
		return 401
	case EForbidden:
		return 403
	case ENotFound:
		return 404
	case EConflict:
		return 409
	case EUnavailable:
		return 503
	case ENotImplemented:
		return 501
	}
	return 500
}

// ExceptionName is the Python exception class the reference names in
// detail[0] for this error.
func (e *Error) ExceptionName() string {
	if e.Name != "" {
		return e.Name
	}
	switch e.Code {
	case EInvalid, EUnprocessable:
		return "ValueError"
	case EUnauthorized:
		return "CredentialsNotValid"
	case EForbidden:
		return "IllegalOperationError"
	case ENotFound:
		return "KeyError"
	case EConflict:
		return "EntityExistsError"
	case ENotImplemented:
		return "NotImplementedError"
	}
	return "RuntimeError"
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the reference's KeyError: Python renders str(KeyError(msg))
// with quotes around the message, and the wire carries that rendering.
func NotFound(format string, args ...any) *Error {
	return &Error{Code: ENotFound, Message: PyRepr(fmt.Sprintf(format, args...))}
}

// PyRepr renders a string the way Python's repr does for the common case,
// which is how KeyError messages reach the wire.
func PyRepr(s string) string {
	quote := byte('\'')
	hasSingle, hasDouble := false, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			hasSingle = true
		case '"':
			hasDouble = true
		}
	}
	if hasSingle && !hasDouble {
		quote = '"'
	}
	out := make([]byte, 0, len(s)+2)
	out = append(out, quote)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			out = append(out, '\\', '\\')
		case c == quote:
			out = append(out, '\\', c)
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\t':
			out = append(out, '\\', 't')
		case c == '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, c)
		}
	}
	return string(append(out, quote))
}

// ErrorCode returns the code of an application error, EInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// IsNotFound reports whether err is a not-found application error.
func IsNotFound(err error) bool { return err != nil && ErrorCode(err) == ENotFound }

// MaxNameLength is the reference's STR_FIELD_MAX_LENGTH.
const MaxNameLength = 255

// TooLong is the reference's answer when a value the server itself puts in
// a model (a tag named inside a pipeline request, an artifact named by its
// version) is longer than the model allows: pydantic's own rendering of
// the validation error, with the input cut as pydantic cuts it.
func TooLong(model, field string, max int, value string) *Error {
	return Errorf(EUnprocessable, "1 validation error for %s\n%s\n  String should have at most %d characters [type=string_too_long, input_value=%s, input_type=str]\n    For further information visit https://errors.pydantic.dev/2.12/v/string_too_long",
		model, field, max, PydanticInput(PyRepr(value)))
}

// PydanticInput shortens a repr as pydantic's error messages do: beyond 50
// bytes, the first 25 and the last 24, on character boundaries, joined by
// "...".
func PydanticInput(repr string) string {
	if len(repr) <= 50 {
		return repr
	}
	head := 25
	for head > 0 && !utf8.RuneStart(repr[head]) {
		head--
	}
	tail := len(repr) - 24
	for tail < len(repr) && !utf8.RuneStart(repr[tail]) {
		tail++
	}
	return repr[:head] + "..." + repr[tail:]
}
