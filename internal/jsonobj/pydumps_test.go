package jsonobj

import "testing"

// The expected texts were written by Python 3's json.dumps(json.loads(in)).
var pyDumpsCases = []struct{ in, want string }{
	{"{\"sv\": \"sv-a\", \"pipeline_name\": \"sv-pipe-a\", \"pipeline_step_name\": \"step-a\"}", "{\"sv\": \"sv-a\", \"pipeline_name\": \"sv-pipe-a\", \"pipeline_step_name\": \"step-a\"}"},
	{"{\"b\":1,\"a\":{\"z\":[1,2.5,{\"x\":null}],\"y\":true},\"c\":false}", "{\"b\": 1, \"a\": {\"z\": [1, 2.5, {\"x\": null}], \"y\": true}, \"c\": false}"},
	{"{\"name\":\"caf\u00e9 \\u00e9 \u6f22\u5b57 \U0001f600 \\ud83d\\ude00\",\"ctl\":\"a\\u0001b\\n\\t\\\"q\\\"\\\\ \\/ \\u007f \u007f\"}", "{\"name\": \"caf\\u00e9 \\u00e9 \\u6f22\\u5b57 \\ud83d\\ude00 \\ud83d\\ude00\", \"ctl\": \"a\\u0001b\\n\\t\\\"q\\\"\\\\ / \\u007f \\u007f\"}"},
	{"{\"f\":[1.0,0.1,1e5,1E16,1e22,1.5e-5,0.0001,-0.0,-0,123456789012345678.0,3.141592653589793,1e400,-1e400,12345678901234567890123]}", "{\"f\": [1.0, 0.1, 100000.0, 1e+16, 1e+22, 1.5e-05, 0.0001, -0.0, 0, 1.2345678901234568e+17, 3.141592653589793, Infinity, -Infinity, 12345678901234567890123]}"},
	{"{\"dup\":1,\"x\":2,\"dup\":3}", "{\"dup\": 3, \"x\": 2}"},
	{"{\"lone\":\"\\ud800x\",\"k\\u00e9y\":\"v\", \"k\u00e9y\": \"w\"}", "{\"lone\": \"\\ud800x\", \"k\\u00e9y\": \"w\"}"},
	{"[]", "[]"},
	{"{}", "{}"},
	{" {\"a\" : [ ] , \" \":{}} ", "{\"a\": [], \" \": {}}"},
	{"{\"n\":[100000000000000000000.5, 2.5e-300, 1.7976931348623157e308, 5e-324, 9999999999999998.0, 0.30000000000000004, 1e-7, 123.456e2]}", "{\"n\": [1e+20, 2.5e-300, 1.7976931348623157e+308, 5e-324, 9999999999999998.0, 0.30000000000000004, 1e-07, 12345.6]}"},
}

func TestPyDumpsMatchesPython(t *testing.T) {
	for _, c := range pyDumpsCases {
		got, err := PyDumps([]byte(c.in))
		if err != nil {
			t.Errorf("PyDumps(%s): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("PyDumps(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
