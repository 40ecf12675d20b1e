package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func getText(t *testing.T, url string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func TestRequestIDsAndMetrics(t *testing.T) {
	base := startServer(t, nil)
	// A usable id is echoed; anything else is replaced by a generated one.
	_, h, _ := getText(t, base+"/api/v1/info", http.Header{"X-Request-Id": {"trace-42"}})
	if h.Get("X-Request-ID") != "trace-42" {
		t.Errorf("echoed id: %q", h.Get("X-Request-ID"))
	}
	_, h, _ = getText(t, base+"/api/v1/info", http.Header{"X-Request-Id": {"bad id\twith tab"}})
	if id := h.Get("X-Request-ID"); id == "" || strings.Contains(id, " ") {
		t.Errorf("generated id: %q", id)
	}
	getText(t, base+"/api/v1/users", nil) // 401
	code, h, body := getText(t, base+"/metrics", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %v", code, h)
	}
	for _, want := range []string{
		`zengo_http_requests_total{route="GET /api/v1/info",status="200"} 2`,
		`zengo_http_requests_total{route="GET /api/v1/users",status="401"} 1`,
		`zengo_http_request_duration_seconds_count{route="GET /api/v1/info"} 2`,
		`zengo_db_connections_open{pool="reader"}`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Every line is a comment or `name{labels} value` in the text format.
	sample := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? ([-+0-9.eE]+|[-+]?Inf|NaN)$`)
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(line, "# ") && !sample.MatchString(line) {
			t.Errorf("not a sample line: %q", line)
		}
	}
}

func TestMetricsAccessSetting(t *testing.T) {
	closed := startServer(t, map[string]string{"ZENGO_METRICS": "token"})
	if code, _, _ := getText(t, closed+"/metrics", nil); code != 401 {
		t.Errorf("token mode without a token: %d", code)
	}
	c := login(t, closed, "default", "secret")
	if code, _ := c.do("GET", "/metrics", nil); code != 200 {
		t.Errorf("token mode with a token: %d", code)
	}
	off := startServer(t, map[string]string{"ZENGO_METRICS": "off"})
	if _, _, body := getText(t, off+"/metrics", nil); strings.Contains(body, "zengo_http_requests_total") {
		t.Error("metrics served while off")
	}
}
