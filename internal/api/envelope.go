package api

import (
	"encoding/json"

	"github.com/google/uuid"

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
	Name             *string   `json:"name,omitempty"`
}

func named(name string) *string { return &name }

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

// userView renders a user. self marks the caller's own account: only there
// does the reference reveal when the password last changed.
func userView(u *zen.User, hydrate, self bool) envelope {
	e := envelope{ID: u.ID, Name: named(u.Name), Body: userBody{
		Created: u.Created, Updated: u.Updated, Active: u.Active, ActivationToken: u.ActivationToken,
		FullName: u.FullName, EmailOptedIn: u.EmailOptedIn, IsServiceAccount: u.IsServiceAccount,
		IsAdmin: u.IsAdmin, DefaultProjectID: u.DefaultProjectID, AvatarURL: u.AvatarURL,
	}}
	if hydrate {
		m := userMetadata{Email: u.Email, ExternalUserID: u.ExternalUserID, UserMetadata: rawOr(u.UserMetadata, "{}")}
		if self {
			m.PasswordChangedAt = u.PasswordChangedAt
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
	Key            *string  `json:"key,omitempty"`
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

type flavorBody struct {
	Created     zen.Time   `json:"created"`
	Updated     zen.Time   `json:"updated"`
	UserID      *uuid.UUID `json:"user_id"`
	Type        string     `json:"type"`
	DisplayName *string    `json:"display_name"`
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
	e := envelope{ID: f.ID, Name: named(f.Name), Body: flavorBody{
		Created: f.Created, Updated: f.Updated, UserID: f.UserID, Type: f.Type, DisplayName: f.DisplayName,
		Integration: f.Integration, Source: f.Source, LogoURL: f.LogoURL, IsCustom: f.IsCustom,
	}}
	if !embedded {
		e.Resources = userResources{}
	}
	if hydrate {
		e.Metadata = flavorMetadata{ConfigSchema: rawOr(f.ConfigSchema, "{}"), ConnectorType: f.ConnectorType,
			ConnectorResourceType: f.ConnectorResourceType, ConnectorResourceIDAttr: f.ConnectorResourceIDAttr,
			DocsURL: f.DocsURL, SDKDocsURL: f.SDKDocsURL}
	}
	return e
}

type componentBody struct {
	Created     zen.Time   `json:"created"`
	Updated     zen.Time   `json:"updated"`
	UserID      *uuid.UUID `json:"user_id"`
	Type        string     `json:"type"`
	FlavorName  string     `json:"flavor_name"`
	Integration *string    `json:"integration"`
	LogoURL     *string    `json:"logo_url"`
}

type componentMetadata struct {
	Configuration       json.RawMessage `json:"configuration"`
	Environment         json.RawMessage `json:"environment"`
	Secrets             []string        `json:"secrets"`
	Labels              json.RawMessage `json:"labels"`
	ConnectorResourceID *string         `json:"connector_resource_id"`
	Connector           *struct{}       `json:"connector"`
}

type componentResources struct {
	User   *envelope `json:"user"`
	Flavor envelope  `json:"flavor"`
}

// componentView renders a component; inside a stack's metadata the
// reference embeds components bare (no metadata, no resources).
func componentView(c *zen.Component, hydrate, embedded bool) envelope {
	e := envelope{ID: c.ID, Name: named(c.Name), Body: componentBody{
		Created: c.Created, Updated: c.Updated, UserID: c.UserID, Type: c.Type, FlavorName: c.FlavorName,
		Integration: c.Flavor.Integration, LogoURL: c.Flavor.LogoURL,
	}}
	if embedded {
		return e
	}
	e.Resources = componentResources{Flavor: flavorView(c.Flavor, false, true)}
	if hydrate {
		e.Metadata = componentMetadata{Configuration: rawOr(c.Configuration, "{}"), Environment: rawOr(c.Environment, "{}"),
			Secrets: []string{}, Labels: rawOr(c.Labels, "null"), ConnectorResourceID: c.ConnectorResourceID}
	}
	return e
}

type stackBody struct {
	Created zen.Time   `json:"created"`
	Updated zen.Time   `json:"updated"`
	UserID  *uuid.UUID `json:"user_id"`
}

type stackMetadata struct {
	Components    map[string][]envelope `json:"components"`
	Description   string                `json:"description"`
	StackSpecPath *string               `json:"stack_spec_path"`
	Environment   json.RawMessage       `json:"environment"`
	Secrets       []string              `json:"secrets"`
	Labels        json.RawMessage       `json:"labels"`
}

func stackView(s *zen.Stack, hydrate bool) envelope {
	e := envelope{ID: s.ID, Name: named(s.Name), Body: stackBody{Created: s.Created, Updated: s.Updated, UserID: s.UserID},
		Resources: userResources{}}
	if hydrate {
		comps := map[string][]envelope{}
		for _, c := range s.Components {
			comps[c.Type] = append(comps[c.Type], componentView(c, false, true))
		}
		e.Metadata = stackMetadata{Components: comps, Description: s.Description, StackSpecPath: s.StackSpecPath,
			Environment: rawOr(s.Environment, "{}"), Secrets: []string{}, Labels: rawOr(s.Labels, "{}")}
	}
	return e
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
