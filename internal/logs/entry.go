// Package logs reads the log files a ZenML client writes to a local
// artifact store, as the reference server's artifact log store reads them:
// line by line, each line a JSON LogEntry or plain text, oldest first.
package logs

import (
	"encoding/json"

	"github.com/google/uuid"
)

// Entry is the reference's LogEntry. Its fields are in the order the
// reference serialises them, and every one is always present.
type Entry struct {
	Message     string     `json:"message"`
	Name        *string    `json:"name"`
	Level       *int       `json:"level"`
	Timestamp   *Timestamp `json:"timestamp"`
	Module      *string    `json:"module"`
	Filename    *string    `json:"filename"`
	Lineno      *int64     `json:"lineno"`
	ChunkIndex  int64      `json:"chunk_index"`
	TotalChunks int64      `json:"total_chunks"`
	ID          uuid.UUID  `json:"id"`
}

// Levels are the numbers of the reference's LoggingLevels, by name.
var Levels = map[string]int{"NOTSET": 0, "ERROR": 40, "WARN": 30, "WARNING": 30, "INFO": 20, "DEBUG": 10, "CRITICAL": 50}

func isLevel(n int) bool { return n >= 0 && n <= 50 && n%10 == 0 }

// Page is the answer of the entries route: the artifact log store never
// gives cursors.
type Page struct {
	Items  []Entry `json:"items"`
	Before *string `json:"before"`
	After  *string `json:"after"`
}

// MarshalJSON keeps an empty page's items an empty list.
func (p Page) MarshalJSON() ([]byte, error) {
	if p.Items == nil {
		p.Items = []Entry{}
	}
	type page Page
	return json.Marshal(page(p))
}
