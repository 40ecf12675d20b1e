package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"zengo/internal/jsonobj"
)

// The service connector types a ZenML 0.98.0 server offers with the
// reference's own packages (no cloud SDKs), generated from that release by
// tools/gen_connector_types.py. Each is kept as the reference answers it
// (Raw), and read once for what the server checks: its resource types and
// authentication methods with their configuration schemas.

//go:embed connector_types.json
var connectorTypesJSON []byte

// ConnectorType is one service connector type.
type ConnectorType struct {
	Type          string
	Raw           json.RawMessage
	ResourceTypes []ConnectorResourceType
	AuthMethods   []ConnectorAuthMethod
}

// ConnectorResourceType is a resource type a connector type gives access to.
type ConnectorResourceType struct {
	ResourceType      string   `json:"resource_type"`
	AuthMethods       []string `json:"auth_methods"`
	SupportsInstances bool     `json:"supports_instances"`
}

// ConnectorAuthMethod is an authentication method and the attributes of
// its configuration, in the schema's order.
type ConnectorAuthMethod struct {
	AuthMethod string `json:"auth_method"`
	Attributes []ConnectorAttribute
}

// ConnectorAttribute is one configuration attribute: secret values
// (format "password") are kept in the connector's secret.
type ConnectorAttribute struct {
	Name     string
	Required bool
	Secret   bool
	Array    bool
	// Multi is an attribute whose schema allows several non-null types,
	// which the reference cannot configure ("Service connector schema
	// error.").
	Multi bool
}

var connectorTypes = func() []ConnectorType {
	var raws []json.RawMessage
	if err := json.Unmarshal(connectorTypesJSON, &raws); err != nil {
		panic(fmt.Sprintf("catalog: connector_types.json: %v", err))
	}
	out := make([]ConnectorType, len(raws))
	for i, raw := range raws {
		var t struct {
			ConnectorType string                  `json:"connector_type"`
			ResourceTypes []ConnectorResourceType `json:"resource_types"`
			AuthMethods   []struct {
				AuthMethod   string          `json:"auth_method"`
				ConfigSchema json.RawMessage `json:"config_schema"`
			} `json:"auth_methods"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			panic(fmt.Sprintf("catalog: connector type %d: %v", i, err))
		}
		ct := ConnectorType{Type: t.ConnectorType, Raw: raw, ResourceTypes: t.ResourceTypes}
		for _, am := range t.AuthMethods {
			ct.AuthMethods = append(ct.AuthMethods, ConnectorAuthMethod{AuthMethod: am.AuthMethod, Attributes: schemaAttributes(am.ConfigSchema)})
		}
		out[i] = ct
	}
	return out
}()

// schemaAttributes reads a configuration schema's properties in order,
// as the reference's _validate_and_configure_resources reads them.
func schemaAttributes(schema json.RawMessage) []ConnectorAttribute {
	var s struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	json.Unmarshal(schema, &s)
	props, err := jsonobj.Parse(s.Properties)
	if err != nil {
		return nil
	}
	type typed struct {
		Type   string `json:"type"`
		Format string `json:"format"`
	}
	var out []ConnectorAttribute
	for _, name := range props.Keys() {
		raw, _ := props.Get(name)
		var p struct {
			typed
			AnyOf []typed `json:"anyOf"`
		}
		json.Unmarshal(raw, &p)
		a := ConnectorAttribute{Name: name, Required: slices.Contains(s.Required, name)}
		t := p.typed
		if len(p.AnyOf) > 0 {
			var nonNull []typed
			for _, x := range p.AnyOf {
				if x.Type != "null" {
					nonNull = append(nonNull, x)
				}
			}
			if len(nonNull) == 1 {
				t = nonNull[0]
			} else {
				a.Multi = true
			}
		}
		a.Secret, a.Array = t.Format == "password", t.Type == "array"
		out = append(out, a)
	}
	return out
}

// ConnectorTypes lists the types matching the given criteria (empty: any),
// as the reference's registry filters them.
func ConnectorTypes(connectorType, resourceType, authMethod string) []ConnectorType {
	var out []ConnectorType
	for _, t := range connectorTypes {
		if (connectorType == "" || t.Type == connectorType) &&
			(resourceType == "" || t.resourceType(resourceType) != nil) &&
			(authMethod == "" || t.AuthMethod(authMethod) != nil) {
			out = append(out, t)
		}
	}
	return out
}

// LookupConnectorType finds a type available here; nil when it is not.
func LookupConnectorType(name string) *ConnectorType {
	for i := range connectorTypes {
		if connectorTypes[i].Type == name {
			return &connectorTypes[i]
		}
	}
	return nil
}

func (t *ConnectorType) resourceType(name string) *ConnectorResourceType {
	for i := range t.ResourceTypes {
		if t.ResourceTypes[i].ResourceType == name {
			return &t.ResourceTypes[i]
		}
	}
	return nil
}

// AuthMethod finds one of the type's authentication methods.
func (t *ConnectorType) AuthMethod(name string) *ConnectorAuthMethod {
	for i := range t.AuthMethods {
		if t.AuthMethods[i].AuthMethod == name {
			return &t.AuthMethods[i]
		}
	}
	return nil
}

// ResourceTypeNames are the type's resource types, in order.
func (t *ConnectorType) ResourceTypeNames() []string {
	out := make([]string, len(t.ResourceTypes))
	for i, r := range t.ResourceTypes {
		out[i] = r.ResourceType
	}
	return out
}

// FindResourceSpecifications is the reference's
// ServiceConnectorTypeModel.find_resource_specifications: the
// authentication method, and the resource type when one is named. Its
// error text is the reference's KeyError text, repr and all.
func (t *ConnectorType) FindResourceSpecifications(authMethod, resourceType string) (*ConnectorAuthMethod, *ConnectorResourceType, error) {
	am := t.AuthMethod(authMethod)
	if am == nil {
		names := make([]string, len(t.AuthMethods))
		for i, a := range t.AuthMethods {
			names[i] = a.AuthMethod
		}
		return nil, nil, fmt.Errorf("connector type '%s' does not support the '%s' authentication method. Supported authentication methods are: %s.", t.Type, authMethod, pyList(names))
	}
	if resourceType == "" {
		return am, nil, nil
	}
	rt := t.resourceType(resourceType)
	if rt == nil {
		return nil, nil, fmt.Errorf("connector type '%s' does not support resource type '%s'. Supported resource types are: %s.", t.Type, resourceType, pyList(t.ResourceTypeNames()))
	}
	if !slices.Contains(rt.AuthMethods, authMethod) {
		return nil, nil, fmt.Errorf("the '%s' connector type does not support the '%s' authentication method for the '%s' resource type. Supported authentication methods are: %s.", t.Type, authMethod, resourceType, pyList(rt.AuthMethods))
	}
	return am, rt, nil
}

// pyList writes a list of strings as Python's repr does (for names
// without quotes in them).
func pyList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "'" + s + "'"
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
