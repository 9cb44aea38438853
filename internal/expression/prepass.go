package expression

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// outLine is one line of rewritten source and the expression line it came
// from, so errors point at what the administrator wrote.
type outLine struct {
	text string
	src  int
}

// SyntaxError is an expression that cannot be compiled. Its message is the
// one authentik's serializers put in the 400 field error.
type SyntaxError struct {
	Msg  string
	Line int // 1-based line of the expression, 0 when unknown
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("Expression Syntax Error: %s (line %d)", e.Msg, e.Line)
	}
	return "Expression Syntax Error: " + e.Msg
}

func syntaxErr(line int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Line: line}
}

// prepass rewrites the Python constructs Starlark lacks into Starlark:
// try/except (pass one, because it restructures lines), then imports,
// yield, raise, assert, statement-level list.reverse()/sort(), "is",
// f-strings and implicit string concatenation (pass two, token edits).
func prepass(src string) ([]outLine, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	first, err := rewriteTry(splitLogical(src))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	var lineOf []int
	for _, l := range first {
		for i, phys := range strings.Split(l.text, "\n") {
			b.WriteString(phys)
			b.WriteByte('\n')
			lineOf = append(lineOf, l.src+i)
		}
	}
	src1 := func(line int) int {
		if line-1 < len(lineOf) && line >= 1 {
			return lineOf[line-1]
		}
		return line
	}
	lines := splitLogical(b.String())
	generator := false
	for _, l := range lines {
		for _, s := range statements(l.toks) {
			if l.toks[s.from].is(tName, "yield") {
				generator = true
			}
		}
	}
	var out []outLine
	if generator && len(lines) > 0 {
		out = append(out, outLine{text: lines[0].indent + "__yield = []", src: src1(lines[0].line)})
	}
	for _, l := range lines {
		text, err := rewriteLine(l, generator)
		if err != nil {
			if se, ok := err.(*SyntaxError); ok && se.Line == 0 {
				se.Line = src1(l.line)
			}
			return nil, err
		}
		for i, phys := range strings.Split(text, "\n") {
			out = append(out, outLine{text: phys, src: src1(l.line + i)})
		}
	}
	if generator && len(lines) > 0 {
		last := lines[len(lines)-1]
		out = append(out, outLine{text: lines[0].indent + "return __yield", src: src1(last.line + last.lines() - 1)})
	}
	return out, nil
}

// indentWidth measures indentation the way Python does for consistent
// input: a tab advances to the next multiple of eight.
func indentWidth(s string) int {
	w := 0
	for _, c := range s {
		if c == '\t' {
			w += 8 - w%8
		} else {
			w++
		}
	}
	return w
}

// rewriteTry turns each single-statement try/except into a call of the
// _ak_try builtin, which runs the statement's expression and reports
// whether it raised:
//
//	try:                      __akt1 = _ak_try(lambda: (user.username))
//	    return user.username  if __akt1[0]: return __akt1[1]
//	except:                   else:
//	    return ""                 return ""
func rewriteTry(lines []*logicalLine) ([]outLine, error) {
	var out []outLine
	n := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !l.toks[0].is(tName, "try") {
			out = append(out, outLine{text: l.text, src: l.line})
			continue
		}
		colon := headerColon(l.toks)
		if colon != 1 {
			return nil, syntaxErr(l.line, "invalid syntax")
		}
		width := indentWidth(l.indent)
		var body *logicalLine
		var bodyFrom int
		next := i + 1
		if colon+1 < len(l.toks) {
			body, bodyFrom = l, colon+1
		} else {
			for next < len(lines) && indentWidth(lines[next].indent) > width {
				next++
			}
			if next-i-1 != 1 {
				return nil, syntaxErr(l.line, "only a single statement is supported in a try block")
			}
			body = lines[i+1]
		}
		if next >= len(lines) || !lines[next].toks[0].is(tName, "except") || indentWidth(lines[next].indent) != width {
			return nil, syntaxErr(l.line, "try without an except clause is not supported")
		}
		ex := lines[next]
		exColon := headerColon(ex.toks)
		if exColon < 0 {
			return nil, syntaxErr(ex.line, "invalid syntax")
		}
		asName := ""
		for k := 1; k < exColon; k++ {
			if ex.toks[k].is(tName, "as") && k+1 < exColon {
				asName = ex.toks[k+1].text
			}
		}
		end := next + 1
		if exColon+1 == len(ex.toks) {
			for end < len(lines) && indentWidth(lines[end].indent) > width {
				end++
			}
		}
		if end < len(lines) && indentWidth(lines[end].indent) == width {
			switch first := lines[end].toks[0]; {
			case first.is(tName, "except"):
				return nil, syntaxErr(lines[end].line, "only one except clause is supported")
			case first.is(tName, "else"), first.is(tName, "finally"):
				return nil, syntaxErr(lines[end].line, "try/%s is not supported", first.text)
			}
		}
		n++
		v := fmt.Sprintf("__akt%d", n)
		expr, then, err := splitTryBody(body, bodyFrom, v)
		if err != nil {
			return nil, err
		}
		head := l.indent + v + " = _ak_try(lambda: (" + expr + "))"
		if asName != "" {
			head += "; " + asName + " = " + v + "[1]"
		}
		out = append(out,
			outLine{text: head, src: l.line},
			outLine{text: l.indent + "if " + v + "[0]: " + then, src: body.line},
		)
		handler := "else:"
		if exColon+1 < len(ex.toks) {
			handler += " " + ex.text[ex.toks[exColon+1].start:ex.toks[len(ex.toks)-1].end]
		}
		out = append(out, outLine{text: l.indent + handler, src: ex.line})
		i = next
	}
	return out, nil
}

// splitTryBody separates the statement guarded by a try into the
// expression that may raise and the statement that uses its value (v[1]).
func splitTryBody(l *logicalLine, from int, v string) (expr, then string, err error) {
	toks := l.toks[from:]
	if len(statements(toks)) != 1 || toks[0].kind == tName && compoundKeywords[toks[0].text] {
		return "", "", syntaxErr(l.line, "only a single simple statement is supported in a try block")
	}
	text := func(a, b int) string { return l.text[toks[a].start:toks[b-1].end] }
	last := len(toks)
	if toks[last-1].is(tOp, ";") {
		last--
	}
	first := toks[0]
	switch {
	case first.is(tName, "return"):
		if last == 1 {
			return "None", "return", nil
		}
		return text(1, last), "return " + v + "[1]", nil
	case first.is(tName, "pass"), first.is(tName, "break"), first.is(tName, "continue"):
		return "None", first.text, nil
	case first.is(tName, "raise"):
		if last == 1 {
			return "_ak_raise()", "pass", nil
		}
		return "_ak_raise(" + text(1, last) + ")", "pass", nil
	case first.is(tName, "yield"):
		if last == 1 {
			return "None", "yield " + v + "[1]", nil
		}
		return text(1, last), "yield " + v + "[1]", nil
	case first.is(tName, "import"), first.is(tName, "from"):
		return "", "", syntaxErr(l.line, "imports inside try blocks are not supported")
	}
	if a := topLevelAssign(toks, 0, last); a >= 0 {
		if a+1 >= last {
			return "", "", syntaxErr(l.line, "invalid syntax")
		}
		return text(a+1, last), text(0, a+1) + " " + v + "[1]", nil
	}
	return text(0, last), "pass", nil
}

// edit replaces text[start:end] with repl (an insertion when start==end).
type edit struct {
	start, end int
	repl       string
}

func applyEdits(text string, edits []edit) string {
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start < edits[j].start
		}
		return edits[i].end-edits[i].start < edits[j].end-edits[j].start
	})
	var b strings.Builder
	pos := 0
	for _, e := range edits {
		if e.start < pos {
			continue // overlapping edits never happen by construction; keep the first
		}
		b.WriteString(text[pos:e.start])
		b.WriteString(e.repl)
		pos = e.end
	}
	b.WriteString(text[pos:])
	return b.String()
}

// unsupported statements get a clear message instead of Starlark's
// "got X, want primary expression".
var unsupported = map[string]string{
	"class": "class definitions are not supported", "with": "with statements are not supported",
	"global": "global statements are not supported", "nonlocal": "nonlocal statements are not supported",
	"del": "del statements are not supported", "async": "async code is not supported",
	"await": "async code is not supported", "finally": "try/finally is not supported",
	"except": "except without a matching single-statement try is not supported",
	"try":    "try statements are only supported as try/except around one statement",
}

// rewriteLine applies the statement and token rewrites to one logical line.
func rewriteLine(l *logicalLine, generator bool) (string, error) {
	toks := l.toks
	if toks[0].is(tName, "import") || toks[0].is(tName, "from") {
		return rewriteImport(l)
	}
	if msg, ok := unsupported[toks[0].text]; ok && toks[0].kind == tName {
		return "", &SyntaxError{Msg: msg}
	}
	var edits []edit
	stmtStart := map[int]bool{}
	for _, s := range statements(toks) {
		stmtStart[s.from] = true
		first, lastTok := toks[s.from], toks[s.to-1]
		switch {
		case first.is(tName, "yield"):
			switch {
			case s.to == s.from+1:
				edits = append(edits, edit{first.start, first.end, "__yield.append(None)"})
			case toks[s.from+1].is(tName, "from"):
				edits = append(edits, edit{first.start, toks[s.from+1].end, "__yield.extend("}, edit{lastTok.end, lastTok.end, ")"})
			default:
				edits = append(edits, edit{first.start, first.end, "__yield.append("}, edit{lastTok.end, lastTok.end, ")"})
			}
		case first.is(tName, "return") && generator:
			edits = append(edits, edit{first.start, lastTok.end, "return __yield"})
			continue
		case first.is(tName, "raise"):
			if s.to == s.from+1 {
				edits = append(edits, edit{first.start, first.end, "_ak_raise()"})
				continue
			}
			end := lastTok.end
			for k, depth := s.from+1, 0; k < s.to; k++ {
				t := toks[k]
				if t.kind == tOp && strings.ContainsAny(t.text, "([{") {
					depth++
				} else if t.kind == tOp && strings.ContainsAny(t.text, ")]}") {
					depth--
				} else if depth == 0 && t.is(tName, "from") {
					edits = append(edits, edit{toks[k-1].end, lastTok.end, ""})
					end = toks[k-1].end
					break
				}
			}
			edits = append(edits, edit{first.start, first.end, "_ak_raise("}, edit{end, end, ")"})
		case first.is(tName, "assert"):
			edits = append(edits, edit{first.start, first.end, "_ak_assert("}, edit{lastTok.end, lastTok.end, ")"})
		default:
			edits = append(edits, methodRewrite(toks, s)...)
		}
	}
	tokEdits, err := tokenEdits(toks, stmtStart)
	if err != nil {
		return "", err
	}
	return applyEdits(l.text, append(edits, tokEdits...)), nil
}

// methodRewrite turns a statement "<expr>.reverse()" or "<expr>.sort(...)"
// into a call of an in-place builtin, since Starlark lists have neither
// method.
func methodRewrite(toks []token, s stmt) []edit {
	last := s.to - 1
	if last-s.from < 4 || !toks[last].is(tOp, ")") {
		return nil
	}
	depth, open := 0, -1
	for k := last; k > s.from; k-- {
		if toks[k].is(tOp, ")") {
			depth++
		} else if toks[k].is(tOp, "(") {
			depth--
			if depth == 0 {
				open = k
				break
			}
		}
	}
	if open < s.from+3 || !toks[open-2].is(tOp, ".") || toks[open-1].kind != tName {
		return nil
	}
	switch toks[open-1].text {
	case "reverse":
		if open+1 != last {
			return nil
		}
		return []edit{{toks[s.from].start, toks[s.from].start, "_ak_reverse("}, {toks[open-2].start, toks[open].end, ""}}
	case "sort":
		sep := ""
		if open+1 != last {
			sep = ", "
		}
		return []edit{{toks[s.from].start, toks[s.from].start, "_ak_sort("}, {toks[open-2].start, toks[open].end, sep}}
	}
	return nil
}

// tokenEdits rewrites "is"/"is not", f-strings, u-prefixed strings and
// runs of adjacent string literals anywhere in a line.
func tokenEdits(toks []token, stmtStart map[int]bool) ([]edit, error) {
	var edits []edit
	for k := 0; k < len(toks); k++ {
		t := toks[k]
		switch {
		case t.is(tName, "is"):
			if k+1 < len(toks) && toks[k+1].is(tName, "not") {
				edits = append(edits, edit{t.start, toks[k+1].end, "!="})
				k++
			} else {
				edits = append(edits, edit{t.start, t.end, "=="})
			}
		case t.is(tName, "yield") && !stmtStart[k]:
			return nil, &SyntaxError{Msg: "yield is only supported as a statement"}
		case t.kind == tString:
			run := k
			for run+1 < len(toks) && toks[run+1].kind == tString {
				run++
			}
			if run == k && !strings.ContainsAny(t.prefix, "fu") {
				continue
			}
			parts := make([]string, 0, run-k+1)
			for j := k; j <= run; j++ {
				s, err := convertString(toks[j])
				if err != nil {
					return nil, err
				}
				parts = append(parts, s)
			}
			repl := parts[0]
			if len(parts) > 1 {
				repl = "(" + strings.Join(parts, " + ") + ")"
			}
			edits = append(edits, edit{t.start, toks[run].end, repl})
			k = run
		}
	}
	return edits, nil
}

// convertString returns a Starlark expression for one string literal.
func convertString(t token) (string, error) {
	prefix := strings.ReplaceAll(t.prefix, "u", "")
	if !strings.Contains(prefix, "f") {
		return prefix + t.quote + t.body + t.quote, nil
	}
	return convertFString(strings.ReplaceAll(prefix, "f", ""), t.quote, t.body)
}

// rewriteExpr applies the token rewrites to an expression embedded in an
// f-string.
func rewriteExpr(expr string) (string, error) {
	lines := splitLogical("(" + expr + ")")
	if len(lines) != 1 {
		return "", &SyntaxError{Msg: "invalid expression in f-string: " + strconv.Quote(expr)}
	}
	edits, err := tokenEdits(lines[0].toks, nil)
	if err != nil {
		return "", err
	}
	return applyEdits(lines[0].text, edits), nil
}
