package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// jsonCorpus holds bodies whose first error Python places somewhere
// particular; the test asks the Python on the machine what it says.
var jsonCorpus = []string{
	`{}`, `[]`, `{"a": 1}`, ` {"a": [1, 2.5, -3e+2, true, false, null, NaN, Infinity, -Infinity]} `,
	`{"a": 1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{"a": }`, `{a: 1}`, `{"a": 1} x`, `{"a": 1}{}`,
	`"abc`, `"a\qb"`, `"a\u12G4"`, "\"a\x01b\"", `-`, `-x`, `01`, `1.`, `1e`, `1e+`, `.5`, `[-Infinit]`,
	`{"é": "ü", "x": ]`, `["日本語", nul]`, `[tru]`, `{"a": [1, {"b": [2, {"c": x}]}]}`, ``, `   `,
	`{"a": "\ud83d\ude00"}`, `{"a":1,"b":2,"c":[1,2,3],}`, "[1,\n2,\n\tx]", `[1]]`, `{"a":{"b":1}}}`,
	`"\`, `["\"]`, `[` + strings.Repeat(`1,`, 50) + `]`,
}

func TestPythonJSONErrorMatchesPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the error positions cannot be compared with Python's")
	}
	enc := make([]string, len(jsonCorpus))
	for i, c := range jsonCorpus {
		enc[i] = base64.StdEncoding.EncodeToString([]byte(c))
	}
	input, _ := json.Marshal(enc)
	script := `
import base64, json, sys
out = []
for b in json.load(sys.stdin):
    try:
        json.loads(base64.b64decode(b))
        out.append(None)
    except json.JSONDecodeError as e:
        out.append([e.msg, e.pos])
print(json.dumps(out))`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(input)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var want []*[2]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for i, c := range jsonCorpus {
		if strings.TrimSpace(c) == "" {
			continue // bodies of only space are "missing", before this check
		}
		msg, pos, verdict := pythonJSONError([]byte(c))
		switch {
		case want[i] == nil && verdict != jsonOK:
			t.Errorf("%q: Python decodes it, we say %q at %d (verdict %d)", c, msg, pos, verdict)
		case want[i] != nil && (verdict != jsonSyntax || msg != want[i][0] || float64(pos) != want[i][1]):
			t.Errorf("%q: Python says %q at %v, we say %q at %d (verdict %d)", c, want[i][0], want[i][1], msg, pos, verdict)
		}
	}
}

func TestPythonJSONErrorUnusableBodies(t *testing.T) {
	for name, body := range map[string]string{
		"invalid UTF-8":      "{\"name\": \"\xff\xfe\"}",
		"nested past Python": strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
		"deep then broken":   strings.Repeat(`{"a":`, 5000) + "x",
	} {
		if _, _, v := pythonJSONError([]byte(body)); v != jsonUnusable {
			t.Errorf("%s: verdict %d, want unusable (the reference's 400)", name, v)
		}
	}
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, _, v := pythonJSONError([]byte(ok)); v != jsonOK {
		t.Errorf("nesting at the limit: verdict %d, want ok", v)
	}
}

// The check keeps no copy of the body: it allocates nothing, whatever the
// body holds, so its cost cannot grow faster than the body.
func TestPythonJSONErrorAllocatesNothing(t *testing.T) {
	numbers := "[" + strings.Repeat("12345,", 20000) + "1]"
	for name, body := range map[string][]byte{
		"valid numbers":   []byte(numbers),
		"broken at end":   []byte(numbers[:len(numbers)-1] + "x"),
		"long string":     []byte(`{"a": "` + strings.Repeat("é", 100000) + `"}`),
		"many words":      []byte("[" + strings.Repeat("true,false,null,NaN,-Infinity,", 5000) + "1]"),
		"unterminated":    []byte(`{"a": "` + strings.Repeat("x", 100000)),
		"deeply invalid":  []byte(strings.Repeat("[", 2000)),
		"many properties": []byte("{" + strings.Repeat(`"k": 1, `, 10000) + `"z": 2}`),
	} {
		if n := testing.AllocsPerRun(5, func() { pythonJSONError(body) }); n != 0 {
			t.Errorf("%s: %.0f allocations per check, want 0", name, n)
		}
	}
}

// Fuzzing: never a panic, and for the JSON both dialects share, the same
// verdict as Go's own decoder. `make fuzz` runs it.
func FuzzPythonJSONError(f *testing.F) {
	for _, c := range jsonCorpus {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, pos, verdict := pythonJSONError(body)
		if verdict == jsonSyntax && (msg == "" || pos < 0 || pos > len([]rune(string(body)))) {
			t.Fatalf("%q: message %q at %d", body, msg, pos)
		}
		if verdict == jsonUnusable || bytes.Contains(body, []byte("NaN")) || bytes.Contains(body, []byte("Infinity")) {
			return
		}
		if valid := json.Valid(body); valid != (verdict == jsonOK) {
			t.Fatalf("%q: Go's decoder says valid=%v, we say verdict %d (%q at %d)", body, valid, verdict, msg, pos)
		}
	})
}

// A wrong method names the method of the reference's first route whose
// path matches, in the reference's order.
func TestReferenceAllow(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/pipelines":            "POST",
		"/api/v1/users":                "GET",
		"/api/v1/login":                "POST",
		"/api/v1/runs/x/stop":          "POST",
		"/api/v1/tag_resources":        "POST",
		"/api/v1/pipelines/x":          "GET",
		"/api/v1/nothing-here":         "GET",
		"/":                            "GET",
		"/api/v1/users/x/email-opt-in": "PUT",
	} {
		if got := referenceAllow(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
}
