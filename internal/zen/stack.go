package zen

import (
	"encoding/json"
	"regexp"

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
	Connector           *ServiceConnector
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

// localRegistry is a container registry URI on this machine.
var localRegistry = regexp.MustCompile(`^localhost:[0-9]{4,5}$`)

// ComponentIsLocal says whether a component runs on the client's machine,
// as the reference's flavor configuration classes say for the flavors it
// ships: the local and local Docker flavors, the Docker deployer, a
// container registry on localhost, and Kubernetes components set to
// `local`. (The reference asks each flavor's Python class; zengo knows
// these rules.)
func ComponentIsLocal(typ, flavor string, config json.RawMessage) bool {
	var c struct {
		URI   string `json:"uri"`
		Local bool   `json:"local"`
	}
	json.Unmarshal(config, &c)
	switch {
	case flavor == "local", flavor == "local_docker":
		return true
	case typ == "deployer" && flavor == "docker":
		return true
	case typ == "container_registry":
		return localRegistry.MatchString(c.URI)
	case flavor == "kubernetes":
		return c.Local
	}
	return false
}

// ServiceConnector is what every answer shows of a service connector (its
// body); a component's metadata embeds it so.
type ServiceConnector struct {
	ID                   uuid.UUID
	UserID               *uuid.UUID
	Name                 string
	ConnectorType        string
	Description          string
	AuthMethod           string
	ResourceTypes        []string
	ResourceID           *string
	SupportsInstances    bool
	ExpiresAt            *Time
	ExpiresSkewTolerance *int64
	ExpirationSeconds    *int64
	Created, Updated     Time
}
