package api

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// What the reference's zen_server/pipeline_execution/utils.py does before
// the server runs a snapshot: check that it can (a remote build of a stack
// that has not changed since), and derive the snapshot it runs from the
// named one. zengo derives it for triggers, which keep it; running it
// needs a workload manager that a self-hosted server lacks.

// serverExecution is a snapshot the server could run: its build and the
// build's stack.
type serverExecution struct {
	build *store.Build
	stack *zen.Stack
}

// checkServerExecution is validate_snapshot_for_server_execution. Its
// refusals are the reference's ValueErrors, answered as 400s.
func (s *Server) checkServerExecution(ctx context.Context, snap *zen.Snapshot) (*serverExecution, error) {
	if !snapshotBodyOf(snap).Runnable {
		if snap.StackID != nil {
			stack, err := s.db.GetStack(ctx, *snap.StackID)
			if err != nil {
				return nil, err
			}
			if err := checkStackRunnable(stack); err != nil {
				return nil, err
			}
		}
		if snap.Build == nil {
			return nil, zen.Errorf(zen.EInvalid, "This snapshot can not be run via the server because it does not have an associated build. "+
				"This is probably because the build has been deleted.")
		}
		return nil, zen.Errorf(zen.EInvalid, "This snapshot can not be run via the server.")
	}
	build, err := s.db.GetBuild(ctx, *snap.BuildID)
	if err != nil {
		return nil, err
	}
	stack, err := s.db.GetStack(ctx, *build.StackID)
	if err != nil {
		return nil, err
	}
	if c := deref(build.StackChecksum); c != "" && c != stackChecksum(stack) {
		return nil, zen.Errorf(zen.EInvalid, "The stack %s has been updated since it was used for the snapshot. This means the Docker "+
			"images associated with this template most likely do not contain the necessary requirements. Please create a new snapshot with "+
			"the updated stack.", stack.Name)
	}
	if err := checkStackRunnable(stack); err != nil {
		return nil, err
	}
	if deref(build.ZenMLVersion) == "" {
		// The reference asserts the build names its ZenML version: a bare
		// AssertionError, answered as a 500 without a message.
		return nil, zen.Errorf(zen.EInternal, "")
	}
	return &serverExecution{build: build, stack: stack}, nil
}

// checkStackRunnable is validate_stack_is_runnable_from_server: the
// server runs nothing on a component of a custom flavor or a local one.
func checkStackRunnable(stack *zen.Stack) error {
	for _, c := range stack.Components {
		if c.Flavor != nil && c.Flavor.IsCustom {
			return zen.Errorf(zen.EInvalid, "Unable to run pipeline from the server on a stack that includes stack components with a custom flavor.")
		}
		if zen.ComponentIsLocal(c.Type, c.FlavorName, c.Configuration) {
			return zen.Errorf(zen.EInvalid, "Unable to run pipeline from the server on a stack that includes local stack components.")
		}
	}
	return nil
}

// stackChecksum is compute_stack_checksum: the integrations (other than
// built-in) of the stack's components, sorted, hashed.
func stackChecksum(stack *zen.Stack) string {
	seen := map[string]bool{}
	var integrations []string
	for _, c := range stack.Components {
		if c.Flavor == nil || c.Flavor.Integration == nil {
			continue
		}
		if i := *c.Flavor.Integration; i != "" && i != "built-in" && !seen[i] {
			seen[i] = true
			integrations = append(integrations, i)
		}
	}
	sort.Strings(integrations)
	h := md5.New()
	for _, i := range integrations {
		h.Write([]byte(i))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// executableSnapshot is snapshot_request_from_source_snapshot with an empty
// run configuration, then ensure_async_orchestrator: a nameless copy of the
// snapshot's configuration, made by the caller, pointing back at the named
// snapshot it came from (source_snapshot_id), with the server's version as
// client and server version and no client environment, schedule, template,
// description or tags.
func executableSnapshot(snap *zen.Snapshot, exec *serverExecution, userID *uuid.UUID) (zen.Snapshot, error) {
	config, err := asyncOrchestratorConfig(snap.PipelineConfiguration, exec)
	if err != nil {
		return zen.Snapshot{}, err
	}
	version := Version
	// The closest named snapshot: this one when named, else the one it
	// was made from.
	source := snap.SourceSnapshotID
	if snap.Name != nil {
		source = &snap.ID
	}
	return zen.Snapshot{ProjectID: snap.ProjectID, PipelineID: snap.PipelineID, StackID: snap.StackID, UserID: userID,
		RunNameTemplate: snap.RunNameTemplate, PipelineConfiguration: config, StepConfigurations: snap.StepConfigurations,
		StepCount: snap.StepCount, ClientEnvironment: json.RawMessage(`{}`), ClientVersion: &version, ServerVersion: &version,
		PipelineVersionHash: snap.PipelineVersionHash, PipelineSpec: snap.PipelineSpec, IsDynamic: snap.IsDynamic,
		SourceCode: snap.SourceCode, CodePath: snap.CodePath, BuildID: snap.BuildID, SourceSnapshotID: source}, nil
}

// asyncOrchestratorConfig sets `synchronous: false` in the settings of the
// build stack's orchestrator when its flavor has that option, after
// normalizing the component settings keys as the reference does: `type:name`
// keys, or `type.flavor` for builds of ZenML before 0.94.3.
func asyncOrchestratorConfig(config json.RawMessage, exec *serverExecution) (json.RawMessage, error) {
	var orchestrator *zen.Component
	for _, c := range exec.stack.Components {
		if c.Type == "orchestrator" {
			orchestrator = c
			break
		}
	}
	if orchestrator == nil || orchestrator.Flavor == nil || !hasConfigProperty(orchestrator.Flavor.ConfigSchema, "synchronous") {
		return config, nil
	}
	legacy := versionBefore(deref(exec.build.ZenMLVersion), [3]int{0, 94, 3})
	obj, err := jsonobj.Parse(config)
	if err != nil {
		return nil, err
	}
	raw, _ := obj.Get("settings")
	settings, err := jsonobj.Parse(raw)
	if err != nil {
		settings = jsonobj.New()
	}
	if err := normalizeComponentSettingKeys(settings, exec.stack.Components, legacy); err != nil {
		return nil, err
	}
	key := orchestrator.Type + ":" + orchestrator.Name
	if legacy {
		key = orchestrator.Type + "." + orchestrator.FlavorName
	}
	current, ok := settings.Get(key)
	entry, err := jsonobj.Parse(current)
	if !ok || err != nil {
		entry = jsonobj.New()
	}
	entry.Set("synchronous", json.RawMessage("false"))
	settings.Set(key, entry.JSON())
	obj.Set("settings", settings.JSON())
	return obj.JSON(), nil
}

func hasConfigProperty(schema json.RawMessage, name string) bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	json.Unmarshal(schema, &s)
	_, ok := s.Properties[name]
	return ok
}

// componentTypes are the stack component types, the prefixes of component
// settings keys.
var componentTypes = []string{"artifact_store", "alerter", "annotator", "container_registry", "data_validator", "experiment_tracker",
	"feature_store", "image_builder", "log_store", "model_deployer", "orchestrator", "step_operator", "model_registry", "deployer", "sandbox"}

// normalizeComponentSettingKeys is normalize_stack_component_setting_keys:
// each component settings key (`type`, `type.flavor`, `type:name`) becomes
// the canonical key of the one component it selects and moves to the end;
// keys that select none are dropped.
func normalizeComponentSettingKeys(settings *jsonobj.Object, components []*zen.Component, legacy bool) error {
	type resolved struct{ from, to string }
	var moves []resolved
	var dropped []string
	resolvedFrom := map[string]string{}
	for _, key := range settings.Keys() {
		typ, selector, kind := splitSettingKey(key)
		if kind == "" {
			continue
		}
		var matches []*zen.Component
		for _, c := range components {
			if c.Type != typ {
				continue
			}
			if kind == "shortcut" || (kind == "flavor" && c.FlavorName == selector) || (kind == "name" && c.Name == selector) {
				matches = append(matches, c)
			}
			if kind == "shortcut" && len(matches) == 1 {
				break
			}
		}
		switch {
		case len(matches) == 0 && kind == "shortcut":
			return zen.Errorf(zen.EInvalid, "Unable to resolve settings key `%s` because the stack has no default component of type %s.", key, typ)
		case len(matches) == 0:
			dropped = append(dropped, key)
			continue
		case len(matches) > 1:
			return zen.Errorf(zen.EInvalid, "Unable to resolve settings key `%s` because it matched %d components.", key, len(matches))
		}
		to := typ + ":" + matches[0].Name
		if legacy {
			to = typ + "." + matches[0].FlavorName
		}
		if existing, ok := resolvedFrom[to]; ok {
			return zen.Errorf(zen.EInvalid, "Duplicate settings provided using the keys %s and %s. Both refer to %s. "+
				"Remove settings for one of them to fix this error.", existing, key, to)
		}
		resolvedFrom[to] = key
		moves = append(moves, resolved{key, to})
	}
	values := make(map[string]json.RawMessage, len(moves))
	for _, m := range moves {
		values[m.to], _ = settings.Get(m.from)
	}
	for _, m := range moves {
		settings.Delete(m.from)
	}
	for _, k := range dropped {
		settings.Delete(k)
	}
	for _, m := range moves {
		settings.Set(m.to, values[m.to])
	}
	return nil
}

// splitSettingKey reads a component settings key: its component type and
// how it selects the component (kind "" for other settings keys).
func splitSettingKey(key string) (typ, selector, kind string) {
	i := strings.IndexByte(key, ':')
	if i < 0 {
		i = strings.IndexByte(key, '.')
	}
	typ = key
	if i >= 0 {
		typ, selector = key[:i], key[i+1:]
		if selector == "" {
			return "", "", ""
		}
		kind = "flavor"
		if key[i] == ':' {
			kind = "name"
		}
	} else {
		kind = "shortcut"
	}
	for _, t := range componentTypes {
		if t == typ {
			return typ, selector, kind
		}
	}
	return "", "", ""
}

// versionBefore says whether a release version is older than want; an
// unreadable one counts as older, as on the reference.
func versionBefore(v string, want [3]int) bool {
	parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
	if len(parts) < 2 {
		return true
	}
	var got [3]int
	for i, p := range parts {
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		n, err := strconv.Atoi(p[:end])
		if err != nil {
			return true
		}
		got[i] = n
	}
	for i := range got {
		if got[i] != want[i] {
			return got[i] < want[i]
		}
	}
	return false
}
