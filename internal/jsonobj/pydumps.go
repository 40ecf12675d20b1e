package jsonobj

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// PyDumps is the text Python's json.dumps writes for a JSON document that
// json.loads read: separators ", " and ": ", ensure_ascii (everything
// beyond ASCII as \uXXXX, surrogate pairs above the BMP), keys in document
// order (a repeated key keeps its first place and its last value), integers
// as written and floats as Python's repr. The reference compares services'
// configurations by this text, so zengo must produce it byte for byte.
func PyDumps(raw []byte) (string, error) {
	p := &pyScanner{in: raw}
	var b strings.Builder
	p.skipSpace()
	if err := p.value(&b); err != nil {
		return "", err
	}
	p.skipSpace()
	if p.pos != len(p.in) {
		return "", errors.New("pydumps: trailing data")
	}
	return b.String(), nil
}

type pyScanner struct {
	in  []byte
	pos int
}

var errSyntax = errors.New("pydumps: invalid JSON")

func (p *pyScanner) skipSpace() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *pyScanner) value(b *strings.Builder) error {
	if p.pos >= len(p.in) {
		return errSyntax
	}
	switch c := p.in[p.pos]; {
	case c == '{':
		return p.object(b)
	case c == '[':
		return p.array(b)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		b.WriteString(s)
		return nil
	case c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I':
		return p.number(b)
	}
	for _, lit := range []string{"true", "false", "null"} {
		if strings.HasPrefix(string(p.in[p.pos:min(len(p.in), p.pos+len(lit))]), lit) {
			b.WriteString(lit)
			p.pos += len(lit)
			return nil
		}
	}
	return errSyntax
}

// members reads the items of an object or array up to close, calling item
// for each with the scanner at its first byte.
func (p *pyScanner) members(close byte, item func() error) error {
	p.pos++ // { or [
	p.skipSpace()
	if p.pos < len(p.in) && p.in[p.pos] == close {
		p.pos++
		return nil
	}
	for {
		p.skipSpace()
		if err := item(); err != nil {
			return err
		}
		p.skipSpace()
		switch {
		case p.pos >= len(p.in):
			return errSyntax
		case p.in[p.pos] == ',':
			p.pos++
		case p.in[p.pos] == close:
			p.pos++
			return nil
		default:
			return errSyntax
		}
	}
}

func (p *pyScanner) object(b *strings.Builder) error {
	var keys []string
	values := map[string]string{}
	err := p.members('}', func() error {
		if p.pos >= len(p.in) || p.in[p.pos] != '"' {
			return errSyntax
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return errSyntax
		}
		p.pos++
		p.skipSpace()
		var v strings.Builder
		if err := p.value(&v); err != nil {
			return err
		}
		if _, seen := values[key]; !seen {
			keys = append(keys, key)
		}
		values[key] = v.String()
		return nil
	})
	if err != nil {
		return err
	}
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + ": " + values[k])
	}
	b.WriteByte('}')
	return nil
}

func (p *pyScanner) array(b *strings.Builder) error {
	b.WriteByte('[')
	n := 0
	err := p.members(']', func() error {
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		return p.value(b)
	})
	b.WriteByte(']')
	return err
}

// str reads a string literal and returns it re-encoded as Python writes
// it. It works on UTF-16 code units, as Python's escapes do, so a lone
// surrogate survives as \udXXX instead of becoming U+FFFD.
func (p *pyScanner) str() (string, error) {
	p.pos++ // opening quote
	var units []uint16
	for {
		if p.pos >= len(p.in) {
			return "", errSyntax
		}
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			return encodePyString(units), nil
		case c == '\\':
			if p.pos+1 >= len(p.in) {
				return "", errSyntax
			}
			e := p.in[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				units = append(units, uint16(e))
			case 'b':
				units = append(units, '\b')
			case 'f':
				units = append(units, '\f')
			case 'n':
				units = append(units, '\n')
			case 'r':
				units = append(units, '\r')
			case 't':
				units = append(units, '\t')
			case 'u':
				if p.pos+4 > len(p.in) {
					return "", errSyntax
				}
				n, err := strconv.ParseUint(string(p.in[p.pos:p.pos+4]), 16, 16)
				if err != nil {
					return "", errSyntax
				}
				units = append(units, uint16(n))
				p.pos += 4
			default:
				return "", errSyntax
			}
		default:
			r, size := utf8.DecodeRune(p.in[p.pos:])
			p.pos += size
			units = utf16.AppendRune(units, r)
		}
	}
}

// encodePyString writes code units as json.dumps does with ensure_ascii.
// Non-ASCII code units come out one by one as \uXXXX, which is the same
// text as Python's surrogate pairs for characters beyond the BMP.
func encodePyString(units []uint16) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.WriteByte('"')
	for _, u := range units {
		switch {
		case u == '"':
			b.WriteString(`\"`)
		case u == '\\':
			b.WriteString(`\\`)
		case u == '\n':
			b.WriteString(`\n`)
		case u == '\r':
			b.WriteString(`\r`)
		case u == '\t':
			b.WriteString(`\t`)
		case u == '\b':
			b.WriteString(`\b`)
		case u == '\f':
			b.WriteString(`\f`)
		case u < 0x20 || u > 0x7e:
			b.WriteString(`\u`)
			b.WriteByte(hex[u>>12&0xf])
			b.WriteByte(hex[u>>8&0xf])
			b.WriteByte(hex[u>>4&0xf])
			b.WriteByte(hex[u&0xf])
		default:
			b.WriteByte(byte(u))
		}
	}
	b.WriteByte('"')
	return b.String()
}

// number reads a number literal: an integer stays as Python's int writes
// it, anything with a fraction or exponent becomes a float written as
// repr does. NaN, Infinity and -Infinity (which Python's json reads) are
// written back as such.
func (p *pyScanner) number(b *strings.Builder) error {
	start := p.pos
	for _, lit := range []string{"NaN", "Infinity", "-Infinity"} {
		if strings.HasPrefix(string(p.in[p.pos:min(len(p.in), p.pos+len(lit))]), lit) {
			p.pos += len(lit)
			b.WriteString(lit)
			return nil
		}
	}
	isFloat := false
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
		} else if !(c == '-' || c == '+' || c >= '0' && c <= '9') {
			break
		}
		p.pos++
	}
	text := string(p.in[start:p.pos])
	if !isFloat {
		n, ok := new(big.Int).SetString(text, 10)
		if !ok {
			return errSyntax
		}
		b.WriteString(n.String())
		return nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return errSyntax
	}
	b.WriteString(PyFloatRepr(f))
	return nil
}

// PyFloatRepr is Python's repr of a float as json.dumps writes it: the
// shortest text that reads back, in positional notation for exponents
// from -4 to 15 (with ".0" when integral), else d.ddde+XX.
func PyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. -1.2345e+17
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		return mant + "e" + sign + es
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
