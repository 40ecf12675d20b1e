package main

import (
	"archive/zip"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeWheel makes a zip shaped like the zenml wheel with the given files.
func writeWheel(t *testing.T, files map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "zenml-0.98.0-py3-none-any.whl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func TestDashboardInstalledFromAWheelIsServed(t *testing.T) {
	dataDir := t.TempDir()
	env := func(k string) string {
		if k == "ZENGO_DATA_DIR" {
			return dataDir
		}
		return ""
	}
	ctx := context.Background()
	if err := run(ctx, []string{"dashboard", "check"}, env, io.Discard, io.Discard); err == nil {
		t.Fatal("check passed with no build installed")
	}
	wheel := writeWheel(t, map[string]string{
		"zenml/__init__.py":                          "",
		"zenml/zen_server/dashboard/index.html":      "<html>app</html>\n",
		"zenml/zen_server/dashboard/favicon.svg":     "<svg/>",
		"zenml/zen_server/dashboard/assets/app-1.js": "console.log(1)",
	})
	if err := run(ctx, []string{"dashboard", "install", wheel}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"dashboard", "check"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// A secret beside the build must stay out of reach.
	os.WriteFile(filepath.Join(dataDir, "secret.txt"), []byte("do not serve"), 0o600)
	os.Symlink(filepath.Join(dataDir, "secret.txt"), filepath.Join(dataDir, "dashboard", "assets", "link.js"))

	base := startServer(t, map[string]string{"ZENGO_DATA_DIR": dataDir})
	get := func(path string) (int, http.Header, string) {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	for _, page := range []string{"/", "/projects/default/runs", "/settings/profile"} {
		code, h, body := get(page)
		// The reference renders index.html as a template, which drops one
		// trailing newline.
		if code != 200 || body != "<html>app</html>" || h.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %q %v", page, code, body, h)
		}
	}
	if code, h, body := get("/assets/app-1.js"); code != 200 || body != "console.log(1)" || !strings.Contains(h.Get("Cache-Control"), "immutable") {
		t.Errorf("asset: %d %q %v", code, body, h)
	}
	if code, h, body := get("/favicon.svg"); code != 200 || body != "<svg/>" || h.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("root file: %d %q %v", code, body, h)
	}
	for _, path := range []string{"/assets/missing.js", "/assets/link.js", "/assets/../secret.txt", "/assets/%2e%2e/secret.txt"} {
		if code, _, body := get(path); code == 200 || strings.Contains(body, "do not serve") {
			t.Errorf("GET %s: %d %q", path, code, body)
		}
	}
	if code, _, body := get("/api/v1/nope"); code != 404 || body != `{"detail":"Not Found"}` {
		t.Errorf("unknown API path: %d %q", code, body)
	}
}

func TestDashboardInstallRefusesWheelsThatEscape(t *testing.T) {
	dataDir := t.TempDir()
	env := func(k string) string {
		if k == "ZENGO_DATA_DIR" {
			return dataDir
		}
		return ""
	}
	for name, files := range map[string]map[string]string{
		"escaping entry": {"zenml/zen_server/dashboard/index.html": "x", "zenml/zen_server/dashboard/../../../evil": "x"},
		"no index":       {"zenml/zen_server/dashboard/assets/a.js": "x"},
	} {
		if err := run(context.Background(), []string{"dashboard", "install", writeWheel(t, files)}, env, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: installed", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "evil")); err == nil {
		t.Error("an entry was written outside the build")
	}
}
