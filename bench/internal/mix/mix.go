// Package mix defines the benchmark's requests against the pipelines API,
// one loadgen spec per endpoint, so that every server is measured on the
// same requests.
package mix

import (
	"fmt"
	"strings"

	"zengo/bench/internal/zenapi"
	"zengo/bench/loadgen"
)

// Params are what the requests need to know about the seeded data.
type Params struct {
	Token       string   // bearer token sent with every request
	ProjectID   string   // default project (for creates)
	PipelineIDs []string // ids to get and update, drawn at random
	Prefix      string   // name prefix of the seeded pipelines
	Pipelines   int      // how many were seeded (to pick a filter matching a few)
	DeepPage    int      // page number of the "list_deep" endpoint (0: left out)
}

// Endpoint is one measured request kind.
type Endpoint struct {
	Name        string
	Description string
	Spec        *loadgen.Spec
}

// listQuery is the pipeline list the ZenML dashboard asks for.
const listQuery = "/api/v1/pipelines?hydrate=true&sort_by=desc:latest_run&size=20"

// FilterFragment is a name fragment that matches ten seeded pipelines
// (prefix-NNNNNN0 … prefix-NNNNNN9, from the middle of the set).
func FilterFragment(prefix string, pipelines int) string {
	i := (pipelines / 2) / 10 * 10
	name := zenapi.PipelineName(prefix, i)
	return name[:len(name)-1]
}

// Endpoints returns the endpoints in the order they are measured. Names
// given in only (if not empty) select a subset.
func Endpoints(p Params, only []string) []Endpoint {
	headers := map[string]string{"Authorization": "Bearer " + p.Token}
	vars := map[string][]string{"ids": p.PipelineIDs}
	one := func(name, desc string, r loadgen.RequestSpec) Endpoint {
		r.Name = name
		return Endpoint{Name: name, Description: desc, Spec: &loadgen.Spec{Headers: headers, Vars: vars, Requests: []loadgen.RequestSpec{r}}}
	}
	jsonString := func(s string) []byte { return []byte(fmt.Sprintf("%q", s)) }
	all := []Endpoint{
		one("list", "GET page 1, size 20, hydrate=true, sort_by=desc:latest_run",
			loadgen.RequestSpec{Path: listQuery + "&page=1"}),
		one("list_filtered", "the same with name=contains:"+FilterFragment(p.Prefix, p.Pipelines)+" (10 matches)",
			loadgen.RequestSpec{Path: listQuery + "&page=1&name=contains:" + FilterFragment(p.Prefix, p.Pipelines)}),
		one("list_page50", "the same list, page 50",
			loadgen.RequestSpec{Path: listQuery + "&page=50"}),
	}
	if p.DeepPage > 0 {
		all = append(all, one("list_deep", fmt.Sprintf("the same list, page %d", p.DeepPage),
			loadgen.RequestSpec{Path: fmt.Sprintf("%s&page=%d", listQuery, p.DeepPage)}))
	}
	all = append(all,
		one("get", "GET /pipelines/{id}, random seeded id",
			loadgen.RequestSpec{Path: `/api/v1/pipelines/{{pick "ids"}}`}),
		// Each worker adds a tag to a pipeline and removes it on its next
		// request, so that the data stays the same shape.
		one("update", "PUT /pipelines/{id}, add_tags then remove_tags of one tag, random seeded id",
			loadgen.RequestSpec{Method: "PUT", Path: `/api/v1/pipelines/{{pickAt "ids" (hash .Worker (div .WSeq 2))}}`,
				Body: jsonString(`{{if even .WSeq}}{"add_tags":["bench-upd"]}{{else}}{"remove_tags":["bench-upd"]}{{end}}`)}),
		one("create", "POST /pipelines, unique name",
			loadgen.RequestSpec{Method: "POST", Path: "/api/v1/pipelines",
				Body: jsonString(`{"name":"bench-create-{{.Run}}-{{.Seq}}","project":"` + p.ProjectID + `"}`)}),
	)
	if len(only) == 0 {
		return all
	}
	var out []Endpoint
	for _, e := range all {
		for _, n := range only {
			if strings.TrimSpace(n) == e.Name {
				out = append(out, e)
			}
		}
	}
	return out
}
