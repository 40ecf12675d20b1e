package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// flavorRequest is the reference's FlavorRequest; integration must be
// present, even as null.
type flavorRequest struct {
	Name                    string          `json:"name" zen:"required,max=255"`
	DisplayName             *string         `json:"display_name" zen:"max=255"`
	Type                    componentType   `json:"type" zen:"required"`
	ConfigSchema            json.RawMessage `json:"config_schema" zen:"required"`
	ConnectorType           *string         `json:"connector_type" zen:"max=255"`
	ConnectorResourceType   *string         `json:"connector_resource_type" zen:"max=255"`
	ConnectorResourceIDAttr *string         `json:"connector_resource_id_attr" zen:"max=255"`
	Source                  string          `json:"source" zen:"required,max=255"`
	Integration             *string         `json:"integration" zen:"required,max=255"`
	LogoURL                 *string         `json:"logo_url"`
	DocsURL                 *string         `json:"docs_url"`
	SDKDocsURL              *string         `json:"sdk_docs_url"`
	IsCustom                *bool           `json:"is_custom"`
}

// flavorUpdate is the reference's FlavorUpdate: every field optional, and
// a field sent as null is set to null.
type flavorUpdate struct {
	Name                    *string         `json:"name" zen:"max=255"`
	DisplayName             *string         `json:"display_name" zen:"max=255"`
	Type                    *componentType  `json:"type"`
	ConfigSchema            json.RawMessage `json:"config_schema"`
	ConnectorType           *string         `json:"connector_type" zen:"max=255"`
	ConnectorResourceType   *string         `json:"connector_resource_type" zen:"max=255"`
	ConnectorResourceIDAttr *string         `json:"connector_resource_id_attr" zen:"max=255"`
	Source                  *string         `json:"source" zen:"max=255"`
	Integration             *string         `json:"integration" zen:"max=255"`
	LogoURL                 *string         `json:"logo_url"`
	DocsURL                 *string         `json:"docs_url"`
	SDKDocsURL              *string         `json:"sdk_docs_url"`
	IsCustom                *bool           `json:"is_custom"`
	Present                 Present
}

func (s *Server) createFlavor(r *http.Request) (any, error) {
	var req flavorRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := dictField("config_schema", req.ConfigSchema, false); err != nil {
		return nil, err
	}
	f, err := s.db.CreateFlavor(r.Context(), zen.Flavor{Name: req.Name, Type: string(req.Type), ConfigSchema: req.ConfigSchema,
		ConnectorType: req.ConnectorType, ConnectorResourceType: req.ConnectorResourceType, ConnectorResourceIDAttr: req.ConnectorResourceIDAttr,
		Source: req.Source, Integration: req.Integration, LogoURL: req.LogoURL, DocsURL: req.DocsURL, SDKDocsURL: req.SDKDocsURL,
		IsCustom: req.IsCustom == nil || *req.IsCustom, UserID: &current(r).user.ID})
	if err != nil {
		return nil, err
	}
	return flavorView(f, true, false), nil
}

func (s *Server) updateFlavor() handler {
	return updateByID("flavor_id", func(r *http.Request, id uuid.UUID, req *flavorUpdate) (*zen.Flavor, error) {
		if req.ConfigSchema != nil {
			if err := dictField("config_schema", req.ConfigSchema, false); err != nil {
				return nil, err
			}
		}
		up := store.FlavorUpdate{Name: req.Name, Type: asStringPtr(req.Type), Set: map[string]any{}}
		for field, v := range map[string]any{"display_name": req.DisplayName, "connector_type": req.ConnectorType,
			"connector_resource_type": req.ConnectorResourceType, "connector_resource_id_attr": req.ConnectorResourceIDAttr,
			"source": req.Source, "integration": req.Integration, "logo_url": req.LogoURL, "docs_url": req.DocsURL,
			"sdk_docs_url": req.SDKDocsURL, "is_custom": req.IsCustom} {
			if req.Present[field] {
				up.Set[field] = v
			}
		}
		if req.Present["config_schema"] && req.ConfigSchema != nil {
			up.Set["config_schema"] = req.ConfigSchema
		}
		return s.db.UpdateFlavor(r.Context(), id, up)
	}, func(f *zen.Flavor, hydrate bool) envelope { return flavorView(f, hydrate, false) })
}

func (s *Server) deleteFlavor() handler { return deleteByID("flavor_id", s.db.DeleteFlavor) }

// syncFlavors registers the flavor catalogue again (the reference's
// PATCH /flavors/sync).
func (s *Server) syncFlavors(r *http.Request) (any, error) { return nil, s.db.SyncFlavors(r.Context()) }

func (s *Server) listFlavors() listRoute {
	return listOf(filter.Flavors, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Flavor], error) {
		return s.db.ListFlavors(r.Context(), q.List, q.scopeUser)
	}, func(f *zen.Flavor, hydrate bool) envelope { return flavorView(f, hydrate, false) })
}

func (s *Server) getFlavor() handler {
	return getByID("flavor_id", s.db.GetFlavor, func(f *zen.Flavor, hydrate bool) envelope { return flavorView(f, hydrate, false) })
}

type flavorBody struct {
	Created     zen.Time   `json:"created"`
	Updated     zen.Time   `json:"updated"`
	UserID      *uuid.UUID `json:"user_id"`
	Type        string     `json:"type"`
	DisplayName string     `json:"display_name"`
	Integration *string    `json:"integration"`
	Source      string     `json:"source"`
	LogoURL     *string    `json:"logo_url"`
	IsCustom    bool       `json:"is_custom"`
}

type flavorMetadata struct {
	ConfigSchema            json.RawMessage `json:"config_schema"`
	ConnectorType           *string         `json:"connector_type"`
	ConnectorResourceType   *string         `json:"connector_resource_type"`
	ConnectorResourceIDAttr *string         `json:"connector_resource_id_attr"`
	DocsURL                 *string         `json:"docs_url"`
	SDKDocsURL              *string         `json:"sdk_docs_url"`
}

// flavorView renders a flavor; embedded flavors (inside a component) carry
// neither metadata nor resources.
func flavorView(f *zen.Flavor, hydrate, embedded bool) envelope {
	display := deref(f.DisplayName)
	if display == "" {
		display = pyTitle(strings.ReplaceAll(f.Name, "_", " "))
	}
	e := envelope{ID: f.ID, Name: named(f.Name), Body: flavorBody{
		Created: f.Created, Updated: f.Updated, UserID: f.UserID, Type: f.Type, DisplayName: display,
		Integration: f.Integration, Source: f.Source, LogoURL: f.LogoURL, IsCustom: f.IsCustom,
	}}
	if !embedded {
		e.Resources = userResources{User: embeddedUser(f.User)}
	}
	if hydrate {
		e.Metadata = flavorMetadata{ConfigSchema: rawOr(f.ConfigSchema, "{}"), ConnectorType: f.ConnectorType,
			ConnectorResourceType: f.ConnectorResourceType, ConnectorResourceIDAttr: f.ConnectorResourceIDAttr,
			DocsURL: f.DocsURL, SDKDocsURL: f.SDKDocsURL}
	}
	return e
}

// pyTitle is Python's str.title(): a letter after a non-letter is upper
// case, every other letter lower case.
func pyTitle(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, c := range s {
		if unicode.IsLetter(c) {
			if prevLetter {
				b.WriteRune(unicode.ToLower(c))
			} else {
				b.WriteRune(unicode.ToUpper(c))
			}
			prevLetter = true
			continue
		}
		b.WriteRune(c)
		prevLetter = false
	}
	return b.String()
}
