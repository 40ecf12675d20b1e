package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "results")
	if err := Write(dir, "x-2026", "# title\n", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "x-2026.md"))
	if err != nil || string(md) != "# title\n" {
		t.Fatalf("markdown %q, %v", md, err)
	}
	var got map[string]int
	raw, err := os.ReadFile(filepath.Join(dir, "x-2026.json"))
	if err != nil || json.Unmarshal(raw, &got) != nil || got["a"] != 1 || raw[len(raw)-1] != '\n' {
		t.Fatalf("json %q, %v", raw, err)
	}
}
