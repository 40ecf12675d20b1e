package api

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

type tagRequest struct {
	Name      string  `json:"name" zen:"required,max=255"`
	Exclusive bool    `json:"exclusive"`
	Color     *string `json:"color"`
	Present   Present
}

type tagUpdate struct {
	Name      *string `json:"name" zen:"max=255"`
	Exclusive *bool   `json:"exclusive"`
	Color     *string `json:"color"`
}

// enumError is pydantic's answer for a value outside an enum.
func enumError(loc []string, value any, allowed []string) fieldError {
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = "'" + a + "'"
	}
	expected := quoted[0]
	if len(quoted) > 1 {
		expected = strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
	}
	return fieldError{typ: "enum", loc: loc, msg: "Input should be " + expected, input: value, ctx: "{'expected': " + zen.PyRepr(expected) + "}"}
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if a == v {
			return true
		}
	}
	return false
}

// checkTagFields applies the request-model rules shared by create and
// update: a known color and a name that is not a UUID.
func checkTagFields(name, color *string) error {
	var errs []fieldError
	if name != nil {
		if _, err := uuid.Parse(*name); err == nil {
			errs = append(errs, valueErrorAt([]string{"body", "name"}, "Tag names cannot be UUIDs or strings that can be converted to UUIDs.", *name))
		}
	}
	if color != nil && !oneOf(*color, zen.TagColors) {
		errs = append(errs, enumError([]string{"body", "color"}, *color, zen.TagColors))
	}
	if len(errs) > 0 {
		return &validationError{errs: errs}
	}
	return nil
}

func (s *Server) createTag(r *http.Request) (any, error) {
	var req tagRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkTagFields(&req.Name, req.Color); err != nil {
		return nil, err
	}
	if req.Present["color"] && req.Color == nil {
		return nil, &validationError{errs: []fieldError{enumError([]string{"body", "color"}, nil, zen.TagColors)}}
	}
	color := store.RandomTagColor()
	if req.Color != nil {
		color = *req.Color
	}
	me := current(r).user
	t, err := s.db.CreateTag(r.Context(), zen.Tag{Name: req.Name, Color: color, Exclusive: req.Exclusive, UserID: &me.ID})
	if err != nil {
		return nil, err
	}
	t.User = me
	return tagView(t, true, false), nil
}

func (s *Server) updateTag(r *http.Request) (any, error) {
	id, err := pathUUID(r, "tag_id")
	if err != nil {
		return nil, err
	}
	var req tagUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkTagFields(req.Name, req.Color); err != nil {
		return nil, err
	}
	t, err := s.db.UpdateTag(r.Context(), id, store.TagUpdate{Name: req.Name, Color: req.Color, Exclusive: req.Exclusive})
	if err != nil {
		return nil, err
	}
	return tagView(t, true, false), nil
}

// tagLinkRequest is the reference's TagResourceRequest.
type tagLinkRequest struct {
	TagID        uuid.UUID `json:"tag_id" zen:"required"`
	ResourceID   uuid.UUID `json:"resource_id" zen:"required"`
	ResourceType string    `json:"resource_type" zen:"required"`
}

func (l tagLinkRequest) link() store.TagLink {
	return store.TagLink{TagID: l.TagID, ResourceID: l.ResourceID, ResourceType: l.ResourceType}
}

// decodeTagLinks reads one link or, for the batch routes, a list of them.
func decodeTagLinks(r *http.Request, batch bool) ([]store.TagLink, error) {
	var reqs []tagLinkRequest
	if batch {
		var body struct {
			Items []tagLinkRequest `json:"items" zen:"required"`
		}
		raw, err := readBody(r)
		if err != nil {
			return nil, err
		}
		// The batch body is a bare JSON array; wrap it so the validator
		// reports item errors at ('body', i, field) as the reference does.
		if err := decodeJSON(wrapBatch(raw), &body); err != nil {
			return nil, rewrapBatchError(err)
		}
		reqs = body.Items
	} else {
		var one tagLinkRequest
		if err := decodeBody(r, &one); err != nil {
			return nil, err
		}
		reqs = []tagLinkRequest{one}
	}
	var errs []fieldError
	links := make([]store.TagLink, 0, len(reqs))
	for i, req := range reqs {
		if !oneOf(req.ResourceType, zen.TaggableResourceTypes) {
			loc := []string{"body", "resource_type"}
			if batch {
				loc = []string{"body", itoa(i), "resource_type"}
			}
			errs = append(errs, enumError(loc, req.ResourceType, zen.TaggableResourceTypes))
		}
		links = append(links, req.link())
	}
	if len(errs) > 0 {
		return nil, &validationError{errs: errs}
	}
	return links, nil
}

func (s *Server) createTagLink(r *http.Request) (any, error) {
	links, err := decodeTagLinks(r, false)
	if err != nil {
		return nil, err
	}
	out, err := s.db.CreateTagLinks(r.Context(), links)
	if err != nil {
		return nil, err
	}
	return tagLinkView(out[0]), nil
}

func (s *Server) createTagLinks(r *http.Request) (any, error) {
	links, err := decodeTagLinks(r, true)
	if err != nil {
		return nil, err
	}
	out, err := s.db.CreateTagLinks(r.Context(), links)
	if err != nil {
		return nil, err
	}
	views := make([]envelope, 0, len(out))
	for _, l := range out {
		views = append(views, tagLinkView(l))
	}
	return views, nil
}

func (s *Server) deleteTagLink(r *http.Request) (any, error) {
	links, err := decodeTagLinks(r, false)
	if err != nil {
		return nil, err
	}
	return nil, s.db.DeleteTagLinks(r.Context(), links)
}

func (s *Server) deleteTagLinks(r *http.Request) (any, error) {
	links, err := decodeTagLinks(r, true)
	if err != nil {
		return nil, err
	}
	return nil, s.db.DeleteTagLinks(r.Context(), links)
}

type tagLinkBody struct {
	Created      zen.Time  `json:"created"`
	Updated      zen.Time  `json:"updated"`
	TagID        uuid.UUID `json:"tag_id"`
	ResourceID   uuid.UUID `json:"resource_id"`
	ResourceType string    `json:"resource_type"`
}

func tagLinkView(l *zen.TagResource) envelope {
	return envelope{ID: l.ID, Body: tagLinkBody{Created: l.Created, Updated: l.Updated, TagID: l.TagID, ResourceID: l.ResourceID, ResourceType: l.ResourceType}}
}

func tagListView(t *zen.Tag, hydrate bool) envelope { return tagView(t, hydrate, false) }

func (s *Server) listTags() listRoute {
	return listOf(filter.Tags, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Tag], error) {
		return s.db.ListTags(r.Context(), q.List, q.scopeUser)
	}, tagListView)
}

func (s *Server) getTag() handler { return getByID("tag_id", s.db.GetTag, tagListView) }

func (s *Server) deleteTag() handler { return deleteByID("tag_id", s.db.DeleteTag) }
