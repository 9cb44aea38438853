package blueprint

import (
	"errors"
	"fmt"
	"github.com/akgo/akgo/internal/pyrepr"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// !Format is Python's printf-style "%" operator applied to a tuple of
// arguments, so this file reproduces it (and Python's str/repr of the
// values a blueprint can hold), including its TypeError messages.

// pyPercent formats like Python's `format % tuple(args)`.
func pyPercent(format string, args []any) (string, error) {
	var b strings.Builder
	next := 0
	take := func() (any, error) {
		if next >= len(args) {
			return nil, errors.New("not enough arguments for format string")
		}
		next++
		return args[next-1], nil
	}
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' {
			b.WriteByte(ch)
			continue
		}
		i++
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		if format[i] == '(' {
			return "", errors.New("format requires a mapping")
		}
		var flags string
		for i < len(format) && strings.IndexByte("#0- +", format[i]) >= 0 {
			flags += string(format[i])
			i++
		}
		width, prec := -1, -1
		num := func(dst *int) error {
			if i < len(format) && format[i] == '*' {
				i++
				v, err := take()
				if err != nil {
					return err
				}
				n, ok := asInt(v)
				if !ok {
					return errors.New("* wants int")
				}
				*dst = int(n)
				return nil
			}
			j := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			if j < i {
				*dst, _ = strconv.Atoi(format[j:i])
			}
			return nil
		}
		if err := num(&width); err != nil {
			return "", err
		}
		if width < 0 && strings.Contains(flags, "-") {
			width = -1
		}
		if i < len(format) && format[i] == '.' {
			i++
			prec = 0
			if err := num(&prec); err != nil {
				return "", err
			}
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		conv := format[i]
		if conv == '%' {
			b.WriteByte('%')
			continue
		}
		v, err := take()
		if err != nil {
			return "", err
		}
		s, numeric, err := pyConvert(conv, flags, prec, v)
		if err != nil {
			return "", err
		}
		b.WriteString(pyPad(s, flags, width, numeric))
	}
	if next < len(args) {
		return "", errors.New("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func asReal(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func pyConvert(conv byte, flags string, prec int, v any) (string, bool, error) {
	sign := func(neg bool) string {
		switch {
		case neg:
			return "-"
		case strings.Contains(flags, "+"):
			return "+"
		case strings.Contains(flags, " "):
			return " "
		}
		return ""
	}
	switch conv {
	case 's':
		s := pyStr(v)
		if prec >= 0 && utf8.RuneCountInString(s) > prec {
			s = string([]rune(s)[:prec])
		}
		return s, false, nil
	case 'r', 'a':
		s := pyRepr(v)
		if prec >= 0 && utf8.RuneCountInString(s) > prec {
			s = string([]rune(s)[:prec])
		}
		return s, false, nil
	case 'd', 'i', 'u':
		var n int64
		if f, ok := v.(float64); ok {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return "", false, fmt.Errorf("cannot convert float %s to integer", pyFloatRepr(f))
			}
			n = int64(f)
		} else if x, ok := asInt(v); ok {
			n = x
		} else {
			return "", false, fmt.Errorf("%%%c format: a real number is required, not %s", conv, pyTypeName(v))
		}
		digits := strconv.FormatInt(abs64(n), 10)
		if prec > len(digits) {
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
		return sign(n < 0) + digits, true, nil
	case 'o', 'x', 'X':
		n, ok := asInt(v)
		if !ok {
			return "", false, fmt.Errorf("%%%c format: an integer is required, not %s", conv, pyTypeName(v))
		}
		base, prefix := 8, "0o"
		if conv != 'o' {
			base, prefix = 16, "0x"
		}
		digits := strconv.FormatInt(abs64(n), base)
		if prec > len(digits) {
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
		if !strings.Contains(flags, "#") {
			prefix = ""
		}
		s := prefix + digits
		if conv == 'X' {
			s = strings.ToUpper(s)
		}
		return sign(n < 0) + s, true, nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		f, ok := asReal(v)
		if !ok {
			return "", false, fmt.Errorf("must be real number, not %s", pyTypeName(v))
		}
		if prec < 0 {
			prec = 6
		}
		var s string
		switch {
		case math.IsInf(f, 0):
			s = "inf"
		case math.IsNaN(f):
			s = "nan"
		default:
			c := conv | 0x20 // lower case
			if c == 'g' && prec == 0 {
				prec = 1
			}
			s = strconv.FormatFloat(math.Abs(f), c, prec, 64)
			if c == 'g' && strings.Contains(flags, "#") && !strings.Contains(s, ".") {
				mant, exp, hasExp := strings.Cut(s, "e")
				s = mant + "."
				if hasExp {
					s += "e" + exp
				}
			}
			if c == 'f' && prec == 0 && strings.Contains(flags, "#") {
				s += "."
			}
		}
		if conv >= 'A' && conv <= 'Z' {
			s = strings.ToUpper(s)
		}
		return sign(math.Signbit(f) && !math.IsNaN(f)) + s, true, nil
	case 'c':
		switch x := v.(type) {
		case int64:
			if x < 0 || x > unicode.MaxRune {
				return "", false, errors.New("%c arg not in range(0x110000)")
			}
			return string(rune(x)), false, nil
		case string:
			if utf8.RuneCountInString(x) == 1 {
				return x, false, nil
			}
		}
		return "", false, errors.New("%c requires int or char")
	}
	return "", false, fmt.Errorf("unsupported format character '%c' (0x%x)", conv, conv)
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func pyPad(s string, flags string, width int, numeric bool) string {
	n := utf8.RuneCountInString(s)
	if width <= n {
		return s
	}
	fill := width - n
	switch {
	case strings.Contains(flags, "-"):
		return s + strings.Repeat(" ", fill)
	case numeric && strings.Contains(flags, "0"):
		signLen := 0
		if s != "" && strings.IndexByte("+- ", s[0]) >= 0 {
			signLen = 1
		}
		if strings.HasPrefix(s[signLen:], "0x") || strings.HasPrefix(s[signLen:], "0X") || strings.HasPrefix(s[signLen:], "0o") {
			signLen += 2
		}
		return s[:signLen] + strings.Repeat("0", fill) + s[signLen:]
	}
	return strings.Repeat(" ", fill) + s
}

func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// pyStr is Python's str() of a blueprint value.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyRepr is Python's repr() of a blueprint value. Dicts are rendered in key
// order (Go maps do not keep insertion order).
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return pyFloatRepr(x)
	case string:
		return pyrepr.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = pyRepr(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyrepr.Quote(k) + ": " + pyRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *Unknown:
		return "(known after apply)"
	}
	return fmt.Sprint(v)
}

// pyFloatRepr is repr(float): the shortest digits, fixed notation for
// exponents -4..15, else scientific with a two-digit exponent.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	return e
}
