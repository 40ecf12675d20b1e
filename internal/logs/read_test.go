package logs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func messages(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Message
	}
	return out
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadAFile(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "logs", "a.log")
	// Python reads text with universal newlines: \n, \r\n and \r end lines.
	write(t, path, "{\"message\":\"one\"}\n\n   \ntwo\r\nthree\rfour\n{\"message\":\"multi\\nline\"}\nlast without newline")
	got, err := Read(root, path, Limits{Entries: 100}, newFixedID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"one", "two", "three", "four", "multi\nline", "last without newline"}
	if strings.Join(messages(got), "|") != strings.Join(want, "|") {
		t.Fatalf("messages %q, want %q", messages(got), want)
	}
	// The limit counts entries, not lines.
	got, _ = Read(root, path, Limits{Entries: 2}, newFixedID)
	if strings.Join(messages(got), "|") != "one|two" {
		t.Fatalf("limit 2: %q", messages(got))
	}
	// A missing file has no entries (an empty list, not null).
	got, err = Read(root, filepath.Join(root, "logs", "nope.log"), Limits{Entries: 10}, newFixedID)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("missing file: %v, %v", got, err)
	}
	got, err = Read(filepath.Join(root, "no-such-root"), filepath.Join(root, "no-such-root", "x.log"), Limits{Entries: 10}, newFixedID)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("missing root: %v, %v", got, err)
	}
}

func TestReadCutsLongLines(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "long.log")
	long := strings.Repeat("x", 10000)
	write(t, path, "a\n"+long+"\nb\n"+long+"\r\nc\r"+long)
	got, err := Read(root, path, Limits{Entries: 100, LineBytes: 100}, newFixedID)
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.Repeat("x", 100)
	want := []string{"a", cut, "b", cut, "c", cut}
	if strings.Join(messages(got), "|") != strings.Join(want, "|") {
		t.Fatalf("messages %q", messages(got))
	}
	// The byte budget stops the read like the entry limit.
	got, _ = Read(root, path, Limits{Entries: 100, LineBytes: 100, Bytes: 101}, newFixedID)
	if len(got) != 2 {
		t.Fatalf("byte budget: %d entries", len(got))
	}
}

func TestReadADirectoryInNameOrder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "logs", "dirlog")
	write(t, filepath.Join(dir, "1.log"), "from 1.log a\nfrom 1.log b\n")
	write(t, filepath.Join(dir, "2.log"), "from 2.log\n")
	write(t, filepath.Join(dir, "10.log"), "from 10.log\n")
	got, err := Read(root, dir, Limits{Entries: 100}, newFixedID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "from 1.log a|from 1.log b|from 10.log|from 2.log"; strings.Join(messages(got), "|") != want {
		t.Fatalf("messages %q", messages(got))
	}
	got, _ = Read(root, dir, Limits{Entries: 3}, newFixedID)
	if len(got) != 3 {
		t.Fatalf("limit across files: %d", len(got))
	}
	empty := filepath.Join(root, "logs", "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(root, empty, Limits{Entries: 10}, newFixedID); !errors.Is(err, ErrEmptyFolder) {
		t.Fatalf("empty folder: %v", err)
	}
	// A file in the directory that links outside is refused like any path.
	outside := filepath.Join(t.TempDir(), "x.log")
	write(t, outside, "secret\n")
	if err := os.Symlink(outside, filepath.Join(dir, "3.log")); err != nil {
		t.Fatal(err)
	}
	var oe *OutsideError
	if _, err := Read(root, dir, Limits{Entries: 100}, newFixedID); !errors.As(err, &oe) {
		t.Fatalf("link in directory: %v", err)
	}
}
