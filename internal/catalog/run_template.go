package catalog

import (
	"bytes"
	"encoding/json"
	"strings"

	"zengo/internal/jsonobj"
)

// A run template shows the run configuration a user may change: the
// snapshot's run name, each step's own settings and the pipeline's, with
// everything left at its default (or unset) left out, as the reference's
// model_dump(exclude_none, exclude_defaults) leaves it out.

// pipelineRunFields are the fields of the reference's
// PipelineRunConfiguration that a template shows (schedule and build are
// never shown, parameters only for dynamic pipelines).
var pipelineRunFields = map[string]bool{
	"run_name": true, "enable_cache": true, "enable_artifact_metadata": true, "enable_artifact_visualization": true,
	"enable_step_logs": true, "enable_pipeline_logs": true, "enable_heartbeat": true, "steps": true, "settings": true,
	"environment": true, "secrets": true, "tags": true, "extra": true, "model": true, "parameters": true, "retry": true,
	"init_hook_source": true, "init_hook_kwargs": true, "cleanup_hook_source": true, "failure_hook_source": true,
	"success_hook_source": true, "start_hook_source": true, "end_hook_source": true, "pause_hook_source": true,
	"resume_hook_source": true, "substitutions": true, "cache_policy": true, "execution_mode": true,
}

// stepUpdateFields are the fields of the reference's
// StepConfigurationUpdate that a template shows for each step.
var stepUpdateFields = map[string]bool{
	"enable_cache": true, "enable_artifact_metadata": true, "enable_artifact_visualization": true, "enable_step_logs": true,
	"step_operator": true, "experiment_tracker": true, "parameters": true, "settings": true, "environment": true,
	"secrets": true, "extra": true, "failure_hook_source": true, "success_hook_source": true, "start_hook_source": true,
	"end_hook_source": true, "model": true, "retry": true, "substitutions": true, "cache_policy": true, "runtime": true,
	"heartbeat_healthy_threshold": true, "group": true,
}

// RunConfigTemplate is a template's config_template.
func RunConfigTemplate(runName string, pipelineConfig, stepConfigs json.RawMessage, dynamic bool) json.RawMessage {
	out := jsonobj.New()
	name, _ := json.Marshal(runName)
	out.Set("run_name", name)
	steps := jsonobj.New()
	if all, err := jsonobj.Parse(rawOrEmpty(stepConfigs)); err == nil {
		for _, stepName := range all.Keys() {
			raw, _ := all.Get(stepName)
			var step struct {
				Overrides json.RawMessage `json:"step_config_overrides"`
			}
			json.Unmarshal(raw, &step)
			steps.Set(stepName, changedFields(step.Overrides, stepConfigurationDefaults, func(k string) bool { return stepUpdateFields[k] }))
		}
	}
	out.Set("steps", steps.JSON())
	shown := func(k string) bool {
		return pipelineRunFields[k] && k != "run_name" && k != "steps" && (dynamic || k != "parameters")
	}
	if pipeline, err := jsonobj.Parse(changedFields(pipelineConfig, pipelineConfigurationDefaults, shown)); err == nil {
		for _, k := range pipeline.Keys() {
			v, _ := pipeline.Get(k)
			out.Set(k, v)
		}
	}
	return out.JSON()
}

// changedFields keeps the fields of config that shown names and that are
// neither null nor at their default, in config's order; Docker settings
// and source objects are shown as the reference shows them (none, and an
// import path).
func changedFields(config json.RawMessage, defaults string, shown func(string) bool) json.RawMessage {
	out := jsonobj.New()
	in, err := jsonobj.Parse(rawOrEmpty(config))
	if err != nil {
		return out.JSON()
	}
	defs, _ := jsonobj.Parse([]byte(defaults))
	for _, k := range in.Keys() {
		if !shown(k) {
			continue
		}
		v, _ := in.Get(k)
		def, _ := defs.Get(k)
		if k == "settings" {
			v = withoutKey(v, "docker")
		}
		if strings.HasSuffix(k, "_hook_source") {
			v = sourcePath(v)
		}
		if v, keep := pruned(v, def); keep {
			out.Set(k, v)
		}
	}
	return out.JSON()
}

// pruned drops what equals its default: a null, an equal value, and
// inside an object with a default object, the members at their defaults.
func pruned(v, def json.RawMessage) (json.RawMessage, bool) {
	if len(v) == 0 || string(v) == "null" || sameJSON(v, def) {
		return nil, false
	}
	obj, err := jsonobj.Parse(v)
	defObj, derr := jsonobj.Parse(def)
	if err != nil || derr != nil || len(defObj.Keys()) == 0 {
		return v, true
	}
	out := jsonobj.New()
	for _, k := range obj.Keys() {
		mv, _ := obj.Get(k)
		md, _ := defObj.Get(k)
		if mv, keep := pruned(mv, md); keep {
			out.Set(k, mv)
		}
	}
	return out.JSON(), true
}

func sameJSON(a, b json.RawMessage) bool {
	if len(b) == 0 {
		return false
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	ca, _ := json.Marshal(x)
	cb, _ := json.Marshal(y)
	return bytes.Equal(ca, cb)
}

func withoutKey(v json.RawMessage, key string) json.RawMessage {
	o, err := jsonobj.Parse(v)
	if err != nil {
		return v
	}
	o.Delete(key)
	return o.JSON()
}

// sourcePath writes a source object as its import path.
func sourcePath(v json.RawMessage) json.RawMessage {
	var src struct {
		Module    string  `json:"module"`
		Attribute *string `json:"attribute"`
	}
	if json.Unmarshal(v, &src) != nil || src.Module == "" {
		return v
	}
	path := src.Module
	if src.Attribute != nil {
		path += "." + *src.Attribute
	}
	b, _ := json.Marshal(path)
	return b
}

func rawOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	return raw
}
