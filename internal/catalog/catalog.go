// Package catalog holds the data a fresh server starts with: the stack
// component flavors a ZenML 0.98.0 server registers, generated from that
// release by tools/gen_flavors.py, and the shape of the default stack.
package catalog

import (
	_ "embed"
	"encoding/json"
)

//go:embed flavors.json
var flavorsJSON []byte

// Flavor is one registered stack component flavor.
type Flavor struct {
	Name                    string          `json:"name"`
	Type                    string          `json:"type"`
	DisplayName             *string         `json:"display_name"`
	Integration             *string         `json:"integration"`
	Source                  string          `json:"source"`
	LogoURL                 *string         `json:"logo_url"`
	ConfigSchema            json.RawMessage `json:"config_schema"`
	ConnectorType           *string         `json:"connector_type"`
	ConnectorResourceType   *string         `json:"connector_resource_type"`
	ConnectorResourceIDAttr *string         `json:"connector_resource_id_attr"`
	DocsURL                 *string         `json:"docs_url"`
	SDKDocsURL              *string         `json:"sdk_docs_url"`
}

// Flavors returns the catalogue in registration order.
func Flavors() ([]Flavor, error) {
	var out []Flavor
	err := json.Unmarshal(flavorsJSON, &out)
	return out, err
}

// DefaultStackComponents are the components of the `default` stack, in the
// order the reference creates them: each is named "default" and uses the
// local flavor of its type with an empty configuration.
var DefaultStackComponents = []string{"orchestrator", "deployer", "artifact_store"}
