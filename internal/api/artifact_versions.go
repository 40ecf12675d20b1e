package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"

	"zengo/internal/auth"
	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/logs"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// artifactVersionRequest is the reference's ArtifactVersionRequest.
type artifactVersionRequest struct {
	Project         uuid.UUID                  `json:"project" zen:"required"`
	ArtifactName    *string                    `json:"artifact_name"`
	ArtifactID      *uuid.UUID                 `json:"artifact_id"`
	Version         json.RawMessage            `json:"version"`
	HasCustomName   bool                       `json:"has_custom_name"`
	Type            artifactType               `json:"type" zen:"required"`
	URI             string                     `json:"uri" zen:"required,max=65535"`
	Materializer    json.RawMessage            `json:"materializer" zen:"required"`
	DataType        json.RawMessage            `json:"data_type" zen:"required"`
	SaveType        artifactSaveType           `json:"save_type" zen:"required"`
	ArtifactStoreID *uuid.UUID                 `json:"artifact_store_id"`
	ContentHash     *string                    `json:"content_hash" zen:"max=255"`
	ItemCount       *int64                     `json:"item_count"`
	Tags            []json.RawMessage          `json:"tags"`
	Visualizations  []visualizationReq         `json:"visualizations"`
	Metadata        map[string]json.RawMessage `json:"metadata"`
}

type visualizationReq struct {
	Type visualizationType `json:"type" zen:"required"`
	URI  string            `json:"uri" zen:"required"`
}

// sourceObject reads a source given as a dotted path or as the reference's
// {module, attribute, type} object, and returns the object form.
func sourceObject(raw json.RawMessage) json.RawMessage {
	var dotted string
	if json.Unmarshal(raw, &dotted) != nil {
		return raw
	}
	return catalog.SourceObject(dotted)
}

func (req artifactVersionRequest) toStore(userID uuid.UUID, body any) (store.NewArtifactVersion, error) {
	switch {
	case req.ArtifactName != nil && req.ArtifactID != nil:
		return store.NewArtifactVersion{}, valueErrors([]string{"body"}, "Only one of artifact_name and artifact_id can be set.", body)
	case req.ArtifactName == nil && req.ArtifactID == nil:
		return store.NewArtifactVersion{}, valueErrors([]string{"body"}, "Either artifact_name or artifact_id must be set.", body)
	}
	version, err := requestedVersion(req.Version)
	if err != nil {
		return store.NewArtifactVersion{}, err
	}
	nv := store.NewArtifactVersion{ArtifactVersion: store.ArtifactVersion{
		ProjectID: req.Project, HasCustomName: req.HasCustomName, UserID: &userID,
		Type: string(req.Type), URI: req.URI, Materializer: sourceObject(req.Materializer), DataType: sourceObject(req.DataType),
		SaveType: string(req.SaveType), ArtifactStoreID: req.ArtifactStoreID, ContentHash: req.ContentHash, ItemCount: req.ItemCount,
	}, Metadata: req.Metadata, Tags: tagRefs(req.Tags), RequestedVersion: version}
	if req.ArtifactName != nil {
		nv.ArtifactName = *req.ArtifactName
	} else {
		nv.ArtifactID = *req.ArtifactID
	}
	for _, v := range req.Visualizations {
		nv.Visualizations = append(nv.Visualizations, struct{ Type, URI string }{string(v.Type), v.URI})
	}
	return nv, nil
}

// requestedVersion reads the reference's `version: int | str | None`: nil
// asks for the next number; a falsy one (0, "", false) is its 400.
func requestedVersion(raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var v string
	var b bool
	var n json.Number
	switch {
	case json.Unmarshal(raw, &v) == nil:
	case json.Unmarshal(raw, &b) == nil:
		v = map[bool]string{true: "1", false: ""}[b]
	case json.Unmarshal(raw, &n) == nil:
		i, err := n.Int64()
		if err != nil {
			return nil, &validationError{errs: []fieldError{{typ: "int_from_float", loc: []string{"body", "version", "int"},
				msg: "Input should be a valid integer, got a number with a fractional part", input: n}, {typ: "string_type",
				loc: []string{"body", "version", "str"}, msg: "Input should be a valid string", input: n}}}
		}
		if i != 0 {
			v = strconv.FormatInt(i, 10)
		}
	default:
		return nil, &validationError{errs: []fieldError{{typ: "string_type", loc: []string{"body", "version"}, msg: "Input should be a valid string", input: raw}}}
	}
	if utf8.RuneCountInString(v) >= zen.MaxNameLength {
		return nil, &validationError{errs: []fieldError{{typ: "assertion_error", loc: []string{"body", "version"},
			msg: "Assertion failed, The length of the value for this field can not exceed 255", input: v,
			ctx: "{'error': AssertionError('The length of the value for this field can not exceed 255')}"}}}
	}
	if v == "" {
		return nil, zen.Errorf(zen.EInvalid, "Missing version for artifact version request.")
	}
	return &v, nil
}

func (s *Server) createArtifactVersion(r *http.Request) (any, error) {
	var req artifactVersionRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	out, err := s.createArtifactVersions(r, []artifactVersionRequest{req})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (s *Server) createArtifactVersionBatch(r *http.Request) (any, error) {
	var body struct {
		Items []artifactVersionRequest `json:"items" zen:"required"`
	}
	raw, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if err := decodeJSON(wrapBatch(raw), &body); err != nil {
		return nil, rewrapBatchError(err)
	}
	return s.createArtifactVersions(r, body.Items)
}

func (s *Server) createArtifactVersions(r *http.Request, reqs []artifactVersionRequest) ([]envelope, error) {
	me := current(r).user
	news := make([]store.NewArtifactVersion, 0, len(reqs))
	for _, req := range reqs {
		nv, err := req.toStore(me.ID, bodyEcho(r))
		if err != nil {
			return nil, err
		}
		if _, err := s.db.GetProject(r.Context(), req.Project.String()); err != nil {
			return nil, err
		}
		news = append(news, nv)
	}
	created, err := s.db.CreateArtifactVersions(r.Context(), news)
	if err != nil {
		return nil, err
	}
	out := make([]envelope, 0, len(created))
	for _, av := range created {
		out = append(out, artifactVersionView(av, true))
	}
	return out, nil
}

func (s *Server) getArtifactVersion() handler {
	return getByID("artifact_version_id", s.db.GetArtifactVersion, artifactVersionView)
}

type artifactVersionBody struct {
	Created         zen.Time        `json:"created"`
	Updated         zen.Time        `json:"updated"`
	UserID          *uuid.UUID      `json:"user_id"`
	ProjectID       uuid.UUID       `json:"project_id"`
	Artifact        envelope        `json:"artifact"`
	Version         string          `json:"version"`
	URI             string          `json:"uri"`
	Type            string          `json:"type"`
	Materializer    json.RawMessage `json:"materializer"`
	DataType        json.RawMessage `json:"data_type"`
	SaveType        string          `json:"save_type"`
	ArtifactStoreID *uuid.UUID      `json:"artifact_store_id"`
	ContentHash     *string         `json:"content_hash"`
	ItemCount       *int64          `json:"item_count"`
}

type artifactVersionMetadata struct {
	Visualizations []envelope   `json:"visualizations"`
	RunMetadata    zen.Metadata `json:"run_metadata"`
}

type artifactVersionResources struct {
	User                  *envelope  `json:"user"`
	Tags                  []envelope `json:"tags"`
	ProducerStepRunID     *uuid.UUID `json:"producer_step_run_id"`
	ProducerPipelineRunID *uuid.UUID `json:"producer_pipeline_run_id"`
}

// artifactVersionView renders an artifact version: its resources come with
// every answer, lists included, as on the reference.
func artifactVersionView(av *store.ArtifactVersion, hydrate bool) envelope {
	e := artifactVersionNested(av)
	e.Resources = artifactVersionResources{User: embeddedUser(av.User), Tags: tagViews(av.Tags),
		ProducerStepRunID: av.ProducerStepRunID, ProducerPipelineRunID: av.ProducerRunID}
	if hydrate {
		vis := make([]envelope, 0, len(av.Visualizations))
		for _, v := range av.Visualizations {
			vis = append(vis, artifactVisualizationView(v))
		}
		meta := av.RunMetadata
		e.Metadata = artifactVersionMetadata{Visualizations: vis, RunMetadata: meta}
	}
	return e
}

// artifactVersionNested is a version inside another answer (a step's
// inputs and outputs): body only.
func artifactVersionNested(av *store.ArtifactVersion) envelope {
	artifact := envelope{ID: av.ArtifactID, Name: named(av.ArtifactName),
		Body: scopedBody{Created: av.ArtifactCreated, Updated: av.ArtifactUpdated, UserID: av.ArtifactUserID, ProjectID: av.ProjectID}}
	e := envelope{ID: av.ID, Body: artifactVersionBody{Created: av.Created, Updated: av.Updated, UserID: av.UserID, ProjectID: av.ProjectID,
		Artifact: artifact, Version: av.Version, URI: av.URI, Type: av.Type, Materializer: av.Materializer, DataType: av.DataType,
		SaveType: av.SaveType, ArtifactStoreID: av.ArtifactStoreID, ContentHash: av.ContentHash, ItemCount: av.ItemCount}}
	return e
}

// artifactVersionUpdate is the reference's ArtifactVersionUpdate; it
// accepts a name and ignores it.
type artifactVersionUpdate struct {
	Name       *string  `json:"name"`
	AddTags    []string `json:"add_tags"`
	RemoveTags []string `json:"remove_tags"`
}

func (s *Server) listArtifactVersions() listRoute {
	return listOf(filter.ArtifactVersions, func(r *http.Request, q *listQuery) (*zen.Page[*store.ArtifactVersion], error) {
		project, err := s.scopeProject(r, q.Scope["project"])
		if err != nil {
			return nil, err
		}
		onlyUnused := false
		if v, ok := q.Scope["only_unused"]; ok {
			onlyUnused, _ = filter.ParseBool(v)
		}
		return s.db.ListArtifactVersions(r.Context(), q.List, store.ProjectScope{ProjectID: project.ID, ScopeUser: q.scopeUser}, onlyUnused)
	}, artifactVersionView)
}

func (s *Server) updateArtifactVersion() handler {
	return updateByID("artifact_version_id", func(r *http.Request, id uuid.UUID, req *artifactVersionUpdate) (*store.ArtifactVersion, error) {
		return s.db.UpdateArtifactVersion(r.Context(), id, store.ArtifactVersionUpdate{AddTags: req.AddTags, RemoveTags: req.RemoveTags}, &current(r).user.ID)
	}, artifactVersionView)
}

// deleteArtifactVersion removes a version's record (delete_metadata, the
// default) and, on request, its data, which a server-side delete can only
// reach on a store the server may read.
func (s *Server) deleteArtifactVersion(r *http.Request) (any, error) {
	id, err := pathUUID(r, "artifact_version_id")
	if err != nil {
		return nil, err
	}
	deleteMetadata, err := boolParam(r, "delete_metadata", true)
	if err != nil {
		return nil, err
	}
	fromStore, err := boolParam(r, "delete_from_artifact_store", false)
	if err != nil {
		return nil, err
	}
	av, err := s.db.GetArtifactVersion(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if fromStore {
		if av.ArtifactStoreID == nil {
			return nil, zen.Errorf(zen.EInvalid, "Artifact version has no artifact store, cannot delete data.")
		}
		return nil, zen.Errorf(zen.EInternal, "Artifact data at '%s' could not be deleted. Delete the data manually from the artifact store. Full error: %s", av.URI, localFilesRefused)
	}
	if !deleteMetadata {
		return nil, nil
	}
	return nil, s.db.DeleteArtifactVersion(r.Context(), id)
}

// pruneArtifactVersions deletes a project's versions that no step run
// uses and, unless only_versions, the artifacts left without versions. The
// reference's route fails on every call (its store method misses an
// argument); zengo does what the client means by it.
func (s *Server) pruneArtifactVersions(r *http.Request) (any, error) {
	name := r.URL.Query().Get("project_name_or_id")
	if name == "" {
		return nil, &validationError{errs: []fieldError{{typ: "missing", loc: []string{"query", "project_name_or_id"}, msg: "Field required", input: nil}}}
	}
	onlyVersions, err := boolParam(r, "only_versions", true)
	if err != nil {
		return nil, err
	}
	project, err := s.db.GetProject(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return nil, s.db.PruneArtifactVersions(r.Context(), project.ID, onlyVersions)
}

// localFilesRefused is the reference's word on files of a local artifact
// store, which a server does not read unless told it may.
const localFilesRefused = "Files in a local artifact store cannot be accessed from the server."

// visualizeArtifactVersion reads a visualization of a version from its
// local artifact store, as the reference does with local file access
// (ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS), else answers its 403; images come
// base64-encoded. artifactDownloadToken answers the reference's 403: zengo
// issues no download tokens.
func (s *Server) visualizeArtifactVersion(r *http.Request) (any, error) {
	id, err := pathUUID(r, "artifact_version_id")
	if err != nil {
		return nil, err
	}
	index := 0
	if v := r.URL.Query().Get("index"); v != "" {
		n, ok := filter.LaxInt(v)
		if !ok {
			return nil, &validationError{errs: []fieldError{{typ: "int_parsing", loc: []string{"query", "index"}, msg: "Input should be a valid integer, unable to parse string as an integer", input: v}}}
		}
		index = n
	}
	av, err := s.artifactInStore(r, id)
	if err != nil {
		return nil, err
	}
	switch n := len(av.Visualizations); {
	case n == 0:
		return nil, &zen.Error{Code: zen.ENotFound, Name: "DoesNotExistException", Message: "Artifact '" + id.String() + "' has no visualizations."}
	case index < 0 || index >= n:
		return nil, &zen.Error{Code: zen.ENotFound, Name: "DoesNotExistException",
			Message: "Artifact '" + id.String() + "' only has " + strconv.Itoa(n) + " visualizations, but index " + strconv.Itoa(index) + " was requested."}
	}
	c, err := s.storeComponent(r.Context(), *av.ArtifactStoreID, "artifact_store", "Artifact store", "an artifact store")
	if err != nil {
		return nil, err
	}
	vis := av.Visualizations[index]
	root, err := s.storeFileRoot(c, vis.URI, "visualizations")
	if err != nil {
		return nil, err
	}
	data, err := logs.ReadFile(root, vis.URI, maxVisualizationBytes)
	var outside *logs.OutsideError
	switch {
	case errors.As(err, &outside):
		return nil, zen.Errorf(zen.EInternal, "%s", outside.Error())
	case errors.Is(err, fs.ErrNotExist):
		return nil, doesNotExist("File '%s' does not exist in artifact store '%s'.", vis.URI, c.Name)
	case errors.Is(err, logs.ErrTooLarge):
		return nil, zen.Errorf(zen.EInvalid, "Visualization '%s' is larger than %d bytes.", vis.URI, maxVisualizationBytes)
	case err != nil:
		return nil, err
	}
	value := string(data)
	if vis.Type == "image" {
		value = base64.StdEncoding.EncodeToString(data)
	}
	return loadedVisualization{Type: vis.Type, Value: value}, nil
}

// maxVisualizationBytes bounds a visualization read into one answer.
const maxVisualizationBytes = 64 << 20

// loadedVisualization is the reference's LoadedVisualization.
type loadedVisualization struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func (s *Server) artifactDownloadToken(r *http.Request) (any, error) {
	id, err := pathUUID(r, "artifact_version_id")
	if err != nil {
		return nil, err
	}
	if _, err := s.artifactInStore(r, id); err != nil {
		return nil, err
	}
	return nil, zen.Errorf(zen.EForbidden, localFilesRefused)
}

// artifactVersionData serves a download token's data. zengo issues no
// download tokens (it reads no artifact store), so every token is refused
// as the reference refuses a bad one: a malformed or foreign one by the
// JWT check, any token of this server for its audience (a login's, not a
// download's).
func (s *Server) artifactVersionData(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if _, err := pathUUID(r, "artifact_version_id"); err != nil {
		writeError(w, r, err)
		return
	}
	if token == "" {
		writeError(w, r, &validationError{errs: []fieldError{{typ: "missing", loc: []string{"query", "token"}, msg: "Field required", input: nil}}})
		return
	}
	s.refuseDownloadToken(w, r, token)
}

// refuseDownloadToken answers a download token as the reference answers
// one it did not issue for downloads: a malformed or foreign one fails the
// JWT check, any token of this server its audience (a login's).
func (s *Server) refuseDownloadToken(w http.ResponseWriter, r *http.Request, token string) {
	if _, err := auth.Verify(token, s.secret, s.serverID.String(), s.cfg.Now()); err != nil {
		writeError(w, r, credentialsError("%s", err))
		return
	}
	writeError(w, r, credentialsError("Invalid JWT token: Invalid audience"))
}

// artifactInStore is a version that has an artifact store.
func (s *Server) artifactInStore(r *http.Request, id uuid.UUID) (*store.ArtifactVersion, error) {
	av, err := s.db.GetArtifactVersion(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if av.ArtifactStoreID == nil {
		return nil, zen.NotFound("Artifact version %s has no artifact store", id)
	}
	return av, nil
}
