package api

import (
	"net/http/httptest"
	"testing"
)

func TestLegacyClientReadsVersionsAsPackagingDoes(t *testing.T) {
	for agent, want := range map[string]bool{
		"":                      false,
		"python-requests/2":     false,
		"zenml/0.98.0":          false,
		"zenml/0.82.0":          false,
		"zenml/0.82.0.post1":    false,
		"zenml/0.82.1":          false,
		"zenml/1.0":             false,
		"zenml/1!0.1":           false,
		"zenml/0.81.9":          true,
		"zenml/0.82.0rc1":       true,
		"zenml/0.82.0.dev3":     true,
		"zenml/0.82":            false,
		"zenml/0.8":             true,
		"zenml/v0.70.0":         true,
		"zenml/0.82.0-1":        false,
		"zenml/0.82.0+local":    false,
		"zenml/0.82.0rc1.post1": true,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("User-Agent", agent)
		got, err := legacyClient(r)
		if err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", agent, got, err, want)
		}
	}
	for _, agent := range []string{"zenml/garbage", "zenml/", "zenml/1..2"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("User-Agent", agent)
		if _, err := legacyClient(r); err == nil {
			t.Errorf("%q: no error", agent)
		}
	}
}
