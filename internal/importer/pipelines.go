package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"zengo/internal/catalog"
	"zengo/internal/store"
)

// Pipelines and what stands around them: builds, schedules, snapshots
// (with their step configurations), run templates and deployments.
func pipelineTables() []*table {
	return []*table{
		{
			// run_count is kept (it numbers the next run); the latest run
			// columns are computed at the end.
			source:  "pipeline",
			key:     cols("id"),
			targets: map[string][]string{"pipelines": cols("id", "name", "project_id", "user_id", "description", "run_count", "latest_activity", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("pipelines", r.id("id"), r.text("name"), r.id("project_id"), r.id("user_id"), r.str("description"),
					r.integer("run_count"), r.at("created"), r.at("created"), r.at("updated")), nil
			},
			verify: "pipelines",
		},
		{
			source: "pipeline_build",
			key:    cols("id"),
			targets: map[string][]string{"pipeline_builds": cols("id", "project_id", "user_id", "pipeline_id", "stack_id", "images", "is_local",
				"contains_code", "zenml_version", "python_version", "checksum", "stack_checksum", "duration", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("pipeline_builds", r.id("id"), r.id("project_id"), r.id("user_id"), r.id("pipeline_id"), r.id("stack_id"),
					r.textOr("images", "{}"), r.flag("is_local"), r.flag("contains_code"), r.str("zenml_version"), r.str("python_version"),
					r.str("checksum"), r.str("stack_checksum"), r.integer("duration"), r.at("created"), r.at("updated")), nil
			},
			verify: "pipeline_builds",
		},
		{
			source: "schedule",
			key:    cols("id"),
			targets: map[string][]string{"schedules": cols("id", "project_id", "user_id", "name", "active", "cron_expression", "start_time", "end_time",
				"interval_second", "catchup", "run_once_start_time", "is_archived", "orchestrator_id", "pipeline_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("schedules", r.id("id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.flag("active"), r.str("cron_expression"),
					r.micros("start_time"), r.micros("end_time"), r.float("interval_second"), r.flag("catchup"), r.micros("run_once_start_time"),
					r.flag("is_archived"), r.id("orchestrator_id"), r.id("pipeline_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "schedules",
		},
		{
			// ZenML keeps a snapshot's step configurations as rows of
			// step_configuration; zengo as one JSON object by step name, in
			// the steps' order.
			source:   "pipeline_snapshot",
			key:      cols("id"),
			maxBatch: 200,
			targets: map[string][]string{"pipeline_snapshots": cols("id", "name", "description", "project_id", "pipeline_id", "stack_id", "user_id",
				"run_name_template", "pipeline_configuration", "step_configurations", "step_count", "client_environment", "client_version",
				"server_version", "pipeline_version_hash", "pipeline_spec", "is_dynamic", "source_code", "code_path", "build_id", "schedule_id",
				"code_reference_id", "template_id", "source_snapshot_id", "created", "updated")},
			prepare: func(ctx context.Context, im *Importer, rows []row) (any, error) {
				return im.stepConfigurations(ctx, "snapshot_id", rows, "id", "step_run_id IS NULL")
			},
			convert: func(_ *Importer, r row, batch any) ([]store.ImportRow, error) {
				steps := batch.(map[string]string)[r.text("id")]
				if steps == "" {
					steps = "{}"
				}
				return one("pipeline_snapshots", r.id("id"), r.str("name"), r.str("description"), r.id("project_id"), r.id("pipeline_id"),
					r.id("stack_id"), r.id("user_id"), r.text("run_name_template"), r.textOr("pipeline_configuration", "{}"), steps,
					r.integer("step_count"), r.textOr("client_environment", "{}"), r.str("client_version"), r.str("server_version"),
					r.str("pipeline_version_hash"), pipelineSpec(r.str("pipeline_spec")), r.flag("is_dynamic"), r.str("source_code"),
					r.str("code_path"), r.id("build_id"), r.id("schedule_id"), r.id("code_reference_id"), r.id("template_id"),
					r.id("source_snapshot_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "pipeline_snapshots",
		},
		{
			source:  "run_template",
			key:     cols("id"),
			targets: map[string][]string{"run_templates": cols("id", "project_id", "user_id", "name", "description", "hidden", "source_snapshot_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("run_templates", r.id("id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.str("description"), r.flag("hidden"),
					r.id("source_snapshot_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "run_templates",
		},
		{
			source: "deployment",
			key:    cols("id"),
			targets: map[string][]string{"deployments": cols("id", "project_id", "user_id", "name", "url", "status", "deployment_metadata", "auth_key",
				"snapshot_id", "deployer_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("deployments", r.id("id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.str("url"), r.text("status"),
					r.textOr("deployment_metadata", "{}"), r.str("auth_key"), r.id("snapshot_id"), r.id("deployer_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "deployments",
		},
	}
}

// stepConfigurations reads the step configurations of a batch's snapshots
// (or step runs) in one query and renders them per owner as zengo keeps
// them: a JSON object by step name in the steps' order (for a step run,
// its one configuration as it is).
func (im *Importer) stepConfigurations(ctx context.Context, ownerCol string, rows []row, idCol, cond string) (map[string]string, error) {
	ids := make([]any, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.text(idCol))
	}
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	q := "SELECT sc." + ownerCol + ", sc.name, sc.config, ps.pipeline_configuration, ps.is_dynamic FROM step_configuration sc" +
		" JOIN pipeline_snapshot ps ON ps.id = sc.snapshot_id WHERE sc." + cond + " AND sc." + ownerCol + " IN (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ") ORDER BY sc." + ownerCol + ", sc." + quote("index")
	rs, err := im.src.db.QueryContext(ctx, q, ids...)
	if err != nil {
		return nil, sourceError("step_configuration", err)
	}
	defer rs.Close()
	parts := map[string][]string{}
	for rs.Next() {
		var owner, name, config string
		var pipelineConfig sql.NullString
		var dynamic sql.NullBool
		if err := rs.Scan(&owner, &name, &config, &pipelineConfig, &dynamic); err != nil {
			return nil, sourceError("step_configuration", err)
		}
		merged, err := mergeStep([]byte(config), []byte(pipelineConfig.String), dynamic.Bool)
		if err != nil {
			// Kept as stored: the answer lacks the merged config, but no
			// data is lost.
			merged = json.RawMessage(config)
		}
		if ownerCol == "step_run_id" {
			out[owner] = string(merged)
			continue
		}
		n, _ := json.Marshal(name)
		parts[owner] = append(parts[owner], string(n)+": "+string(merged))
	}
	if err := rs.Err(); err != nil {
		return nil, sourceError("step_configuration", err)
	}
	for owner, p := range parts {
		out[owner] = "{" + strings.Join(p, ", ") + "}"
	}
	return out, nil
}

// pipelineSpec is a stored spec as zengo keeps one (ZenML's has sorted
// keys; zengo keeps it as the reference answers it).
func pipelineSpec(v any) any {
	s, ok := nullJSON(v).(string)
	if !ok {
		return nil
	}
	return string(catalog.PipelineSpec(json.RawMessage(s)))
}

// nullJSON turns a JSON "null" text into NULL.
func nullJSON(v any) any {
	if s, ok := v.(string); ok && (s == "" || s == "null") {
		return nil
	}
	return v
}
