package catalog

import (
	_ "embed"
	"encoding/json"
	"strings"
)

// The cloud stack deployments a ZenML 0.98.0 server describes (AWS, GCP,
// Azure), generated from that release by tools/gen_stack_deployments.py.
// Configurations hold markers (⟨stack_name⟩, …) for the request's values.

//go:embed stack_deployments.json
var stackDeploymentsJSON []byte

type stackDeployment struct {
	Info    json.RawMessage            `json:"info"`
	Configs map[string]json.RawMessage `json:"configs"`
}

var stackDeployments = func() map[string]stackDeployment {
	var out map[string]stackDeployment
	if err := json.Unmarshal(stackDeploymentsJSON, &out); err != nil {
		panic("catalog: stack_deployments.json: " + err.Error())
	}
	return out
}()

// StackDeploymentInfo is the reference's StackDeploymentInfo of a provider.
func StackDeploymentInfo(provider string) (json.RawMessage, bool) {
	d, ok := stackDeployments[provider]
	return d.Info, ok
}

// StackDeploymentValues fill a deployment configuration.
type StackDeploymentValues struct {
	StackName, Location, ServerURL, APIToken, ResourceSuffix string
	Terraform                                                bool
}

// DeploymentConfig is the reference's StackDeploymentConfig.
type DeploymentConfig struct {
	DeploymentURL     string  `json:"deployment_url"`
	DeploymentURLText string  `json:"deployment_url_text"`
	Configuration     *string `json:"configuration"`
	Instructions      *string `json:"instructions"`
}

// StackDeploymentConfig is the configuration of a provider, with the given
// values in place of the markers.
func StackDeploymentConfig(provider string, v StackDeploymentValues) (*DeploymentConfig, bool) {
	d, ok := stackDeployments[provider]
	if !ok {
		return nil, false
	}
	located := "unset"
	if v.Location != "" {
		located = "set"
	}
	tf := "false"
	if v.Terraform {
		tf = "true"
	}
	var c DeploymentConfig
	if err := json.Unmarshal(d.Configs["terraform="+tf+",location="+located], &c); err != nil {
		return nil, false
	}
	fill := strings.NewReplacer("⟨stack_name⟩", v.StackName, "⟨location⟩", v.Location, "⟨server_url⟩", v.ServerURL,
		"⟨api_token⟩", v.APIToken, "⟨resource_suffix⟩", v.ResourceSuffix)
	c.DeploymentURL = fill.Replace(c.DeploymentURL)
	for _, s := range []*string{c.Configuration, c.Instructions} {
		if s != nil {
			*s = fill.Replace(*s)
		}
	}
	return &c, true
}
