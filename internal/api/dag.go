package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"

	"zengo/internal/jsonobj"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// The run page's graph: GET /runs/{id}/dag, polled by the dashboard every
// few seconds while a run is active. It is drawn from the snapshot's step
// configurations (so that steps not started yet appear), the step runs,
// and the artifacts they read and wrote: a fixed number of statements
// whatever the run's size (store.GetRunDAG).

type dagNode struct {
	NodeID   string          `json:"node_id"`
	Type     string          `json:"type"`
	ID       *uuid.UUID      `json:"id"`
	Name     string          `json:"name"`
	Metadata *jsonobj.Object `json:"metadata"`
}

type dagEdge struct {
	Source   string          `json:"source"`
	Target   string          `json:"target"`
	Metadata *jsonobj.Object `json:"metadata"`
}

type dagAnswer struct {
	ID     uuid.UUID `json:"id"`
	Status string    `json:"status"`
	Nodes  []dagNode `json:"nodes"`
	Edges  []dagEdge `json:"edges"`
}

// dagStepConfig is what the DAG reads of a step's configuration.
type dagStepConfig struct {
	name          string
	upstream      []string
	inputs        []dagInput // spec.inputs, in order
	outputs       []string   // config.outputs, in order
	lazy          []string   // client_lazy_loaders, model_artifacts_or_metadata
	external      []string   // external_input_artifacts
	substitutions map[string]string
}

type dagInput struct {
	name  string
	specs []dagInputSpec
}

type dagInputSpec struct {
	StepName   string          `json:"step_name"`
	OutputName string          `json:"output_name"`
	ChunkIndex json.RawMessage `json:"chunk_index"`
	ChunkSize  json.RawMessage `json:"chunk_size"`
}

func (s *Server) getRunDAG(r *http.Request) (any, error) {
	id, err := pathUUID(r, "run_id")
	if err != nil {
		return nil, err
	}
	d, err := s.db.GetRunDAG(r.Context(), id, r.URL.Query()["include_step_metadata"])
	if err != nil {
		return nil, err
	}
	return buildDAG(d), nil
}

// dagGraph collects nodes by kind, keeping each node id's first position.
type dagGraph struct {
	steps, artifacts, runs []dagNode
	index                  map[string]int
	edges                  []dagEdge
}

func (g *dagGraph) add(list *[]dagNode, n dagNode) {
	key := n.Type + "|" + n.NodeID
	if i, ok := g.index[key]; ok {
		(*list)[i] = n
		return
	}
	g.index[key] = len(*list)
	*list = append(*list, n)
}

func (g *dagGraph) edge(from, to string, meta *jsonobj.Object) {
	g.edges = append(g.edges, dagEdge{Source: from, Target: to, Metadata: meta})
}

func nodeName(s string) string { return strings.ReplaceAll(s, "/", "-") }

func buildDAG(d *store.RunDAG) dagAnswer {
	run := d.Run
	start := run.Created.Std()
	if run.StartTime != nil {
		start = run.StartTime.Std()
	}
	subs := substitutions(start)
	configs := dagConfigs(run, d.Steps, subs)

	stepRuns := map[string]store.DAGStep{}
	for _, st := range d.Steps {
		stepRuns[st.Name] = st
	}
	io := map[uuid.UUID][]store.DAGArtifact{}
	for _, a := range d.IO {
		io[a.StepID] = append(io[a.StepID], a)
	}

	g := &dagGraph{index: map[string]int{}}
	outputsOf := map[string]map[string]string{} // step -> output name -> node id
	regular := func(step string) map[string]string {
		if outputsOf[step] == nil {
			outputsOf[step] = map[string]string{}
		}
		return outputsOf[step]
	}
	for _, cfg := range topoOrder(configs) {
		stepNode := "step/" + nodeName(cfg.name)
		upstream := map[string]bool{}
		for _, u := range cfg.upstream {
			upstream[u] = true
		}
		meta := jsonobj.New()
		sr, ran := stepRuns[cfg.name]
		node := dagNode{NodeID: stepNode, Type: "step", Name: cfg.name, Metadata: meta}
		if ran {
			id := sr.ID
			node.ID = &id
			meta.Set("status", jsonString(sr.Status))
			if sr.StartTime != nil {
				meta.Set("start_time", jsonString(sr.StartTime.String()))
				if sr.EndTime != nil {
					meta.Set("duration", pyFloat(totalSeconds(*sr.StartTime, *sr.EndTime)))
				}
			}
			if m := d.Metadata[sr.ID]; len(m) > 0 {
				rm := jsonobj.New()
				for _, k := range sortedKeys(m) {
					rm.Set(k, m[k])
				}
				meta.Set("run_metadata", rm.JSON())
			}
		}
		g.add(&g.steps, node)
		if ran {
			inputs, outputs := orderedIO(io[sr.ID], cfg, sr.Status == "cached")
			for _, a := range inputs {
				typ := deref(a.InputType)
				src := ""
				if typ == "step_output" {
					if spec, ok := cfg.inputSpec(a.Name, a.Position); ok {
						src = regular(spec.StepName)[formatName(spec.OutputName, cfg.substitutions)]
						delete(upstream, spec.StepName)
					}
				}
				if src == "" {
					part := a.Name
					if typ == "manual" {
						part = a.ArtifactVersionID.String()
					}
					src = nodeName(cfg.name) + "/inputs/" + typ + "/" + nodeName(part)
					id := a.ArtifactVersionID
					g.add(&g.artifacts, dagNode{NodeID: src, Type: "artifact", ID: &id, Name: a.Name, Metadata: artifactMeta(a)})
				}
				em := jsonobj.New()
				em.Set("input_name", jsonString(a.Name))
				em.Set("type", jsonString(typ))
				em.Set("index", json.RawMessage(strconv.Itoa(a.Position)))
				em.Set("chunk_index", json.RawMessage("null"))
				em.Set("chunk_size", json.RawMessage("null"))
				g.edge(src, stepNode, em)
			}
			for _, a := range outputs {
				part := a.Name
				if a.SaveType == "manual" {
					part = a.ArtifactVersionID.String()
				}
				n := nodeName(cfg.name) + "/outputs/" + a.SaveType + "/" + nodeName(part)
				id := a.ArtifactVersionID
				g.add(&g.artifacts, dagNode{NodeID: n, Type: "artifact", ID: &id, Name: a.Name, Metadata: artifactMeta(a)})
				em := jsonobj.New()
				em.Set("output_name", jsonString(a.Name))
				em.Set("type", jsonString(a.SaveType))
				g.edge(stepNode, n, em)
				if a.SaveType == "step_output" {
					regular(cfg.name)[a.Name] = n
				}
			}
		} else {
			for _, in := range cfg.inputs {
				for _, spec := range in.specs {
					src := regular(spec.StepName)[formatName(spec.OutputName, cfg.substitutions)]
					delete(upstream, spec.StepName)
					if src == "" {
						continue
					}
					em := jsonobj.New()
					em.Set("input_name", jsonString(in.name))
					em.Set("type", jsonString("step_output"))
					em.Set("chunk_index", rawOr(spec.ChunkIndex, "null"))
					em.Set("chunk_size", rawOr(spec.ChunkSize, "null"))
					g.edge(src, stepNode, em)
				}
			}
			for _, kind := range []struct {
				typ   string
				names []string
			}{{"lazy", cfg.lazy}, {"external", cfg.external}} {
				for _, n := range kind.names {
					src := nodeName(cfg.name) + "/inputs/" + kind.typ + "/" + nodeName(n)
					g.add(&g.artifacts, dagNode{NodeID: src, Type: "artifact", Name: n, Metadata: jsonobj.New()})
					em := jsonobj.New()
					em.Set("input_name", jsonString(n))
					em.Set("type", jsonString(kind.typ))
					g.edge(src, stepNode, em)
				}
			}
		}
		// Outputs the configuration declares that the step has not
		// produced (yet): placeholders.
		for _, out := range cfg.outputs {
			name := formatName(out, cfg.substitutions)
			if _, done := regular(cfg.name)[name]; done {
				continue
			}
			n := nodeName(cfg.name) + "/outputs/step_output/" + nodeName(name)
			g.add(&g.artifacts, dagNode{NodeID: n, Type: "artifact", Name: name, Metadata: jsonobj.New()})
			em := jsonobj.New()
			em.Set("output_name", jsonString(out))
			em.Set("type", jsonString("step_output"))
			g.edge(stepNode, n, em)
			regular(cfg.name)[name] = n
		}
		// Order dependencies that no data edge covers.
		for _, u := range cfg.upstream {
			if upstream[u] {
				g.edge("step/"+nodeName(u), stepNode, jsonobj.New())
			}
		}
	}
	var waits []dagNode
	for _, c := range d.WaitConditions {
		meta := jsonobj.New()
		meta.Set("status", jsonString(c.Status))
		meta.Set("type", jsonString(c.Type))
		meta.Set("created_at", jsonString(c.Created.String()))
		if c.Resolution != nil && *c.Resolution != "" {
			meta.Set("resolution", jsonString(*c.Resolution))
		}
		if c.Question != nil && *c.Question != "" {
			meta.Set("question", jsonString(*c.Question))
		}
		if c.ResolvedAt != nil {
			meta.Set("resolved_at", jsonString(c.ResolvedAt.String()))
		}
		id := c.ID
		g.add(&waits, dagNode{NodeID: "wait_condition/" + nodeName(c.Name), Type: "wait_condition", ID: &id, Name: c.Name, Metadata: meta})
	}
	for _, child := range d.ChildRuns {
		meta := jsonobj.New()
		meta.Set("status", jsonString(child.Status))
		if child.StartTime != nil {
			meta.Set("start_time", jsonString(child.StartTime.String()))
			if child.EndTime != nil {
				meta.Set("end_time", jsonString(child.EndTime.String()))
				meta.Set("duration", pyFloat(totalSeconds(*child.StartTime, *child.EndTime)))
			}
		}
		id := child.ID
		g.add(&g.runs, dagNode{NodeID: "child_run/" + nodeName(child.Name), Type: "triggered_run", ID: &id, Name: child.Name, Metadata: meta})
	}
	nodes := append(append(append(g.steps, g.artifacts...), waits...), g.runs...)
	if g.edges == nil {
		g.edges = []dagEdge{}
	}
	if nodes == nil {
		nodes = []dagNode{}
	}
	return dagAnswer{ID: run.ID, Status: run.Status, Nodes: nodes, Edges: g.edges}
}

// dagConfigs reads the steps' configurations: a static pipeline's from
// its snapshot, in their order; a dynamic pipeline's from the step runs
// that configured themselves (no snapshot knows its steps in advance).
func dagConfigs(run *zen.Run, steps []store.DAGStep, subs map[string]any) []*dagStepConfig {
	if run.Snapshot == nil {
		return nil
	}
	var out []*dagStepConfig
	if run.Snapshot.IsDynamic {
		for _, st := range steps {
			if len(st.DynamicConfig) > 0 {
				out = append(out, dagStepConfigOf(st.Name, st.DynamicConfig, subs))
			}
		}
		return out
	}
	if len(run.Snapshot.StepConfigurations) == 0 {
		return nil
	}
	for _, c := range staticDAGConfigs(run.Snapshot) {
		// The run's substitutions, overridden by the step's own.
		merged := *c
		merged.substitutions = make(map[string]string, len(subs)+len(c.substitutions))
		for k, v := range subs {
			merged.substitutions[k] = v.(string)
		}
		for k, v := range c.substitutions {
			merged.substitutions[k] = v
		}
		out = append(out, &merged)
	}
	return out
}

// dagConfigCache keeps what the DAG needs of a static snapshot's step
// configurations, parsed once: they never change after the snapshot is
// made, and a run page polls its DAG every 3 s, which parsed them (MBs for
// hundreds of steps) on every poll. Keyed by snapshot id and the size of
// the configurations; a few hundred snapshots at most.
var dagConfigCache = struct {
	sync.Mutex
	m map[dagCacheKey][]*dagStepConfig
}{m: map[dagCacheKey][]*dagStepConfig{}}

type dagCacheKey struct {
	id   uuid.UUID
	size int
}

const dagConfigCacheSize = 256

// staticDAGConfigs are the snapshot's step configurations in their order,
// each with its own substitutions only (shared: not to be changed).
func staticDAGConfigs(snap *zen.Snapshot) []*dagStepConfig {
	key := dagCacheKey{snap.ID, len(snap.StepConfigurations)}
	dagConfigCache.Lock()
	cached, ok := dagConfigCache.m[key]
	dagConfigCache.Unlock()
	if ok {
		return cached
	}
	all, err := jsonobj.Parse(snap.StepConfigurations)
	if err != nil {
		return nil
	}
	out := make([]*dagStepConfig, 0, len(all.Keys()))
	for _, name := range all.Keys() {
		raw, _ := all.Get(name)
		out = append(out, dagStepConfigOf(name, raw, nil))
	}
	dagConfigCache.Lock()
	if len(dagConfigCache.m) >= dagConfigCacheSize {
		for k := range dagConfigCache.m { // drop any one
			delete(dagConfigCache.m, k)
			break
		}
	}
	dagConfigCache.m[key] = out
	dagConfigCache.Unlock()
	return out
}

// dagStepConfigOf reads what the DAG needs of one step's configuration.
func dagStepConfigOf(name string, raw json.RawMessage, subs map[string]any) *dagStepConfig {
	cfg := &dagStepConfig{name: name, substitutions: map[string]string{}}
	for k, v := range subs {
		cfg.substitutions[k] = v.(string)
	}
	step, err := jsonobj.Parse(raw)
	if err != nil {
		return cfg
	}
	if spec, ok := step.Get("spec"); ok {
		var sp struct {
			Upstream []string `json:"upstream_steps"`
		}
		json.Unmarshal(spec, &sp)
		cfg.upstream = sp.Upstream
		if so, err := jsonobj.Parse(spec); err == nil {
			if inputs, ok := so.Get("inputs"); ok {
				if io, err := jsonobj.Parse(inputs); err == nil {
					for _, in := range io.Keys() {
						v, _ := io.Get(in)
						var one dagInputSpec
						var many []dagInputSpec
						if json.Unmarshal(v, &many) == nil {
							cfg.inputs = append(cfg.inputs, dagInput{in, many})
						} else if json.Unmarshal(v, &one) == nil {
							cfg.inputs = append(cfg.inputs, dagInput{in, []dagInputSpec{one}})
						}
					}
				}
			}
		}
	}
	config, ok := step.Get("config")
	if !ok {
		config, _ = step.Get("step_config_overrides")
	}
	if co, err := jsonobj.Parse(config); err == nil {
		if outs, ok := co.Get("outputs"); ok {
			if oo, err := jsonobj.Parse(outs); err == nil {
				cfg.outputs = oo.Keys()
			}
		}
		for _, key := range []string{"client_lazy_loaders", "model_artifacts_or_metadata"} {
			if v, ok := co.Get(key); ok {
				if o, err := jsonobj.Parse(v); err == nil {
					cfg.lazy = append(cfg.lazy, o.Keys()...)
				}
			}
		}
		if v, ok := co.Get("external_input_artifacts"); ok {
			if o, err := jsonobj.Parse(v); err == nil {
				cfg.external = o.Keys()
			}
		}
		if v, ok := co.Get("substitutions"); ok {
			var own map[string]string
			if json.Unmarshal(v, &own) == nil {
				for k, val := range own {
					cfg.substitutions[k] = val
				}
			}
		}
	}
	return cfg
}

func (c *dagStepConfig) inputSpec(name string, position int) (dagInputSpec, bool) {
	for _, in := range c.inputs {
		if in.name == name {
			if position < 0 || position >= len(in.specs) {
				position = 0
			}
			if len(in.specs) > 0 {
				return in.specs[position], true
			}
		}
	}
	return dagInputSpec{}, false
}

// orderedIO orders a step run's inputs by their place in the spec (then
// position) and its outputs by their place in the configuration, as the
// client wrote them (the reference reads them in the order of their rows).
// A cached step's outputs were written in the order of the original
// step's answer, which lists them by artifact version id.
func orderedIO(rows []store.DAGArtifact, cfg *dagStepConfig, cached bool) (inputs, outputs []store.DAGArtifact) {
	rank := func(names []string, n string) int {
		for i, x := range names {
			if x == n {
				return i
			}
		}
		return len(names)
	}
	inputNames := make([]string, len(cfg.inputs))
	for i, in := range cfg.inputs {
		inputNames[i] = in.name
	}
	for _, a := range rows {
		if a.Output {
			outputs = append(outputs, a)
		} else {
			inputs = append(inputs, a)
		}
	}
	sort.SliceStable(inputs, func(i, j int) bool {
		ri, rj := rank(inputNames, inputs[i].Name), rank(inputNames, inputs[j].Name)
		if ri != rj {
			return ri < rj
		}
		return inputs[i].Position < inputs[j].Position
	})
	sort.SliceStable(outputs, func(i, j int) bool {
		if cached {
			return bytes.Compare(outputs[i].ArtifactVersionID[:], outputs[j].ArtifactVersionID[:]) < 0
		}
		return rank(cfg.outputs, outputs[i].Name) < rank(cfg.outputs, outputs[j].Name)
	})
	return inputs, outputs
}

// topoOrder is Python's graphlib.TopologicalSorter(...).static_order() over
// the steps in configuration order: layer by layer, each in the order its
// nodes became ready.
func topoOrder(configs []*dagStepConfig) []*dagStepConfig {
	byName := map[string]*dagStepConfig{}
	for _, c := range configs {
		byName[c.name] = c
	}
	type info struct {
		npred      int
		successors []string
	}
	infos := map[string]*info{}
	var order []string
	get := func(n string) *info {
		if infos[n] == nil {
			infos[n] = &info{}
			order = append(order, n)
		}
		return infos[n]
	}
	for _, c := range configs {
		var preds []string
		for _, u := range c.upstream {
			if byName[u] != nil {
				preds = append(preds, u)
			}
		}
		get(c.name).npred += len(preds)
		for _, p := range preds {
			get(p).successors = append(get(p).successors, c.name)
		}
	}
	var ready, out []string
	for _, n := range order {
		if infos[n].npred == 0 {
			ready = append(ready, n)
		}
	}
	for len(ready) > 0 {
		group := ready
		ready = nil
		out = append(out, group...)
		for _, n := range group {
			for _, s := range infos[n].successors {
				infos[s].npred--
				if infos[s].npred == 0 {
					ready = append(ready, s)
				}
			}
		}
	}
	res := make([]*dagStepConfig, 0, len(out))
	for _, n := range out {
		res = append(res, byName[n])
	}
	return res
}

func artifactMeta(a store.DAGArtifact) *jsonobj.Object {
	m := jsonobj.New()
	m.Set("type", jsonString(a.Type))
	m.Set("data_type", jsonString(sourcePath(a.DataType)))
	m.Set("save_type", jsonString(a.SaveType))
	return m
}

// sourcePath is a source object's import path, module.attribute.
func sourcePath(raw json.RawMessage) string {
	var src struct {
		Module    string  `json:"module"`
		Attribute *string `json:"attribute"`
	}
	if json.Unmarshal(raw, &src) != nil {
		return ""
	}
	if src.Attribute == nil || *src.Attribute == "" {
		return src.Module
	}
	return src.Module + "." + *src.Attribute
}

// formatName fills {placeholders} of a name as str.format does.
func formatName(name string, subs map[string]string) string {
	if !strings.Contains(name, "{") {
		return name
	}
	for k, v := range subs {
		name = strings.ReplaceAll(name, "{"+k+"}", v)
	}
	return name
}

// totalSeconds is Python's timedelta.total_seconds() of end - start: the
// whole microseconds divided by a million (Duration.Seconds() adds the
// seconds and the fraction apart, which can round differently).
func totalSeconds(start, end zen.Time) float64 {
	return float64(end.Micros()-start.Micros()) / 1e6
}

// pyFloat writes a float as Python's repr does for durations (0.0, 2.5).
func pyFloat(f float64) json.RawMessage {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return json.RawMessage(s)
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
