package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// The shapes every list and get-by-id route shares, so that each resource
// only says how to fetch and how to render.

// listQuery is a parsed list request.
type listQuery struct {
	*filter.List
	hydrate bool
	// scopeUser narrows user-scoped lists to one creator, whatever the
	// logical operator.
	scopeUser *uuid.UUID
}

func parseListQuery(r *http.Request, res *filter.Resource) (*listQuery, error) {
	l, err := filter.Parse(r.URL.Query(), res, filter.ParseOptions{})
	if err != nil {
		return nil, err
	}
	hydrate, err := hydrateParam(r, false)
	if err != nil {
		return nil, err
	}
	q := &listQuery{List: l, hydrate: hydrate}
	if v := l.Scope["scope_user"]; v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return nil, &validationError{errs: []fieldError{uuidError([]string{"query", "scope_user"}, v)}}
		}
		q.scopeUser = &id
	}
	return q, nil
}

// listRoute is a list endpoint. Besides serving, it can check the filter
// before authentication: the reference validates its filter models first,
// so a malformed filter is a 422 even with bad credentials.
type listRoute struct {
	res   *filter.Resource
	serve handler
}

func (l listRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.serve.ServeHTTP(w, r) }

// prevalidate reports the filter-model errors of a list request.
func (l listRoute) prevalidate(r *http.Request) error {
	_, err := filter.Parse(r.URL.Query(), l.res, filter.ParseOptions{})
	var me *filter.ModelError
	if errors.As(err, &me) {
		return err
	}
	return nil
}

// listOf answers a list request: parse it, fetch the page, render each item.
func listOf[T any](res *filter.Resource, fetch func(*http.Request, *listQuery) (*zen.Page[T], error), view func(T, bool) envelope) listRoute {
	return listRoute{res: res, serve: func(r *http.Request) (any, error) {
		q, err := parseListQuery(r, res)
		if err != nil {
			return nil, err
		}
		p, err := fetch(r, q)
		if err != nil {
			return nil, err
		}
		return pageOf(p, func(item T) any { return view(item, q.hydrate) }), nil
	}}
}

// getByID answers GET on a resource addressed by a UUID path parameter;
// hydrate defaults to true there.
func getByID[T any](param string, fetch func(context.Context, uuid.UUID) (T, error), view func(T, bool) envelope) handler {
	return func(r *http.Request) (any, error) {
		id, err := pathUUID(r, param)
		if err != nil {
			return nil, err
		}
		hydrate, err := hydrateParam(r, true)
		if err != nil {
			return nil, err
		}
		item, err := fetch(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return view(item, hydrate), nil
	}
}

// deleteByID answers DELETE on a resource addressed by a UUID path
// parameter.
func deleteByID(param string, remove func(context.Context, uuid.UUID) error) handler {
	return func(r *http.Request) (any, error) {
		id, err := pathUUID(r, param)
		if err != nil {
			return nil, err
		}
		return nil, remove(r.Context(), id)
	}
}

// updateByID answers PUT on a resource addressed by a UUID path parameter:
// the body is validated into a Req, apply writes it, and the answer is the
// hydrated resource.
func updateByID[Req, T any](param string, apply func(r *http.Request, id uuid.UUID, req *Req) (T, error), view func(T, bool) envelope) handler {
	return func(r *http.Request) (any, error) {
		id, err := pathUUID(r, param)
		if err != nil {
			return nil, err
		}
		var req Req
		if err := decodeBody(r, &req); err != nil {
			return nil, err
		}
		item, err := apply(r, id, &req)
		if err != nil {
			return nil, err
		}
		return view(item, true), nil
	}
}
