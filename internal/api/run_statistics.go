package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/store"
)

// statsRequest is the reference's RunStatisticsRequest. Its members are
// validated one by one below, in the model's field order, because its
// groupings and metrics are pydantic discriminated unions.
type statsRequest struct {
	Filter    json.RawMessage `json:"filter" zen:"required"`
	Groupings json.RawMessage `json:"groupings"`
	Metrics   json.RawMessage `json:"metrics"`
	MaxGroups json.RawMessage `json:"max_groups"`
	Present   Present
}

// The union members, one struct per tag.
type (
	simpleGrouping struct {
		Name string `json:"name" zen:"required,min=1"`
	}
	timeGrouping struct {
		Name        string               `json:"name" zen:"required,min=1"`
		Granularity statsTimeGranularity `json:"granularity" zen:"required"`
	}
	metadataGrouping struct {
		Name        string `json:"name" zen:"required,min=1"`
		MetadataKey string `json:"metadata_key" zen:"required"`
	}
	simpleMetric struct {
		Name        string           `json:"name" zen:"required,min=1"`
		Aggregation statsAggregation `json:"aggregation" zen:"required"`
	}
	metadataMetric struct {
		Name        string           `json:"name" zen:"required,min=1"`
		Aggregation statsAggregation `json:"aggregation" zen:"required"`
		MetadataKey string           `json:"metadata_key" zen:"required"`
	}
)

// taggedUnion is a pydantic discriminated union: the member named by the
// item's discriminator validates it, and error locations name the tag.
type taggedUnion struct {
	discriminator string
	enum          string   // the tags' enum class, for error messages
	tags          []string // in the union's order
	member        func(tag string) any
}

var groupingUnion = taggedUnion{discriminator: "type", enum: "StatisticsGroupingType",
	tags: []string{"status", "pipeline", "snapshot", "source_snapshot", "stack", "trigger", "user", "tag", "time", "metadata"},
	member: func(tag string) any {
		switch tag {
		case "time":
			return &timeGrouping{}
		case "metadata":
			return &metadataGrouping{}
		}
		return &simpleGrouping{}
	}}

var metricUnion = taggedUnion{discriminator: "source", enum: "StatisticsMetricSource",
	tags: []string{"duration", "step_count", "cached_step_count", "output_artifact_count", "metadata"},
	member: func(tag string) any {
		if tag == "metadata" {
			return &metadataMetric{}
		}
		return &simpleMetric{}
	}}

// validateList validates a list of union items; it returns each item's tag
// and validated member.
func (u taggedUnion) validateList(raw json.RawMessage, present bool, loc []string, errs *[]fieldError) (tags []string, members []any) {
	if !present {
		return nil, nil
	}
	var items []json.RawMessage
	if raw == nil || json.Unmarshal(raw, &items) != nil {
		var input any
		if raw != nil {
			input = raw
		}
		*errs = append(*errs, fieldError{typ: "list_type", loc: loc, msg: "Input should be a valid list", input: input})
		return nil, nil
	}
	for i, item := range items {
		iloc := append(append([]string{}, loc...), strconv.Itoa(i))
		if tag, member, ok := u.validateItem(item, iloc, errs); ok {
			tags, members = append(tags, tag), append(members, member)
		}
	}
	return tags, members
}

// validateItem validates one union member at iloc: its tag, then the
// member's fields (at iloc + tag, as pydantic reports them).
func (u taggedUnion) validateItem(item json.RawMessage, iloc []string, errs *[]fieldError) (string, any, bool) {
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.UseNumber()
	if dec.Decode(&obj) != nil || obj == nil {
		*errs = append(*errs, fieldError{typ: "model_attributes_type", loc: iloc, msg: "Input should be a valid dictionary or object to extract fields from", input: item})
		return "", nil, false
	}
	tagValue, ok := obj[u.discriminator]
	if !ok {
		*errs = append(*errs, fieldError{typ: "union_tag_not_found", loc: iloc, msg: "Unable to extract tag using discriminator '" + u.discriminator + "'",
			input: item, ctx: "{'discriminator': \"'" + u.discriminator + "'\"}"})
		return "", nil, false
	}
	tag, isString := tagValue.(string)
	if !isString || !slices.Contains(u.tags, tag) {
		shown := tag
		if !isString {
			shown = strings.Trim(pyValue(tagValue), "'")
		}
		reprs := make([]string, len(u.tags))
		for j, t := range u.tags {
			reprs[j] = "<" + u.enum + "." + strings.ToUpper(t) + ": '" + t + "'>"
		}
		expected := strings.Join(reprs, ", ")
		*errs = append(*errs, fieldError{typ: "union_tag_invalid", loc: iloc,
			msg:   "Input tag '" + shown + "' found using '" + u.discriminator + "' does not match any of the expected tags: " + expected,
			input: item, ctx: "{'discriminator': \"'" + u.discriminator + "'\", 'tag': '" + shown + "', 'expected_tags': \"" + expected + "\"}"})
		return "", nil, false
	}
	member := u.member(tag)
	validateObject(decodedObject(obj), reflect.ValueOf(member).Elem(), append(iloc, tag), errs)
	return tag, member, true
}

// runStatistics answers POST /runs/statistics.
func (s *Server) runStatistics(r *http.Request) (any, error) {
	var req statsRequest
	var errs []fieldError
	if err := decodeBody(r, &req); err != nil {
		// A member's error joins the others; a body that is no object ends
		// here.
		var ve *validationError
		if !errors.As(err, &ve) || req.Present == nil {
			return nil, err
		}
		errs = append(errs, ve.errs...)
	}
	list, listErr := statsFilter(req, &errs)
	groupTags, groupings := groupingUnion.validateList(req.Groupings, req.Present["groupings"], []string{"body", "groupings"}, &errs)
	metricTags, metrics := metricUnion.validateList(req.Metrics, req.Present["metrics"], []string{"body", "metrics"}, &errs)
	maxGroups := 1000
	if req.Present["max_groups"] {
		var v any
		if req.MaxGroups != nil {
			dec := json.NewDecoder(bytes.NewReader(req.MaxGroups))
			dec.UseNumber()
			dec.Decode(&v)
		}
		loc := []string{"body", "max_groups"}
		before := len(errs)
		setValue(v, reflect.ValueOf(&maxGroups).Elem(), rules{}, loc, &errs)
		switch {
		case len(errs) > before:
		case maxGroups <= 0:
			errs = append(errs, fieldError{typ: "greater_than", loc: loc, msg: "Input should be greater than 0", input: v, ctx: "{'gt': 0}"})
		case maxGroups > 10000:
			errs = append(errs, fieldError{typ: "less_than_equal", loc: loc, msg: "Input should be less than or equal to 10000", input: v, ctx: "{'le': 10000}"})
		}
	}
	if len(errs) > 0 {
		return nil, &validationError{errs: errs}
	}

	q := store.RunStatsQuery{MaxGroups: maxGroups}
	var groupNames, metricNames []string
	times := 0
	for i, m := range groupings {
		g := store.StatsGrouping{Type: groupTags[i]}
		switch m := m.(type) {
		case *simpleGrouping:
			groupNames = append(groupNames, m.Name)
		case *timeGrouping:
			groupNames, g.Granularity = append(groupNames, m.Name), string(m.Granularity)
			times++
		case *metadataGrouping:
			groupNames, g.MetadataKey = append(groupNames, m.Name), m.MetadataKey
		}
		q.Groupings = append(q.Groupings, g)
	}
	for i, m := range metrics {
		mt := store.StatsMetric{Source: metricTags[i]}
		switch m := m.(type) {
		case *simpleMetric:
			metricNames, mt.Aggregation = append(metricNames, m.Name), string(m.Aggregation)
		case *metadataMetric:
			metricNames, mt.Aggregation, mt.MetadataKey = append(metricNames, m.Name), string(m.Aggregation), m.MetadataKey
		}
		q.Metrics = append(q.Metrics, mt)
	}
	switch {
	case hasDuplicates(groupNames):
		return nil, valueErrors([]string{"body"}, "Duplicate grouping names are not allowed.", bodyEcho(r))
	case hasDuplicates(metricNames):
		return nil, valueErrors([]string{"body"}, "Duplicate metric names are not allowed.", bodyEcho(r))
	case times > 1:
		return nil, valueErrors([]string{"body"}, "At most one time grouping is allowed.", bodyEcho(r))
	}
	if listErr != nil {
		// Errors the reference meets only while querying.
		return nil, listErr
	}

	project, err := s.scopeProject(r, list.Scope["project"])
	if err != nil {
		return nil, err
	}
	scope := store.RunScope{ProjectID: project.ID}
	if v := list.Scope["scope_user"]; v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return nil, &validationError{errs: []fieldError{uuidError([]string{"body", "filter", "scope_user"}, v)}}
		}
		scope.ScopeUser = &id
	}
	stats, err := s.db.RunStatistics(r.Context(), list, scope, q)
	if err != nil {
		return nil, err
	}
	return statsView(stats, groupNames, metricNames), nil
}

func hasDuplicates(names []string) bool {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return true
		}
		seen[n] = true
	}
	return false
}

// statsFilter reads the request's filter, a PipelineRunFilter given as a
// JSON object, with the run list's own field table: each member is read as
// the query parameter of that name (a list as a repeated parameter). Its
// validation errors join errs at body.filter; an error the reference only
// meets while querying is returned.
func statsFilter(req statsRequest, errs *[]fieldError) (*filter.List, error) {
	loc := []string{"body", "filter"}
	if req.Filter == nil {
		if req.Present["filter"] {
			*errs = append(*errs, fieldError{typ: "model_type", loc: loc, msg: "Input should be a valid dictionary or instance of PipelineRunFilter", input: nil})
		}
		return nil, nil
	}
	obj, err := jsonobj.Parse(req.Filter)
	if err != nil {
		*errs = append(*errs, fieldError{typ: "model_type", loc: loc, msg: "Input should be a valid dictionary or instance of PipelineRunFilter", input: req.Filter})
		return nil, nil
	}
	q := url.Values{}
	inputs := map[string]any{"": req.Filter} // "": the whole filter
	for _, k := range obj.Keys() {
		raw, _ := obj.Get(k)
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		dec.Decode(&v)
		inputs[k] = v
		values := []any{v}
		if list, ok := v.([]any); ok {
			values = list
		}
		for _, item := range values {
			switch x := item.(type) {
			case nil:
			case string:
				q.Add(k, x)
			case bool:
				q.Add(k, strconv.FormatBool(x))
			case json.Number:
				q.Add(k, x.String())
			default:
				b, _ := json.Marshal(x)
				q.Add(k, string(b))
			}
		}
	}
	l, err := filter.Parse(q, filter.Runs, filter.ParseOptions{})
	var pe filter.ParamErrors
	var me *filter.ModelError
	switch {
	case errors.As(err, &pe):
		for _, p := range pe {
			*errs = append(*errs, fieldError{typ: p.Type, loc: append(append([]string{}, loc...), p.Loc), msg: p.Msg, input: inputs[p.Loc], ctx: p.Ctx})
		}
		return nil, nil
	case errors.As(err, &me) && me.Model == filter.Runs.Model:
		for _, en := range me.Entries {
			eloc := append([]string{}, loc...)
			if en.Field != "" {
				eloc = append(eloc, en.Field)
			}
			*errs = append(*errs, valueErrorAt(eloc, en.Msg, inputs[en.Field]))
		}
		return nil, nil
	}
	return l, err
}

type statsGroupView struct {
	GroupKeys *jsonobj.Object `json:"group_keys"`
	Metrics   *jsonobj.Object `json:"metrics"`
	RunCount  int             `json:"run_count"`
}

type statsResponse struct {
	Groups    []statsGroupView `json:"groups"`
	Truncated bool             `json:"truncated"`
}

// statsView renders the groups with the request's names, metrics as
// Python floats.
func statsView(st *store.RunStats, groupNames, metricNames []string) statsResponse {
	out := statsResponse{Groups: []statsGroupView{}, Truncated: st.Truncated}
	for _, g := range st.Groups {
		v := statsGroupView{GroupKeys: jsonobj.New(), Metrics: jsonobj.New(), RunCount: g.RunCount}
		for i, name := range groupNames {
			v.GroupKeys.Set(name, g.Keys[i])
		}
		for i, name := range metricNames {
			val := json.RawMessage("null")
			if m := g.Metrics[i]; m != nil {
				val = json.RawMessage(jsonobj.PyFloatRepr(*m))
			}
			v.Metrics.Set(name, val)
		}
		out.Groups = append(out.Groups, v)
	}
	return out
}
