// Package apiresources implements `akctl api-resources`: every resource
// with its names, model, API path and verbs.
package apiresources

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
)

// Options are the parsed command line of `akctl api-resources`.
type Options struct {
	IO      *iostreams.IOStreams
	Catalog *resource.Catalog
	Output  output.Options
}

// NewCmdAPIResources builds `akctl api-resources`.
func NewCmdAPIResources(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "api-resources",
		Short: "List the resources akctl knows, with their names and verbs",
		Long: `List every resource: its name, singular and short names, the model it
serves (its blueprint name), its API path, and the verbs akctl offers for
it (get, describe, create, edit, delete). Custom operations are reached
with akctl api.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Catalog = f.Catalog()
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

// entry is one resource as -o json prints it.
type entry struct {
	Name       string   `json:"name"`
	Singular   string   `json:"singular"`
	ShortNames []string `json:"short_names"`
	Model      string   `json:"model"`
	Path       string   `json:"path"`
	Lookup     string   `json:"lookup"`
	NaturalKey []string `json:"natural_key"`
	Verbs      []string `json:"verbs"`
}

var columns = []output.Column{
	{Header: "NAME", Path: "name"}, {Header: "SINGULAR", Path: "singular", Wide: true},
	{Header: "SHORTNAMES", Path: "short_names"}, {Header: "MODEL", Path: "model"},
	{Header: "PATH", Path: "path", Wide: true}, {Header: "NATURAL KEY", Path: "natural_key", Wide: true},
	{Header: "VERBS", Path: "verbs"},
}

func run(o *Options) error {
	p := output.NewPrinter(o.IO, &o.Output)
	lw := p.List(output.View{Columns: columns, Name: func(m map[string]any) string { return output.Scalar(m["name"]) }})
	for _, r := range o.Catalog.Resources {
		e := entry{Name: r.Name, Singular: r.Singular, ShortNames: nonNil(r.ShortNames()), Model: r.Model.Name,
			Path: r.Endpoint.Path, Lookup: r.Endpoint.Lookup, NaturalKey: nonNil(r.Model.NaturalKey), Verbs: nonNil(r.VerbNames())}
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := lw.Add(raw); err != nil {
			return err
		}
	}
	return lw.Close()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
