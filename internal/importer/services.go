package importer

import (
	"crypto/sha256"
	"encoding/hex"

	"zengo/internal/jsonobj"

	"zengo/internal/store"
)

// Services, webhooks (with their intake statistics) and triggers.
func serviceTables() []*table {
	return []*table{
		{
			// config_hash is zengo's uniqueness key: the SHA-256 of the
			// configuration's text as Python's json.dumps wrote it, which is
			// the text ZenML stored.
			source: "service",
			key:    cols("id"),
			targets: map[string][]string{"services": cols("id", "project_id", "user_id", "name", "service_type", "type", "flavor", "service_source",
				"admin_state", "state", "config", "config_hash", "labels", "status", "endpoint", "prediction_url", "health_check_url",
				"pipeline_name", "pipeline_step_name", "model_version_id", "pipeline_run_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				config := r.blobJSONOr("config", "{}")
				text, err := jsonobj.PyDumps([]byte(config))
				if err != nil {
					return nil, wrapReject("config", err)
				}
				sum := sha256.Sum256([]byte(text))
				return one("services", r.id("id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.textOr("service_type", "{}"),
					r.text("type"), r.text("flavor"), r.str("service_source"), r.str("admin_state"), r.str("state"), config,
					hex.EncodeToString(sum[:]), emptyAsNull(r.blobJSON("labels")), emptyAsNull(r.blobJSON("status")), emptyAsNull(r.blobJSON("endpoint")), r.str("prediction_url"),
					r.str("health_check_url"), r.str("pipeline_name"), r.str("pipeline_step_name"), r.id("model_version_id"),
					r.id("pipeline_run_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "services",
		},
		{
			source: "webhook",
			key:    cols("id"),
			selectList: "t.*, s.received_count, s.accepted_count, s.auth_failed_count, s.invalid_payload_count, s.last_received_at," +
				" s.last_accepted_at, s.last_error_at, s.last_error_summary",
			from: quote("webhook") + " t LEFT JOIN " + quote("webhook_stats") + " s ON s.webhook_id = t.id",
			targets: map[string][]string{"webhooks": cols("id", "project_id", "user_id", "name", "webhook_type", "active", "secret_id", "received_count",
				"accepted_count", "auth_failed_count", "invalid_payload_count", "last_received_at", "last_accepted_at", "last_error_at",
				"last_error_summary", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("webhooks", r.id("id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.text("webhook_type"), r.flag("active"),
					r.id("secret_id"), zero(r.integer("received_count")), zero(r.integer("accepted_count")), zero(r.integer("auth_failed_count")),
					zero(r.integer("invalid_payload_count")), r.micros("last_received_at"), r.micros("last_accepted_at"), r.micros("last_error_at"),
					r.str("last_error_summary"), r.at("created"), r.at("updated")), nil
			},
			verify: "webhooks",
		},
		{
			source: "trigger",
			key:    cols("id"),
			targets: map[string][]string{"triggers": cols("id", "project_id", "user_id", "name", "active", "is_archived", "type", "flavor",
				"configuration", "concurrency", "webhook_id", "next_occurrence", "source_entity", "target_events", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("triggers", r.id("id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.flag("active"), r.flag("is_archived"),
					r.text("type"), r.text("flavor"), r.textOr("configuration", "{}"), r.text("concurrency"), r.id("webhook_id"),
					r.micros("next_occurrence"), r.str("source_entity"), r.str("target_events"), r.at("created"), r.at("updated")), nil
			},
			verify: "triggers",
		},
		{
			source:  "trigger_snapshot",
			key:     cols("trigger_id", "snapshot_id"),
			targets: map[string][]string{"trigger_snapshots": cols("trigger_id", "snapshot_id", "created", "dispatch_state")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("trigger_snapshots", r.id("trigger_id"), r.id("snapshot_id"), r.at("created_at"), r.str("dispatch_state")), nil
			},
			verify: "trigger_snapshots",
		},
	}
}

func zero(v any) any {
	if v == nil {
		return int64(0)
	}
	return v
}

// emptyAsNull stores an empty object as NULL, as zengo keeps a service's
// optional objects.
func emptyAsNull(v any) any {
	if s, ok := v.(string); ok {
		if o, err := jsonobj.Parse([]byte(s)); err == nil && len(o.Keys()) == 0 {
			return nil
		}
	}
	return v
}
