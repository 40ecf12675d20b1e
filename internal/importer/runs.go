package importer

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"zengo/internal/store"
)

// Runs and what they record: pipeline runs, step runs (with a dynamic
// step's own configuration), logs, hook invocations and wait conditions.
func runTables() []*table {
	return []*table{
		{
			source: "pipeline_run",
			key:    cols("id"),
			targets: map[string][]string{"pipeline_runs": cols("id", "name", "project_id", "pipeline_id", "snapshot_id", "user_id", "status",
				"status_reason", "in_progress", "run_index", "orchestrator_run_id", "orchestrator_environment", "start_time", "end_time",
				"trigger_info", "exception_info", "original_run_id", "parent_run_id", "child_key", "model_version_id", "enable_heartbeat",
				"created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("pipeline_runs", r.id("id"), r.text("name"), r.id("project_id"), r.id("pipeline_id"), r.id("snapshot_id"), r.id("user_id"),
					r.text("status"), r.str("status_reason"), r.flag("in_progress"), r.integer("index"), r.str("orchestrator_run_id"),
					r.textOr("orchestrator_environment", "{}"), r.micros("start_time"), r.micros("end_time"), triggerInfo(r),
					nullJSON(r.str("exception_info")), r.id("original_run_id"), r.id("parent_run_id"), r.str("child_key"),
					r.id("model_version_id"), r.flag("enable_heartbeat"), r.at("created"), r.at("updated")), nil
			},
			verify: "pipeline_runs",
		},
		{
			source: "step_run",
			key:    cols("id"),
			targets: map[string][]string{"step_runs": cols("id", "name", "project_id", "user_id", "pipeline_run_id", "status", "start_time", "end_time",
				"cache_key", "cache_expires_at", "code_hash", "docstring", "source_code", "original_step_run_id", "exception_info", "version",
				"is_retriable", "latest_heartbeat", "model_version_id", "heartbeat_threshold", "dynamic_config", "created", "updated")},
			prepare: func(ctx context.Context, im *Importer, rows []row) (any, error) {
				return im.stepConfigurations(ctx, "step_run_id", rows, "id", "step_run_id IS NOT NULL")
			},
			convert: func(_ *Importer, r row, batch any) ([]store.ImportRow, error) {
				dynamic := any(nil)
				if c, ok := batch.(map[string]string)[r.text("id")]; ok {
					dynamic = c
				} else {
					dynamic = nullJSON(r.str("step_configuration"))
				}
				version := r.integer("version")
				if version == nil {
					version = int64(1)
				}
				return one("step_runs", r.id("id"), r.text("name"), r.id("project_id"), r.id("user_id"), r.id("pipeline_run_id"), r.text("status"),
					r.micros("start_time"), r.micros("end_time"), r.str("cache_key"), r.micros("cache_expires_at"), r.str("code_hash"),
					r.str("docstring"), r.str("source_code"), r.id("original_step_run_id"), nullJSON(r.str("exception_info")), version,
					r.flag("is_retriable"), r.micros("latest_heartbeat"), r.id("model_version_id"), r.integer("heartbeat_threshold"), dynamic,
					r.at("created"), r.at("updated")), nil
			},
			verify: "step_runs",
		},
		{
			source: "hook_invocation",
			key:    cols("id"),
			targets: map[string][]string{"hook_invocations": cols("id", "project_id", "user_id", "pipeline_run_id", "step_run_id", "hook_type", "name",
				"status", "start_time", "end_time", "source", "exception_info", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("hook_invocations", r.id("id"), r.id("project_id"), r.id("user_id"), r.id("pipeline_run_id"), r.id("step_run_id"),
					r.text("hook_type"), r.str("name"), r.text("status"), r.at("start_time"), r.micros("end_time"), r.str("source"),
					nullJSON(r.str("exception_info")), r.at("created"), r.at("updated")), nil
			},
			verify: "hook_invocations",
		},
		{
			source: "logs",
			key:    cols("id"),
			targets: map[string][]string{"logs": cols("id", "project_id", "user_id", "uri", "source", "artifact_store_id", "log_store_id",
				"pipeline_run_id", "step_run_id", "hook_invocation_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("logs", r.id("id"), r.id("project_id"), r.id("user_id"), r.str("uri"), r.text("source"), r.id("artifact_store_id"),
					r.id("log_store_id"), r.id("pipeline_run_id"), r.id("step_run_id"), r.id("hook_invocation_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "logs",
		},
		{
			source: "run_wait_condition",
			key:    cols("id"),
			targets: map[string][]string{"run_wait_conditions": cols("id", "project_id", "user_id", "run_id", "resolved_by_user_id", "name", "type",
				"status", "question", "data_schema", "resolution", "result", "last_polled_at", "poller_instance_id", "poller_lease_expires_at",
				"resolved_at", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("run_wait_conditions", r.id("id"), r.id("project_id"), r.id("user_id"), r.id("run_id"), r.id("resolved_by_user_id"),
					r.text("name"), r.text("type"), r.text("status"), r.str("question"), r.str("data_schema_json"), r.str("resolution"),
					r.str("result_json"), r.micros("last_polled_at"), r.str("poller_instance_id"), r.micros("poller_lease_expires_at"),
					r.micros("resolved_at"), r.at("created"), r.at("updated")), nil
			},
			verify: "run_wait_conditions",
		},
	}
}

// triggerInfo rebuilds the request's trigger_info that ZenML folds into
// triggered_by and its type.
func triggerInfo(r row) any {
	by, ok := r.id("triggered_by").(string)
	if !ok {
		return nil
	}
	id, err := uuid.Parse(by)
	if err != nil {
		return nil
	}
	info := map[string]any{"step_run_id": nil, "deployment_id": nil}
	switch r.text("triggered_by_type") {
	case "step_run":
		info["step_run_id"] = id.String()
	case "deployment":
		info["deployment_id"] = id.String()
	default:
		return nil
	}
	b, _ := json.Marshal(info)
	return string(b)
}
