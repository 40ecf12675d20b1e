// Package runreplay replays the zenml client's requests of pipeline runs
// (bench/runs/sequence.json, recorded once from a real run against the
// reference server) against any ZenML-compatible server, and measures
// them per kind of request.
package runreplay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Request is one templated request of the sequence.
type Request struct {
	Kind   string          `json:"kind"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body,omitempty"`
	// Capture sets variables from the answer: name → path in the JSON
	// answer ("id", "0.id", "items.0.id"; a trailing "?" makes a missing
	// value no error).
	Capture map[string]string `json:"capture,omitempty"`
	// Unless skips the request when the variable is already set.
	Unless string `json:"unless,omitempty"`
	// NotFirst skips the request for the first step of a run.
	NotFirst bool `json:"not_first,omitempty"`
}

// Template is the recorded sequence of a run.
type Template struct {
	About string    `json:"about"`
	Run   []Request `json:"run"`  // once per run, before the steps
	Step  []Request `json:"step"` // once per step
	// The snapshot the client posts: its step_configurations and
	// pipeline_spec.steps are made from StepConfiguration and SpecStep,
	// one per step (variables step and prev).
	SnapshotBody      json.RawMessage `json:"snapshot_body"`
	StepConfiguration json.RawMessage `json:"step_configuration"`
	SpecStep          json.RawMessage `json:"spec_step"`
}

// Load reads a template file.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse decodes a template and checks that it has a run and a step part.
func Parse(b []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if len(t.Step) == 0 {
		return nil, fmt.Errorf("template: no step requests")
	}
	for _, r := range append(append([]Request{}, t.Run...), t.Step...) {
		if r.Kind == "" || r.Method == "" || !strings.HasPrefix(r.Path, "/") {
			return nil, fmt.Errorf("template: request %+v needs kind, method and path", r)
		}
	}
	return &t, nil
}

// Kinds lists the request kinds in the order of the template.
func (t *Template) Kinds() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range append(append([]Request{}, t.Run...), t.Step...) {
		if !seen[r.Kind] {
			seen[r.Kind] = true
			out = append(out, r.Kind)
		}
	}
	return out
}

// Vars are the variables of one run: text values, and JSON values for
// "${json:name}".
type Vars struct {
	Text map[string]string
	JSON map[string]json.RawMessage
}

// NewVars returns empty variables.
func NewVars() *Vars {
	return &Vars{Text: map[string]string{}, JSON: map[string]json.RawMessage{}}
}

var (
	jsonPlaceholder = regexp.MustCompile(`"\$\{json:([a-z_0-9]+)\}"`)
	textPlaceholder = regexp.MustCompile(`\$\{([a-z_0-9]+)\}`)
)

// Expand replaces the placeholders of s. In a JSON body (inJSON), a whole
// string "${json:x}" becomes x's JSON value and ${x} elsewhere x's text,
// escaped as JSON string content. An unknown variable is an error.
func (v *Vars) Expand(s string, inJSON bool) (string, error) {
	var missing []string
	if inJSON {
		s = jsonPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
			name := jsonPlaceholder.FindStringSubmatch(m)[1]
			val, ok := v.JSON[name]
			if !ok {
				missing = append(missing, "json:"+name)
				return m
			}
			return string(val)
		})
	}
	s = textPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
		name := textPlaceholder.FindStringSubmatch(m)[1]
		val, ok := v.Text[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		if inJSON {
			q, _ := json.Marshal(val)
			return string(q[1 : len(q)-1])
		}
		return val
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for %s", strings.Join(missing, ", "))
	}
	return s, nil
}

// Lookup reads a value from a JSON answer by a dotted path of object keys
// and list indexes ("0.id", "items.0.id"). Strings are returned as they
// are, other values as JSON.
func Lookup(answer []byte, path string) (string, bool) {
	var cur any
	d := json.NewDecoder(bytes.NewReader(answer))
	d.UseNumber()
	if err := d.Decode(&cur); err != nil {
		return "", false
	}
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			var ok bool
			if cur, ok = c[part]; !ok {
				return "", false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return "", false
			}
			cur = c[i]
		default:
			return "", false
		}
	}
	switch c := cur.(type) {
	case string:
		return c, true
	case nil:
		return "", false
	default:
		b, _ := json.Marshal(c)
		return string(b), true
	}
}

// StepName is the name of step i (1-based) of a run.
func StepName(i int) string { return fmt.Sprintf("step_%03d", i) }

// BuildSnapshot builds the snapshot the client posts for a linear pipeline
// of steps steps (each step takes the previous one's output, as in the
// recording), with the run's variables filled in.
func (t *Template) BuildSnapshot(steps int, v *Vars) (json.RawMessage, error) {
	configs := map[string]json.RawMessage{}
	var specs []json.RawMessage
	for i := 1; i <= steps; i++ {
		sv := v.with(map[string]string{"step": StepName(i), "prev": StepName(max(i-1, 1))})
		cfg, err := stepJSON(t.StepConfiguration, sv, i == 1, "spec")
		if err != nil {
			return nil, err
		}
		spec, err := stepJSON(t.SpecStep, sv, i == 1, "")
		if err != nil {
			return nil, err
		}
		configs[StepName(i)] = cfg
		specs = append(specs, spec)
	}
	cb, _ := json.Marshal(configs)
	sb, _ := json.Marshal(specs)
	sv := v.with(nil)
	sv.JSON["step_configurations"] = cb
	sv.JSON["spec_steps"] = sb
	out, err := sv.Expand(string(t.SnapshotBody), true)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if !json.Valid([]byte(out)) {
		return nil, fmt.Errorf("snapshot: not valid JSON after expansion")
	}
	return json.RawMessage(out), nil
}

// stepJSON expands one step's entry; the first step has no upstream step
// and no inputs (under key sub, if not empty).
func stepJSON(raw json.RawMessage, v *Vars, first bool, sub string) (json.RawMessage, error) {
	s, err := v.Expand(string(raw), true)
	if err != nil {
		return nil, err
	}
	if !first {
		return json.RawMessage(s), nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	target := m
	if sub != "" {
		inner, ok := m[sub].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("step configuration has no %q", sub)
		}
		target = inner
	}
	target["upstream_steps"] = []any{}
	target["inputs"] = map[string]any{}
	b, err := json.Marshal(m)
	return b, err
}

// with copies the variables and sets extra text values.
func (v *Vars) with(extra map[string]string) *Vars {
	out := NewVars()
	for k, x := range v.Text {
		out.Text[k] = x
	}
	for k, x := range v.JSON {
		out.JSON[k] = x
	}
	for k, x := range extra {
		out.Text[k] = x
	}
	return out
}
