package expression

import (
	"strings"
)

// The pre-pass works on Python source, which Starlark's scanner rejects
// (try, yield, f-strings, imports), so it has its own small tokenizer: just
// enough of Python's lexical grammar to split logical lines, find statement
// starts and rewrite tokens without ever touching the inside of a string.

type tokKind int

const (
	tName tokKind = iota
	tNumber
	tString
	tOp
)

type token struct {
	kind       tokKind
	text       string
	start, end int // byte offsets inside the logical line's text
	// Strings only: the lower-cased prefix letters ("", "f", "rf", "b"...),
	// the quote ("'", "\"", "'''", `"""`) and the raw body between quotes.
	prefix, quote, body string
}

func (t token) is(kind tokKind, text string) bool { return t.kind == kind && t.text == text }

// logicalLine is one Python logical line: physical lines joined by open
// brackets, backslash continuations or multi-line strings.
type logicalLine struct {
	text   string // raw text, without the final newline (may contain newlines)
	line   int    // 1-based number of its first physical line
	indent string // leading whitespace
	toks   []token
}

// lines returns the number of physical lines the logical line spans.
func (l *logicalLine) lines() int { return strings.Count(l.text, "\n") + 1 }

// splitLogical tokenizes src into logical lines, skipping blank and
// comment-only lines.
func splitLogical(src string) []*logicalLine {
	var out []*logicalLine
	i, line := 0, 1
	for i < len(src) {
		start, startLine := i, line
		depth := 0
		var toks []token
	scan:
		for i < len(src) {
			c := src[i]
			switch {
			case c == '\n':
				line++
				i++
				if depth == 0 {
					break scan
				}
			case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
				i += 2
				line++
			case c == '\\' && i+2 < len(src) && src[i+1] == '\r' && src[i+2] == '\n':
				i += 3
				line++
			case c == '#':
				for i < len(src) && src[i] != '\n' {
					i++
				}
			case c == ' ' || c == '\t' || c == '\r' || c == '\f':
				i++
			case isNameStart(c):
				j := i
				for j < len(src) && isNameChar(src[j]) {
					j++
				}
				if j < len(src) && (src[j] == '\'' || src[j] == '"') && isStringPrefix(src[i:j]) {
					tok, next, nl := scanString(src, i, j)
					tok.start, tok.end = i-start, next-start
					toks = append(toks, tok)
					line += nl
					i = next
					continue
				}
				toks = append(toks, token{kind: tName, text: src[i:j], start: i - start, end: j - start})
				i = j
			case c == '\'' || c == '"':
				tok, next, nl := scanString(src, i, i)
				tok.start, tok.end = i-start, next-start
				toks = append(toks, tok)
				line += nl
				i = next
			case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
				j := i + 1
				for j < len(src) {
					d := src[j]
					if isNameChar(d) || d == '.' {
						j++
						continue
					}
					if (d == '+' || d == '-') && (src[j-1] == 'e' || src[j-1] == 'E') && !strings.HasPrefix(strings.ToLower(src[i:j]), "0x") {
						j++
						continue
					}
					break
				}
				toks = append(toks, token{kind: tNumber, text: src[i:j], start: i - start, end: j - start})
				i = j
			default:
				n := opLen(src[i:])
				switch c {
				case '(', '[', '{':
					depth++
				case ')', ']', '}':
					if depth > 0 {
						depth--
					}
				}
				toks = append(toks, token{kind: tOp, text: src[i : i+n], start: i - start, end: i + n - start})
				i += n
			}
		}
		if len(toks) == 0 {
			continue
		}
		text := strings.TrimRight(src[start:i], "\r\n")
		ll := &logicalLine{text: text, line: startLine, toks: toks}
		ll.indent = text[:len(text)-len(strings.TrimLeft(text, " \t\f"))]
		out = append(out, ll)
	}
	return out
}

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isNameChar(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

// isStringPrefix reports whether p is a valid Python string prefix.
func isStringPrefix(p string) bool {
	switch strings.ToLower(p) {
	case "r", "u", "b", "f", "br", "rb", "fr", "rf":
		return true
	}
	return false
}

// scanString reads a string literal whose prefix starts at i and quote at
// q. It returns the token, the offset after it and the newlines it spans.
// An unterminated string runs to the end of src; Starlark reports it.
func scanString(src string, i, q int) (token, int, int) {
	prefix := strings.ToLower(src[i:q])
	quote := src[q : q+1]
	if strings.HasPrefix(src[q:], quote+quote+quote) {
		quote = quote + quote + quote
	}
	j := q + len(quote)
	bodyStart := j
	nl := 0
	for j < len(src) {
		c := src[j]
		if c == '\\' && j+1 < len(src) {
			if src[j+1] == '\n' {
				nl++
			}
			j += 2
			continue
		}
		if c == '\n' {
			if len(quote) == 1 {
				break
			}
			nl++
		}
		if strings.HasPrefix(src[j:], quote) {
			body := src[bodyStart:j]
			j += len(quote)
			return token{kind: tString, text: src[i:j], prefix: prefix, quote: quote, body: body}, j, nl
		}
		j++
	}
	return token{kind: tString, text: src[i:j], prefix: prefix, quote: quote, body: src[bodyStart:j]}, j, nl
}

var ops3 = []string{"**=", "//=", ">>=", "<<=", "..."}
var ops2 = []string{"==", "!=", "<=", ">=", "**", "//", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>", ":="}

func opLen(s string) int {
	for _, op := range ops3 {
		if strings.HasPrefix(s, op) {
			return 3
		}
	}
	for _, op := range ops2 {
		if strings.HasPrefix(s, op) {
			return 2
		}
	}
	return 1
}

// assignOps are the statement-level assignment operators.
var assignOps = map[string]bool{"=": true, "+=": true, "-=": true, "*=": true, "/=": true, "//=": true,
	"%=": true, "**=": true, "&=": true, "|=": true, "^=": true, "<<=": true, ">>=": true}

// compoundKeywords start statements whose header ends in a colon.
var compoundKeywords = map[string]bool{"if": true, "elif": true, "else": true, "for": true, "while": true,
	"def": true, "try": true, "except": true, "finally": true, "with": true, "class": true}

// stmt is one simple statement inside a logical line: toks[from:to].
type stmt struct{ from, to int }

// statements splits a logical line into its simple statements: the body
// after a compound header's colon and the parts between semicolons. A
// compound header itself is not returned.
func statements(toks []token) []stmt {
	var out []stmt
	from := 0
	if len(toks) > 0 && toks[0].kind == tName && compoundKeywords[toks[0].text] {
		c := headerColon(toks)
		if c < 0 {
			return nil
		}
		from = c + 1
	}
	depth := 0
	for i := from; i < len(toks); i++ {
		t := toks[i]
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
		case ";":
			if depth == 0 {
				if i > from {
					out = append(out, stmt{from, i})
				}
				from = i + 1
			}
		}
	}
	if from < len(toks) {
		out = append(out, stmt{from, len(toks)})
	}
	return out
}

// headerColon is the index of the colon ending a compound statement's
// header (the first one outside brackets and lambdas), or -1.
func headerColon(toks []token) int {
	depth, lambdas := 0, 0
	for i, t := range toks {
		switch {
		case t.is(tName, "lambda"):
			if depth == 0 {
				lambdas++
			}
		case t.kind == tOp && (t.text == "(" || t.text == "[" || t.text == "{"):
			depth++
		case t.kind == tOp && (t.text == ")" || t.text == "]" || t.text == "}"):
			depth--
		case t.is(tOp, ":") && depth == 0:
			if lambdas > 0 {
				lambdas--
				continue
			}
			return i
		}
	}
	return -1
}

// topLevelAssign returns the index of the last assignment operator outside
// brackets in toks[from:to], or -1.
func topLevelAssign(toks []token, from, to int) int {
	depth, at := 0, -1
	for i := from; i < to; i++ {
		t := toks[i]
		if t.kind != tOp {
			if t.is(tName, "lambda") && depth == 0 {
				return at
			}
			continue
		}
		switch {
		case t.text == "(" || t.text == "[" || t.text == "{":
			depth++
		case t.text == ")" || t.text == "]" || t.text == "}":
			depth--
		case depth == 0 && assignOps[t.text]:
			at = i
		}
	}
	return at
}
