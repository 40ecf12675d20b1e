package main

import (
	"encoding/json"
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
						checkListAnswer(t, path+"?"+q, c)
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
					checkListAnswer(t, path+"?"+q, c)
				}
			}
		}
	})
}

// checkListAnswer requires a page (items and an exact total) or the
// reference's answer to a bad query: 400/422 with a detail, or for a
// parameter of the wrong type a bare array (see docs/differences.md).
func checkListAnswer(t *testing.T, pathAndQuery string, c *client) {
	t.Helper()
	status, body := c.do("GET", pathAndQuery, nil)
	switch status {
	case 200:
		var page struct {
			Items []json.RawMessage `json:"items"`
			Total *int              `json:"total"`
		}
		if err := json.Unmarshal(body, &page); err != nil || page.Items == nil || page.Total == nil || *page.Total < len(page.Items) {
			t.Errorf("%s: 200 but not a page: %v %s", pathAndQuery, err, body)
		}
	case 400, 422:
		var e struct {
			Detail json.RawMessage `json:"detail"`
		}
		var bare []json.RawMessage
		if json.Unmarshal(body, &bare) == nil && len(bare) > 0 {
			return
		}
		if err := json.Unmarshal(body, &e); err != nil || len(e.Detail) == 0 {
			t.Errorf("%s: %d without a detail: %s", pathAndQuery, status, body)
		}
	default:
		t.Errorf("%s: %d %s", pathAndQuery, status, body)
	}
}
