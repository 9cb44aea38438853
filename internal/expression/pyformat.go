package expression

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// formatSpec is a parsed Python format specification
// ([[fill]align][sign][#][0][width][grouping][.precision][type]).
type formatSpec struct {
	fill      rune
	align     byte
	sign      byte
	alt, zero bool
	width     int
	grouping  byte
	precision int // -1 when absent
	typ       byte
}

func parseSpec(spec string) (formatSpec, error) {
	f := formatSpec{fill: ' ', precision: -1}
	s := spec
	if r, size := utf8.DecodeRuneInString(s); size > 0 && len(s) > size && strings.ContainsRune("<>=^", rune(s[size])) {
		f.fill, f.align, s = r, s[size], s[size+1:]
	} else if len(s) > 0 && strings.ContainsRune("<>=^", rune(s[0])) {
		f.align, s = s[0], s[1:]
	}
	if len(s) > 0 && strings.ContainsRune("+- ", rune(s[0])) {
		f.sign, s = s[0], s[1:]
	}
	if strings.HasPrefix(s, "#") {
		f.alt, s = true, s[1:]
	}
	if strings.HasPrefix(s, "0") {
		f.zero, s = true, s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 {
		f.width, _ = strconv.Atoi(s[:i])
		s = s[i:]
	}
	if len(s) > 0 && (s[0] == ',' || s[0] == '_') {
		f.grouping, s = s[0], s[1:]
	}
	if strings.HasPrefix(s, ".") {
		j := 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 1 {
			return f, fmt.Errorf("Format specifier missing precision")
		}
		f.precision, _ = strconv.Atoi(s[1:j])
		s = s[j:]
	}
	if len(s) > 1 {
		return f, fmt.Errorf("Invalid format specifier '%s'", spec)
	}
	if len(s) == 1 {
		f.typ = s[0]
	}
	if f.zero && f.align == 0 {
		f.fill, f.align = '0', '='
	}
	return f, nil
}

// pyFormat is Python's format(value, spec) for strings, ints and floats.
func pyFormat(v starlark.Value, spec string) (string, error) {
	if spec == "" {
		return pyStr(v), nil
	}
	f, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	var body, sign string
	numeric := true
	switch x := v.(type) {
	case starlark.Bool:
		if f.typ == 0 || f.typ == 's' {
			body, numeric = pyStr(x), false
			break
		}
		i := 0
		if x {
			i = 1
		}
		body, sign, err = formatInt(int64(i), f)
	case starlark.Int:
		if f.typ == 'e' || f.typ == 'E' || f.typ == 'f' || f.typ == 'F' || f.typ == 'g' || f.typ == 'G' || f.typ == '%' {
			body, sign, err = formatFloat(float64(x.Float()), f)
			break
		}
		i, ok := x.Int64()
		if !ok {
			body = x.String()
			break
		}
		body, sign, err = formatInt(i, f)
	case starlark.Float:
		body, sign, err = formatFloat(float64(x), f)
	default:
		if f.typ != 0 && f.typ != 's' {
			return "", fmt.Errorf("Unknown format code '%c' for object of type '%s'", f.typ, v.Type())
		}
		body, numeric = pyStr(v), false
		if f.precision >= 0 && utf8.RuneCountInString(body) > f.precision {
			body = string([]rune(body)[:f.precision])
		}
	}
	if err != nil {
		return "", err
	}
	return pad(sign, body, f, numeric), nil
}

func formatInt(i int64, f formatSpec) (string, string, error) {
	sign := signOf(i < 0, f.sign)
	u := uint64(i)
	if i < 0 {
		u = uint64(-i)
	}
	var body string
	switch f.typ {
	case 0, 'd', 'n':
		body = strconv.FormatUint(u, 10)
	case 'x':
		body = strconv.FormatUint(u, 16)
	case 'X':
		body = strings.ToUpper(strconv.FormatUint(u, 16))
	case 'o':
		body = strconv.FormatUint(u, 8)
	case 'b':
		body = strconv.FormatUint(u, 2)
	case 'c':
		return string(rune(i)), "", nil
	default:
		return "", "", fmt.Errorf("Unknown format code '%c' for object of type 'int'", f.typ)
	}
	if f.grouping != 0 {
		body = group(body, f.grouping, map[byte]int{'x': 4, 'X': 4, 'o': 4, 'b': 4}[f.typ])
	}
	if f.alt {
		body = map[byte]string{'x': "0x", 'X': "0X", 'o': "0o", 'b': "0b"}[f.typ] + body
	}
	return body, sign, nil
}

func formatFloat(x float64, f formatSpec) (string, string, error) {
	sign := signOf(math.Signbit(x) && !math.IsNaN(x), f.sign)
	x = math.Abs(x)
	if math.IsInf(x, 0) || math.IsNaN(x) {
		s := map[bool]string{true: "inf", false: "nan"}[math.IsInf(x, 0)]
		if f.typ == 'F' || f.typ == 'E' || f.typ == 'G' {
			s = strings.ToUpper(s)
		}
		return s, sign, nil
	}
	prec := f.precision
	var body string
	switch f.typ {
	case 'f', 'F':
		if prec < 0 {
			prec = 6
		}
		body = strconv.FormatFloat(x, 'f', prec, 64)
	case 'e', 'E':
		if prec < 0 {
			prec = 6
		}
		body = strconv.FormatFloat(x, 'e', prec, 64)
		if f.typ == 'E' {
			body = strings.ToUpper(body)
		}
	case 'g', 'G':
		if prec < 0 {
			prec = 6
		}
		body = strconv.FormatFloat(x, 'g', max(prec, 1), 64)
		if f.typ == 'G' {
			body = strings.ToUpper(body)
		}
	case '%':
		if prec < 0 {
			prec = 6
		}
		body = strconv.FormatFloat(x*100, 'f', prec, 64) + "%"
	case 0, 'n':
		if prec < 0 {
			body = pyFloat(x)
		} else {
			body = strconv.FormatFloat(x, 'g', max(prec, 1), 64)
		}
	default:
		return "", "", fmt.Errorf("Unknown format code '%c' for object of type 'float'", f.typ)
	}
	if f.grouping != 0 {
		intPart, rest, _ := strings.Cut(body, ".")
		if strings.ContainsAny(intPart, "e") {
			return body, sign, nil
		}
		body = group(intPart, f.grouping, 0)
		if rest != "" || strings.Contains(body, ".") {
			body += "." + rest
		}
	}
	return body, sign, nil
}

func signOf(negative bool, mode byte) string {
	switch {
	case negative:
		return "-"
	case mode == '+':
		return "+"
	case mode == ' ':
		return " "
	}
	return ""
}

func group(digits string, sep byte, every int) string {
	if every == 0 {
		every = 3
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%every == 0 {
			b.WriteByte(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

func pad(sign, body string, f formatSpec, numeric bool) string {
	n := utf8.RuneCountInString(sign + body)
	if f.width <= n {
		return sign + body
	}
	fill := strings.Repeat(string(f.fill), f.width-n)
	align := f.align
	if align == 0 {
		align = '<'
		if numeric {
			align = '>'
		}
	}
	switch align {
	case '>':
		return fill + sign + body
	case '=':
		return sign + fill + body
	case '^':
		half := (f.width - n) / 2
		return strings.Repeat(string(f.fill), half) + sign + body + strings.Repeat(string(f.fill), f.width-n-half)
	}
	return sign + body + fill
}

// pyFloat is Python's repr(float): the shortest round-tripping digits,
// in positional notation for exponents in [-4, 16).
func pyFloat(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	case math.IsNaN(x):
		return "nan"
	}
	e := strconv.FormatFloat(x, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	n, _ := strconv.Atoi(exp)
	if n >= -4 && n < 16 {
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := exp[:1]
	digits := strings.TrimLeft(exp[1:], "0")
	if len(digits) < 2 {
		digits = strings.Repeat("0", 2-len(digits)) + digits
	}
	return mant + "e" + sign + digits
}
