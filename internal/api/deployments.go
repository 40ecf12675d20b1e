package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// Deployments: snapshots served by a deployer. zengo records them as the
// reference does; the deployers themselves run on the client's side.

type deploymentRequest struct {
	Project    uuid.UUID         `json:"project" zen:"required"`
	Name       string            `json:"name" zen:"required,max=255"`
	SnapshotID uuid.UUID         `json:"snapshot_id" zen:"required"`
	DeployerID uuid.UUID         `json:"deployer_id" zen:"required"`
	AuthKey    *string           `json:"auth_key"`
	Tags       []json.RawMessage `json:"tags"`
}

type deploymentUpdate struct {
	Name       *string           `json:"name" zen:"max=255"`
	SnapshotID *uuid.UUID        `json:"snapshot_id"`
	URL        *string           `json:"url"`
	Status     *deploymentStatus `json:"status"`
	Metadata   json.RawMessage   `json:"deployment_metadata"`
	AuthKey    *string           `json:"auth_key"`
	AddTags    []string          `json:"add_tags"`
	RemoveTags []string          `json:"remove_tags"`
}

func (s *Server) createDeployment(r *http.Request) (any, error) {
	var req deploymentRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := checkTagUnion(req.Tags); err != nil {
		return nil, err
	}
	project, err := s.scopeProject(r, req.Project.String())
	if err != nil {
		return nil, err
	}
	me := current(r).user
	d, err := s.db.CreateDeployment(r.Context(), store.Deployment{ProjectID: project.ID, UserID: &me.ID, Name: req.Name,
		SnapshotID: &req.SnapshotID, DeployerID: &req.DeployerID, AuthKey: req.AuthKey}, tagRefs(req.Tags))
	if err != nil {
		return nil, err
	}
	return deploymentView(d, true), nil
}

// checkTagUnion validates tags typed `str | Tag`, as pydantic reports a
// value that is neither: one error per member of the union.
func checkTagUnion(tags []json.RawMessage) error {
	for i, raw := range tags {
		var name string
		if json.Unmarshal(raw, &name) == nil {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			if v, ok := obj["name"]; ok && json.Unmarshal(v, &name) == nil {
				continue
			}
		}
		at := []string{"body", "tags", strconv.Itoa(i)}
		errs := []fieldError{{typ: "string_type", loc: append(append([]string{}, at...), "str"), msg: "Input should be a valid string", input: raw}}
		if obj != nil {
			errs = append(errs, fieldError{typ: "missing", loc: append(append([]string{}, at...), "Tag", "name"), msg: "Field required", input: raw})
		} else {
			errs = append(errs, fieldError{typ: "model_type", loc: append(append([]string{}, at...), "Tag"),
				msg: "Input should be a valid dictionary or instance of Tag", input: raw})
		}
		return &validationError{errs: errs}
	}
	return nil
}

func (s *Server) updateDeployment() handler {
	return updateByID("deployment_id", func(r *http.Request, id uuid.UUID, req *deploymentUpdate) (*store.Deployment, error) {
		return s.db.UpdateDeployment(r.Context(), id, store.DeploymentUpdate{Name: req.Name, SnapshotID: req.SnapshotID, URL: req.URL,
			Status: asStringPtr(req.Status), AuthKey: req.AuthKey, Metadata: nonNull(req.Metadata), AddTags: req.AddTags,
			RemoveTags: req.RemoveTags, UserID: &current(r).user.ID})
	}, deploymentView)
}

func (s *Server) listDeployments() listRoute {
	return listOf(filter.Deployments, func(r *http.Request, q *listQuery) (*zen.Page[*store.Deployment], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		return s.db.ListDeployments(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser})
	}, deploymentView)
}

func (s *Server) getDeployment() handler {
	return getByID("deployment_id", s.db.GetDeployment, deploymentView)
}

func (s *Server) deleteDeployment() handler {
	return deleteByID("deployment_id", s.db.DeleteDeployment)
}

type deploymentBody struct {
	Created   zen.Time   `json:"created"`
	Updated   zen.Time   `json:"updated"`
	UserID    *uuid.UUID `json:"user_id"`
	ProjectID uuid.UUID  `json:"project_id"`
	URL       *string    `json:"url"`
	Status    string     `json:"status"`
}

type deploymentMetadata struct {
	Metadata json.RawMessage `json:"deployment_metadata"`
	AuthKey  *string         `json:"auth_key"`
}

type deploymentResources struct {
	User           *envelope  `json:"user"`
	Snapshot       *envelope  `json:"snapshot"`
	Deployer       *envelope  `json:"deployer"`
	Pipeline       *envelope  `json:"pipeline"`
	Tags           []envelope `json:"tags"`
	Visualizations []envelope `json:"visualizations"`
	Stack          *envelope  `json:"stack"`
}

// deploymentView renders a deployment; its resources are there hydrated
// or not, as on the reference.
func deploymentView(d *store.Deployment, hydrate bool) envelope {
	res := deploymentResources{User: embeddedUser(d.User), Tags: tagViews(d.Tags), Visualizations: curatedViews(d.Visualizations)}
	if snap := d.Snapshot; snap != nil {
		res.Snapshot, res.Pipeline, res.Stack = bareSnapshot(snap), barePipeline(snap.Pipeline), bareStack(snap.Stack)
	}
	if d.Deployer != nil {
		c := componentView(d.Deployer, false, true)
		res.Deployer = &c
	}
	e := envelope{ID: d.ID, Name: named(d.Name), Resources: res, Body: deploymentBody{Created: d.Created, Updated: d.Updated,
		UserID: d.UserID, ProjectID: d.ProjectID, URL: d.URL, Status: d.Status}}
	if hydrate {
		e.Metadata = deploymentMetadata{Metadata: rawOr(d.Metadata, "{}"), AuthKey: d.AuthKey}
	}
	return e
}

// deploymentRefView renders the deployment a snapshot shows.
func deploymentRefView(d *zen.DeploymentRef) any {
	if d == nil {
		return nil
	}
	return envelope{ID: d.ID, Name: named(d.Name), Body: deploymentBody{Created: d.Created, Updated: d.Updated, UserID: d.UserID,
		ProjectID: d.ProjectID, URL: d.URL, Status: d.Status}}
}
