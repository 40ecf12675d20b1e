package api

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"zengo/internal/jsonobj"
	"zengo/internal/zen"
)

// /pipeline_deployments is the name snapshots had before 0.82; the
// reference still serves it for older clients: the snapshot routes (no
// update), and for a client that names an older version in its
// User-Agent, snapshots without the step_config_overrides those clients
// do not know.

// pep440 is the version syntax the reference parses (packaging.version).
// Groups: 1 epoch, 2 release, 3 pre-release, 4 post-release, 6 dev.
var pep440 = regexp.MustCompile(`^v?(\d+!)?(\d+(?:\.\d+)*)([-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?(-\d+|[-_.]?(post|rev|r)[-_.]?\d*)?(([-_.]?dev[-_.]?\d*)?)(\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$`)

// legacyClient reports whether the request comes from a zenml client
// older than 0.82.0; a zenml User-Agent with no valid version is refused
// as the reference refuses it.
func legacyClient(r *http.Request) (bool, error) {
	agent, ok := strings.CutPrefix(r.Header.Get("User-Agent"), "zenml/")
	if !ok {
		return false, nil
	}
	m := pep440.FindStringSubmatch(strings.ToLower(strings.TrimSpace(agent)))
	if m == nil {
		return false, zen.Errorf(zen.EUnprocessable, "Invalid version: '%s'", agent)
	}
	if m[1] != "" && m[1] != "0!" {
		return false, nil // a later epoch
	}
	release := strings.Split(m[2], ".")
	for i, want := range []int{0, 82, 0} {
		n := 0
		if i < len(release) {
			n, _ = strconv.Atoi(release[i])
		}
		if n != want {
			return n < want, nil
		}
	}
	for _, n := range release[min(3, len(release)):] {
		if n != "0" {
			return false, nil // 0.82.0.1 and later
		}
	}
	// 0.82.0 itself is current; its pre-releases and dev builds are older,
	// its post-releases newer.
	return m[3] != "" || (m[4] == "" && m[6] != ""), nil
}

// legacySnapshots serves a snapshot route under its old name.
func legacySnapshots(h handler) handler {
	return func(r *http.Request) (any, error) {
		old, err := legacyClient(r)
		if err != nil {
			return nil, err
		}
		v, err := h(r)
		if err != nil || !old {
			return v, err
		}
		switch v := v.(type) {
		case envelope:
			return withoutOverrides(v), nil
		case page:
			for i, item := range v.Items {
				if e, ok := item.(envelope); ok {
					v.Items[i] = withoutOverrides(e)
				}
			}
			return v, nil
		}
		return v, nil
	}
}

// legacySnapshotList lists snapshots under their old name.
func (s *Server) legacySnapshotList() listRoute {
	l := s.listSnapshots()
	l.serve = legacySnapshots(l.serve)
	return l
}

// withoutOverrides drops step_config_overrides from a hydrated snapshot.
func withoutOverrides(e envelope) envelope {
	meta, ok := e.Metadata.(snapshotMetadata)
	if !ok {
		return e
	}
	steps, err := jsonobj.Parse(meta.StepConfigurations)
	if err != nil {
		return e
	}
	for _, name := range steps.Keys() {
		raw, _ := steps.Get(name)
		step, err := jsonobj.Parse(raw)
		if err != nil {
			continue
		}
		step.Delete("step_config_overrides")
		b, _ := step.MarshalJSON()
		steps.Set(name, b)
	}
	meta.StepConfigurations, _ = steps.MarshalJSON()
	e.Metadata = meta
	return e
}
