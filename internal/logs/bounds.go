package logs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// OutsideError is the reference's refusal of a path beyond its artifact
// store's root; Path is the resolved path, as the reference reports it.
type OutsideError struct{ Path, Root string }

func (e *OutsideError) Error() string {
	return fmt.Sprintf("File `%s` is outside of artifact store bounds `%s`", e.Path, e.Root)
}

// CheckPath resolves a local path as the reference does
// (Path(p).absolute().resolve(): absolute, `..` and symlinks resolved, a
// missing tail kept) and returns it if it lies inside root. Unlike the
// reference, which compares plain string prefixes, a sibling sharing the
// root's name as a prefix (`<root>-other/…`) is outside too.
func CheckPath(path, root string) (string, error) {
	resolved := Resolve(path)
	if !Within(resolved, root) {
		return resolved, &OutsideError{Path: resolved, Root: root}
	}
	return resolved, nil
}

// Within reports whether a resolved absolute path is root or lies below it.
func Within(path, root string) bool {
	r := strings.TrimRight(root, "/")
	if r == "" || !filepath.IsAbs(r) {
		return root == "/" && filepath.IsAbs(path)
	}
	return path == r || strings.HasPrefix(path, r+"/")
}

// maxSymlinks bounds symlink chains, as the kernel's ELOOP does.
const maxSymlinks = 40

// Resolve is POSIX realpath without strictness: each existing component
// is followed if it is a symlink, `..` goes to the parent of what is
// resolved so far, and components that do not exist are kept as written.
func Resolve(path string) string {
	if !filepath.IsAbs(path) {
		if wd, err := os.Getwd(); err == nil {
			path = filepath.Join(wd, path)
		}
	}
	links := 0
	return resolveFrom("/", path, &links)
}

func resolveFrom(base, path string, links *int) string {
	cur := base
	if filepath.IsAbs(path) {
		cur = "/"
	}
	for _, comp := range strings.Split(path, "/") {
		switch comp {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, comp)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		*links++
		target, err := os.Readlink(next)
		if err != nil || *links > maxSymlinks {
			cur = next
			continue
		}
		cur = resolveFrom(cur, target, links)
	}
	return cur
}
