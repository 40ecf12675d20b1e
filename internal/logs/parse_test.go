package logs

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
)

var fixedID = uuid.MustParse("00000000-0000-4000-8000-000000000000")

func newFixedID() uuid.UUID { return fixedID }

func render(t *testing.T, line string) string {
	t.Helper()
	e, ok := ParseLine(line, newFixedID)
	if !ok {
		return "<none>"
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Expected answers are the reference's parse_log_entry on the same lines;
// the plain-text form is {"message": line, "level": 20, ...}.
func TestParseLineAsTheReference(t *testing.T) {
	const tail = `"module":null,"filename":null,"lineno":null,"chunk_index":0,"total_chunks":1,"id":"00000000-0000-4000-8000-000000000000"}`
	plain := func(msg string) string {
		b, _ := json.Marshal(msg)
		return `{"message":` + string(b) + `,"name":null,"level":20,"timestamp":null,` + tail
	}
	cases := []struct{ line, want string }{
		{`{"message":"Step ` + "`produce`" + ` has started.","name":"unknown","level":20,"timestamp":"2026-12-06T18:37:36.507334Z","chunk_index":0,"total_chunks":1,"id":"3a215134-954c-40fa-bc99-b674a273fdea"}`,
			`{"message":"Step ` + "`produce`" + ` has started.","name":"unknown","level":20,"timestamp":"2026-12-06T18:37:36.507334Z","module":null,"filename":null,"lineno":null,"chunk_index":0,"total_chunks":1,"id":"3a215134-954c-40fa-bc99-b674a273fdea"}`},
		{`{"message":"json line","level":30,"timestamp":"2024-05-01T10:00:00"}`, `{"message":"json line","name":null,"level":30,"timestamp":"2024-05-01T10:00:00",` + tail},
		{`{"message":"with extra","extra_field":1,"name":"n","module":"m","filename":"f.py","lineno":7,"chunk_index":1,"total_chunks":3,"id":"11111111-1111-1111-1111-111111111111"}`,
			`{"message":"with extra","name":"n","level":null,"timestamp":null,"module":"m","filename":"f.py","lineno":7,"chunk_index":1,"total_chunks":3,"id":"11111111-1111-1111-1111-111111111111"}`},
		{`{"message":"tz offset","timestamp":"2024-05-01T10:00:00+02:00"}`, `{"message":"tz offset","name":null,"level":null,"timestamp":"2024-05-01T10:00:00+02:00",` + tail},
		{`{"message":"a","level":30.0}`, `{"message":"a","name":null,"level":30,"timestamp":null,` + tail},
		{`{"message":"a","level":1e1}`, `{"message":"a","name":null,"level":10,"timestamp":null,` + tail},
		{`{"message":"a","message":"b"}`, `{"message":"b","name":null,"level":null,"timestamp":null,` + tail},
		{`{"message":"a"} `, `{"message":"a","name":null,"level":null,"timestamp":null,` + tail},
		{`{"message":"a","lineno":" 7 "}`, `{"message":"a","name":null,"level":null,"timestamp":null,"module":null,"filename":null,"lineno":7,"chunk_index":0,"total_chunks":1,"id":"00000000-0000-4000-8000-000000000000"}`},
		{`{"message":"a","lineno":true}`, `{"message":"a","name":null,"level":null,"timestamp":null,"module":null,"filename":null,"lineno":1,"chunk_index":0,"total_chunks":1,"id":"00000000-0000-4000-8000-000000000000"}`},
		{`{"message":"a","chunk_index":"2"}`, `{"message":"a","name":null,"level":null,"timestamp":null,"module":null,"filename":null,"lineno":null,"chunk_index":2,"total_chunks":1,"id":"00000000-0000-4000-8000-000000000000"}`},
		{`{"message":"a","id":"ABCDEF11111111111111111111111111"}`, `{"message":"a","name":null,"level":null,"timestamp":null,"module":null,"filename":null,"lineno":null,"chunk_index":0,"total_chunks":1,"id":"abcdef11-1111-1111-1111-111111111111"}`},
		{`{"message":"\u001b[31mred\u001b[0m"}`, `{"message":"\u001b[31mred\u001b[0m","name":null,"level":null,"timestamp":null,` + tail},
		{`[2024-01-02 03:04:05 UTC] old format line`, `{"message":"old format line","name":null,"level":20,"timestamp":"2024-01-02T03:04:05Z",` + tail},
		{`  [2024-01-02 03:04:05 UTC]   spaced  `, `{"message":"spaced","name":null,"level":20,"timestamp":"2024-01-02T03:04:05Z",` + tail},
		{`[2024-01-02 03:04:05 UTC]`, `{"message":"","name":null,"level":20,"timestamp":"2024-01-02T03:04:05Z",` + tail},
		{`[2024-01-02 03:04:05 UTC] a [2024-01-02 03:04:05 UTC] b`, `{"message":"a  b","name":null,"level":20,"timestamp":"2024-01-02T03:04:05Z",` + tail},
		{"\x1c hi \x1f", plain("hi")},
		{`x [2024-01-02 03:04:05 UTC] y`, plain(`x [2024-01-02 03:04:05 UTC] y`)},
		{`plain text line`, plain(`plain text line`)},
		{`{"message": 5}`, plain(`{"message": 5}`)},
		{`{"not_message":"x"}`, plain(`{"not_message":"x"}`)},
		{`{"Message":"x"}`, plain(`{"Message":"x"}`)},
		{`{"message":"lvl as name","level":"WARNING"}`, plain(`{"message":"lvl as name","level":"WARNING"}`)},
		{`{"message":"a","level":"20"}`, plain(`{"message":"a","level":"20"}`)},
		{`{"message":"lvl 25","level":25}`, plain(`{"message":"lvl 25","level":25}`)},
		{`{"message":"a","level":30.5}`, plain(`{"message":"a","level":30.5}`)},
		{`{"message":"a","level":true}`, plain(`{"message":"a","level":true}`)},
		{`{"message":"a","lineno":7.5}`, plain(`{"message":"a","lineno":7.5}`)},
		{`{"message":"a","name":5}`, plain(`{"message":"a","name":5}`)},
		{`{"message":"a","chunk_index":null}`, plain(`{"message":"a","chunk_index":null}`)},
		{`{"message":"a","id":"not-a-uuid"}`, plain(`{"message":"a","id":"not-a-uuid"}`)},
		{`{"message":"a","timestamp":"garbage"}`, plain(`{"message":"a","timestamp":"garbage"}`)},
		{`{"message":"a"} {"x":1}`, plain(`{"message":"a"} {"x":1}`)},
		{`{"message":"\ud800"}`, plain(`{"message":"\ud800"}`)},
		{`{"message":"\ud83d\ude00"}`, `{"message":"😀","name":null,"level":null,"timestamp":null,` + tail},
		{`{"message":"\\ud800"}`, `{"message":"\\ud800","name":null,"level":null,"timestamp":null,` + tail},
		{"", "<none>"},
		{"   \t ", "<none>"},
	}
	for _, c := range cases {
		if got := render(t, c.line); got != c.want {
			t.Errorf("ParseLine(%q)\n got  %s\n want %s", c.line, got, c.want)
		}
	}
}

func TestParseLineGivesEachEntryWithoutIDAFreshOne(t *testing.T) {
	a, _ := ParseLine(`{"message":"a"}`, uuid.New)
	b, _ := ParseLine(`{"message":"a"}`, uuid.New)
	if a.ID == b.ID || a.ID == uuid.Nil {
		t.Fatalf("ids %s and %s", a.ID, b.ID)
	}
}
