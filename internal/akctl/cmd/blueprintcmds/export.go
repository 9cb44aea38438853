package blueprintcmds

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/export"
	"github.com/akgo/akgo/internal/blueprint/httptarget"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/pkg/client"
)

// metaModel is the blueprint-only model that applies other blueprints; it
// has no objects to export.
const metaModel = "authentik_blueprints.metaapplyblueprint"

// ExportOptions are the parsed command line of `akctl export` and
// `akctl export flow`.
type ExportOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	// Flow is the slug of the flow to export (akctl export flow); else
	// Models lists the models whose objects are exported.
	Flow   string
	Models []string
	// Secrets includes readable secrets; Full includes fields at their
	// default; Name is metadata.name.
	Secrets bool
	Full    bool
	Name    string
	// OutFile is where the blueprint goes ("" or "-": stdout).
	OutFile string
}

type exportFlags struct {
	secrets bool
	full    bool
	name    string
	out     string
}

func (ef *exportFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&ef.secrets, "include-secrets", false, "include readable secrets (client secrets, keys); left out by default and must then be supplied before applying")
	cmd.Flags().BoolVar(&ef.full, "full", false, "also write fields that hold their default value")
	cmd.Flags().StringVar(&ef.name, "name", "", "the blueprint's metadata.name (default \"authentik Export - <time>\")")
	cmd.Flags().StringVarP(&ef.out, "output", "o", "", "write the blueprint to `file` instead of stdout")
}

func (ef *exportFlags) into(o *ExportOptions) {
	o.Secrets, o.Full, o.Name, o.OutFile = ef.secrets, ef.full, ef.name, ef.out
}

const exportLong = `The blueprint is portable: objects in the export refer to each other with
!KeyOf, objects outside it with !Find by natural key (slug, name,
username, managed id...), never by primary key, so it applies to another
installation. Secrets are left out unless --include-secrets is given, and
fields still at their default unless --full is given. References that
could not be made portable are reported as warnings on stderr.`

// NewCmdExport builds `akctl export` (with --all or --model) and its
// flow subcommand.
func NewCmdExport(f *cmdutil.Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Client: f.Client}
	var ef exportFlags
	var all bool
	var models []string
	cmd := &cobra.Command{
		Use:   "export (--all | --model MODEL...) [flags]",
		Short: "Export live objects as a portable blueprint",
		Long: `Export the objects of the server as a blueprint: every model with --all,
or the models given with --model (blueprint names such as
authentik_core.group, or resource names such as groups). akctl export
flow exports one flow with its stages, bindings, prompts and policies.

` + exportLong,
		Example: `  akctl export flow default-authentication-flow -o login.yaml
  akctl export --model groups --model authentik_core.user -o people.yaml
  akctl export --all --include-secrets -o everything.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !all && len(models) == 0 {
				return cmdutil.Usagef("nothing to export: give --all, --model MODEL, or use akctl export flow SLUG")
			}
			ms, err := exportModels(f.Catalog(), models)
			if err != nil {
				return cmdutil.MarkUsage(err)
			}
			opts.Models = ms
			ef.into(opts)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return exportRun(cmd.Context(), opts)
		},
	}
	ef.add(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "export the objects of every model a blueprint can hold")
	cmd.Flags().StringSliceVar(&models, "model", nil, "export the objects of this `model` (repeatable or comma-separated; with --all, restricts it)")
	cmd.AddCommand(NewCmdExportFlow(f, runF))
	return cmd
}

// NewCmdExportFlow builds `akctl export flow`.
func NewCmdExportFlow(f *cmdutil.Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Client: f.Client}
	var ef exportFlags
	cmd := &cobra.Command{
		Use:   "flow <slug>",
		Short: "Export a flow with its stages, bindings, prompts and policies",
		Long: `Export one flow as a blueprint, as authentik's flow export: the flow, its
stage bindings and their stages, the prompts of its prompt stages, the
policies bound to the flow or to its bindings, and those policy bindings.

` + exportLong,
		Example:           `  akctl export flow default-authentication-flow -o login.yaml`,
		Args:              cmdutil.ExactArgs(1, "a flow slug"),
		ValidArgsFunction: cmdutil.ObjectArgs(f, "flows", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Flow = args[0]
			ef.into(opts)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return exportRun(cmd.Context(), opts)
		},
	}
	ef.add(cmd)
	return cmd
}

// exportModels resolves --model names (blueprint or resource names) to
// blueprint model names; none means every model a blueprint can hold.
func exportModels(cat *resource.Catalog, names []string) ([]string, error) {
	if len(names) == 0 {
		var out []string
		for _, m := range blueprint.AllowedModels() {
			if m != metaModel {
				out = append(out, m)
			}
		}
		return out, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		m := strings.ToLower(strings.TrimSpace(n))
		if !blueprint.Allowed(m) || m == metaModel {
			r, err := cat.Lookup(n)
			if err != nil {
				return nil, err
			}
			if r.Model == nil || !blueprint.Allowed(r.Model.Name) || r.Model.Name == metaModel {
				return nil, fmt.Errorf("--model %s: %s objects cannot be written to a blueprint", n, r.Name)
			}
			m = r.Model.Name
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out, nil
}

func exportRun(ctx context.Context, o *ExportOptions) error {
	c, err := o.Client()
	if err != nil {
		return err
	}
	spec, err := apispec.Load()
	if err != nil {
		return fmt.Errorf("export: API schema: %w", err)
	}
	x := export.New(httptarget.New(c), registry.Default(), spec, export.Options{Secrets: o.Secrets, Full: o.Full, Name: o.Name})
	var res *export.Result
	if o.Flow != "" {
		res, err = x.Flow(ctx, o.Flow)
		if errors.Is(err, blueprint.ErrNotFound) && infrastructure(err) == nil {
			return &resource.NotFoundError{Resource: "flows", Name: o.Flow}
		}
	} else {
		res, err = x.Models(ctx, o.Models)
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", w)
	}
	if o.OutFile == "" || o.OutFile == "-" {
		_, err := o.IO.Out.Write(res.YAML)
		return err
	}
	// An export with secrets is a credential file.
	mode := os.FileMode(0o644)
	if o.Secrets {
		mode = 0o600
	}
	if err := os.WriteFile(o.OutFile, res.YAML, mode); err != nil {
		return cmdutil.MarkUsage(fmt.Errorf("write %s: %w", o.OutFile, err))
	}
	fmt.Fprintf(o.IO.ErrOut, "exported %d entries to %s\n", res.Entries, o.OutFile)
	return nil
}
