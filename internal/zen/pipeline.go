package zen

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Pipeline is a named pipeline of a project. Its latest run is the newest
// created run of the pipeline; the store keeps it current.
type Pipeline struct {
	ID               uuid.UUID
	Name             string
	ProjectID        uuid.UUID
	UserID           *uuid.UUID
	Description      *string
	LatestRunID      *uuid.UUID
	LatestRunStatus  *string
	LatestRunUserID  *uuid.UUID
	Created, Updated Time

	// Resources, loaded in batches for a whole page.
	User           *User
	LatestRunUser  *User
	Tags           []*Tag
	Visualizations []*CuratedVisualization
}

// Tag colors, as the reference's ColorVariants.
var TagColors = []string{"grey", "purple", "red", "green", "yellow", "orange", "lime", "teal", "turquoise", "magenta", "blue"}

// Taggable resource types, as the reference's TaggableResourceTypes.
var TaggableResourceTypes = []string{"artifact", "artifact_version", "model", "model_version", "pipeline", "pipeline_run", "run_template", "pipeline_snapshot", "deployment"}

// Tag is a global label; TaggedCount is the number of its links.
type Tag struct {
	ID               uuid.UUID
	Name             string
	Color            string
	Exclusive        bool
	UserID           *uuid.UUID
	TaggedCount      int
	Created, Updated Time
	User             *User
}

// TagResource links a tag to a resource of some type.
type TagResource struct {
	ID               uuid.UUID
	TagID            uuid.UUID
	ResourceID       uuid.UUID
	ResourceType     string
	Created, Updated Time
}

// ArtifactVisualization is a rendered output of an artifact version.
type ArtifactVisualization struct {
	ID                uuid.UUID
	ArtifactVersionID uuid.UUID
	Type              string
	URI               string
	Created, Updated  Time
}

// CuratedVisualization pins an artifact visualization onto a resource page.
type CuratedVisualization struct {
	ID                      uuid.UUID
	ProjectID               uuid.UUID
	ArtifactVisualizationID uuid.UUID
	ArtifactVersionID       uuid.UUID
	ResourceID              uuid.UUID
	ResourceType            string
	DisplayName             *string
	DisplayOrder            *int
	LayoutSize              string
	Created, Updated        Time
	ArtifactVisualization   *ArtifactVisualization
}

// Snapshot is a compiled pipeline, ready to run on a stack. The client's
// request is kept whole: answers echo parts of it.
type Snapshot struct {
	ID                    uuid.UUID
	Name                  *string
	Description           *string
	ProjectID             uuid.UUID
	PipelineID            uuid.UUID
	StackID               *uuid.UUID
	UserID                *uuid.UUID
	RunNameTemplate       string
	PipelineConfiguration json.RawMessage
	StepConfigurations    json.RawMessage
	StepCount             int
	ClientEnvironment     json.RawMessage
	ClientVersion         *string
	ServerVersion         *string
	PipelineVersionHash   *string
	PipelineSpec          json.RawMessage
	IsDynamic             bool
	SourceCode            *string
	CodePath              *string
	BuildID               *uuid.UUID
	ScheduleID            *uuid.UUID
	CodeReferenceID       *uuid.UUID
	TemplateID            *uuid.UUID
	SourceSnapshotID      *uuid.UUID
	Created, Updated      Time

	User           *User
	Pipeline       *Pipeline
	Stack          *Stack
	Tags           []*Tag
	Visualizations []*CuratedVisualization
	// Build is the snapshot's build, if any, and StackDeploys whether its
	// stack has a deployer: what runnable and deployable are made of.
	Build        *BuildRef
	StackDeploys bool
	// Deployment serves the snapshot (the oldest, when several do).
	Deployment *DeploymentRef
}

// Run statuses the reference knows.
const (
	StatusInitializing = "initializing"
	StatusProvisioning = "provisioning"
	StatusRunning      = "running"
	StatusCompleted    = "completed"
	StatusFailed       = "failed"
	StatusStopping     = "stopping"
	StatusStopped      = "stopped"
	StatusResuming     = "resuming"
	StatusPaused       = "paused"
)

// ExecutionStatuses lists every valid status.
var ExecutionStatuses = []string{"initializing", "provisioning", "queued", "running", "failed", "completed", "cached", "skipped", "retrying", "retried", "cancelling", "cancelled", "paused", "resuming", "stopped", "stopping"}

// IsFinished reports whether a status ends a run.
func IsFinished(status string) bool {
	switch status {
	case "failed", "completed", "cached", "skipped", "retried", "stopped", "cancelled":
		return true
	}
	return false
}

// Run is one execution of a snapshot.
type Run struct {
	ID                      uuid.UUID
	Name                    string
	ProjectID               uuid.UUID
	PipelineID              *uuid.UUID
	SnapshotID              uuid.UUID
	UserID                  *uuid.UUID
	Status                  string
	StatusReason            *string
	InProgress              bool
	Index                   int
	OrchestratorRunID       *string
	OrchestratorEnvironment json.RawMessage
	StartTime               *Time
	EndTime                 *Time
	TriggerInfo             json.RawMessage
	ExceptionInfo           json.RawMessage
	OriginalRunID           *uuid.UUID
	ParentRunID             *uuid.UUID
	ChildKey                *string
	ModelVersionID          *uuid.UUID
	EnableHeartbeat         bool
	Created, Updated        Time

	User     *User
	Snapshot *Snapshot
	Pipeline *Pipeline
	Tags     []*Tag
	Logs     []*Logs
	// ActiveWaitCondition is the run's pending wait condition, if any.
	ActiveWaitCondition *RunWaitCondition
	// ModelVersion is the run's model version, bare (no relations).
	ModelVersion *ModelVersion
	// RunMetadata is the run's own metadata, and with
	// Store.WithFullRunMetadata its steps' and schedule's too.
	RunMetadata    Metadata
	Visualizations []*CuratedVisualization
}

// BuildRef is a pipeline build as other resources show it.
type BuildRef struct {
	ID, ProjectID    uuid.UUID
	UserID, StackID  *uuid.UUID
	IsLocal          bool
	Created, Updated Time
}

// DeploymentRef is a deployment as a snapshot shows it.
type DeploymentRef struct {
	ID, ProjectID    uuid.UUID
	UserID           *uuid.UUID
	Name, Status     string
	URL              *string
	Created, Updated Time
}

// Logs is a reference to log output that the client wrote to its artifact
// store, attached to a run or a step.
type Logs struct {
	ID               uuid.UUID
	ProjectID        uuid.UUID
	UserID           *uuid.UUID
	URI              *string
	Source           string
	ArtifactStoreID  *uuid.UUID
	LogStoreID       *uuid.UUID
	PipelineRunID    *uuid.UUID
	StepRunID        *uuid.UUID
	HookInvocationID *uuid.UUID
	Created, Updated Time
	User             *User
}

// RunWaitCondition is what a dynamic run waits for (an answer from
// outside), with the lease of the process that polls it.
type RunWaitCondition struct {
	ID, ProjectID, RunID                   uuid.UUID
	UserID, ResolvedByUserID               *uuid.UUID
	Name, Type, Status                     string
	Question, Resolution, PollerInstanceID *string
	DataSchema, Result                     json.RawMessage
	LastPolledAt, PollerLeaseExpiresAt     *Time
	ResolvedAt                             *Time
	Created, Updated                       Time

	User        *User
	Run         *Run
	RunMetadata Metadata
}
