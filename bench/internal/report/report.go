// Package report writes a benchmark's results: the Markdown report and its
// JSON next to it in the results directory, and the Markdown on stdout.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Write puts markdown in DIR/NAME.md and data as indented JSON in
// DIR/NAME.json (creating DIR), then prints the report and where it went.
func Write(dir, name, markdown string, data any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mdPath, jsonPath := filepath.Join(dir, name+".md"), filepath.Join(dir, name+".json")
	if err := os.WriteFile(mdPath, []byte(markdown), 0o644); err != nil {
		return err
	}
	j, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(jsonPath, append(j, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println()
	fmt.Print(markdown)
	fmt.Printf("\nwritten: %s, %s\n", mdPath, jsonPath)
	return nil
}
