package importer

import "zengo/internal/store"

// The links between resources: a step's inputs and outputs, model versions'
// artifacts and runs, tags on resources, run metadata, hook outputs and
// curated visualizations.
func linkTables() []*table {
	stepArtifacts := cols("step_run_id", "artifact_version_id", "direction", "name", "position", "input_type")
	return []*table{
		{
			// position is ZenML's input index (the answers' `index`); zengo
			// keeps no chunk index, so two chunks of one input collide and
			// are reported.
			source:  "step_run_input_artifact",
			key:     cols("name", "input_index", "step_id", "artifact_id"),
			targets: map[string][]string{"step_run_artifacts": stepArtifacts},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("step_run_artifacts", r.id("step_id"), r.id("artifact_id"), "input", r.text("name"), r.integer("input_index"), r.str("type")), nil
			},
			verify: "step_run_artifacts", verifyWhere: "direction = 'input'",
		},
		{
			source: "step_run_output_artifact",
			key:    cols("step_id", "artifact_id"),
			selectList: "t.*, (SELECT COUNT(*) FROM step_run_output_artifact o2 WHERE o2.step_id = t.step_id AND o2.name = t.name" +
				" AND o2.artifact_id < t.artifact_id) AS position",
			targets: map[string][]string{"step_run_artifacts": stepArtifacts},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("step_run_artifacts", r.id("step_id"), r.id("artifact_id"), "output", r.text("name"), r.integer("position"), nil), nil
			},
			verify: "step_run_artifacts", verifyWhere: "direction = 'output'",
		},
		{
			source:  "model_versions_artifacts",
			key:     cols("id"),
			targets: map[string][]string{"model_version_artifacts": cols("id", "model_version_id", "artifact_version_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("model_version_artifacts", r.id("id"), r.id("model_version_id"), r.id("artifact_version_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "model_version_artifacts",
		},
		{
			source:  "model_versions_runs",
			key:     cols("id"),
			targets: map[string][]string{"model_version_runs": cols("id", "model_version_id", "pipeline_run_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("model_version_runs", r.id("id"), r.id("model_version_id"), r.id("pipeline_run_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "model_version_runs",
		},
		{
			source:  "tag_resource",
			key:     cols("id"),
			targets: map[string][]string{"tag_resources": cols("id", "tag_id", "resource_id", "resource_type", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("tag_resources", r.id("id"), r.id("tag_id"), r.id("resource_id"), r.text("resource_type"), r.at("created"), r.at("updated")), nil
			},
			verify: "tag_resources",
		},
		{
			// ZenML keeps a value once and links it to its resources; zengo
			// keeps one row per resource. A resource's metadata is read in
			// the order of its rows' ids, as the reference reads it in the
			// order of its values' ids: the row's id is the value's id
			// (first half, the order) and the link's (second half, unique).
			source: "run_metadata_resource",
			key:    cols("id"),
			selectList: "t.id, t.run_metadata_id, t.resource_id, t.resource_type, m.stack_component_id, m." + quote("key") + " AS mkey, m.value, m.type," +
				" m.user_id, m.created",
			from:    quote("run_metadata_resource") + " t JOIN " + quote("run_metadata") + " m ON m.id = t.run_metadata_id",
			targets: map[string][]string{"run_metadata": cols("id", "resource_id", "resource_type", "stack_component_id", "mkey", "value", "type", "user_id", "created")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("run_metadata", metadataRowID(r), r.id("resource_id"), r.text("resource_type"), r.id("stack_component_id"), r.text("mkey"),
					r.text("value"), r.text("type"), r.id("user_id"), r.at("created")), nil
			},
			verify: "run_metadata",
		},
		{
			// ZenML keeps no order of a hook's outputs; zengo lists them by
			// name.
			source:  "hook_invocation_output_artifact",
			key:     cols("name", "hook_invocation_id", "artifact_version_id"),
			targets: map[string][]string{"hook_invocation_outputs": cols("hook_invocation_id", "artifact_version_id", "name", "position")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("hook_invocation_outputs", r.id("hook_invocation_id"), r.id("artifact_version_id"), r.text("name"), int64(0)), nil
			},
			verify: "hook_invocation_outputs",
		},
		{
			source:     "curated_visualization",
			key:        cols("id"),
			selectList: "t.*, v.artifact_version_id",
			from:       quote("curated_visualization") + " t JOIN " + quote("artifact_visualization") + " v ON v.id = t.artifact_visualization_id",
			targets: map[string][]string{"curated_visualizations": cols("id", "project_id", "artifact_visualization_id", "artifact_version_id",
				"resource_id", "resource_type", "display_name", "display_order", "layout_size", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("curated_visualizations", r.id("id"), r.id("project_id"), r.id("artifact_visualization_id"), r.id("artifact_version_id"),
					r.id("resource_id"), r.text("resource_type"), r.str("display_name"), r.integer("display_order"), r.text("layout_size"),
					r.at("created"), r.at("updated")), nil
			},
			verify: "curated_visualizations",
		},
	}
}

// metadataRowID is the id of a metadata value's row for one resource.
func metadataRowID(r row) any {
	value, _ := r.id("run_metadata_id").(string)
	link, _ := r.id("id").(string)
	if len(value) != 32 || len(link) != 32 {
		return r.id("id")
	}
	return value[:16] + link[16:]
}
