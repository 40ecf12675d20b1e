package logs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/google/uuid"
)

// Limits bound what one read holds in memory.
type Limits struct {
	// Entries is the most entries returned (the reference's limit).
	Entries int
	// LineBytes cuts longer lines; the client writes messages in chunks
	// of 5 KiB, so only foreign files have longer ones.
	LineBytes int
	// Bytes stops the read once the kept lines add up to it.
	Bytes int64
}

// Default line and read bounds.
const (
	DefaultLineBytes = 64 << 10
	DefaultReadBytes = 128 << 20
)

// ErrEmptyFolder is a log directory without files.
var ErrEmptyFolder = errors.New("empty log folder")

// Read returns the first entries of the log file, or of the directory of
// log files (read in the order of their names), at path, which must lie
// inside root (else an *OutsideError). A missing path has no entries.
// The files are opened through an os.Root at root, so a symlink swapped
// in after the check cannot lead outside either.
func Read(root, path string, lim Limits, newID func() uuid.UUID) ([]Entry, error) {
	resolved, err := CheckPath(path, root)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(root)
	if errors.Is(err, fs.ErrNotExist) {
		return []Entry{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rel, err := filepath.Rel(filepath.Clean(root), resolved)
	if err != nil {
		return nil, err
	}
	fi, err := r.Stat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return []Entry{}, nil
	case err != nil:
		return nil, err
	}
	rd := &reader{limits: lim, newID: newID, out: []Entry{}}
	if !fi.IsDir() {
		return rd.out, rd.file(r, rel)
	}
	names, err := dirNames(r, rel)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, ErrEmptyFolder
	}
	for _, name := range names {
		// Each file is checked as the reference checks every path it opens.
		file, err := CheckPath(filepath.Join(resolved, name), root)
		if err != nil {
			return nil, err
		}
		fileRel, err := filepath.Rel(filepath.Clean(root), file)
		if err != nil {
			return nil, err
		}
		if err := rd.file(r, fileRel); err != nil || rd.full() {
			return rd.out, err
		}
	}
	return rd.out, nil
}

func dirNames(r *os.Root, rel string) ([]string, error) {
	d, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}

type reader struct {
	limits Limits
	newID  func() uuid.UUID
	out    []Entry
	bytes  int64
}

func (rd *reader) full() bool {
	return len(rd.out) >= rd.limits.Entries || (rd.limits.Bytes > 0 && rd.bytes >= rd.limits.Bytes)
}

// file appends a file's entries until the limits are met.
func (rd *reader) file(r *os.Root, rel string) error {
	f, err := r.Open(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	return rd.lines(f)
}

func (rd *reader) lines(src io.Reader) error {
	max := rd.limits.LineBytes
	if max <= 0 {
		max = DefaultLineBytes
	}
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 0, min(max+2, 64<<10)), max+2)
	sc.Split(splitLines(max))
	for !rd.full() && sc.Scan() {
		if e, ok := ParseLine(sc.Text(), rd.newID); ok {
			rd.out = append(rd.out, e)
			rd.bytes += int64(len(sc.Bytes()))
		}
	}
	return sc.Err()
}

// splitLines splits as Python's universal newlines do (\n, \r\n, \r).
// A line longer than max is cut to max and the rest of it skipped, so a
// file without line breaks costs no more memory than one line.
func splitLines(max int) bufio.SplitFunc {
	skipping := false
	return func(data []byte, atEOF bool) (int, []byte, error) {
		if len(data) == 0 {
			return 0, nil, nil
		}
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			switch {
			case skipping:
				return len(data), nil, nil
			case len(data) >= max:
				skipping = true
				return len(data), data[:max], nil
			case atEOF:
				return len(data), data, nil
			}
			return 0, nil, nil
		}
		switch {
		case skipping && i > 0:
			return i, nil, nil // the rest of a cut line, up to its end
		case !skipping && i >= max:
			skipping = true
			return i, data[:max], nil
		}
		end := i + 1
		if data[i] == '\r' {
			switch {
			case i+1 < len(data) && data[i+1] == '\n':
				end++
			case i+1 == len(data) && !atEOF:
				return 0, nil, nil // a \n may follow
			}
		}
		if skipping {
			skipping = false
			return end, nil, nil
		}
		return end, data[:i], nil
	}
}

// ErrTooLarge is a file beyond the bytes a read may hold.
var ErrTooLarge = errors.New("file too large to read whole")

// ReadFile reads one whole file of a local store at path, which must lie
// inside root (else an *OutsideError), opened through an os.Root at root
// as Read opens log files. A file over max bytes is ErrTooLarge.
func ReadFile(root, path string, max int64) ([]byte, error) {
	resolved, err := CheckPath(path, root)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rel, err := filepath.Rel(filepath.Clean(root), resolved)
	if err != nil {
		return nil, err
	}
	f, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(data)) > max {
		return nil, ErrTooLarge
	}
	return data, err
}
