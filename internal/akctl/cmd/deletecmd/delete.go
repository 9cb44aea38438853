// Package deletecmd implements `akctl delete`: delete objects after
// showing what the deletion cascades to.
package deletecmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmd/describe"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"
)

// DeleteOptions are the parsed command line of `akctl delete`.
type DeleteOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	// Confirm asks the user; nil error means yes.
	Confirm func(question string) error

	Resource *resource.Resource
	Names    []string
	Yes      bool
}

// progressThreshold is the number of objects from which a bulk delete
// shows a progress bar on a terminal.
const progressThreshold = 5

// NewCmdDelete builds `akctl delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Resources: f.Resources,
		Confirm: func(q string) error { return cmdutil.Confirm(f, q, "--yes") }}
	cmd := &cobra.Command{
		Use:   "delete <resource> <name-or-id>...",
		Short: "Delete objects, showing what the deletion cascades to",
		Long: `Delete objects by name or id.

Before deleting, akctl asks the server what uses each object (used_by)
and shows what will happen to it: deleted along with it (cascade) or its
reference cleared. It then asks for confirmation; --yes skips the
question (required when stdin is not a terminal).`,
		Example: `  akctl delete flow my-flow
  akctl delete users jane john --yes`,
		Args:              cmdutil.MinArgs(2, "a resource and at least one name or id"),
		ValidArgsFunction: cmdutil.ResourceArgs(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(args[0])
			if err != nil {
				return err
			}
			if !r.Can(registry.OpDestroy) {
				return &resource.UnsupportedError{Resource: r.Name, Verb: "deleted"}
			}
			opts.Resource, opts.Names = r, args[1:]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "delete without asking for confirmation")
	return cmd
}

func deleteRun(ctx context.Context, o *DeleteOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	r := o.Resource
	cs := o.IO.ErrColorScheme()
	objs := make([]*resource.Object, 0, len(o.Names))
	seen := map[string]bool{}
	for _, n := range o.Names {
		obj, err := rc.Resolve(ctx, r, n)
		if err != nil {
			return err
		}
		if seen[obj.Lookup] {
			continue
		}
		seen[obj.Lookup] = true
		objs = append(objs, obj)
	}
	// What the deletion does, so the question is an informed one.
	cascades := 0
	for _, obj := range objs {
		usedBy, err := rc.UsedBy(ctx, r, obj.Lookup)
		if err != nil {
			return fmt.Errorf("delete %s %q: used by: %w", r.Name, r.Display(obj.Map), err)
		}
		if len(usedBy) == 0 {
			continue
		}
		fmt.Fprintf(o.IO.ErrOut, "%s %q is used by:\n", r.Singular, r.Display(obj.Map))
		for _, u := range usedBy {
			line := fmt.Sprintf("  %s.%s %q: %s", u.App, u.ModelName, u.Name, describe.Consequence(u.Action))
			if IsCascade(u.Action) {
				cascades++
				line = cs.Yellow(line)
			}
			fmt.Fprintln(o.IO.ErrOut, line)
		}
	}
	if !o.Yes {
		q := fmt.Sprintf("Delete %s %q?", r.Singular, r.Display(objs[0].Map))
		if len(objs) > 1 {
			q = fmt.Sprintf("Delete %d %s?", len(objs), r.Name)
		}
		if cascades > 0 {
			q = fmt.Sprintf("%s (%d other object(s) will be deleted with it)", q[:len(q)-1], cascades) + "?"
		}
		if err := o.Confirm(q); err != nil {
			return err
		}
	}
	// A bulk delete shows a bar on a terminal's stderr; the per-object
	// lines would tear it when stdout is the same terminal, so they are
	// summed up at the end instead.
	showBar := len(objs) >= progressThreshold && o.IO.IsStderrTTY()
	perObject := !showBar || !o.IO.IsStdoutTTY()
	bar := output.NewProgress(o.IO, showBar, len(objs), "Deleting "+r.Name)
	okc := o.IO.ColorScheme()
	for i, obj := range objs {
		if err := rc.Delete(ctx, r, obj.Lookup); err != nil {
			bar.Finish()
			if i > 0 && !perObject {
				fmt.Fprintf(o.IO.Out, "%d %s %s\n", i, r.Name, okc.Red("deleted"))
			}
			return fmt.Errorf("delete %s %q: %w", r.Name, r.Display(obj.Map), err)
		}
		bar.Add(1)
		if perObject {
			fmt.Fprintf(o.IO.Out, "%s %s\n", r.QualifiedName(obj.Map), okc.Red("deleted"))
		}
	}
	bar.Finish()
	if !perObject {
		fmt.Fprintf(o.IO.Out, "%d %s %s\n", len(objs), r.Name, okc.Red("deleted"))
	}
	return nil
}

// IsCascade reports whether a used_by action deletes the referring
// object (authentik sends CASCADE and CASCADE_MANY).
func IsCascade(action string) bool {
	a := strings.ToLower(action)
	return a == "cascade" || a == "cascade_many"
}
