package zen

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Flavor is a kind of stack component (e.g. the local orchestrator).
type Flavor struct {
	ID                      uuid.UUID
	Name                    string
	Type                    string
	DisplayName             *string
	Integration             *string
	Source                  string
	LogoURL                 *string
	IsCustom                bool
	ConfigSchema            json.RawMessage
	ConnectorType           *string
	ConnectorResourceType   *string
	ConnectorResourceIDAttr *string
	DocsURL                 *string
	SDKDocsURL              *string
	UserID                  *uuid.UUID
	Created, Updated        Time
	User                    *User
}

// Component is a configured stack component. Its flavor travels with it
// because every answer about a component embeds the flavor.
type Component struct {
	ID                  uuid.UUID
	Name                string
	Type                string
	FlavorName          string
	Configuration       json.RawMessage
	Labels              json.RawMessage
	Environment         json.RawMessage
	ConnectorID         *uuid.UUID
	ConnectorResourceID *string
	UserID              *uuid.UUID
	Created, Updated    Time
	Flavor              *Flavor
	User                *User
}

// Stack is a named set of components, at most one per type.
type Stack struct {
	ID               uuid.UUID
	Name             string
	Description      *string
	StackSpecPath    *string
	Labels           json.RawMessage
	Environment      json.RawMessage
	UserID           *uuid.UUID
	Created, Updated Time
	// Components in the order the stack lists them: each type's default
	// first.
	Components []*Component
	User       *User
}
