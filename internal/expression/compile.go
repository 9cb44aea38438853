package expression

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// fileOptions enables the Starlark dialect features closest to Python.
var fileOptions = &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}

// program is a compiled expression: the handler function, defined once and
// shared (frozen) by every evaluation.
type program struct {
	handler *starlark.Function
	// lines maps a line of the wrapped source to the expression's line.
	lines []int
}

// srcLine maps a position in the wrapped source back to the expression.
func (p *program) srcLine(line int32) int {
	switch {
	case line <= 0 || len(p.lines) < 2:
		return 0
	case int(line) >= len(p.lines):
		// Errors at the end of input (an unclosed bracket) point past the
		// last line.
		return p.lines[len(p.lines)-1]
	}
	return p.lines[line]
}

// Compile checks an expression's syntax as authentik does when an
// expression is saved. The error is a *SyntaxError whose message is meant
// for a 400 field error.
func Compile(src string) error {
	_, err := compileProgram(src, nil)
	return err
}

// isPredeclared makes every name that is not a Starlark builtin a
// predeclared one, so a name the expression never defines compiles (as in
// Python) and fails only when it is read ("name 'x' is not defined").
// "str" and "repr" are replaced by Python-compatible versions.
func isPredeclared(name string) bool {
	return !starlark.Universe.Has(name) || name == "str" || name == "repr"
}

// compileProgram pre-processes src, wraps it in "def handler(params):" as
// authentik does, and compiles it.
func compileProgram(src string, params []string) (*program, error) {
	body, err := prepass(src)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	lines := []int{0, 1}
	b.WriteString("def handler(" + strings.Join(params, ", ") + "):\n")
	for _, l := range body {
		if strings.TrimSpace(l.text) != "" {
			b.WriteString("    ")
		}
		b.WriteString(l.text)
		b.WriteByte('\n')
		lines = append(lines, l.src)
	}
	p := &program{lines: lines}
	_, prog, err := starlark.SourceProgramOptions(fileOptions, "expression", b.String(), isPredeclared)
	if err != nil {
		return nil, p.syntaxError(err)
	}
	thread := &starlark.Thread{Name: "compile"}
	globals, err := prog.Init(thread, predeclared)
	if err != nil {
		return nil, fmt.Errorf("define expression handler: %w", err)
	}
	globals.Freeze()
	fn, ok := globals["handler"].(*starlark.Function)
	if !ok {
		return nil, errors.New("expression handler was not defined")
	}
	p.handler = fn
	return p, nil
}

// syntaxError translates Starlark's scanner, parser and resolver errors.
func (p *program) syntaxError(err error) error {
	var se syntax.Error
	if errors.As(err, &se) {
		return &SyntaxError{Msg: cleanSyntaxMessage(se.Msg), Line: p.srcLine(se.Pos.Line)}
	}
	var list resolve.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return &SyntaxError{Msg: cleanSyntaxMessage(list[0].Msg), Line: p.srcLine(list[0].Pos.Line)}
	}
	return &SyntaxError{Msg: err.Error()}
}

var gotWant = regexp.MustCompile(`^got (.+), want (.+)$`)

func cleanSyntaxMessage(msg string) string {
	if m := gotWant.FindStringSubmatch(msg); m != nil {
		return "invalid syntax: unexpected " + m[1]
	}
	return msg
}

// programCache keeps compiled programs by parameter list and source, so a
// policy evaluated on every login compiles once. It is bounded: past
// maxPrograms entries, the oldest is evicted.
type programCache struct {
	mu    sync.Mutex
	items map[string]*cacheItem
	order []string
}

type cacheItem struct {
	prog *program
	err  error
}

const maxPrograms = 1024

func (c *programCache) get(src string, params []string) (*program, error) {
	key := strings.Join(params, ",") + "\x00" + src
	c.mu.Lock()
	if it, ok := c.items[key]; ok {
		c.mu.Unlock()
		return it.prog, it.err
	}
	c.mu.Unlock()
	prog, err := compileProgram(src, params)
	var se *SyntaxError
	if err != nil && !errors.As(err, &se) {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]*cacheItem{}
	}
	if _, ok := c.items[key]; !ok {
		c.items[key] = &cacheItem{prog, err}
		c.order = append(c.order, key)
		if len(c.order) > maxPrograms {
			delete(c.items, c.order[0])
			c.order = c.order[1:]
		}
	}
	return prog, err
}

// handlerParams sanitises variable names as authentik's sanitize_arg does
// (slugify, then ":", "." and "-" become "_") and drops names that cannot
// be parameters. It returns the sorted names and the renamed variables.
func handlerParams(vars map[string]any) ([]string, map[string]any) {
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		name := sanitizeArg(k)
		if name == "" {
			continue
		}
		out[name] = v
	}
	names := make([]string, 0, len(out))
	for k := range out {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, out
}

var argReplacer = strings.NewReplacer(":", "_", ".", "_", "-", "_")

// sanitizeArg returns the parameter name of a variable, "" when it cannot
// be one. Names that are already lower-case identifiers (all of authentik's
// own) skip slugify, which evaluations would otherwise pay for every time.
func sanitizeArg(k string) string {
	simple := k != ""
	for i := 0; i < len(k) && simple; i++ {
		c := k[i]
		simple = c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9'
	}
	name := k
	if !simple {
		name = argReplacer.Replace(Slugify(k))
	}
	if !validParam(name) {
		return ""
	}
	return name
}

// reserved lists Python and Starlark keywords, which cannot name a
// parameter.
var reserved = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`and as assert async await break class continue def del elif else except
		finally for from global if import in is lambda load nonlocal not or pass raise return try while with yield
		True False None`) {
		reserved[k] = true
	}
}

func validParam(name string) bool {
	if name == "" || reserved[name] {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
