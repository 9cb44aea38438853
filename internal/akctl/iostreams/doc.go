// Package iostreams owns akctl's view of its standard streams: the
// readers and writers commands use, whether each is a terminal, the
// terminal's width, and whether colour may be used.
//
// Commands never look at os.Stdout or os.Getenv("NO_COLOR") themselves:
// asking the IOStreams keeps every TTY-dependent decision (tables or
// tab-separated rows, colour, progress bars, prompts) in one place, and
// lets tests pretend to be a terminal (Test, SetStdoutTTY).
package iostreams
