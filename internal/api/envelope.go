package api

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"zengo/internal/jsonobj"
	"zengo/internal/zen"
)

// The reference answers every entity as an envelope: the id and name at
// the top, then body (always), metadata (only when hydrated) and resources.
// Field order follows the reference's output.

type envelope struct {
	Body             any       `json:"body"`
	Metadata         any       `json:"metadata"`
	Resources        any       `json:"resources"`
	ID               uuid.UUID `json:"id"`
	PermissionDenied bool      `json:"permission_denied"`
	// Name is a string for named resources, a nil *string for resources
	// whose name may be null (snapshots), and nil for nameless ones.
	Name any `json:"name,omitempty"`
}

func named(name string) any { return name }

// page is the reference's Page envelope.
type page struct {
	Index      int   `json:"index"`
	MaxSize    int   `json:"max_size"`
	TotalPages int   `json:"total_pages"`
	Total      int   `json:"total"`
	Items      []any `json:"items"`
}

// pageOf renders a page of domain items with render.
func pageOf[T any](p *zen.Page[T], render func(T) any) page {
	out := page{Index: p.Index, MaxSize: p.MaxSize, TotalPages: p.TotalPages, Total: p.Total, Items: make([]any, 0, len(p.Items))}
	for _, item := range p.Items {
		out.Items = append(out.Items, render(item))
	}
	return out
}

// emptyObject is the `{}` the reference sends for empty metadata and
// resources models.
var emptyObject = struct{}{}

// nonNull returns raw JSON, or nil for an absent or null value.
func nonNull(raw json.RawMessage) json.RawMessage {
	if string(raw) == "null" {
		return nil
	}
	return raw
}

// rawOr returns raw JSON, or def when it is empty.
func rawOr(raw json.RawMessage, def string) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(def)
	}
	return raw
}

// --- users ---

type userBody struct {
	Created          zen.Time   `json:"created"`
	Updated          zen.Time   `json:"updated"`
	Active           bool       `json:"active"`
	ActivationToken  *string    `json:"activation_token"`
	FullName         string     `json:"full_name"`
	EmailOptedIn     *bool      `json:"email_opted_in"`
	IsServiceAccount bool       `json:"is_service_account"`
	IsAdmin          bool       `json:"is_admin"`
	DefaultProjectID *uuid.UUID `json:"default_project_id"`
	AvatarURL        *string    `json:"avatar_url"`
}

type userMetadata struct {
	PasswordChangedAt *zen.Time       `json:"password_changed_at"`
	Email             *string         `json:"email"`
	ExternalUserID    *uuid.UUID      `json:"external_user_id"`
	UserMetadata      json.RawMessage `json:"user_metadata"`
	OIDCClaims        struct{}        `json:"oidc_claims"`
}

// userView renders a user. private marks the caller's own GET
// /current-user: only there does the reference show the email and when the
// password last changed.
func userView(u *zen.User, hydrate, private bool) envelope {
	e := envelope{ID: u.ID, Name: named(u.Name), Body: userBody{
		Created: u.Created, Updated: u.Updated, Active: u.Active, ActivationToken: u.ActivationToken,
		FullName: u.FullName, EmailOptedIn: u.EmailOptedIn, IsServiceAccount: u.IsServiceAccount,
		IsAdmin: u.IsAdmin, DefaultProjectID: u.DefaultProjectID, AvatarURL: u.AvatarURL,
	}}
	if hydrate {
		m := userMetadata{ExternalUserID: u.ExternalUserID, UserMetadata: rawOr(u.UserMetadata, "{}")}
		if private {
			m.PasswordChangedAt, m.Email = u.PasswordChangedAt, u.Email
		}
		e.Metadata = m
	}
	return e
}

// --- service accounts ---

type serviceAccountBody struct {
	Created   zen.Time `json:"created"`
	Updated   zen.Time `json:"updated"`
	FullName  string   `json:"full_name"`
	Active    bool     `json:"active"`
	AvatarURL *string  `json:"avatar_url"`
}

type serviceAccountMetadata struct {
	Description    string     `json:"description"`
	ExternalUserID *uuid.UUID `json:"external_user_id"`
}

func serviceAccountView(u *zen.User, hydrate bool) envelope {
	e := envelope{ID: u.ID, Name: named(u.Name), Body: serviceAccountBody{
		Created: u.Created, Updated: u.Updated, Active: u.Active, FullName: u.FullName, AvatarURL: u.AvatarURL,
	}}
	if hydrate {
		e.Metadata = serviceAccountMetadata{Description: deref(u.Description), ExternalUserID: u.ExternalUserID}
	}
	return e
}

type apiKeyBody struct {
	Created        zen.Time `json:"created"`
	Updated        zen.Time `json:"updated"`
	Key            *string  `json:"key"`
	Active         bool     `json:"active"`
	ServiceAccount envelope `json:"service_account"`
}

type apiKeyMetadata struct {
	Description         string    `json:"description"`
	RetainPeriodMinutes int       `json:"retain_period_minutes"`
	LastLogin           *zen.Time `json:"last_login"`
	LastRotated         *zen.Time `json:"last_rotated"`
}

func apiKeyView(k *zen.APIKey, hydrate bool) envelope {
	e := envelope{ID: k.ID, Name: named(k.Name), Body: apiKeyBody{
		Created: k.Created, Updated: k.Updated, Key: k.Key, Active: k.Active,
		ServiceAccount: serviceAccountView(k.ServiceAccount, false),
	}}
	if hydrate {
		e.Metadata = apiKeyMetadata{Description: k.Description, RetainPeriodMinutes: k.RetainPeriodMinutes, LastLogin: k.LastLogin, LastRotated: k.LastRotated}
	}
	return e
}

// --- projects ---

type projectBody struct {
	Created     zen.Time `json:"created"`
	Updated     zen.Time `json:"updated"`
	DisplayName string   `json:"display_name"`
}

type projectMetadata struct {
	Description     string          `json:"description"`
	ProjectMetadata json.RawMessage `json:"project_metadata"`
}

func projectView(p *zen.Project, hydrate bool) envelope {
	e := envelope{ID: p.ID, Name: named(p.Name), Body: projectBody{Created: p.Created, Updated: p.Updated, DisplayName: p.DisplayName}}
	if hydrate {
		e.Metadata = projectMetadata{Description: p.Description, ProjectMetadata: rawOr(p.Metadata, "{}")}
	}
	return e
}

// --- flavors, components, stacks ---

type userResources struct {
	User *envelope `json:"user"`
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// --- pipelines, tags, visualizations ---

type scopedBody struct {
	Created   zen.Time   `json:"created"`
	Updated   zen.Time   `json:"updated"`
	UserID    *uuid.UUID `json:"user_id"`
	ProjectID uuid.UUID  `json:"project_id"`
}

type descriptionMetadata struct {
	Description *string `json:"description"`
}

type pipelineResources struct {
	User            *envelope  `json:"user"`
	LatestRunUser   *envelope  `json:"latest_run_user"`
	LatestRunID     *uuid.UUID `json:"latest_run_id"`
	LatestRunStatus *string    `json:"latest_run_status"`
	Tags            []envelope `json:"tags"`
	Visualizations  []envelope `json:"visualizations"`
}

// embeddedUser renders a related user the way resources show them: not
// hydrated, or null.
func embeddedUser(u *zen.User) *envelope {
	if u == nil {
		return nil
	}
	e := userView(u, false, false)
	return &e
}

func pipelineView(p *zen.Pipeline, hydrate bool) envelope {
	e := envelope{ID: p.ID, Name: named(p.Name),
		Body: scopedBody{Created: p.Created, Updated: p.Updated, UserID: p.UserID, ProjectID: p.ProjectID},
		Resources: pipelineResources{
			User: embeddedUser(p.User), LatestRunUser: embeddedUser(p.LatestRunUser),
			LatestRunID: p.LatestRunID, LatestRunStatus: p.LatestRunStatus,
			Tags: tagViews(p.Tags), Visualizations: curatedViews(p.Visualizations),
		}}
	if hydrate {
		e.Metadata = descriptionMetadata{Description: p.Description}
	}
	return e
}

type tagBody struct {
	Created   zen.Time   `json:"created"`
	Updated   zen.Time   `json:"updated"`
	UserID    *uuid.UUID `json:"user_id"`
	Color     string     `json:"color"`
	Exclusive bool       `json:"exclusive"`
}

type tagMetadata struct {
	TaggedCount int `json:"tagged_count"`
}

// tagView renders a tag; tags nested in another resource are bare.
func tagView(t *zen.Tag, hydrate, embedded bool) envelope {
	e := envelope{ID: t.ID, Name: named(t.Name), Body: tagBody{Created: t.Created, Updated: t.Updated, UserID: t.UserID, Color: t.Color, Exclusive: t.Exclusive}}
	if embedded {
		return e
	}
	e.Resources = userResources{User: embeddedUser(t.User)}
	if hydrate {
		e.Metadata = tagMetadata{TaggedCount: t.TaggedCount}
	}
	return e
}

func tagViews(tags []*zen.Tag) []envelope {
	out := make([]envelope, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagView(t, false, true))
	}
	return out
}

type curatedBody struct {
	Created                 zen.Time   `json:"created"`
	Updated                 zen.Time   `json:"updated"`
	UserID                  *uuid.UUID `json:"user_id"`
	ProjectID               uuid.UUID  `json:"project_id"`
	ArtifactVisualizationID uuid.UUID  `json:"artifact_visualization_id"`
	ArtifactVersionID       uuid.UUID  `json:"artifact_version_id"`
	DisplayName             *string    `json:"display_name"`
	DisplayOrder            *int       `json:"display_order"`
	LayoutSize              string     `json:"layout_size"`
	ResourceID              uuid.UUID  `json:"resource_id"`
	ResourceType            string     `json:"resource_type"`
}

type curatedResources struct {
	User                  *envelope `json:"user"`
	ArtifactVisualization envelope  `json:"artifact_visualization"`
}

type artifactVisualizationBody struct {
	Created zen.Time `json:"created"`
	Updated zen.Time `json:"updated"`
	Type    string   `json:"type"`
	URI     string   `json:"uri"`
}

func artifactVisualizationView(a *zen.ArtifactVisualization) envelope {
	return envelope{ID: a.ID, Body: artifactVisualizationBody{Created: a.Created, Updated: a.Updated, Type: a.Type, URI: a.URI}}
}

// curatedView renders a curated visualization; hydrated answers carry the
// artifact visualization it shows.
func curatedView(v *zen.CuratedVisualization, hydrate bool) envelope {
	e := envelope{ID: v.ID, Body: curatedBody{Created: v.Created, Updated: v.Updated, ProjectID: v.ProjectID,
		ArtifactVisualizationID: v.ArtifactVisualizationID, ArtifactVersionID: v.ArtifactVersionID,
		DisplayName: v.DisplayName, DisplayOrder: v.DisplayOrder, LayoutSize: v.LayoutSize,
		ResourceID: v.ResourceID, ResourceType: v.ResourceType}}
	if hydrate && v.ArtifactVisualization != nil {
		e.Metadata = emptyObject
		e.Resources = curatedResources{ArtifactVisualization: artifactVisualizationView(v.ArtifactVisualization)}
	}
	return e
}

func curatedViews(vs []*zen.CuratedVisualization) []envelope {
	out := make([]envelope, 0, len(vs))
	for _, v := range vs {
		out = append(out, curatedView(v, false))
	}
	return out
}

// --- snapshots and runs ---

type snapshotBody struct {
	Created    zen.Time   `json:"created"`
	Updated    zen.Time   `json:"updated"`
	UserID     *uuid.UUID `json:"user_id"`
	ProjectID  uuid.UUID  `json:"project_id"`
	Runnable   bool       `json:"runnable"`
	Deployable bool       `json:"deployable"`
	IsDynamic  bool       `json:"is_dynamic"`
	PipelineID uuid.UUID  `json:"pipeline_id"`
}

type snapshotMetadata struct {
	Description           *string         `json:"description"`
	SourceCode            *string         `json:"source_code"`
	RunNameTemplate       string          `json:"run_name_template"`
	PipelineConfiguration json.RawMessage `json:"pipeline_configuration"`
	StepConfigurations    json.RawMessage `json:"step_configurations"`
	ClientEnvironment     json.RawMessage `json:"client_environment"`
	ClientVersion         *string         `json:"client_version"`
	ServerVersion         *string         `json:"server_version"`
	PipelineVersionHash   *string         `json:"pipeline_version_hash"`
	PipelineSpec          json.RawMessage `json:"pipeline_spec"`
	CodePath              *string         `json:"code_path"`
	TemplateID            *uuid.UUID      `json:"template_id"`
	SourceSnapshotID      *uuid.UUID      `json:"source_snapshot_id"`
	ConfigTemplate        any             `json:"config_template"`
	ConfigSchema          any             `json:"config_schema"`
}

type snapshotResources struct {
	User            *envelope  `json:"user"`
	Pipeline        *envelope  `json:"pipeline"`
	Stack           *envelope  `json:"stack"`
	Build           any        `json:"build"`
	Schedule        any        `json:"schedule"`
	CodeReference   any        `json:"code_reference"`
	Deployment      any        `json:"deployment"`
	Tags            []envelope `json:"tags"`
	LatestRunID     *uuid.UUID `json:"latest_run_id"`
	LatestRunStatus *string    `json:"latest_run_status"`
	LatestRunUser   *envelope  `json:"latest_run_user"`
	Visualizations  []envelope `json:"visualizations"`
}

// snapshotBodyOf is a snapshot's body: runnable with a build that is not
// local and has a stack, deployable with a build on a stack that has a
// deployer.
func snapshotBodyOf(s *zen.Snapshot) snapshotBody {
	b := s.Build
	return snapshotBody{Created: s.Created, Updated: s.Updated, UserID: s.UserID, ProjectID: s.ProjectID, IsDynamic: s.IsDynamic, PipelineID: s.PipelineID,
		Runnable: b != nil && !b.IsLocal && b.StackID != nil, Deployable: b != nil && s.StackDeploys}
}

// bareBuild renders a build nested in another resource.
func bareBuild(b *zen.BuildRef) *envelope {
	if b == nil {
		return nil
	}
	return &envelope{ID: b.ID, Body: scopedBody{Created: b.Created, Updated: b.Updated, UserID: b.UserID, ProjectID: b.ProjectID}}
}

// bareSnapshot renders a snapshot nested in another resource.
func bareSnapshot(s *zen.Snapshot) *envelope {
	if s == nil {
		return nil
	}
	return &envelope{ID: s.ID, Name: s.Name, Body: snapshotBodyOf(s)}
}

func barePipeline(p *zen.Pipeline) *envelope {
	if p == nil {
		return nil
	}
	return &envelope{ID: p.ID, Name: named(p.Name), Body: scopedBody{Created: p.Created, Updated: p.Updated, UserID: p.UserID, ProjectID: p.ProjectID}}
}

func bareStack(s *zen.Stack) *envelope {
	if s == nil {
		return nil
	}
	return &envelope{ID: s.ID, Name: named(s.Name), Body: stackBody{Created: s.Created, Updated: s.Updated, UserID: s.UserID}}
}

// snapshotView renders a snapshot; stepFilter, when given, keeps only those
// step configurations.
func snapshotView(s *zen.Snapshot, hydrate bool, stepFilter []string) envelope {
	e := envelope{ID: s.ID, Name: s.Name, Body: snapshotBodyOf(s), Resources: snapshotResources{
		User: embeddedUser(s.User), Pipeline: barePipeline(s.Pipeline), Stack: bareStack(s.Stack), Build: bareBuild(s.Build),
		Tags: tagViews(s.Tags), Visualizations: curatedViews(s.Visualizations), Deployment: deploymentRefView(s.Deployment),
	}}
	if hydrate {
		steps := rawOr(s.StepConfigurations, "{}")
		if len(stepFilter) > 0 {
			steps = filterSteps(steps, stepFilter)
		}
		e.Metadata = snapshotMetadata{Description: s.Description, SourceCode: s.SourceCode, RunNameTemplate: s.RunNameTemplate,
			PipelineConfiguration: s.PipelineConfiguration, StepConfigurations: steps, ClientEnvironment: clientEnvironment(s.ClientEnvironment, false),
			ClientVersion: s.ClientVersion, ServerVersion: s.ServerVersion, PipelineVersionHash: s.PipelineVersionHash,
			PipelineSpec: rawOr(s.PipelineSpec, "null"), CodePath: s.CodePath, TemplateID: s.TemplateID, SourceSnapshotID: s.SourceSnapshotID}
	}
	return e
}

func filterSteps(steps json.RawMessage, keep []string) json.RawMessage {
	var all map[string]json.RawMessage
	if json.Unmarshal(steps, &all) != nil {
		return steps
	}
	out := map[string]json.RawMessage{}
	for _, k := range keep {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	b, _ := json.Marshal(out)
	return b
}

type runBody struct {
	Created      zen.Time   `json:"created"`
	Updated      zen.Time   `json:"updated"`
	UserID       *uuid.UUID `json:"user_id"`
	ProjectID    uuid.UUID  `json:"project_id"`
	Status       string     `json:"status"`
	InProgress   bool       `json:"in_progress"`
	StatusReason *string    `json:"status_reason"`
	Index        int        `json:"index"`
	PipelineID   *uuid.UUID `json:"pipeline_id"`
	ChildKey     *string    `json:"child_key"`
	RootRunID    *uuid.UUID `json:"root_run_id"`
}

type runMetadata struct {
	RunMetadata             zen.Metadata    `json:"run_metadata"`
	Config                  json.RawMessage `json:"config"`
	StartTime               *zen.Time       `json:"start_time"`
	EndTime                 *zen.Time       `json:"end_time"`
	ClientEnvironment       json.RawMessage `json:"client_environment"`
	OrchestratorEnvironment json.RawMessage `json:"orchestrator_environment"`
	OrchestratorRunID       *string         `json:"orchestrator_run_id"`
	CodePath                *string         `json:"code_path"`
	TemplateID              *uuid.UUID      `json:"template_id"`
	IsTemplatable           bool            `json:"is_templatable"`
	TriggerInfo             json.RawMessage `json:"trigger_info"`
	EnableHeartbeat         bool            `json:"enable_heartbeat"`
	ExceptionInfo           json.RawMessage `json:"exception_info"`
	TriggerExecutionInfo    any             `json:"trigger_execution_info"`
}

type runResources struct {
	User                *envelope  `json:"user"`
	Snapshot            *envelope  `json:"snapshot"`
	SourceSnapshot      any        `json:"source_snapshot"`
	Stack               *envelope  `json:"stack"`
	Pipeline            *envelope  `json:"pipeline"`
	Build               any        `json:"build"`
	Schedule            any        `json:"schedule"`
	CodeReference       any        `json:"code_reference"`
	ModelVersion        any        `json:"model_version"`
	Tags                []envelope `json:"tags"`
	LogCollection       []envelope `json:"log_collection"`
	Visualizations      []envelope `json:"visualizations"`
	Trigger             any        `json:"trigger"`
	OriginalRun         any        `json:"original_run"`
	ParentRun           any        `json:"parent_run"`
	ActiveWaitCondition any        `json:"active_wait_condition"`
	Outputs             struct{}   `json:"outputs"`
}

// clientEnvironment is a client (or orchestrator) environment as answers show it:
// without its python_packages unless they are asked for (they are long).
func clientEnvironment(raw json.RawMessage, withPackages bool) json.RawMessage {
	raw = rawOr(raw, "{}")
	if withPackages {
		return raw
	}
	o, err := jsonobj.Parse(raw)
	if err != nil {
		return raw
	}
	o.Delete("python_packages")
	return o.JSON()
}

func runBodyOf(r *zen.Run) runBody {
	return runBody{Created: r.Created, Updated: r.Updated, UserID: r.UserID, ProjectID: r.ProjectID, Status: r.Status,
		InProgress: r.InProgress, StatusReason: r.StatusReason, Index: r.Index, PipelineID: r.PipelineID, ChildKey: r.ChildKey}
}

// bareRun renders a run nested in another resource: body only.
func bareRun(r *zen.Run) *envelope {
	if r == nil {
		return nil
	}
	return &envelope{ID: r.ID, Name: named(r.Name), Body: runBodyOf(r)}
}

func runView(r *zen.Run, hydrate bool, now time.Time) envelope {
	return runViewWith(r, hydrate, now, false)
}

// runViewWith renders a run, with the client's python packages if asked.
func runViewWith(r *zen.Run, hydrate bool, now time.Time, withPackages bool) envelope {
	res := runResources{User: embeddedUser(r.User), Snapshot: bareSnapshot(r.Snapshot), Pipeline: barePipeline(r.Pipeline),
		Tags: tagViews(r.Tags), LogCollection: logsViews(r.Logs), Visualizations: curatedViews(r.Visualizations)}
	if r.Snapshot != nil {
		res.Stack = bareStack(r.Snapshot.Stack)
	}
	if r.ModelVersion != nil {
		mv := modelVersionBare(r.ModelVersion)
		res.ModelVersion = &mv
	}
	if r.ActiveWaitCondition != nil {
		res.ActiveWaitCondition = waitConditionBare(r.ActiveWaitCondition)
	}
	e := envelope{ID: r.ID, Name: named(r.Name), Resources: res, Body: runBodyOf(r)}
	if hydrate {
		m := runMetadata{RunMetadata: r.RunMetadata, Config: runConfig(r, now), StartTime: r.StartTime, EndTime: r.EndTime, ClientEnvironment: json.RawMessage("{}"),
			OrchestratorEnvironment: clientEnvironment(r.OrchestratorEnvironment, withPackages), OrchestratorRunID: r.OrchestratorRunID,
			TriggerInfo: rawOr(r.TriggerInfo, "null"), EnableHeartbeat: r.EnableHeartbeat, ExceptionInfo: rawOr(r.ExceptionInfo, "null")}
		if r.Snapshot != nil {
			m.ClientEnvironment = clientEnvironment(r.Snapshot.ClientEnvironment, withPackages)
			m.CodePath, m.TemplateID = r.Snapshot.CodePath, r.Snapshot.TemplateID
			var cfg struct {
				EnableHeartbeat *bool `json:"enable_heartbeat"`
			}
			if json.Unmarshal(r.Snapshot.PipelineConfiguration, &cfg) == nil && cfg.EnableHeartbeat != nil {
				m.EnableHeartbeat = r.EnableHeartbeat && *cfg.EnableHeartbeat
			}
		}
		e.Metadata = m
	}
	return e
}
