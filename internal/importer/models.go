package importer

import "zengo/internal/store"

// Models and model versions; their links to artifacts and runs are in
// linkTables (they need the runs).
func modelTables() []*table {
	return []*table{
		{
			source: "model",
			key:    cols("id"),
			targets: map[string][]string{"models": cols("id", "project_id", "user_id", "name", "license", "description", "audience", "use_cases",
				"limitations", "trade_offs", "ethics", "save_models_to_registry", "latest_activity", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("models", r.id("id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.str("license"), r.str("description"),
					r.str("audience"), r.str("use_cases"), r.str("limitations"), r.str("trade_offs"), r.str("ethics"),
					r.flag("save_models_to_registry"), r.at("created"), r.at("created"), r.at("updated")), nil
			},
			verify: "models",
		},
		{
			source: "model_version",
			key:    cols("id"),
			targets: map[string][]string{"model_versions": cols("id", "model_id", "project_id", "user_id", "name", "number", "description", "stage",
				"producer_run_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("model_versions", r.id("id"), r.id("model_id"), r.id("project_id"), r.id("user_id"), r.text("name"), r.integer("number"),
					r.str("description"), r.str("stage"), r.id("producer_run_id_if_numeric"), r.at("created"), r.at("updated")), nil
			},
			verify: "model_versions",
		},
	}
}
