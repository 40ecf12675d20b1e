package api

import (
	"bytes"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"time"
)

// The ZenML dashboard is a single-page app built into the zenml wheel
// (index.html, a few root files, assets/). zengo serves such a build from
// a directory, as the reference serves its own: assets and root files as
// files, every other page path as index.html, where the app routes.
// Hashed assets never change, so browsers may keep them; index.html and
// the root files are checked each time.

// dashboard serves one build; the zero value serves none.
type dashboard struct {
	root      *os.Root // the build's directory, which no path escapes
	index     []byte
	modified  time.Time
	rootFiles map[string]bool
}

// loadDashboard opens the build in dir; without an index.html there is no
// dashboard (and no error: zengo then says how to get one).
func loadDashboard(dir string) (*dashboard, error) {
	if dir == "" {
		return &dashboard{}, nil
	}
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &dashboard{}, nil
	}
	if err != nil {
		return nil, err
	}
	index, err := root.ReadFile("index.html")
	if errors.Is(err, fs.ErrNotExist) {
		root.Close()
		return &dashboard{}, nil
	}
	if err != nil {
		return nil, err
	}
	d := &dashboard{root: root, rootFiles: map[string]bool{}, modified: time.Now()}
	// The reference renders index.html as a template, which drops one
	// trailing newline.
	d.index = bytes.TrimSuffix(index, []byte("\n"))
	if info, err := root.Stat("index.html"); err == nil {
		d.modified = info.ModTime()
	}
	// Root files are listed once, as the reference lists them at start.
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "index.html" {
			d.rootFiles[e.Name()] = true
		}
	}
	return d, nil
}

// serve answers a GET on a path outside the API.
func (d *dashboard) serve(w http.ResponseWriter, r *http.Request) {
	if d.root == nil {
		serveNoDashboard(w)
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/assets/"):
		// Hashed names: a changed file has another name.
		d.serveFile(w, r, path.Clean(strings.TrimPrefix(p, "/")), "public, max-age=31536000, immutable")
	case d.rootFiles[strings.TrimPrefix(p, "/")]:
		d.serveFile(w, r, strings.TrimPrefix(p, "/"), "no-cache")
	default:
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "index.html", d.modified, bytes.NewReader(d.index))
	}
}

// serveFile sends one file of the build, or the reference's 404.
func (d *dashboard) serveFile(w http.ResponseWriter, r *http.Request, name, cacheControl string) {
	f, err := d.root.Open(name)
	if err != nil {
		writeJSON(w, http.StatusNotFound, plainDetail("Not Found"))
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		writeJSON(w, http.StatusNotFound, plainDetail("Not Found"))
		return
	}
	w.Header().Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, name, info.ModTime(), f)
}

// serveNoDashboard answers where the dashboard would be when zengo has no
// build of it: a short page saying how to get one.
func serveNoDashboard(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`<!doctype html><title>zengo</title>
<p>zengo serves the ZenML API under <a href="/api/v1/info">/api/v1</a>. It has no dashboard build yet:
run <code>make dashboard</code> in zengo's source tree, or <code>zengo dashboard install zenml-0.98.0-py3-none-any.whl</code>
with the zenml wheel, then restart the server (or point <code>ZENML_SERVER_DASHBOARD_FILES_PATH</code> at a build).</p>
`))
}
