package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer collects a server's log while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A server with an encryption key: no secret value reaches its log (at
// debug level) or its error answers; the same database refuses to serve
// with another key; `zengo secrets rotate-key` moves every secret to a new
// key; a server without a key warns once that values are unencrypted.
func TestSecretsKeyLifecycle(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ZENGO_DATA_DIR": dir, "ZENML_DEFAULT_USER_PASSWORD": "secret", "ZENGO_LOG_LEVEL": "debug",
		secretsKeyEnv: "key-one"}
	getenv := func(k string) string { return env[k] }
	const value = "v4lue-that-must-not-leak"

	var log lockedBuffer
	base, stop := serveUntilStopped(t, getenv, &log)
	c := login(t, base, "default", "secret")
	created := c.json("POST", "/api/v1/secrets", map[string]any{"name": "db", "values": map[string]any{"password": value}}, 200)
	id := created["id"].(string)
	for _, bad := range []map[string]any{
		{"values": map[string]any{"password": value}},                            // no name
		{"name": "x", "values": map[string]any{"password": value, "n": 1}},       // a value that is no string
		{"name": strings.Repeat("n", 300), "values": map[string]any{"p": value}}, // a name too long
	} {
		if status, body := c.do("POST", "/api/v1/secrets", bad); status != 422 || strings.Contains(string(body), value) {
			t.Errorf("invalid request: %d %s", status, body)
		}
	}
	c.json("PUT", "/api/v1/secrets/"+id, map[string]any{"values": map[string]any{"password": value + "2"}}, 200)
	if got := c.json("GET", "/api/v1/secrets/"+id, nil, 200); got["body"].(map[string]any)["values"].(map[string]any)["password"] != value+"2" {
		t.Fatalf("get: %v", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), value) || strings.Contains(log.String(), "unencrypted") {
		t.Fatalf("the log shows a value or the unencrypted warning:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "/api/v1/secrets") {
		t.Fatalf("the log has no request lines, so it proves nothing:\n%s", log.String())
	}

	// Another key (or none) does not start.
	for _, other := range []string{"key-two", ""} {
		env[secretsKeyEnv] = other
		err := run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0"}, getenv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), secretsKeyEnv) || !strings.Contains(err.Error(), "rotate-key") {
			t.Fatalf("start with key %q: %v", other, err)
		}
	}

	// Rotation: a wrong old key changes nothing, the right one moves all.
	var out bytes.Buffer
	env[secretsKeyEnv] = ""
	if err := run(context.Background(), []string{"secrets", "rotate-key", "--old-key", "wrong", "--new-key", "key-two"}, getenv, &out, io.Discard); err == nil {
		t.Fatal("rotation from a wrong key succeeded")
	}
	if err := run(context.Background(), []string{"secrets", "rotate-key", "--old-key", "key-one", "--new-key", "key-two"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 secrets re-written") {
		t.Fatalf("rotate-key said: %s", out.String())
	}
	env[secretsKeyEnv] = "key-two"
	base, stop = serveUntilStopped(t, getenv, io.Discard)
	c = login(t, base, "default", "secret")
	if got := c.json("GET", "/api/v1/secrets/"+id, nil, 200); got["body"].(map[string]any)["values"].(map[string]any)["password"] != value+"2" {
		t.Fatalf("get after rotation: %v", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Without a key: one warning at start.
	env = map[string]string{"ZENGO_DATA_DIR": t.TempDir(), "ZENML_DEFAULT_USER_PASSWORD": "secret"}
	var plainLog lockedBuffer
	_, stop = serveUntilStopped(t, getenv, &plainLog)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(plainLog.String(), "secret values are stored unencrypted"); n != 1 || !strings.Contains(plainLog.String(), "level=WARN") {
		t.Fatalf("the unencrypted warning %d times:\n%s", n, plainLog.String())
	}
}
