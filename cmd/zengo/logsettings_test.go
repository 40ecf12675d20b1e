package main

import (
	"io"
	"testing"

	"zengo/internal/api"
)

func TestLogSettings(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "y": true, "yes": true, "True": true, "true": true, "": false, "0": false, "False": false, "no": false} {
		if got, err := parseZenMLBool("X", v); err != nil || got != want {
			t.Errorf("parseZenMLBool(%q) = %v, %v", v, got, err)
		}
	}
	for _, v := range []string{"TRUE", "on", "2"} {
		if _, err := parseZenMLBool("X", v); err == nil {
			t.Errorf("parseZenMLBool(%q) accepted", v)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for want, vars := range map[string]map[string]string{
		"/cfg/local_stores":                  {"ZENML_CONFIG_PATH": "/cfg", "HOME": "/home/u"},
		"/xdg/zenml/local_stores":            {"XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"},
		"/home/u/.config/zenml/local_stores": {"HOME": "/home/u"},
		"":                                   {},
	} {
		if got := defaultLocalStoresPath(env(vars)); got != want {
			t.Errorf("defaultLocalStoresPath(%v) = %q, want %q", vars, got, want)
		}
	}
	s := newSettings("serve", io.Discard)
	ls := addLogSettings(s, env(map[string]string{"HOME": "/home/u"}))
	if err := s.parse([]string{"--allow-local-file-access=yes"}, env(map[string]string{"ZENML_LOCAL_STORES_PATH": "/ls", "ZENML_LOGS_MAX_ENTRIES_PER_REQUEST": "7"})); err != nil {
		t.Fatal(err)
	}
	var cfg api.Config
	if err := ls.apply(&cfg); err != nil || !cfg.AllowLocalFileAccess || cfg.LocalStoresPath != "/ls" || cfg.LogsMaxEntries != 7 {
		t.Fatalf("apply: %+v, %v", cfg, err)
	}
}
