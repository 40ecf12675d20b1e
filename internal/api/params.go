package api

import (
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// hydrateParam reads `hydrate` on a single-entity route (default true).
func hydrateParam(r *http.Request, def bool) (bool, error) { return boolParam(r, "hydrate", def) }

// boolParam reads a boolean query parameter as pydantic does (the last
// one counts).
func boolParam(r *http.Request, name string, def bool) (bool, error) {
	v, ok := r.URL.Query()[name]
	if !ok {
		return def, nil
	}
	b, ok := filter.ParseBool(v[len(v)-1])
	if !ok {
		return false, &validationError{errs: []fieldError{{typ: "bool_parsing", loc: []string{"query", name},
			msg: "Input should be a valid boolean, unable to interpret input", input: v[len(v)-1]}}}
	}
	return b, nil
}

// pathUUID reads a path segment that the reference declares as a UUID; a
// malformed one is a 422 naming the path parameter.
func pathUUID(r *http.Request, name string) (uuid.UUID, error) {
	v := r.PathValue(name)
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, &validationError{errs: []fieldError{uuidError([]string{"path", name}, v)}}
	}
	return id, nil
}

// queryUUID reads an optional UUID query parameter; given empty, it is
// no UUID, as FastAPI sees it.
func queryUUID(r *http.Request, name string) (*uuid.UUID, error) {
	v, ok := lastQuery(r, name)
	if !ok {
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, &validationError{errs: []fieldError{uuidError([]string{"query", name}, v)}}
	}
	return &id, nil
}

// forbidden is the reference's 403 for operations a user may not do.
func forbidden(format string, args ...any) error {
	return zen.Errorf(zen.EForbidden, format, args...)
}

// uuidError is pydantic's complaint about a malformed UUID at loc.
func uuidError(loc []string, v string) fieldError {
	detail := uuidParseDetail(v)
	return fieldError{typ: "uuid_parsing", loc: loc, msg: "Input should be a valid UUID, " + detail, input: v, ctx: "{'error': " + zen.PyRepr(detail) + "}"}
}

// lastQuery is a query parameter as FastAPI reads it: the last of repeats.
func lastQuery(r *http.Request, name string) (string, bool) {
	v, ok := r.URL.Query()[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}
