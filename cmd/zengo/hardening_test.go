package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawConn is a client connection that sends bytes as the test says.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, base string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) error {
	_, err := rc.c.Write([]byte(s))
	return err
}

// answer reads one response, or fails the test after wait.
func (rc *rawConn) answer(wait time.Duration) (*http.Response, []byte, error) {
	rc.c.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(rc.r, nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// closedByServer reports whether the server closed the connection within
// wait (a read sees EOF or a reset rather than the deadline).
func (rc *rawConn) closedByServer(wait time.Duration) bool {
	rc.c.SetReadDeadline(time.Now().Add(wait))
	_, err := rc.r.ReadByte()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	base := startServer(t, map[string]string{"ZENGO_IDLE_TIMEOUT": "300ms"})
	rc := dialRaw(t, base)
	rc.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _, err := rc.answer(5 * time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}
	if !rc.closedByServer(10 * time.Second) {
		t.Fatal("an idle keep-alive connection was still open 10 s after a 300 ms idle timeout")
	}
}

func TestTrickledBodyIsCut(t *testing.T) {
	base := startServer(t, map[string]string{"ZENGO_READ_TIMEOUT": "1s"})
	rc := dialRaw(t, base)
	rc.send("POST /api/v1/pipelines HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	// One byte every 100 ms would take 100 s; the server must not wait.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if err := rc.send(" "); err != nil {
			return // the server hung up
		}
		rc.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if b, err := rc.r.Peek(1); len(b) > 0 || (err != nil && !isTimeout(err)) {
			resp, _, err := rc.answer(time.Second)
			if err == nil && resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("a trickled body was answered %d, want 408 or a closed connection", resp.StatusCode)
			}
			return
		}
	}
	t.Fatal("a body trickled for 20 s was never cut with a 1 s read timeout")
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestConnectionLimit(t *testing.T) {
	base := startServer(t, map[string]string{"ZENGO_MAX_CONNECTIONS": "2", "ZENGO_IDLE_TIMEOUT": "1m"})
	held := []*rawConn{dialRaw(t, base), dialRaw(t, base)}
	for _, rc := range held {
		rc.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, _, err := rc.answer(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	third := dialRaw(t, base) // the kernel accepts it into the backlog
	third.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, _, err := third.answer(500 * time.Millisecond); err == nil {
		t.Fatal("a third connection was served while the limit of 2 was held")
	}
	held[0].c.Close()
	if resp, _, err := third.answer(5 * time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the waiting connection was not served once a slot was free: %v", err)
	}
}

func TestBodyLimits(t *testing.T) {
	base := startServer(t, map[string]string{"ZENML_SERVER_MAX_REQUEST_BODY_SIZE_IN_BYTES": "1000"})
	c := login(t, base, "default", "secret")
	big := `{"name": "` + strings.Repeat("x", 2000) + `"}`
	// Declared too large, and sent chunked without a length.
	if status, _ := c.do("POST", "/api/v1/pipelines", json.RawMessage(big)); status != 413 {
		t.Errorf("declared 2 kB body over a 1 kB limit: %d, want 413", status)
	}
	rc := dialRaw(t, base)
	rc.send(fmt.Sprintf("POST /api/v1/pipelines HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", c.token, len(big), big))
	if resp, _, err := rc.answer(5 * time.Second); err != nil || resp.StatusCode != 413 {
		t.Errorf("chunked 2 kB body over a 1 kB limit: %v %v, want 413", resp, err)
	}
}

// While one slow client holds the whole budget of body bytes, another body
// waits instead of adding to memory; it goes through once the first ends.
func TestBodyBytesInFlightAreBounded(t *testing.T) {
	base := startServer(t, map[string]string{
		"ZENML_SERVER_MAX_REQUEST_BODY_SIZE_IN_BYTES": "600000",
		"ZENGO_BODY_BYTES_IN_FLIGHT":                  "600000",
	})
	c := login(t, base, "default", "secret")
	first := dialRaw(t, base)
	body := `{"name": "` + strings.Repeat("x", 590000) + `"}`
	first.send(fmt.Sprintf("POST /api/v1/pipelines HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", c.token, len(body), body[:len(body)-2]))
	time.Sleep(300 * time.Millisecond) // let the server read what was sent

	second := dialRaw(t, base)
	small := `{"name": "` + strings.Repeat("y", 300000) + `"}`
	second.send(fmt.Sprintf("POST /api/v1/pipelines HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", c.token, len(small), small))
	if resp, _, err := second.answer(time.Second); err == nil {
		t.Fatalf("a second body was read past the budget held by the first (status %d)", resp.StatusCode)
	}
	first.send(body[len(body)-2:])
	if resp, _, err := first.answer(5 * time.Second); err != nil || resp.StatusCode != 422 {
		t.Fatalf("first: %v %v, want 422 (name too long)", resp, err)
	}
	if resp, _, err := second.answer(5 * time.Second); err != nil || resp.StatusCode != 422 {
		t.Fatalf("second, once the budget was free: %v %v, want 422", resp, err)
	}
}

// What the reference cannot parse as JSON at all is its bare 400; what it
// parses with a syntax error is its 422 naming the position; and neither
// depends on being logged in, since the reference parses bodies first.
func TestBodiesPythonCannotRead(t *testing.T) {
	base := startServer(t, nil)
	anon := &client{t: t, base: base}
	admin := login(t, base, "default", "secret")
	deep := func(n int) json.RawMessage {
		return json.RawMessage(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	for _, c := range []*client{anon, admin} {
		for name, tc := range map[string]struct {
			method, path string
			body         json.RawMessage
			status       int
			want         string
		}{
			"invalid UTF-8":   {"PUT", "/api/v1/users/default", json.RawMessage("{\"name\": \"\xff\xfe\"}"), 400, `{"detail":"There was an error parsing the body"}`},
			"nested too deep": {"POST", "/api/v1/pipelines", deep(5000), 400, `{"detail":"There was an error parsing the body"}`},
			"syntax error":    {"POST", "/api/v1/pipelines", json.RawMessage(`{"name": }`), 422, `json_invalid`},
		} {
			status, b := c.raw(tc.method, tc.path, tc.body)
			if status != tc.status || !bytes.Contains(b, []byte(tc.want)) {
				t.Errorf("%s (token %v): %d %s, want %d with %s", name, c.token != "", status, b, tc.status, tc.want)
			}
		}
	}
	// At the nesting Python still decodes, the body reaches validation.
	if status, b := admin.raw("POST", "/api/v1/pipelines", deep(980)); status != 422 || !bytes.Contains(b, []byte("model_attributes_type")) {
		t.Errorf("980 levels: %d %.200s, want the 422 of a body that is not an object", status, b)
	}
	// A large well-formed body without a token is refused for the token.
	numbers := json.RawMessage("[" + strings.Repeat("12345,", 300000) + "1]")
	if status, _ := anon.raw("POST", "/api/v1/pipelines", numbers); status != 401 {
		t.Errorf("2 MB of numbers without a token: %d, want 401", status)
	}
	// An oversized value is echoed cut short, not whole.
	status, b := admin.do("POST", "/api/v1/pipelines", map[string]any{"name": strings.Repeat("x", 200000), "project": "default"})
	if status != 422 || len(b) > 20000 || !bytes.Contains(b, []byte("xxx...")) {
		t.Errorf("200 kB name: %d with a %d-byte answer, want a 422 that echoes the value cut short", status, len(b))
	}
}

func TestPageBeyondInt64(t *testing.T) {
	base := startServer(t, nil)
	c := login(t, base, "default", "secret")
	status, b := c.do("GET", "/api/v1/pipelines?page=99999999999999999999999&size=5", nil)
	if status != 400 || !bytes.Contains(b, []byte("Invalid page 99999999999999999999999. The requested page size is 5")) {
		t.Errorf("page beyond int64: %d %s", status, b)
	}
	status, b = c.do("GET", "/api/v1/pipelines?size=99999999999999999999999", nil)
	if status != 422 || !bytes.Contains(b, []byte("less_than_equal")) {
		t.Errorf("size beyond int64: %d %s", status, b)
	}
}

// A nested value over its model's limit is refused as the reference
// refuses it, and the refused write leaves nothing behind (the reference
// keeps what it wrote before the tag failed): no pipeline, no tag, and an
// update that fails adds none of its tags.
func TestNestedValueLimitsChangeNothing(t *testing.T) {
	base := startServer(t, nil)
	c := login(t, base, "default", "secret")
	project := c.json("GET", "/api/v1/projects/default", nil, 200)["id"]
	long := strings.Repeat("é", 256)
	status, b := c.do("POST", "/api/v1/pipelines", map[string]any{"project": project, "name": "nested-1", "tags": []string{"fine", long}})
	if status != 422 || !bytes.Contains(b, []byte(`1 validation error for TagRequest\nname\n  String should have at most 255 characters`)) {
		t.Fatalf("a 256-character tag inside a pipeline create: %d %s", status, b)
	}
	if n := c.json("GET", "/api/v1/pipelines?name=nested-1", nil, 200)["total"]; n != 0.0 {
		t.Errorf("the refused create left %v pipelines", n)
	}
	if n := c.json("GET", "/api/v1/tags?name=fine", nil, 200)["total"]; n != 0.0 {
		t.Errorf("the refused create left %v tags", n)
	}
	p := c.json("POST", "/api/v1/pipelines", map[string]any{"project": project, "name": "nested-2", "tags": []string{"kept"}}, 200)
	status, _ = c.do("PUT", "/api/v1/pipelines/"+p["id"].(string), map[string]any{"add_tags": []string{"added", long}})
	if status != 422 {
		t.Fatalf("update with a 256-character tag: %d", status)
	}
	got := c.json("GET", "/api/v1/pipelines/"+p["id"].(string), nil, 200)
	if tags := got["resources"].(map[string]any)["tags"].([]any); len(tags) != 1 {
		t.Errorf("the refused update changed the tags: %v", tags)
	}
	// An artifact named past the limit by its version is refused the same way.
	status, b = c.do("POST", "/api/v1/artifact_versions", map[string]any{"project": project, "artifact_name": strings.Repeat("a", 256),
		"type": "DataArtifact", "uri": "/tmp/x", "materializer": "m.M", "data_type": "d.D", "save_type": "manual"})
	if status != 422 || !bytes.Contains(b, []byte("1 validation error for ArtifactRequest")) {
		t.Errorf("a 256-character artifact name: %d %s", status, b)
	}
}
