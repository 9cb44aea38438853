package iostreams

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes, with what is
// known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	// noColor is set by NO_COLOR (any value, https://no-color.org) or
	// TERM=dumb; colour is never used then, even on a terminal.
	noColor bool
	// width is the terminal width of stdout, 0 when unknown.
	width int
}

// System returns the process's streams, probing which are terminals.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	s.stdinTTY = isTerminal(os.Stdin)
	s.stdoutTTY = isTerminal(os.Stdout)
	s.stderrTTY = isTerminal(os.Stderr)
	s.noColor = NoColorEnv(os.LookupEnv)
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.width = w
		}
	}
	return s
}

// NoColorEnv reports whether the environment forbids colour: NO_COLOR
// set to anything, even empty (https://no-color.org), or TERM=dumb.
func NoColorEnv(lookupEnv func(string) (string, bool)) bool {
	_, set := lookupEnv("NO_COLOR")
	term, _ := lookupEnv("TERM")
	return set || term == "dumb"
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Test returns streams over buffers, none of them a terminal, with colour
// off; the Set*TTY methods change that.
func Test() (s *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, noColor: true}, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal (prompts are possible).
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal: human output
// (aligned tables, colour) rather than stable machine output.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal (progress bars).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY, SetStdoutTTY and SetStderrTTY override the probes (tests).
func (s *IOStreams) SetStdinTTY(v bool)  { s.stdinTTY = v }
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetColor allows (or forbids) colour on the terminals (tests; the
// NO_COLOR decision of System).
func (s *IOStreams) SetColor(allowed bool) { s.noColor = !allowed }

// SetTerminalWidth sets the width used for tables (tests).
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w }

// TerminalWidth is stdout's width, or 0 when unknown or not a terminal.
func (s *IOStreams) TerminalWidth() int {
	if !s.stdoutTTY {
		return 0
	}
	return s.width
}

// ColorEnabled reports whether stdout may be coloured.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.noColor }

// ErrColorEnabled reports whether stderr may be coloured.
func (s *IOStreams) ErrColorEnabled() bool { return s.stderrTTY && !s.noColor }

// ColorScheme colours text for stdout; Err for stderr.
func (s *IOStreams) ColorScheme() *ColorScheme { return &ColorScheme{enabled: s.ColorEnabled()} }

// ErrColorScheme colours text for stderr.
func (s *IOStreams) ErrColorScheme() *ColorScheme { return &ColorScheme{enabled: s.ErrColorEnabled()} }

// ColorScheme applies ANSI colours when enabled and is the identity
// otherwise.
type ColorScheme struct{ enabled bool }

func (c *ColorScheme) wrap(code, s string) string {
	if !c.enabled || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (c *ColorScheme) Bold(s string) string   { return c.wrap("1", s) }
func (c *ColorScheme) Red(s string) string    { return c.wrap("31", s) }
func (c *ColorScheme) Green(s string) string  { return c.wrap("32", s) }
func (c *ColorScheme) Yellow(s string) string { return c.wrap("33", s) }
func (c *ColorScheme) Gray(s string) string   { return c.wrap("90", s) }
func (c *ColorScheme) Cyan(s string) string   { return c.wrap("36", s) }
