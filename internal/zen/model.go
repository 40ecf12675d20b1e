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

	User *User
	Tags []*Tag
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
	RunMetadata map[string]json.RawMessage
}

// ServiceStates are the states a service (and its admin state) can be in.
var ServiceStates = []string{"inactive", "active", "pending_startup", "pending_shutdown", "error", "scaled_to_zero"}
