package zen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// PyBytes is a value shown as Python bytes (b'...') in error texts.
type PyBytes []byte

// maxEchoedInput bounds, in bytes, how much of an offending value an error
// entry repeats. The reference echoes a value whole, however large; zengo
// cuts it there and ends it with "...", as pydantic's own messages do.
const maxEchoedInput = 4096

// PyValue renders a decoded JSON value as Python's repr would, cut at
// maxEchoedInput.
func PyValue(v any) string {
	var b strings.Builder
	w := &pyWriter{b: &b, left: maxEchoedInput}
	w.value(v)
	if w.cut {
		b.WriteString("...")
	}
	return b.String()
}

// pyWriter writes a repr into b until left bytes are spent.
type pyWriter struct {
	b    *strings.Builder
	left int
	cut  bool
}

func (w *pyWriter) write(s string) {
	if w.cut {
		return
	}
	if len(s) > w.left {
		s = s[:runeStart(s, w.left)]
		w.cut = true
	}
	w.b.WriteString(s)
	w.left -= len(s)
}

// runeStart is the largest index <= n that starts a rune of s.
func runeStart(s string, n int) int {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

func (w *pyWriter) value(v any) {
	if w.cut {
		return
	}
	switch x := v.(type) {
	case nil:
		w.write("None")
	case bool:
		if x {
			w.write("True")
		} else {
			w.write("False")
		}
	case string:
		if len(x) > w.left {
			// Only the head can be shown: quote no more than that.
			x = x[:runeStart(x, w.left)]
			defer func() { w.cut = true }()
		}
		w.write(PyRepr(x))
	case json.Number:
		w.write(x.String())
	case json.RawMessage:
		w.raw(x)
	case PyBytes:
		head := string(x)
		if len(head) > w.left {
			head = head[:runeStart(head, w.left)]
			defer func() { w.cut = true }()
		}
		w.write("b" + PyRepr(head))
	case []any:
		w.write("[")
		for i, e := range x {
			if i > 0 {
				w.write(", ")
			}
			if w.value(e); w.cut {
				return
			}
		}
		w.write("]")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w.write("{")
		for i, k := range keys {
			if i > 0 {
				w.write(", ")
			}
			w.value(k)
			w.write(": ")
			if w.value(x[k]); w.cut {
				return
			}
		}
		w.write("}")
	default:
		w.write(fmt.Sprint(v))
	}
}

// raw writes JSON text as Python's repr of its decoded value, token by
// token, so that no more of it is decoded than is shown. Objects keep the
// client's key order, as Python's dicts do.
func (w *pyWriter) raw(b []byte) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		object bool
		n      int // tokens written inside
	}
	var stack []*frame
	sep := func() {
		if len(stack) == 0 {
			return
		}
		f := stack[len(stack)-1]
		switch {
		case f.object && f.n%2 == 1:
			w.write(": ")
		case f.n > 0:
			w.write(", ")
		}
		f.n++
	}
	for !w.cut {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				sep()
				w.write(t.String())
				stack = append(stack, &frame{object: t == '{'})
			default:
				w.write(t.String())
				stack = stack[:len(stack)-1]
			}
		case float64: // not produced with UseNumber
		default:
			sep()
			w.value(t)
		}
	}
}
