package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The command's own errors: each names the problem and writes nothing.
func TestImportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	notZenML := filepath.Join(dir, "notzenml.db")
	if err := os.WriteFile(notZenML, []byte("not a database at all, just text that is long enough to be a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ZENGO_DATA_DIR": filepath.Join(dir, "data")}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		args []string
		want string
	}{
		{nil, "--from is required"},
		{[]string{"--from", "sqlite:///" + notZenML, "--batch", "0"}, "--batch"},
		{[]string{"--from", "sqlite:///" + notZenML, "--progress", "fancy"}, "unknown progress kind"},
		{[]string{"--from", "sqlite:///" + filepath.Join(dir, "missing.db")}, "missing.db"},
		{[]string{"--from", "sqlite:///" + notZenML}, "not a ZenML database"},
		{[]string{"--from", "postgresql://u@h/db"}, "unsupported source URL scheme"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"import"}, c.args...), getenv, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "zengo.db")); err == nil {
		t.Error("a failed import created the target store")
	}
}
