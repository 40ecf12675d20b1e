package catalog

import "testing"

func TestPipelineSpecAsTheReferenceAnswersIt(t *testing.T) {
	// ZenML's stored form: every key sorted; a legacy step field; a code
	// repository source with its extra fields.
	stored := `{"input_schema": null, "outputs": [{"output_name": "o", "step_name": "s"}], "parameters": {"z": 1, "a": {"y": 1, "x": 2.50}},
		"source": {"attribute": "p", "commit": "c", "module": "m", "repository_id": "r", "subdirectory": "", "type": "code_repository"},
		"steps": [{"inputs": {"b": {"chunk_index": null, "chunk_size": null, "output_name": "o", "step_name": "s"},
		"a": [{"output_name": "o", "step_name": "s"}]}, "pipeline_parameter_name": "s2", "source": "m.f", "upstream_steps": ["s"]}],
		"version": "0.5", "unknown": 1}`
	want := `{"version":"0.5","source":{"module":"m","attribute":"p","type":"code_repository","commit":"c","repository_id":"r","subdirectory":""},` +
		`"parameters":{"a":{"x":2.50,"y":1},"z":1},"input_schema":null,"steps":[{"source":{"module":"m","attribute":"f","type":"unknown"},` +
		`"upstream_steps":["s"],"inputs":{"a":[{"step_name":"s","output_name":"o","chunk_index":null,"chunk_size":null}],` +
		`"b":{"step_name":"s","output_name":"o","chunk_index":null,"chunk_size":null}},"invocation_id":"s2","enable_heartbeat":false,` +
		`"parameter_spec":null}],"outputs":[{"step_name":"s","output_name":"o"}],"output_schema":null}`
	if got := string(PipelineSpec([]byte(stored))); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for _, same := range []string{"null", "", "[1]"} {
		if got := string(PipelineSpec([]byte(same))); got != same {
			t.Errorf("%q became %q", same, got)
		}
	}
}
