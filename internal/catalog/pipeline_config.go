package catalog

import (
	"encoding/json"
	"strings"

	"zengo/internal/jsonobj"
)

// pipelineConfigurationDefaults are the fields of the reference's
// PipelineConfiguration with their default values. A snapshot's stored
// configuration is these, overlaid with what the client sent, so that
// answers show the whole configuration as the reference does.
const pipelineConfigurationDefaults = `{"enable_cache":null,"enable_artifact_metadata":null,"enable_artifact_visualization":null,
"enable_step_logs":null,"enable_heartbeat":null,"environment":{},"secrets":[],"enable_pipeline_logs":null,
"execution_mode":"continue_on_failure","settings":{},"tags":null,"extra":{},"failure_hook_source":null,
"success_hook_source":null,"start_hook_source":null,"end_hook_source":null,"pause_hook_source":null,
"resume_hook_source":null,"init_hook_source":null,"init_hook_kwargs":null,"cleanup_hook_source":null,"model":null,
"parameters":null,"retry":null,"substitutions":{},"cache_policy":null,"name":null,"steps_to_skip":[],"skip_successful_steps":false,
"step_input_overrides":{},"step_default_input_overrides":{}}`

// CompletePipelineConfiguration fills the fields a configuration leaves out
// with their defaults.
// The result keeps the reference's field order.
func CompletePipelineConfiguration(given json.RawMessage) (json.RawMessage, error) {
	out, err := jsonobj.Parse([]byte(pipelineConfigurationDefaults))
	if err != nil {
		return nil, err
	}
	in, err := jsonobj.Parse(given)
	if err != nil {
		return nil, err
	}
	for _, k := range in.Keys() {
		v, _ := in.Get(k)
		out.Set(k, v)
	}
	return out.MarshalJSON()
}

// stepConfigurationDefaults and stepSpecDefaults are the fields of the
// reference's StepConfiguration and StepSpec with their defaults, in its
// order.
const stepConfigurationDefaults = `{"enable_cache":null,"enable_artifact_metadata":null,"enable_artifact_visualization":null,
"enable_step_logs":null,"step_operator":null,"experiment_tracker":null,"parameters":{},"settings":{},"environment":{},
"secrets":[],"extra":{},"failure_hook_source":null,"success_hook_source":null,"start_hook_source":null,"end_hook_source":null,
"model":null,"retry":null,"substitutions":{},"cache_policy":{"include_step_code":true,"include_step_parameters":true,
"include_artifact_values":true,"include_artifact_ids":true,"ignored_inputs":null,"file_dependencies":null,
"source_dependencies":null,"cache_func":null,"expires_after":null},"runtime":null,"heartbeat_healthy_threshold":30,
"group":null,"outputs":{},"name":null,"step_type":null,"template":null,"caching_parameters":{},"external_input_artifacts":{},
"model_artifacts_or_metadata":{},"client_lazy_loaders":{},"command":null}`

const stepSpecDefaults = `{"source":null,"upstream_steps":[],"inputs":{},"invocation_id":null,"enable_heartbeat":false,"parameter_spec":null}`

const stepOutputDefaults = `{"materializer_source":[],"default_materializer_source":null,"artifact_config":null}`

// completeOutputs fills each output of a step configuration with the
// reference's ArtifactConfiguration defaults.
func completeOutputs(config *jsonobj.Object) {
	raw, ok := config.Get("outputs")
	if !ok {
		return
	}
	outputs, err := jsonobj.Parse(raw)
	if err != nil {
		return
	}
	for _, name := range outputs.Keys() {
		v, _ := outputs.Get(name)
		if full, err := overlay(stepOutputDefaults, v); err == nil {
			outputs.Set(name, full.JSON())
		}
	}
	config.Set("outputs", outputs.JSON())
}

const stepInputDefaults = `{"step_name":null,"output_name":null,"chunk_index":null,"chunk_size":null}`

// overlay returns defaults with the given object's members laid over them.
func overlay(defaults string, given json.RawMessage) (*jsonobj.Object, error) {
	return jsonobj.Overlay(defaults, given)
}

// CompleteStepConfigurations fills each step's spec and configuration with
// the reference's defaults (see CompleteStep). The steps keep their order:
// the local orchestrator runs them in it.
func CompleteStepConfigurations(given json.RawMessage) (json.RawMessage, error) {
	steps, err := jsonobj.Parse(given)
	if err != nil {
		return nil, err
	}
	for _, name := range steps.Keys() {
		raw, _ := steps.Get(name)
		step, err := CompleteStep(raw)
		if err != nil {
			return nil, err
		}
		steps.Set(name, step)
	}
	return steps.MarshalJSON()
}

// CompleteStep fills one step's spec and configuration with the
// reference's defaults (a source given as a dotted path becomes a source
// object) and adds step_config_overrides, as the reference stores them.
func CompleteStep(raw json.RawMessage) (json.RawMessage, error) {
	step, err := jsonobj.Parse(raw)
	if err != nil {
		return nil, err
	}
	specRaw, _ := step.Get("spec")
	spec, err := overlay(stepSpecDefaults, specRaw)
	if err != nil {
		return nil, err
	}
	if src, ok := spec.Get("source"); ok {
		var dotted string
		if json.Unmarshal(src, &dotted) == nil {
			spec.Set("source", SourceObject(dotted))
		}
	}
	if inputsRaw, ok := spec.Get("inputs"); ok {
		inputs, err := jsonobj.Parse(inputsRaw)
		if err == nil {
			for _, in := range inputs.Keys() {
				v, _ := inputs.Get(in)
				if full, err := overlay(stepInputDefaults, v); err == nil {
					b, _ := full.MarshalJSON()
					inputs.Set(in, b)
				}
			}
			b, _ := inputs.MarshalJSON()
			spec.Set("inputs", b)
		}
	}
	configRaw, _ := step.Get("config")
	config, err := overlay(stepConfigurationDefaults, configRaw)
	if err != nil {
		return nil, err
	}
	overridesRaw, ok := step.Get("step_config_overrides")
	if !ok || string(overridesRaw) == "null" {
		overridesRaw = configRaw
	}
	overrides, err := overlay(stepConfigurationDefaults, overridesRaw)
	if err != nil {
		return nil, err
	}
	completeOutputs(config)
	completeOutputs(overrides)
	specJSON, _ := spec.MarshalJSON()
	configJSON, _ := config.MarshalJSON()
	overridesJSON, _ := overrides.MarshalJSON()
	step.Set("spec", specJSON)
	step.Set("config", configJSON)
	step.Set("step_config_overrides", overridesJSON)
	return step.MarshalJSON()
}

// SourceObject turns a dotted import path into the reference's source
// object.
func SourceObject(dotted string) json.RawMessage {
	module, attr := dotted, (*string)(nil)
	if i := strings.LastIndex(dotted, "."); i >= 0 {
		module = dotted[:i]
		a := dotted[i+1:]
		attr = &a
	}
	b, _ := json.Marshal(struct {
		Module    string  `json:"module"`
		Attribute *string `json:"attribute"`
		Type      string  `json:"type"`
	}{module, attr, "unknown"})
	return b
}
