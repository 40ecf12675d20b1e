package api

import (
	"net/http"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Flavors, components and stacks: read-only for now.

func (s *Server) listFlavors() listRoute {
	return listOf(filter.Flavors, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Flavor], error) {
		return s.db.ListFlavors(r.Context(), q.List, q.scopeUser)
	}, func(f *zen.Flavor, hydrate bool) envelope { return flavorView(f, hydrate, false) })
}

func (s *Server) getFlavor() handler {
	return getByID("flavor_id", s.db.GetFlavor, func(f *zen.Flavor, hydrate bool) envelope { return flavorView(f, hydrate, false) })
}

func (s *Server) listComponents() listRoute {
	return listOf(filter.Components, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Component], error) {
		var scopeType *string
		if v := r.URL.Query().Get("scope_type"); v != "" {
			scopeType = &v
		}
		return s.db.ListComponents(r.Context(), q.List, q.scopeUser, scopeType)
	}, func(c *zen.Component, hydrate bool) envelope { return componentView(c, hydrate, false) })
}

func (s *Server) getComponent() handler {
	return getByID("component_id", s.db.GetComponent, func(c *zen.Component, hydrate bool) envelope { return componentView(c, hydrate, false) })
}

func (s *Server) listStacks() listRoute {
	return listOf(filter.Stacks, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Stack], error) {
		return s.db.ListStacks(r.Context(), q.List, q.scopeUser, q.hydrate)
	}, stackView)
}

func (s *Server) getStack() handler {
	return getByID("stack_id", s.db.GetStack, stackView)
}
