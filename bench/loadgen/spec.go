// Package loadgen is a closed-loop HTTP load generator: a fixed number of
// workers each send one request, wait for the whole answer, and send the
// next, over kept-alive connections, for a fixed time. The requests are
// drawn from a weighted mix; paths and bodies may be templates so that
// each request can name a random seeded id or a fresh unique name.
package loadgen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"text/template"
)

// Spec is a request mix as written in a JSON file:
//
//	{
//	  "headers": {"Authorization": "Bearer ..."},
//	  "vars": {"ids": ["...", "..."]},
//	  "requests": [
//	    {"name": "list", "weight": 3, "method": "GET", "path": "/api/v1/pipelines?size=20"},
//	    {"name": "get", "weight": 1, "path": "/api/v1/pipelines/{{pick \"ids\"}}"},
//	    {"name": "create", "method": "POST", "path": "/api/v1/pipelines",
//	     "body": "{\"name\": \"p-{{.Seq}}\"}"}
//	  ]
//	}
//
// Paths and string bodies are text/template templates (see Vars for what
// they can use); a body given as a JSON object or array is sent as is.
type Spec struct {
	Headers  map[string]string   `json:"headers,omitempty"`
	Vars     map[string][]string `json:"vars,omitempty"`
	Requests []RequestSpec       `json:"requests"`
}

// RequestSpec is one kind of request in the mix.
type RequestSpec struct {
	Name    string            `json:"name"`
	Weight  int               `json:"weight,omitempty"` // 0 means 1
	Method  string            `json:"method,omitempty"` // "" means GET
	Path    string            `json:"path"`
	Body    json.RawMessage   `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// Vars is what a path or body template sees: {{.Seq}} is a number unique
// across the whole run, {{.Worker}} the worker's index, {{.WSeq}} the
// worker's own request count and {{.Run}} a short id of this run (so that
// names made by {{.Run}}-{{.Seq}} never collide with an earlier run's).
// Functions: pick "var" (a random element of Spec.Vars[var]), pickAt
// "var" n (element n modulo the length), hash a b (a well-mixed number
// from two), even n, mod a b, div a b.
type Vars struct {
	Seq    uint64
	Worker uint64
	WSeq   uint64
	Run    string
}

// ParseSpecFile reads a JSON spec.
func ParseSpecFile(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSpecJSON(data)
}

// ParseSpecJSON decodes a JSON spec and checks it.
func ParseSpecJSON(data []byte) (*Spec, error) {
	var s Spec
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("request spec: %w", err)
	}
	return &s, s.Validate()
}

// ParseFlag parses the compact form of one request used on the command
// line: NAME[*WEIGHT]=[METHOD ]PATH[ BODY], e.g.
//
//	list*3=/api/v1/pipelines?size=20
//	create=POST /api/v1/pipelines {"name":"p-{{.Seq}}"}
func ParseFlag(s string) (RequestSpec, error) {
	var r RequestSpec
	name, rest, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return r, fmt.Errorf("request %q: want NAME[*WEIGHT]=[METHOD ]PATH[ BODY]", s)
	}
	r.Name = strings.TrimSpace(name)
	if n, w, ok := strings.Cut(r.Name, "*"); ok {
		weight, err := strconv.Atoi(w)
		if err != nil || weight < 1 {
			return r, fmt.Errorf("request %q: weight must be a positive integer", s)
		}
		r.Name, r.Weight = n, weight
	}
	rest = strings.TrimSpace(rest)
	if first, after, ok := strings.Cut(rest, " "); ok && isMethod(first) {
		r.Method, rest = first, strings.TrimSpace(after)
	} else if isMethod(rest) {
		return r, fmt.Errorf("request %q: no path", s)
	}
	path, body, _ := strings.Cut(rest, " ")
	r.Path = path
	if body = strings.TrimSpace(body); body != "" {
		b, _ := json.Marshal(body)
		r.Body = b
	}
	return r, r.validate()
}

func isMethod(s string) bool {
	switch s {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		return true
	}
	return false
}

// Validate checks every request and that the templates compile.
func (s *Spec) Validate() error {
	if len(s.Requests) == 0 {
		return fmt.Errorf("request spec: no requests")
	}
	seen := map[string]bool{}
	for _, r := range s.Requests {
		if err := r.validate(); err != nil {
			return err
		}
		if seen[r.Name] {
			return fmt.Errorf("request spec: name %q used twice", r.Name)
		}
		seen[r.Name] = true
	}
	_, err := s.compile()
	return err
}

func (r RequestSpec) validate() error {
	if r.Name == "" {
		return fmt.Errorf("request spec: a request has no name")
	}
	if r.Weight < 0 {
		return fmt.Errorf("request %s: negative weight", r.Name)
	}
	if r.Method != "" && !isMethod(strings.ToUpper(r.Method)) {
		return fmt.Errorf("request %s: unknown method %q", r.Name, r.Method)
	}
	if !strings.HasPrefix(r.Path, "/") {
		return fmt.Errorf("request %s: path %q must start with /", r.Name, r.Path)
	}
	return nil
}

// compiled is a request ready to be instantiated many times.
type compiled struct {
	name     string
	method   string
	path     string // used when pathTmpl is nil
	pathTmpl *template.Template
	body     []byte // used when bodyTmpl is nil
	bodyTmpl *template.Template
	headers  map[string]string
}

// chooser picks requests by weight.
type chooser struct {
	reqs   []compiled
	cum    []int // cumulative weights
	total  int
	hasAny bool
}

func (s *Spec) compile() (*chooser, error) {
	vars := s.Vars
	funcs := template.FuncMap{
		// pick is replaced per worker (to use the worker's generator);
		// this one only lets the templates parse.
		"pick": func(name string) (string, error) { return pickFrom(vars, name, rand.IntN) },
		"pickAt": func(name string, n uint64) (string, error) {
			return pickFrom(vars, name, func(l int) int { return int(n % uint64(l)) })
		},
		"hash": Hash,
		"even": func(n uint64) bool { return n%2 == 0 },
		"mod":  func(a, b uint64) uint64 { return a % b },
		"div":  func(a, b uint64) uint64 { return a / b },
	}
	c := &chooser{}
	for _, r := range s.Requests {
		cr := compiled{name: r.Name, method: strings.ToUpper(r.Method), path: r.Path, headers: map[string]string{}}
		if cr.method == "" {
			cr.method = "GET"
		}
		for k, v := range s.Headers {
			cr.headers[k] = v
		}
		for k, v := range r.Headers {
			cr.headers[k] = v
		}
		if strings.Contains(r.Path, "{{") {
			t, err := template.New(r.Name).Funcs(funcs).Parse(r.Path)
			if err != nil {
				return nil, fmt.Errorf("request %s: path: %w", r.Name, err)
			}
			cr.pathTmpl = t
		}
		if len(r.Body) > 0 && string(r.Body) != "null" {
			var str string
			if err := json.Unmarshal(r.Body, &str); err == nil {
				if strings.Contains(str, "{{") {
					t, err := template.New(r.Name + " body").Funcs(funcs).Parse(str)
					if err != nil {
						return nil, fmt.Errorf("request %s: body: %w", r.Name, err)
					}
					cr.bodyTmpl = t
				} else {
					cr.body = []byte(str)
				}
			} else {
				cr.body = append([]byte(nil), r.Body...)
			}
			if _, ok := cr.headers["Content-Type"]; !ok {
				cr.headers["Content-Type"] = "application/json"
			}
		}
		w := r.Weight
		if w == 0 {
			w = 1
		}
		c.total += w
		c.reqs = append(c.reqs, cr)
		c.cum = append(c.cum, c.total)
	}
	c.hasAny = len(c.reqs) > 0
	return c, nil
}

func pickFrom(vars map[string][]string, name string, intn func(int) int) (string, error) {
	vals := vars[name]
	if len(vals) == 0 {
		return "", fmt.Errorf("pick: no values for %q", name)
	}
	return vals[intn(len(vals))], nil
}

// choose returns the index of a request drawn by weight, given r in [0, total).
func (c *chooser) choose(r int) int {
	lo, hi := 0, len(c.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if r < c.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Hash mixes two numbers into one (splitmix64 of a combination).
func Hash(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 + b + 0x632be59bd9b4e019
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
