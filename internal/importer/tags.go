package importer

import "zengo/internal/store"

// Tags; their links to resources are in linkTables.
func tagTables() []*table {
	return []*table{
		{
			source:  "tag",
			key:     cols("id"),
			targets: map[string][]string{"tags": cols("id", "name", "color", "exclusive", "user_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("tags", r.id("id"), r.text("name"), r.text("color"), r.flag("exclusive"), r.id("user_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "tags",
		},
	}
}
