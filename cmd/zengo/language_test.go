package main

import (
	"fmt"
	"net/url"
	"testing"

	"zengo/internal/filter"
	"zengo/internal/storetest"
)

// sampleValue is a well-formed operand of each type for operator op.
func sampleValue(t filter.Type, op filter.Op) string {
	switch op {
	case filter.IsNull, filter.IsNotNull:
		return ""
	case filter.OneOf, filter.NotOneOf:
		return `["a","1"]`
	case filter.In:
		return "2020-01-01 00:00:00,2999-01-01 00:00:00"
	}
	switch t {
	case filter.Datetime:
		return "2020-01-01 00:00:00"
	case filter.Int, filter.Float:
		return "1"
	case filter.Bool:
		return "true"
	case filter.UUID:
		if op == filter.Equals || op == filter.NotEquals {
			return "00000000-0000-0000-0000-000000000001"
		}
		return "0"
	}
	if op == filter.GT || op == filter.GTE || op == filter.LT || op == filter.LTE {
		return "1"
	}
	return "a"
}

// Every filter field with every operator its type allows, alone and
// OR-ed with another, and every sort key both ways, gets an answer (a page
// or the reference's 4xx), never a server error, on every engine.
func TestEveryFilterAndSortAnswers(t *testing.T) {
	resources := map[string]*filter.Resource{
		"/api/v1/pipelines": filter.Pipelines, "/api/v1/runs": filter.Runs, "/api/v1/tags": filter.Tags,
		"/api/v1/users": filter.Users, "/api/v1/projects": filter.Projects, "/api/v1/stacks": filter.Stacks,
		"/api/v1/components": filter.Components, "/api/v1/flavors": filter.Flavors, "/api/v1/service_accounts": filter.ServiceAccounts,
		"/api/v1/steps": filter.Steps,
	}
	storetest.ForEach(t, func(t *testing.T, dbURL string) {
		c := login(t, startServer(t, map[string]string{"ZENML_STORE_URL": dbURL}), "default", "secret")
		project := c.json("GET", "/api/v1/projects/default", nil, 200)["id"]
		c.json("POST", "/api/v1/pipelines", map[string]any{"name": "a1", "project": project, "tags": []string{"a"}}, 200)
		for path, res := range resources {
			for _, f := range res.Fields {
				if f.Scope {
					continue
				}
				for _, op := range filter.AllowedOps(f.Type) {
					v := string(op) + ":" + sampleValue(f.Type, op)
					for _, q := range []string{
						f.Name + "=" + url.QueryEscape(v),
						f.Name + "=" + url.QueryEscape(v) + "&id=" + url.QueryEscape("startswith:0") + "&logical_operator=or",
					} {
						if status, body := c.do("GET", path+"?"+q, nil); status >= 500 {
							t.Errorf("%s?%s: %d %s", path, q, status, body)
						}
					}
				}
			}
			keys := append([]string{"id", "created", "updated"}, res.SortKeys...)
			for _, f := range res.Fields {
				keys = append(keys, f.Name)
			}
			for _, k := range keys {
				for _, dir := range []string{"asc", "desc"} {
					q := fmt.Sprintf("sort_by=%s:%s&hydrate=true", dir, k)
					if status, body := c.do("GET", path+"?"+q, nil); status >= 500 {
						t.Errorf("%s?%s: %d %s", path, q, status, body)
					}
				}
			}
		}
	})
}
