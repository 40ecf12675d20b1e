package catalog

import (
	"encoding/json"

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
