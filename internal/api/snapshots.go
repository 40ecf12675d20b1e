package api

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// The snapshot routes besides create and get (runs.go): the list, updates,
// prune, and the code routes, which need a code path zengo's snapshots
// never have (the client uploads code only for remote builds).

func (s *Server) listSnapshots() listRoute {
	return listOf(filter.Snapshots, func(r *http.Request, q *listQuery) (*zen.Page[*zen.Snapshot], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		var flags store.SnapshotFlags
		flag := func(name string) (*bool, error) {
			v, ok := q.Scope[name]
			if !ok || v == "" {
				return nil, nil
			}
			b, ok := filter.ParseBool(v)
			if !ok {
				return nil, &validationError{errs: []fieldError{{typ: "bool_parsing", loc: []string{"query", name},
					msg: "Input should be a valid boolean, unable to interpret input", input: v}}}
			}
			return &b, nil
		}
		for name, dst := range map[string]*bool{"named_only": &flags.NamedOnly, "runnable": &flags.Runnable, "deployable": &flags.Deployable} {
			b, err := flag(name)
			if err != nil {
				return nil, err
			}
			*dst = b != nil && *b
		}
		if flags.Deployed, err = flag("deployed"); err != nil {
			return nil, err
		}
		if v := q.Scope["trigger_id"]; v != "" {
			id, err := uuid.Parse(v)
			if err != nil {
				return nil, &validationError{errs: []fieldError{uuidError([]string{"query", "trigger_id"}, v)}}
			}
			flags.TriggerID = &id
		}
		return s.db.ListSnapshots(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser}, flags)
	}, func(snap *zen.Snapshot, hydrate bool) envelope { return snapshotView(snap, hydrate, nil) })
}

// snapshotUpdate is the reference's PipelineSnapshotUpdate.
type snapshotUpdate struct {
	Name        json.RawMessage `json:"name"`
	Description *string         `json:"description"`
	Replace     *bool           `json:"replace"`
	AddTags     []string        `json:"add_tags"`
	RemoveTags  []string        `json:"remove_tags"`
	Present     Present
}

func (s *Server) updateSnapshot() handler {
	return updateByID("snapshot_id", func(r *http.Request, id uuid.UUID, req *snapshotUpdate) (*zen.Snapshot, error) {
		name, err := snapshotName(req.Name)
		if err != nil {
			return nil, err
		}
		if name != nil {
			if err := checkSnapshotName(*name, "PipelineSnapshotUpdate"); err != nil {
				return nil, err
			}
		}
		up := store.SnapshotUpdate{Name: name, ClearName: string(req.Name) == "false", Description: req.Description,
			Replace: req.Replace != nil && *req.Replace, AddTags: req.AddTags, RemoveTags: req.RemoveTags}
		return s.db.UpdateSnapshot(r.Context(), id, up, &current(r).user.ID)
	}, func(snap *zen.Snapshot, hydrate bool) envelope { return snapshotView(snap, hydrate, nil) })
}

// checkSnapshotName refuses the characters the reference's names may not
// hold.
func checkSnapshotName(name, model string) error {
	for _, c := range "\t\n\r\v\f" {
		for _, n := range name {
			if n == c {
				return zen.Errorf(zen.EInvalid, "The name `%s` of the `%s` contains the following forbidden characters: `%s`.", name, model, string(c))
			}
		}
	}
	return nil
}

// snapshotPrune is the reference's PipelineSnapshotPruneRequest.
type snapshotPrune struct {
	Project   uuid.UUID `json:"project" zen:"required"`
	OlderThan zen.Time  `json:"older_than" zen:"required"`
	Apply     bool      `json:"apply"`
}

type pruneAnswer struct {
	SnapshotCount *int       `json:"snapshot_count"`
	TaskID        *uuid.UUID `json:"task_id"`
}

// pruneSnapshots counts what a prune would delete, or deletes it. The
// reference runs the deletion as a background task and answers its id;
// zengo deletes in the request and answers a task id all the same.
func (s *Server) pruneSnapshots(r *http.Request) (any, error) {
	var req snapshotPrune
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	n, err := s.db.PruneSnapshots(r.Context(), req.Project, req.OlderThan, req.Apply)
	if err != nil {
		return nil, err
	}
	if req.Apply {
		task := uuid.New()
		return pruneAnswer{TaskID: &task}, nil
	}
	return pruneAnswer{SnapshotCount: &n}, nil
}

func (s *Server) snapshotDownloadToken(r *http.Request) (any, error) {
	id, err := pathUUID(r, "snapshot_id")
	if err != nil {
		return nil, err
	}
	snap, err := s.db.GetSnapshot(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if snap.StackID == nil {
		return nil, zen.Errorf(zen.EInvalid, "Snapshot %s has no stack.", id)
	}
	return nil, zen.Errorf(zen.EInvalid, "Snapshot %s has no code path.", id)
}

// snapshotCode serves a download token's code; none is ever issued.
func (s *Server) snapshotCode(w http.ResponseWriter, r *http.Request) {
	if _, err := pathUUID(r, "snapshot_id"); err != nil {
		writeError(w, r, err)
		return
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		writeError(w, r, &validationError{errs: []fieldError{{typ: "missing", loc: []string{"query", "token"}, msg: "Field required", input: nil}}})
		return
	}
	s.refuseDownloadToken(w, r, token)
}
