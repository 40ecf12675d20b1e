package zen

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Model is a project's model in ZenML's Model Control Plane; its versions
// are numbered 1, 2, ... and the highest-numbered one is kept on the row.
type Model struct {
	ID                   uuid.UUID
	ProjectID            uuid.UUID
	UserID               *uuid.UUID
	Name                 string
	License              *string
	Description          *string
	Audience             *string
	UseCases             *string
	Limitations          *string
	TradeOffs            *string
	Ethics               *string
	SaveModelsToRegistry bool
	LatestVersionID      *uuid.UUID
	LatestVersionName    *string
	Created, Updated     Time

	User           *User
	Tags           []*Tag
	Visualizations []*CuratedVisualization
}

// ModelVersion is one numbered version of a model.
type ModelVersion struct {
	ID               uuid.UUID
	ModelID          uuid.UUID
	ProjectID        uuid.UUID
	UserID           *uuid.UUID
	Name             string
	Number           int
	Description      *string
	Stage            *string
	Created, Updated Time
	// The model, bare (no resources), as the version's body shows it.
	Model *Model

	User        *User
	Tags        []*Tag
	RunMetadata Metadata
	// The first services of the version (as many as the reference's page
	// of them holds) and how many it has.
	Services      []*Service
	ServicesTotal int
}

// ServiceStates are the states a service (and its admin state) can be in.
var ServiceStates = []string{"inactive", "active", "pending_startup", "pending_shutdown", "error", "scaled_to_zero"}

// Service is a long-running process a pipeline started (a model server,
// ...), as the client records it.
type Service struct {
	ID, ProjectID                         uuid.UUID
	UserID, ModelVersionID, PipelineRunID *uuid.UUID
	Name                                  string
	ServiceType                           json.RawMessage // {type, flavor, name, description, logo_url}
	Type, Flavor                          string
	ServiceSource, AdminState, State      *string
	PredictionURL, HealthCheckURL         *string
	PipelineName, PipelineStepName        *string
	Config                                json.RawMessage
	Labels, Status, Endpoint              json.RawMessage // nil when none
	Created, Updated                      Time
	User                                  *User
	PipelineRun                           *Run          // bare, as services show it
	ModelVersion                          *ModelVersion // bare
}
