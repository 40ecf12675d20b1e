package importer

import (
	"bytes"
	"encoding/json"

	"zengo/internal/catalog"
	"zengo/internal/jsonobj"
)

// ZenML stores a step's configuration without its merged `config`: only
// the spec and the step's own overrides. It merges the pipeline's
// configuration in when it reads the step. zengo keeps the merged form (as
// the client sends it), so the import merges as ZenML's reader does: the
// pipeline fields a step inherits, without nulls, over the overrides, the
// overrides' non-null values winning key by key (recursively), and the
// pipeline's secrets first.

// inherited are the pipeline configuration fields a step takes; hook
// sources only for static pipelines.
var inherited = []string{"settings", "extra", "retry", "substitutions", "environment", "secrets", "cache_policy"}
var inheritedHooks = []string{"failure_hook_source", "success_hook_source", "start_hook_source", "end_hook_source"}

// cachePolicyDefaults are the fields of a cache policy the reference fills
// when it validates a merged one.
const cachePolicyDefaults = `{"include_step_code":true,"include_step_parameters":true,"include_artifact_values":true,
"include_artifact_ids":true,"ignored_inputs":null,"file_dependencies":null,"source_dependencies":null,"cache_func":null,"expires_after":null}`

// mergeStep returns a stored step with its `config`, completed with the
// reference's defaults.
func mergeStep(stored []byte, pipelineConfiguration []byte, dynamic bool) (json.RawMessage, error) {
	step, err := jsonobj.Parse(stored)
	if err != nil {
		return nil, err
	}
	pipeline, err := jsonobj.Parse(orEmpty(pipelineConfiguration))
	if err != nil {
		return nil, err
	}
	if _, ok := step.Get("config"); !ok {
		overrides, _ := step.Get("step_config_overrides")
		fields := inherited
		if !dynamic {
			fields = append(append([]string(nil), inherited...), inheritedHooks...)
		}
		from := jsonobj.New()
		for _, f := range fields {
			if v, ok := pipeline.Get(f); ok && !isNull(v) {
				from.Set(f, dropNulls(v))
			}
		}
		merged, err := applyPipeline(orEmpty(overrides), from)
		if err != nil {
			return nil, err
		}
		if cp, ok := merged.Get("cache_policy"); ok && !isNull(cp) && bytes.HasPrefix(bytes.TrimSpace(cp), []byte("{")) {
			if full, err := jsonobj.Overlay(cachePolicyDefaults, cp); err == nil {
				merged.Set("cache_policy", full.JSON())
			}
		}
		step.Set("config", merged.JSON())
		// The reference answers a step in its model's field order.
		step.Order("spec", "config", "step_config_overrides")
	}
	b, err := step.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return catalog.CompleteStep(b)
}

func applyPipeline(overridesRaw []byte, pipeline *jsonobj.Object) (*jsonobj.Object, error) {
	config, err := jsonobj.Parse(overridesRaw)
	if err != nil {
		return nil, err
	}
	if len(pipeline.Keys()) == 0 {
		return config, nil
	}
	combined := jsonobj.New()
	for _, k := range config.Keys() {
		v, _ := config.Get(k)
		combined.Set(k, v)
	}
	for _, k := range pipeline.Keys() {
		v, _ := pipeline.Get(k)
		combined.Set(k, v)
	}
	stepOverrides := jsonobj.New()
	for _, k := range config.Keys() {
		v, _ := config.Get(k)
		if _, inPipeline := pipeline.Get(k); inPipeline && !isNull(v) {
			stepOverrides.Set(k, v)
		}
	}
	var pipelineSecrets, stepSecrets []json.RawMessage
	if v, ok := pipeline.Get("secrets"); ok {
		_ = json.Unmarshal(v, &pipelineSecrets)
	}
	if v, ok := stepOverrides.Get("secrets"); ok {
		_ = json.Unmarshal(v, &stepSecrets)
	}
	secrets, _ := json.Marshal(append(append([]json.RawMessage{}, pipelineSecrets...), stepSecrets...))
	stepOverrides.Set("secrets", secrets)
	return recursiveUpdate(combined, stepOverrides), nil
}

// recursiveUpdate is ZenML's dict_utils.recursive_update with ignore_none.
func recursiveUpdate(original, update *jsonobj.Object) *jsonobj.Object {
	for _, k := range update.Keys() {
		v, _ := update.Get(k)
		if isNull(v) {
			continue
		}
		if sub, err := jsonobj.Parse(v); err == nil && isObject(v) {
			orig, _ := original.Get(k)
			if orig == nil || isNull(orig) || !isObject(orig) {
				if orig != nil && !isNull(orig) && !isObject(orig) {
					original.Set(k, v)
					continue
				}
				orig = []byte("{}")
			}
			base, err := jsonobj.Parse(orig)
			if err != nil {
				original.Set(k, v)
				continue
			}
			original.Set(k, recursiveUpdate(base, sub).JSON())
			continue
		}
		original.Set(k, v)
	}
	return original
}

// dropNulls removes null members of objects, at every depth (pydantic's
// exclude_none).
func dropNulls(raw json.RawMessage) json.RawMessage {
	if isObject(raw) {
		o, err := jsonobj.Parse(raw)
		if err != nil {
			return raw
		}
		out := jsonobj.New()
		for _, k := range o.Keys() {
			v, _ := o.Get(k)
			if isNull(v) {
				continue
			}
			out.Set(k, dropNulls(v))
		}
		return out.JSON()
	}
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) && json.Unmarshal(raw, &list) == nil {
		for i := range list {
			list[i] = dropNulls(list[i])
		}
		b, _ := json.Marshal(list)
		return b
	}
	return raw
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func isObject(v json.RawMessage) bool { return bytes.HasPrefix(bytes.TrimSpace(v), []byte("{")) }

func orEmpty(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 || isNull(b) {
		return []byte("{}")
	}
	return b
}
