package expression

import (
	"strconv"
	"strings"
)

// convertFString turns the body of an f-string into a Starlark
// concatenation: literal parts keep their original quoting (so escapes mean
// the same), fields become str(x), repr(x) or _ak_format(x, spec).
//
//	f"{path}/{'/'.join(parts)}"  →  (str(path) + "/" + str('/'.join(parts)))
func convertFString(prefix, quote, body string) (string, error) {
	var parts []string
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, prefix+quote+lit.String()+quote)
			lit.Reset()
		}
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			lit.WriteByte(c)
			lit.WriteByte(body[i+1])
			i++
		case c == '{' && i+1 < len(body) && body[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(body) && body[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '}':
			return "", &SyntaxError{Msg: "f-string: single '}' is not allowed"}
		case c == '{':
			end, expr, conv, spec, debug, err := scanField(body, i+1)
			if err != nil {
				return "", err
			}
			if debug {
				lit.WriteString(strings.ReplaceAll(expr, quote, "\\"+quote) + "=")
				if conv == "" && spec == "" {
					conv = "r"
				}
			}
			flush()
			code, err := rewriteExpr(strings.TrimSpace(expr))
			if err != nil {
				return "", err
			}
			switch conv {
			case "r", "a":
				code = "repr(" + code + ")"
			case "s":
				code = "str(" + code + ")"
			}
			if spec != "" {
				parts = append(parts, "_ak_format("+code+", "+strconv.Quote(spec)+")")
			} else if conv == "" {
				parts = append(parts, "str("+code+")")
			} else {
				parts = append(parts, code)
			}
			i = end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	switch len(parts) {
	case 0:
		return prefix + quote + quote, nil
	case 1:
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " + ") + ")", nil
}

// scanField reads a replacement field starting after its '{' and returns
// the index of its closing '}', the expression, the conversion letter, the
// format spec and whether it is a self-documenting "{x=}" field.
func scanField(body string, i int) (end int, expr, conv, spec string, debug bool, err error) {
	depth := 0
	start := i
	exprEnd := -1
	for ; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\'' || c == '"':
			q := c
			i++
			for i < len(body) && body[i] != q {
				if body[i] == '\\' {
					i++
				}
				i++
			}
		case c == '(' || c == '[' || c == '{':
			depth++
		case (c == ')' || c == ']') && depth > 0:
			depth--
		case c == '}' && depth > 0:
			depth--
		case depth > 0:
		case c == '!' && i+1 < len(body) && body[i+1] != '=':
			exprEnd = i
			if i+1 >= len(body) || !strings.ContainsRune("rsa", rune(body[i+1])) {
				return 0, "", "", "", false, &SyntaxError{Msg: "f-string: invalid conversion character"}
			}
			conv = string(body[i+1])
			i += 2
			if i < len(body) && body[i] == ':' {
				return scanSpec(body, start, exprEnd, i+1, conv)
			}
			if i >= len(body) || body[i] != '}' {
				return 0, "", "", "", false, &SyntaxError{Msg: "f-string: expecting '}'"}
			}
			return i, trimDebug(body[start:exprEnd]), conv, "", isDebug(body[start:exprEnd]), nil
		case c == ':':
			return scanSpec(body, start, i, i+1, "")
		case c == '}':
			return i, trimDebug(body[start:i]), "", "", isDebug(body[start:i]), nil
		}
	}
	return 0, "", "", "", false, &SyntaxError{Msg: "f-string: expecting '}'"}
}

func scanSpec(body string, start, exprEnd, i int, conv string) (int, string, string, string, bool, error) {
	j := strings.IndexByte(body[i:], '}')
	if j < 0 {
		return 0, "", "", "", false, &SyntaxError{Msg: "f-string: expecting '}'"}
	}
	spec := body[i : i+j]
	if strings.ContainsRune(spec, '{') {
		return 0, "", "", "", false, &SyntaxError{Msg: "f-string: nested replacement fields in format specs are not supported"}
	}
	expr := body[start:exprEnd]
	return i + j, trimDebug(expr), conv, spec, isDebug(expr), nil
}

// isDebug reports a "{expr=}" field: a trailing '=' that is not part of
// a comparison operator.
func isDebug(expr string) bool {
	t := strings.TrimRight(expr, " ")
	if !strings.HasSuffix(t, "=") || len(t) < 2 {
		return false
	}
	return !strings.ContainsRune("=!<>", rune(t[len(t)-2]))
}

func trimDebug(expr string) string {
	if isDebug(expr) {
		t := strings.TrimRight(expr, " ")
		return t[:len(t)-1]
	}
	return expr
}
