// Package output owns how akctl prints objects: the one exporter every
// command uses for -o table|wide|json|yaml|name and --jq, the TTY-aware
// table, and progress bars.
//
// The rules, in one place:
//
//   - On a terminal, tables are aligned with a header (olekukonko/
//     tablewriter) and may be coloured; when stdout is piped, rows are
//     tab-separated, without a header, and without colour, so scripts get
//     the same bytes from every version (cli/cli's convention).
//   - -o json prints the API's JSON exactly (fields in the server's order,
//     numbers as sent), indented: an object for one object, an array of
//     the results for a list. Lists are streamed: each object is written
//     as it arrives, so --all-pages over any number of objects holds one
//     page in memory.
//   - -o yaml is the same data as YAML, in the same order; lists are a
//     streamed YAML sequence.
//   - --jq runs a gojq expression over what -o json would print (for a
//     list, the whole array, which it therefore has to hold); strings are
//     printed raw, other values as JSON.
//   - Colour only on a terminal, never with NO_COLOR (iostreams decides).
//   - Progress bars go to stderr, only when stderr is a terminal and the
//     output is not being streamed to that same terminal.
package output
