package importer

import "zengo/internal/store"

// Artifacts, their versions and visualizations. The latest-version columns
// and the project counters are computed at the end.
func artifactTables() []*table {
	return []*table{
		{
			source:  "artifact",
			key:     cols("id"),
			targets: map[string][]string{"artifacts": cols("id", "name", "project_id", "has_custom_name", "user_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("artifacts", r.id("id"), r.text("name"), r.id("project_id"), r.flag("has_custom_name"), r.id("user_id"),
					r.at("created"), r.at("updated")), nil
			},
			verify: "artifacts",
		},
		{
			source: "artifact_version",
			key:    cols("id"),
			targets: map[string][]string{"artifact_versions": cols("id", "artifact_id", "version", "version_number", "project_id", "user_id", "type",
				"uri", "materializer", "data_type", "save_type", "artifact_store_id", "content_hash", "item_count", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("artifact_versions", r.id("id"), r.id("artifact_id"), r.text("version"), r.integer("version_number"), r.id("project_id"),
					r.id("user_id"), r.text("type"), r.text("uri"), r.text("materializer"), r.text("data_type"), r.text("save_type"),
					r.id("artifact_store_id"), r.str("content_hash"), r.integer("item_count"), r.at("created"), r.at("updated")), nil
			},
			verify: "artifact_versions",
		},
		{
			// position, the order within the version, is computed at the end
			// from the creation order (the source has no index to count it
			// by while reading): -1 marks it to do.
			source:  "artifact_visualization",
			key:     cols("id"),
			targets: map[string][]string{"artifact_visualizations": cols("id", "artifact_version_id", "type", "uri", "position", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("artifact_visualizations", r.id("id"), r.id("artifact_version_id"), r.text("type"), r.text("uri"), int64(-1),
					r.at("created"), r.at("updated")), nil
			},
			verify: "artifact_visualizations",
		},
	}
}
