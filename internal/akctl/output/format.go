package output

import (
	"fmt"
	"strings"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
)

// Format is an output format.
type Format string

const (
	Table Format = "table"
	Wide  Format = "wide"
	JSON  Format = "json"
	YAML  Format = "yaml"
	Name  Format = "name"
)

// Formats lists the formats in the order help shows them.
var Formats = []Format{Table, Wide, JSON, YAML, Name}

// Options are the output flags of a command.
type Options struct {
	Format Format
	JQ     string
	// allowed restricts Format for commands that print no table.
	allowed []Format

	query *gojq.Code
}

// AddFlags registers -o/--output and --jq; allowed lists the formats the
// command supports (the first is the default).
func AddFlags(cmd *cobra.Command, o *Options, allowed ...Format) {
	if len(allowed) == 0 {
		allowed = Formats
	}
	o.allowed = allowed
	names := make([]string, len(allowed))
	for i, f := range allowed {
		names[i] = string(f)
	}
	cmd.Flags().VarP(&formatValue{o}, "output", "o", "output format: "+strings.Join(names, "|"))
	cmd.Flags().StringVar(&o.JQ, "jq", "", "filter JSON output with a jq expression (implies -o json)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}

// Validate compiles --jq; a bad expression or a --jq with a format other
// than json is a usage error (returned as is: the caller marks it).
func (o *Options) Validate() error {
	if o.Format == "" && len(o.allowed) > 0 {
		o.Format = o.allowed[0]
	}
	if o.JQ == "" {
		return nil
	}
	if o.Format != "" && o.Format != JSON && o.Format != o.defaultFormat() {
		return fmt.Errorf("--jq cannot be combined with -o %s", o.Format)
	}
	o.Format = JSON
	q, err := gojq.Parse(o.JQ)
	if err != nil {
		return fmt.Errorf("--jq %q: %w", o.JQ, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return fmt.Errorf("--jq %q: %w", o.JQ, err)
	}
	o.query = code
	return nil
}

func (o *Options) defaultFormat() Format {
	if len(o.allowed) > 0 {
		return o.allowed[0]
	}
	return Table
}

// Structured reports whether the output is data (json, yaml, jq) rather
// than text for people.
func (o *Options) Structured() bool {
	return o.Format == JSON || o.Format == YAML || o.query != nil
}

type formatValue struct{ o *Options }

func (v *formatValue) String() string { return string(v.o.Format) }
func (v *formatValue) Type() string   { return "format" }
func (v *formatValue) Set(s string) error {
	for _, f := range v.o.allowed {
		if string(f) == s {
			v.o.Format = f
			return nil
		}
	}
	names := make([]string, len(v.o.allowed))
	for i, f := range v.o.allowed {
		names[i] = string(f)
	}
	return fmt.Errorf("unknown format %q (want %s)", s, strings.Join(names, ", "))
}
