package blueprintcmds

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/pkg/client"
)

// ApplyOptions are the parsed command line of `akctl apply`.
type ApplyOptions struct {
	IO        *iostreams.IOStreams
	Client    func() (*client.Client, error)
	LookupEnv func(string) (string, bool)
	// Confirm asks the user; nil error means yes.
	Confirm func(question string) error

	Source        SourceOptions
	Prune         bool
	DryRun        bool
	ServerSide    bool
	Yes           bool
	ShowSensitive bool
}

// progressThreshold is the number of writes from which a client-side
// apply shows a progress bar on a terminal.
const progressThreshold = 10

// NewCmdApply builds `akctl apply`.
func NewCmdApply(f *cmdutil.Factory, runF func(context.Context, *ApplyOptions) error) *cobra.Command {
	opts := &ApplyOptions{IO: f.IOStreams, Client: f.Client, LookupEnv: f.LookupEnv,
		Confirm: func(q string) error { return cmdutil.Confirm(f, q, "--yes") }}
	var sf sourceFlags
	cmd := &cobra.Command{
		Use:   "apply -f FILE... [flags]",
		Short: "Apply blueprints: show the plan, confirm, execute it",
		Long: `Apply blueprints to the server. akctl first plans them (as akctl plan,
reading each model once), shows the plan and asks for confirmation on a
terminal; --yes skips the question and is required when stdin is not a
terminal. --dry-run stops after the plan.

Client-side (the default), akctl executes the plan itself through the
REST API, in dependency order (an object referenced by !KeyOf is created
before the entries using it), and prints what it did per entry, with a
progress bar on a terminal for long applies. Every entry is checked
before the first write; if the server still refuses one, akctl stops
there and reports exactly which writes were made and which entry and
field failed. After a complete apply, each file's text and the given
context are stored in the BlueprintInstance named by its metadata.name
(created when missing, path emptied), so the server records what the
blueprint owns (managed_models) for a later --prune.

With --server-side, akctl stores each file in its BlueprintInstance the
same way and asks the server to apply it: one database transaction per
file, everything or nothing; then it reports the instance's status and,
on failure, the messages of the apply task. The server evaluates !Env and
!File with its own environment and blueprints directory.

Both modes show the same plan and end in the same state. Several files
are several instances, one per metadata.name.`,
		Example: `  akctl apply -f my-flow.yaml
  akctl apply -f blueprints/ --context domain=example.com --yes
  akctl apply -f my-flow.yaml --prune --yes
  akctl apply -f my-flow.yaml --server-side --yes
  cat my-flow.yaml | akctl apply -f - --yes`,
		RunE: func(cmd *cobra.Command, args []string) error {
			so, err := sf.resolve(args, f.GlobalFlags)
			if err != nil {
				return err
			}
			opts.Source = so
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return applyRun(cmd.Context(), opts)
		},
	}
	sf.add(cmd)
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "also delete the objects the blueprint owned and no longer declares")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "show the plan and stop")
	cmd.Flags().BoolVar(&opts.ServerSide, "server-side", false, "let the server apply each file through its BlueprintInstance, in one transaction")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "apply without asking for confirmation")
	cmd.Flags().BoolVar(&opts.ShowSensitive, "show-sensitive", false, "print secret values instead of (sensitive)")
	return cmd
}

func applyRun(ctx context.Context, o *ApplyOptions) error {
	sess, err := load(o.IO, o.LookupEnv, o.Source, o.Prune)
	if err != nil {
		return problems(o.IO.ErrOut, err, "apply")
	}
	if err := checkNames(sess.sources, o.ServerSide); err != nil {
		return err
	}
	if err := sess.connect(ctx, o.Client); err != nil {
		return problems(o.IO.ErrOut, err, "apply")
	}
	p := sess.plan
	ro := blueprint.RenderOptions{Color: o.IO.ColorEnabled(), ShowSensitive: o.ShowSensitive}
	if err := blueprint.RenderText(o.IO.Out, p, ro); err != nil {
		return err
	}
	if o.DryRun {
		fmt.Fprintln(o.IO.ErrOut, "Dry run: nothing was applied.")
		return nil
	}
	if p.HasChanges() && !o.Yes {
		if err := o.Confirm(fmt.Sprintf("Apply these changes to %s?", sess.client.BaseURL())); err != nil {
			return err
		}
	}
	if o.ServerSide {
		return serverSideApply(ctx, o, sess)
	}
	return clientSideApply(ctx, o, sess, ro)
}

// checkNames refuses files whose instances would collide, and, server
// side, files without a name (the server applies instances, which are
// found by name).
func checkNames(srcs []*source, serverSide bool) error {
	seen := map[string]string{}
	for _, s := range srcs {
		n := s.name()
		if n == "" {
			if serverSide {
				return cmdutil.Usagef("%s has no metadata.name: --server-side applies each file through the BlueprintInstance of that name", s.bp.Path)
			}
			continue
		}
		if other, dup := seen[n]; dup {
			return cmdutil.Usagef("%s and %s are both named %q: each file is recorded in the BlueprintInstance of its metadata.name, so names must differ", other, s.bp.Path, n)
		}
		seen[n] = s.bp.Path
	}
	return nil
}

func clientSideApply(ctx context.Context, o *ApplyOptions, sess *session, ro blueprint.RenderOptions) error {
	p := sess.plan
	s := p.Summary()
	writes := s.Create + s.Update + s.Delete
	bar := output.NewProgress(o.IO, writes >= progressThreshold, writes, "Applying")
	res, err := blueprint.ApplyWith(ctx, sess.target, p, blueprint.ApplyOptions{Progress: func(er blueprint.EntryResult) {
		switch er.Status {
		case blueprint.StatusCreated, blueprint.StatusUpdated, blueprint.StatusDeleted, blueprint.StatusFailed:
			bar.Add(1)
		}
	}})
	bar.Finish()
	if res != nil {
		fmt.Fprintln(o.IO.Out)
		if rerr := blueprint.RenderResult(o.IO.Out, res, ro); rerr != nil && err == nil {
			err = rerr
		}
	}
	if err != nil {
		done := 0
		if res != nil {
			done = res.Created + res.Updated + res.Deleted
		}
		pe, err := printProblems(o.IO.ErrOut, err)
		if pe == nil {
			return err
		}
		pe.what, pe.exact = fmt.Sprintf("apply stopped at the failure above, after %d write(s) (listed on stdout); nothing after it was written", done), true
		return pe
	}
	wrote := res.Created+res.Updated+res.Deleted > 0
	for _, src := range sess.sources {
		name := src.name()
		if name == "" {
			fmt.Fprintf(o.IO.ErrOut, "warning: %s has no metadata.name: its objects are not recorded in a BlueprintInstance, so --prune cannot remove them later\n", src.bp.Path)
			continue
		}
		existing := sess.instances[name]
		in, changed, err := storeInstance(ctx, sess.client, existing, name, src.content, o.Source.Context, wrote)
		if err != nil {
			return fmt.Errorf("the objects were applied, but recording them failed: %w", err)
		}
		noteSourceChange(o.IO, existing, src)
		verb := "unchanged"
		switch {
		case existing == nil:
			verb = "created"
		case changed:
			verb = "updated"
		}
		fmt.Fprintf(o.IO.Out, "blueprint instance %q %s: %d object(s) owned\n", name, verb, len(in.ManagedModels))
	}
	return nil
}

func serverSideApply(ctx context.Context, o *ApplyOptions, sess *session) error {
	c := sess.client
	cs := o.IO.ColorScheme()
	fmt.Fprintln(o.IO.Out)
	for _, src := range sess.sources {
		name := src.name()
		in, _, err := storeInstance(ctx, c, sess.instances[name], name, src.content, o.Source.Context, false)
		if lines := contentValidation(err); len(lines) > 0 {
			// The server's dry run of the content failed.
			for _, l := range lines {
				fmt.Fprintf(o.IO.ErrOut, "%s: %s\n", src.bp.Path, l)
			}
			return &problemsError{n: len(lines), what: fmt.Sprintf("the server refused blueprint %q (%s)", name, src.bp.Path)}
		}
		if err != nil {
			return err
		}
		noteSourceChange(o.IO, sess.instances[name], src)
		if err := reportInstanceApply(ctx, o.IO, c, in, o.Prune); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.IO.Out, "%s: %d blueprint(s) applied by the server.\n", cs.Green("Apply complete"), len(sess.sources))
	return nil
}

// noteSourceChange tells when an instance the server read from a file of
// its blueprints directory now holds the applied file's content instead.
func noteSourceChange(ios *iostreams.IOStreams, existing *client.BlueprintInstance, src *source) {
	if existing != nil && existing.Path != nil && *existing.Path != "" {
		fmt.Fprintf(ios.ErrOut, "note: blueprint instance %q was read from path %s; it now holds the content of %s\n", existing.Name, *existing.Path, src.bp.Path)
	}
}

// reportInstanceApply runs an instance's apply action and reports its
// outcome: a line for success, the apply task's messages for a failure.
func reportInstanceApply(ctx context.Context, ios *iostreams.IOStreams, c *client.Client, in *client.BlueprintInstance, prune bool) error {
	if in.Enabled != nil && !*in.Enabled {
		return fmt.Errorf("blueprint instance %q is disabled, so the server does not apply it; enable it with `akctl edit blueprintinstances %s`", in.Name, in.PK)
	}
	out, err := applyInstance(ctx, c, in, prune)
	if err != nil {
		return err
	}
	cs := ios.ColorScheme()
	if string(out.Status) == statusError {
		msgs, err := failureMessages(ctx, c, out.Name)
		if err != nil {
			return fmt.Errorf("blueprint instance %q: the apply failed; reading its messages: %w", out.Name, err)
		}
		fmt.Fprintf(ios.Out, "blueprint instance %q: %s\n", out.Name, cs.Red("error"))
		for _, m := range msgs {
			fmt.Fprintf(ios.ErrOut, "%s\n", m)
		}
		return &problemsError{n: len(msgs), what: fmt.Sprintf("the server could not apply blueprint instance %q; nothing of it was written", out.Name)}
	}
	fmt.Fprintf(ios.Out, "blueprint instance %q: %s, %d object(s) owned\n", out.Name, cs.Green(string(out.Status)), len(out.ManagedModels))
	return nil
}
