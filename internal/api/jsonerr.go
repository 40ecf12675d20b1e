package api

import "strings"

// pythonJSONError finds the first syntax error in body the way Python's
// json module reports it (message and character offset), which is what the
// reference puts in its 422 for a malformed body. It returns ok=false for
// well-formed JSON.
func pythonJSONError(body []byte) (msg string, pos int, ok bool) {
	p := &pyJSON{s: []rune(string(body))}
	defer func() {
		if e, isErr := recover().(pyJSONErr); isErr {
			msg, pos, ok = e.msg, e.pos, true
		}
	}()
	p.value(p.ws(0))
	end := p.ws(p.i)
	if end < len(p.s) {
		return "Extra data", end, true
	}
	return "", 0, false
}

type pyJSON struct {
	s []rune
	i int
}

type pyJSONErr struct {
	msg string
	pos int
}

func (p *pyJSON) fail(msg string, pos int) { panic(pyJSONErr{msg, pos}) }

func (p *pyJSON) ws(i int) int {
	for i < len(p.s) && strings.ContainsRune(" \t\n\r", p.s[i]) {
		i++
	}
	return i
}

func (p *pyJSON) at(i int) rune {
	if i < len(p.s) {
		return p.s[i]
	}
	return 0
}

func (p *pyJSON) hasPrefix(i int, word string) bool {
	return strings.HasPrefix(string(p.s[min(i, len(p.s)):]), word)
}

// value parses one value starting at i and leaves p.i after it.
func (p *pyJSON) value(i int) {
	switch c := p.at(i); {
	case c == '"':
		p.i = p.str(i)
	case c == '{':
		p.object(i + 1)
	case c == '[':
		p.array(i + 1)
	case c == '-' || (c >= '0' && c <= '9'):
		if p.hasPrefix(i, "-Infinity") {
			p.i = i + 9
			return
		}
		p.i = p.number(i)
	default:
		for _, word := range []string{"true", "false", "null", "NaN", "Infinity"} {
			if p.hasPrefix(i, word) {
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
	if !(p.at(i) >= '0' && p.at(i) <= '9') {
		p.fail("Expecting value", start)
	}
	if p.at(i) == '0' {
		i++
	} else {
		for p.at(i) >= '0' && p.at(i) <= '9' {
			i++
		}
	}
	if p.at(i) == '.' && p.at(i+1) >= '0' && p.at(i+1) <= '9' {
		i++
		for p.at(i) >= '0' && p.at(i) <= '9' {
			i++
		}
	}
	if (p.at(i) == 'e' || p.at(i) == 'E') && (p.at(i+1) >= '0' && p.at(i+1) <= '9' ||
		(p.at(i+1) == '+' || p.at(i+1) == '-') && p.at(i+2) >= '0' && p.at(i+2) <= '9') {
		i += 2
		for p.at(i) >= '0' && p.at(i) <= '9' {
			i++
		}
	}
	return i
}

// str parses a string whose opening quote is at i; it returns the index
// after the closing quote.
func (p *pyJSON) str(i int) int {
	start := i
	i++
	for {
		if i >= len(p.s) {
			p.fail("Unterminated string starting at", start)
		}
		c := p.s[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\':
			next := p.at(i + 1)
			if next == 0 {
				p.fail("Unterminated string starting at", start)
			}
			if next == 'u' {
				for k := 2; k < 6; k++ {
					if !strings.ContainsRune("0123456789abcdefABCDEF", p.at(i+k)) {
						p.fail("Invalid \\uXXXX escape", i+1)
					}
				}
				i += 6
				continue
			}
			if !strings.ContainsRune(`"\/bfnrt`, next) {
				p.fail("Invalid \\escape", i)
			}
			i += 2
		case c < 0x20:
			p.fail("Invalid control character at", i)
		default:
			i++
		}
	}
}

func (p *pyJSON) object(i int) {
	i = p.ws(i)
	if p.at(i) == '}' {
		p.i = i + 1
		return
	}
	for {
		if p.at(i) != '"' {
			p.fail("Expecting property name enclosed in double quotes", i)
		}
		i = p.ws(p.str(i))
		if p.at(i) != ':' {
			p.fail("Expecting ':' delimiter", i)
		}
		p.value(p.ws(i + 1))
		i = p.ws(p.i)
		switch p.at(i) {
		case '}':
			p.i = i + 1
			return
		case ',':
			i = p.ws(i + 1)
		default:
			p.fail("Expecting ',' delimiter", i)
		}
	}
}

func (p *pyJSON) array(i int) {
	i = p.ws(i)
	if p.at(i) == ']' {
		p.i = i + 1
		return
	}
	for {
		p.value(i)
		i = p.ws(p.i)
		switch p.at(i) {
		case ']':
			p.i = i + 1
			return
		case ',':
			i = p.ws(i + 1)
		default:
			p.fail("Expecting ',' delimiter", i)
		}
	}
}
