package api

import (
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// scopeUser reads the scope_user parameter of a user-scoped list.
func scopeUser(l *filter.List) (*uuid.UUID, error) {
	v, ok := l.Scope["scope_user"]
	if !ok || v == "" {
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, &validationError{errs: []fieldError{uuidError([]string{"query", "scope_user"}, v)}}
	}
	return &id, nil
}

func (s *Server) listFlavors(r *http.Request) (any, error) {
	l, err := listParams(r, filter.Flavors)
	if err != nil {
		return nil, err
	}
	hydrate, err := hydrateParam(r, false)
	if err != nil {
		return nil, err
	}
	su, err := scopeUser(l)
	if err != nil {
		return nil, err
	}
	p, err := s.db.ListFlavors(r.Context(), l, su)
	if err != nil {
		return nil, err
	}
	return pageOf(p, func(f *zen.Flavor) any { return flavorView(f, hydrate, false) }), nil
}

func (s *Server) getFlavor(r *http.Request) (any, error) {
	id, err := pathUUID(r, "flavor_id")
	if err != nil {
		return nil, err
	}
	hydrate, err := hydrateParam(r, true)
	if err != nil {
		return nil, err
	}
	f, err := s.db.GetFlavor(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return flavorView(f, hydrate, false), nil
}

func (s *Server) listComponents(r *http.Request) (any, error) {
	l, err := listParams(r, filter.Components)
	if err != nil {
		return nil, err
	}
	hydrate, err := hydrateParam(r, false)
	if err != nil {
		return nil, err
	}
	su, err := scopeUser(l)
	if err != nil {
		return nil, err
	}
	var scopeType *string
	if v := r.URL.Query().Get("scope_type"); v != "" {
		scopeType = &v
	}
	p, err := s.db.ListComponents(r.Context(), l, su, scopeType)
	if err != nil {
		return nil, err
	}
	return pageOf(p, func(c *zen.Component) any { return componentView(c, hydrate, false) }), nil
}

func (s *Server) getComponent(r *http.Request) (any, error) {
	id, err := pathUUID(r, "component_id")
	if err != nil {
		return nil, err
	}
	hydrate, err := hydrateParam(r, true)
	if err != nil {
		return nil, err
	}
	c, err := s.db.GetComponent(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return componentView(c, hydrate, false), nil
}

func (s *Server) listStacks(r *http.Request) (any, error) {
	l, err := listParams(r, filter.Stacks)
	if err != nil {
		return nil, err
	}
	hydrate, err := hydrateParam(r, false)
	if err != nil {
		return nil, err
	}
	su, err := scopeUser(l)
	if err != nil {
		return nil, err
	}
	p, err := s.db.ListStacks(r.Context(), l, su, hydrate)
	if err != nil {
		return nil, err
	}
	return pageOf(p, func(st *zen.Stack) any { return stackView(st, hydrate) }), nil
}

func (s *Server) getStack(r *http.Request) (any, error) {
	id, err := pathUUID(r, "stack_id")
	if err != nil {
		return nil, err
	}
	hydrate, err := hydrateParam(r, true)
	if err != nil {
		return nil, err
	}
	st, err := s.db.GetStack(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return stackView(st, hydrate), nil
}
