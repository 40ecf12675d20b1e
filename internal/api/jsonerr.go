package api

import (
	"bytes"
	"unicode/utf8"
)

// maxJSONDepth is how deeply arrays and objects may nest in a body. Python's
// decoder gives up near its recursion limit (1,000 frames, some of them
// taken by the server itself): the reference decodes 980 levels and answers
// 400, not 422, from 981 on (measured on POST /api/v1/pipelines).
const maxJSONDepth = 980

// jsonVerdict is what checking a body's JSON found.
type jsonVerdict int

const (
	jsonOK       jsonVerdict = iota
	jsonSyntax               // a syntax error Python reports with a message and a position
	jsonUnusable             // not text (invalid UTF-8) or nested too deeply: the reference's 400
)

// pythonJSONError finds the first syntax error in body the way Python's
// json module reports it (message and character offset), which is what the
// reference puts in its 422 for a malformed body. It reads the body once,
// byte by byte, and keeps no copy: its cost is linear in the body's size
// and its memory constant, whatever the body holds.
func pythonJSONError(body []byte) (msg string, pos int, verdict jsonVerdict) {
	if !utf8.Valid(body) {
		return "", 0, jsonUnusable
	}
	p := &pyJSON{s: body}
	p.value(p.ws(0))
	if p.err == "" {
		if end := p.ws(p.i); end < len(p.s) {
			p.err, p.pos = "Extra data", end
		}
	}
	switch {
	case p.tooDeep:
		return "", 0, jsonUnusable
	case p.err != "":
		// Python counts characters, not bytes.
		return p.err, utf8.RuneCount(body[:p.pos]), jsonSyntax
	}
	return "", 0, jsonOK
}

// pyJSON is a recognizer of Python's JSON dialect (NaN and Infinity are
// values). It stops at the first error, recorded in err and pos (a byte
// offset).
type pyJSON struct {
	s       []byte
	i       int
	depth   int
	err     string
	pos     int
	tooDeep bool
}

func (p *pyJSON) fail(msg string, pos int) {
	if p.err == "" {
		p.err, p.pos = msg, pos
	}
}

func (p *pyJSON) ws(i int) int {
	for i < len(p.s) {
		switch p.s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (p *pyJSON) at(i int) byte {
	if i < len(p.s) {
		return p.s[i]
	}
	return 0
}

func (p *pyJSON) hasWord(i int, word string) bool {
	return len(p.s)-i >= len(word) && string(p.s[i:i+len(word)]) == word
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// value recognizes one value starting at i and leaves p.i after it.
func (p *pyJSON) value(i int) {
	switch c := p.at(i); {
	case c == '"':
		p.i = p.str(i)
	case c == '{' || c == '[':
		p.depth++
		if p.depth > maxJSONDepth {
			p.tooDeep = true
			p.fail("too deep", i)
			return
		}
		if c == '{' {
			p.object(i + 1)
		} else {
			p.array(i + 1)
		}
		p.depth--
	case c == '-' || isDigit(c):
		if p.hasWord(i, "-Infinity") {
			p.i = i + len("-Infinity")
			return
		}
		p.i = p.number(i)
	default:
		for _, word := range [...]string{"true", "false", "null", "NaN", "Infinity"} {
			if p.hasWord(i, word) {
				p.i = i + len(word)
				return
			}
		}
		p.fail("Expecting value", i)
	}
}

func (p *pyJSON) number(i int) int {
	start := i
	if p.at(i) == '-' {
		i++
	}
	if !isDigit(p.at(i)) {
		p.fail("Expecting value", start)
		return i
	}
	if p.at(i) == '0' {
		i++
	} else {
		for isDigit(p.at(i)) {
			i++
		}
	}
	if p.at(i) == '.' && isDigit(p.at(i+1)) {
		i++
		for isDigit(p.at(i)) {
			i++
		}
	}
	if (p.at(i) == 'e' || p.at(i) == 'E') && (isDigit(p.at(i+1)) ||
		(p.at(i+1) == '+' || p.at(i+1) == '-') && isDigit(p.at(i+2))) {
		i += 2
		for isDigit(p.at(i)) {
			i++
		}
	}
	return i
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// str recognizes a string whose opening quote is at i; it returns the index
// after the closing quote.
func (p *pyJSON) str(i int) int {
	start := i
	i++
	for {
		// Skip the plain run in one step.
		if k := bytes.IndexAny(p.s[i:], "\"\\\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"); k < 0 {
			p.fail("Unterminated string starting at", start)
			return len(p.s)
		} else {
			i += k
		}
		switch c := p.s[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			next := p.at(i + 1)
			if i+1 >= len(p.s) {
				p.fail("Unterminated string starting at", start)
				return len(p.s)
			}
			if next == 'u' {
				for k := 2; k < 6; k++ {
					if !isHex(p.at(i + k)) {
						p.fail("Invalid \\uXXXX escape", i+1)
						return len(p.s)
					}
				}
				i += 6
				continue
			}
			switch next {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			default:
				p.fail("Invalid \\escape", i)
				return len(p.s)
			}
		default:
			p.fail("Invalid control character at", i)
			return len(p.s)
		}
	}
}

func (p *pyJSON) object(i int) {
	i = p.ws(i)
	if p.at(i) == '}' {
		p.i = i + 1
		return
	}
	for p.err == "" {
		if p.at(i) != '"' {
			p.fail("Expecting property name enclosed in double quotes", i)
			return
		}
		i = p.ws(p.str(i))
		if p.err != "" {
			return
		}
		if p.at(i) != ':' {
			p.fail("Expecting ':' delimiter", i)
			return
		}
		p.value(p.ws(i + 1))
		if p.err != "" {
			return
		}
		i = p.ws(p.i)
		switch p.at(i) {
		case '}':
			p.i = i + 1
			return
		case ',':
			i = p.ws(i + 1)
		default:
			p.fail("Expecting ',' delimiter", i)
			return
		}
	}
}

func (p *pyJSON) array(i int) {
	i = p.ws(i)
	if p.at(i) == ']' {
		p.i = i + 1
		return
	}
	for p.err == "" {
		p.value(i)
		if p.err != "" {
			return
		}
		i = p.ws(p.i)
		switch p.at(i) {
		case ']':
			p.i = i + 1
			return
		case ',':
			i = p.ws(i + 1)
		default:
			p.fail("Expecting ',' delimiter", i)
			return
		}
	}
}
