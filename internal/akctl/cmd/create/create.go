// Package create implements `akctl create`: new objects from a file or
// --set assignments.
package create

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"
)

// CreateOptions are the parsed command line of `akctl create`.
type CreateOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Catalog   *resource.Catalog

	Resource *resource.Resource
	// Bodies are the objects to create, checked against the model.
	Bodies []map[string]any
	// Dropped lists read-only fields left out of the bodies.
	Dropped []string
	Output  output.Options
	// printObjects: -o was given, so the created objects are printed
	// rather than a line per object.
	printObjects bool
}

// NewCmdCreate builds `akctl create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Resources: f.Resources}
	var file string
	var sets []string
	cmd := &cobra.Command{
		Use:   "create <resource> (-f FILE | --set FIELD=VALUE...)",
		Short: "Create objects from a YAML/JSON file or --set assignments",
		Long: `Create objects of a resource.

-f reads a YAML or JSON object, or a list of objects, from a file ("-" is
stdin); --set FIELD=VALUE sets a field (applied to every object of the
file, or alone makes one object). Values are converted to the field's
type: numbers, true/false, null, JSON for objects, comma-separated values
for lists. "attributes.key=value" sets a key inside a JSON field.
References may name their target (a flow's slug, a group's name) instead
of its primary key.

Read-only fields (pk, computed fields) in the input are ignored, so the
output of akctl get -o yaml can be fed back in.`,
		Example: `  akctl create flows --set slug=my-flow --set name="My flow" --set title="My flow" --set designation=authentication
  akctl create stage/password -f stage.yaml
  akctl get flow my-flow -o json | akctl create flows -f - --set slug=my-flow-copy
  akctl create flowbindings --set target=my-flow --set stage=my-password-stage --set order=20`,
		Args:              cmdutil.ExactArgs(1, "a resource"),
		ValidArgsFunction: cmdutil.ResourceArgs(f, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(args[0])
			if err != nil {
				return err
			}
			if !r.Can(registry.OpCreate) {
				return &resource.UnsupportedError{Resource: r.Name, Verb: "created"}
			}
			opts.Resource, opts.Catalog = r, f.Catalog()
			opts.printObjects = cmd.Flags().Changed("output") || opts.Output.JQ != ""
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if file == "" && len(sets) == 0 {
				return cmdutil.Usagef("nothing to create: give -f FILE and/or --set FIELD=VALUE")
			}
			var bodies []map[string]any
			if file != "" {
				data, err := cmdutil.ReadInput(f, file)
				if err != nil {
					return err
				}
				if bodies, err = ParseObjects(file, data); err != nil {
					return cmdutil.MarkUsage(err)
				}
			} else {
				bodies = []map[string]any{{}}
			}
			for _, body := range bodies {
				for _, s := range sets {
					if err := r.SetField(body, s); err != nil {
						return cmdutil.MarkUsage(err)
					}
				}
				dropped, err := CheckFields(r, body)
				if err != nil {
					return cmdutil.MarkUsage(err)
				}
				opts.Dropped = mergeSorted(opts.Dropped, dropped)
			}
			opts.Bodies = bodies
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "read the object(s) from a YAML or JSON `file` (- for stdin)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "set a `field=value` (repeatable)")
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML, output.Name)
	return cmd
}

// ParseObjects reads one object or a list of objects from YAML or JSON.
func ParseObjects(name string, data []byte) ([]map[string]any, error) {
	v, err := output.FromYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch t := v.(type) {
	case map[string]any:
		return []map[string]any{t}, nil
	case []any:
		out := make([]map[string]any, 0, len(t))
		for i, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: item %d is not an object", name, i+1)
			}
			out = append(out, m)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: the list is empty", name)
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("%s is empty", name)
	}
	return nil, fmt.Errorf("%s: want an object or a list of objects", name)
}

// CheckFields rejects fields the model does not have and removes the
// read-only ones (returned, sorted), which an exported object carries.
func CheckFields(r *resource.Resource, body map[string]any) ([]string, error) {
	var dropped []string
	for k := range body {
		f, ok := r.Model.Field(k)
		if !ok || f.Hidden {
			return nil, fmt.Errorf("%s has no field %q; writable fields: %s", r.Name, k, strings.Join(r.WritableFields(), ", "))
		}
		if f.ReadOnly {
			dropped = append(dropped, k)
			delete(body, k)
		}
	}
	slices.Sort(dropped)
	return dropped, nil
}

func mergeSorted(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	slices.Sort(a)
	return a
}

func createRun(ctx context.Context, o *CreateOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	r := o.Resource
	if len(o.Dropped) > 0 && o.IO.IsStderrTTY() {
		fmt.Fprintf(o.IO.ErrOut, "ignoring read-only fields: %s\n", strings.Join(o.Dropped, ", "))
	}
	p := output.NewPrinter(o.IO, &o.Output)
	var lw *output.ListWriter
	if o.printObjects && len(o.Bodies) > 1 {
		lw = p.List(r.View())
	}
	cs := o.IO.ColorScheme()
	for i, body := range o.Bodies {
		if err := rc.ResolveRefs(ctx, o.Catalog, r, body); err != nil {
			return fmt.Errorf("create %s: %w", r.Name, err)
		}
		raw, err := rc.Create(ctx, r, body)
		if err != nil {
			what := "create " + r.Name
			if len(o.Bodies) > 1 {
				what = fmt.Sprintf("create %s (object %d of %d)", r.Name, i+1, len(o.Bodies))
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		switch {
		case lw != nil:
			err = lw.Add(raw)
		case o.printObjects:
			err = p.Object(raw, r.View())
		default:
			var m map[string]any
			if err = json.Unmarshal(raw, &m); err == nil {
				_, err = fmt.Fprintf(o.IO.Out, "%s %s\n", r.QualifiedName(m), cs.Green("created"))
			}
		}
		if err != nil {
			return err
		}
	}
	if lw != nil {
		return lw.Close()
	}
	return nil
}
