package logs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckPathRefusesEscapes(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "store")
	outside := filepath.Join(base, "secret")
	for _, d := range []string{filepath.Join(root, "logs"), outside, root + "-other"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "x.log"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A symlink inside the root to a directory, and one to a file, outside.
	if err := os.Symlink(outside, filepath.Join(root, "logs", "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "x.log"), filepath.Join(root, "logs", "filelink.log")); err != nil {
		t.Fatal(err)
	}
	escapes := map[string]string{
		root + "/logs/../../secret/x.log": outside + "/x.log",
		root + "/../secret/x.log":         outside + "/x.log",
		root + "/logs/dirlink/x.log":      outside + "/x.log",
		root + "/logs/filelink.log":       outside + "/x.log",
		root + "/logs/dirlink/../y.log":   base + "/y.log",
		root + "-other/x.log":             root + "-other/x.log",
		"/etc/passwd":                     "/etc/passwd",
		root + "/logs/missing/../../../x": base + "/x",
	}
	for path, resolved := range escapes {
		got, err := CheckPath(path, root)
		var oe *OutsideError
		if !errors.As(err, &oe) || got != resolved || oe.Path != resolved || oe.Root != root {
			t.Errorf("CheckPath(%q) = %q, %v; want refusal of %q", path, got, err, resolved)
		}
		if _, err := Read(root, path, Limits{Entries: 10}, newFixedID); !errors.As(err, &oe) {
			t.Errorf("Read(%q) = %v, want an OutsideError", path, err)
		}
	}
	if want := "File `/etc/passwd` is outside of artifact store bounds `" + root + "`"; (&OutsideError{"/etc/passwd", root}).Error() != want {
		t.Errorf("message: %s", (&OutsideError{"/etc/passwd", root}).Error())
	}
	inside := map[string]string{
		root + "/logs/a.log":            root + "/logs/a.log",
		root + "/logs/./b/../a.log":     root + "/logs/a.log",
		root + "/logs/missing/new.log":  root + "/logs/missing/new.log",
		root + "/logs/dirlink/../a.log": "", // dirlink/.. is the parent of the link's target
	}
	for path, want := range inside {
		got, err := CheckPath(path, root)
		if want == "" {
			continue
		}
		if err != nil || got != want {
			t.Errorf("CheckPath(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	// A root given with a trailing slash bounds the same tree.
	if _, err := CheckPath(root+"/logs/a.log", root+"/"); err != nil {
		t.Errorf("trailing slash root: %v", err)
	}
}

func TestResolveFollowsRelativeSymlinks(t *testing.T) {
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/b", filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop", filepath.Join(base, "loop")); err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(base)
	if got := Resolve(filepath.Join(base, "link", "f.log")); got != filepath.Join(real, "a", "b", "f.log") {
		t.Errorf("Resolve through a relative link = %q", got)
	}
	// A symlink loop ends (the reference's realpath leaves it unresolved).
	_ = Resolve(filepath.Join(base, "loop", "x"))
}
