package blueprintcmds

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/internal/blueprint/httptarget"
	"github.com/akgo/akgo/pkg/client"
)

// PlanOptions are the parsed command line of `akctl plan` and `akctl diff`.
type PlanOptions struct {
	IO        *iostreams.IOStreams
	Client    func() (*client.Client, error)
	LookupEnv func(string) (string, bool)

	Source SourceOptions
	Prune  bool
	// Diff renders a unified diff (akctl diff) instead of the plan.
	Diff bool
	// JSON prints the plan's machine-readable form (-o json).
	JSON          bool
	ShowUnchanged bool
	ShowSensitive bool
}

const exitCodesHelp = `Exit status, as kubectl diff (unlike akctl's other commands): 0 when
applying would change nothing, 1 when it would change something, 2 on any
error (an invalid blueprint, a server that cannot be reached...).`

// NewCmdPlan builds `akctl plan`.
func NewCmdPlan(f *cmdutil.Factory, runF func(context.Context, *PlanOptions) error) *cobra.Command {
	return newPlanCmd(f, runF, false)
}

// NewCmdDiff builds `akctl diff`.
func NewCmdDiff(f *cmdutil.Factory, runF func(context.Context, *PlanOptions) error) *cobra.Command {
	return newPlanCmd(f, runF, true)
}

func newPlanCmd(f *cmdutil.Factory, runF func(context.Context, *PlanOptions) error, diff bool) *cobra.Command {
	opts := &PlanOptions{IO: f.IOStreams, Client: f.Client, LookupEnv: f.LookupEnv, Diff: diff}
	var sf sourceFlags
	var format string
	cmd := &cobra.Command{
		Use:   "plan -f FILE... [flags]",
		Short: "Show what applying blueprints would change",
		Long: `Compare blueprints with the server and show what applying them would
change, terraform-style: "+" objects to create with every value sent, "~"
objects to update with each changed field (old → new), "-" objects to
delete (state: absent, and with --prune the objects the blueprint owned
and no longer declares), then "Plan: N to create, N to update, N to
delete." Nothing is written.

The plan reads each model once from the server. Values that depend on an
object the plan creates show as (known after apply); secrets (passwords,
keys, values from !Env or !File) as (sensitive). Ownership comes from the
BlueprintInstance named by each file's metadata.name.

` + exitCodesHelp,
		Example: `  akctl plan -f my-flow.yaml
  akctl plan -f blueprints/ --context domain=example.com --prune
  akctl plan -f my-flow.yaml -o json | jq .summary`,
		RunE: func(cmd *cobra.Command, args []string) error {
			so, err := sf.resolve(args, f.GlobalFlags)
			if err != nil {
				return err
			}
			opts.Source = so
			switch format {
			case "", "text":
			case "json":
				opts.JSON = true
			default:
				return cmdutil.Usagef("unknown format %q (want text, json)", format)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return planRun(cmd.Context(), opts)
		},
	}
	if diff {
		cmd.Use = "diff -f FILE... [flags]"
		cmd.Short = "Show what applying blueprints would change, as a unified diff"
		cmd.Long = `Compare blueprints with the server and show the changes as a unified diff
of each object's fields: live values as "-" lines, the blueprint's as "+"
lines; objects to create diff against /dev/null, objects to delete to
/dev/null. The same plan as akctl plan; nothing is written. No output
means no changes.

` + exitCodesHelp
		cmd.Example = `  akctl diff -f my-flow.yaml
  akctl diff -f blueprints/ --prune`
	}
	sf.add(cmd)
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "also delete the objects the blueprint owned (its BlueprintInstance's managed_models) and no longer declares")
	cmd.Flags().StringVarP(&format, "output", "o", "", "output format: text|json")
	cmd.Flags().BoolVar(&opts.ShowUnchanged, "show-unchanged", false, "also list entries that change nothing")
	cmd.Flags().BoolVar(&opts.ShowSensitive, "show-sensitive", false, "print secret values instead of (sensitive)")
	return cmd
}

func planRun(ctx context.Context, o *PlanOptions) error {
	what := "plan"
	if o.Diff {
		what = "diff"
	}
	sess, err := prepare(ctx, o.IO, o.Client, o.LookupEnv, o.Source, o.Prune)
	if err != nil {
		return diffExit(problems(o.IO.ErrOut, err, what))
	}
	p := sess.plan
	ro := blueprint.RenderOptions{Color: o.IO.ColorEnabled(), ShowNoop: o.ShowUnchanged, ShowSensitive: o.ShowSensitive}
	switch {
	case o.JSON:
		var data []byte
		if data, err = p.JSON(ro); err == nil {
			_, err = o.IO.Out.Write(data)
		}
	case o.Diff:
		err = blueprint.RenderDiff(o.IO.Out, p, ro)
	default:
		err = blueprint.RenderText(o.IO.Out, p, ro)
	}
	if err != nil {
		return diffExit(fmt.Errorf("%s: write: %w", what, err))
	}
	if p.HasChanges() {
		return &cmdutil.ExitCodeError{Code: 1}
	}
	return nil
}

// session is a plan made against a server, with what apply needs next.
type session struct {
	client  *client.Client
	target  *httptarget.Target
	sources []*source
	// instances are the existing BlueprintInstances of the files, by
	// metadata.name.
	instances map[string]*client.BlueprintInstance
	opts      blueprint.Options
	plan      *blueprint.PlanResult
}

// load reads and validates the blueprints offline: a broken file fails
// before any connection is made.
func load(ios *iostreams.IOStreams, lookupEnv func(string) (string, bool), so SourceOptions, prune bool) (*session, error) {
	srcs, err := loadSources(so, ios.In)
	if err != nil {
		return nil, err
	}
	opts := blueprint.Options{Context: so.Context, Env: lookupEnv, Files: so.filesFS(), Prune: prune}
	if err := blueprint.Validate(blueprintsOf(srcs), opts); err != nil {
		return nil, err
	}
	return &session{sources: srcs, opts: opts}, nil
}

// connect reads the ownership of the files' instances and plans them
// against the server.
func (s *session) connect(ctx context.Context, clientF func() (*client.Client, error)) error {
	c, err := clientF()
	if err != nil {
		return err
	}
	var names []string
	for _, src := range s.sources {
		if src.name() != "" {
			names = append(names, src.name())
		}
	}
	ins, err := instancesByName(ctx, c, names)
	if err != nil {
		return err
	}
	s.opts.Owned = ownedBy(ins)
	t := httptarget.New(c)
	p, err := blueprint.Plan(ctx, t, blueprintsOf(s.sources), s.opts)
	if err != nil {
		return err
	}
	s.client, s.target, s.instances, s.plan = c, t, ins, p
	return nil
}

// prepare is load then connect.
func prepare(ctx context.Context, ios *iostreams.IOStreams, clientF func() (*client.Client, error), lookupEnv func(string) (string, bool),
	so SourceOptions, prune bool) (*session, error) {
	s, err := load(ios, lookupEnv, so, prune)
	if err != nil {
		return nil, err
	}
	if err := s.connect(ctx, clientF); err != nil {
		return nil, err
	}
	return s, nil
}
