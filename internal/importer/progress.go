package importer

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress reports an import as it goes.
type Progress interface {
	// Note reports a step.
	Note(msg string)
	// Start begins a table of total rows, done of them already imported.
	Start(table string, total, done int64) Bar
}

// Bar follows one table.
type Bar interface {
	Set(done int64)
	Finish()
}

type noProgress struct{}

func (noProgress) Note(string)                    {}
func (noProgress) Start(string, int64, int64) Bar { return noBar{} }

type noBar struct{}

func (noBar) Set(int64) {}
func (noBar) Finish()   {}

// NewProgress returns the progress display of a kind: "bar" (one
// redrawn line per table, for a terminal), "lines" (plain lines, for logs)
// or "none".
func NewProgress(kind string, w io.Writer) (Progress, error) {
	switch kind {
	case "bar":
		return &textProgress{w: w, bar: true, every: 100 * time.Millisecond}, nil
	case "lines":
		return &textProgress{w: w, every: 5 * time.Second}, nil
	case "none":
		return noProgress{}, nil
	}
	return nil, fmt.Errorf("unknown progress kind %q (auto, bar, lines or none)", kind)
}

type textProgress struct {
	w     io.Writer
	bar   bool
	every time.Duration
	mu    sync.Mutex
}

func (p *textProgress) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, msg)
}

func (p *textProgress) Start(table string, total, done int64) Bar {
	b := &textBar{p: p, table: table, total: total, start: time.Now(), startDone: done, done: done}
	b.draw(true)
	return b
}

type textBar struct {
	p                *textProgress
	table            string
	total, done      int64
	startDone        int64
	start, lastDrawn time.Time
}

func (b *textBar) Set(done int64) {
	b.done = done
	if time.Since(b.lastDrawn) >= b.p.every {
		b.draw(false)
	}
}

func (b *textBar) Finish() {
	b.draw(false)
	if b.p.bar {
		fmt.Fprintln(b.p.w)
	}
}

func (b *textBar) draw(first bool) {
	b.p.mu.Lock()
	defer b.p.mu.Unlock()
	b.lastDrawn = time.Now()
	elapsed := time.Since(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done-b.startDone) / elapsed
	}
	eta := "-"
	if rate > 0 && b.total > b.done {
		eta = (time.Duration(float64(b.total-b.done)/rate) * time.Second).Round(time.Second).String()
	}
	if !b.p.bar {
		if first && b.total == 0 {
			return
		}
		fmt.Fprintf(b.p.w, "%s: %d/%d rows, %.0f rows/s, ETA %s\n", b.table, b.done, b.total, rate, eta)
		return
	}
	const width = 30
	filled := width
	if b.total > 0 {
		filled = int(float64(width) * float64(b.done) / float64(b.total))
	}
	filled = min(max(filled, 0), width)
	fmt.Fprintf(b.p.w, "\r%-32s [%s%s] %d/%d %8.0f rows/s ETA %-8s", b.table, strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		b.done, b.total, rate, eta)
}
