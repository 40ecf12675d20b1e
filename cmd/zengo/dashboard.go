package main

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The dashboard is ZenML's build, shipped inside the zenml wheel; zengo
// never carries it. `zengo dashboard install WHEEL` takes it out of a wheel
// into the data directory, where `zengo serve` looks by default; `make
// dashboard` downloads the pinned wheel with pip and runs it once.

// dashboardPrefix is where the build sits inside the wheel.
const dashboardPrefix = "zenml/zen_server/dashboard/"

// dashboardDir is the build's directory: the setting, else the data
// directory's.
func dashboardDir(setting, dataDir string) string {
	if setting != "" {
		return setting
	}
	return filepath.Join(dataDir, "dashboard")
}

func addDashboardSetting(s *settings) *string {
	return s.add("dashboard-files-path", "ZENML_SERVER_DASHBOARD_FILES_PATH", "",
		"directory of the dashboard build to serve (empty: dashboard/ in the data directory)")
}

func dashboardCommand(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "install" && args[0] != "check") {
		fmt.Fprintln(stderr, "Usage: zengo dashboard install WHEEL [flags]   take the dashboard out of a zenml wheel\n       zengo dashboard check [flags]           exit 0 when a dashboard build is installed")
		return fmt.Errorf("dashboard: install or check")
	}
	s := newSettings("dashboard "+args[0], stderr)
	dataDir := s.add("data-dir", "ZENGO_DATA_DIR", defaultDataDir(getenv), "zengo's data directory")
	files := addDashboardSetting(s)
	if err := s.parse(args[1:], getenv); err != nil {
		return err
	}
	dir := dashboardDir(*files, *dataDir)
	if args[0] == "check" {
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
			return fmt.Errorf("no dashboard build in %s", dir)
		}
		fmt.Fprintf(stdout, "dashboard build in %s\n", dir)
		return nil
	}
	if s.fs.NArg() != 1 {
		return fmt.Errorf("dashboard install: give the path of a zenml wheel")
	}
	n, err := installDashboard(s.fs.Arg(0), dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "installed the dashboard (%d files) in %s\n", n, dir)
	return nil
}

// installDashboard extracts the build from a wheel into dir, replacing
// what was there only once the whole build is out.
func installDashboard(wheel, dir string) (int, error) {
	zr, err := zip.OpenReader(wheel)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".dashboard-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return 0, err
	}
	defer root.Close()
	n, hasIndex := 0, false
	for _, f := range zr.File {
		rel, ok := strings.CutPrefix(f.Name, dashboardPrefix)
		if !ok || rel == "" || strings.HasSuffix(rel, "/") {
			continue
		}
		if rel != path.Clean(rel) || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
			return 0, fmt.Errorf("wheel entry %q leaves the dashboard directory", f.Name)
		}
		if err := extractTo(root, rel, f); err != nil {
			return 0, err
		}
		n++
		hasIndex = hasIndex || rel == "index.html"
	}
	if !hasIndex {
		return 0, fmt.Errorf("%s holds no dashboard build (no %sindex.html)", wheel, dashboardPrefix)
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	return n, os.Rename(tmp, dir)
}

// extractTo writes one zip entry under root (which no name escapes).
func extractTo(root *os.Root, rel string, f *zip.File) error {
	if d := path.Dir(rel); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	in, err := f.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.OpenFile(rel, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
