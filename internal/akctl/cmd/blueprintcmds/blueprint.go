package blueprintcmds

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmd/get"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/blueprint"
	"github.com/akgo/akgo/pkg/client"
)

// instanceResource is the catalog name of /managed/blueprints/.
const instanceResource = "blueprintinstances"

// NewCmdBlueprint builds `akctl blueprint`.
func NewCmdBlueprint(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "blueprint",
		Aliases: []string{"blueprints", "bp"},
		Short:   "Check blueprint files; list, inspect and apply the server's blueprint instances",
		Long: `Blueprint files and the server's BlueprintInstances.

akctl blueprint validate checks files offline. The instances are what the
server applies: one per blueprint file it discovered in its blueprints
directory, and one per file applied with akctl apply (named by the file's
metadata.name). See also akctl plan, diff, apply and export.`,
	}
	cmd.AddCommand(NewCmdValidate(f, nil), NewCmdList(f, nil), NewCmdStatus(f, nil), NewCmdApplyInstance(f, nil))
	return cmd
}

// ValidateOptions are the parsed command line of `akctl blueprint validate`.
type ValidateOptions struct {
	IO            *iostreams.IOStreams
	Files         []string
	BlueprintsDir string
}

// NewCmdValidate builds `akctl blueprint validate`.
func NewCmdValidate(f *cmdutil.Factory, runF func(context.Context, *ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IOStreams}
	var files []string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check blueprint files offline",
		Long: `Check blueprint files without a server (no configuration needed): YAML,
tags and their arguments, unknown keys, unknown models and fields (against
the model registry and the API schema), enum values, !KeyOf references to
missing or duplicate ids, reference cycles, and the blueprints that
metaapplyblueprint entries name when --blueprints-dir is given.

Every problem is printed on stderr as
  file:line: entry N (id) model field: message
(entries numbered from 0). Exit status 0 when every file is valid, 1 when
there are problems.`,
		Example: `  akctl blueprint validate my-flow.yaml
  akctl blueprint validate blueprints/
  cat my-flow.yaml | akctl blueprint validate -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = append(append([]string(nil), files...), args...)
			if len(opts.Files) == 0 {
				return cmdutil.Usagef("no blueprint files: give FILE (a file, a directory or - for stdin)")
			}
			if opts.BlueprintsDir == "" && len(opts.Files) == 1 {
				opts.BlueprintsDir = dirArg(opts.Files[0])
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return validateRun(opts)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "blueprint `file`, directory or - (repeatable; arguments are files too)")
	cmd.Flags().StringVar(&opts.BlueprintsDir, "blueprints-dir", "", "`directory` metaapplyblueprint paths refer to (default: the directory, when a single directory is given)")
	return cmd
}

func validateRun(o *ValidateOptions) error {
	so := SourceOptions{BlueprintsDir: o.BlueprintsDir}
	bps, err := blueprint.LoadFilesFrom(o.Files, o.IO.In)
	errs := blueprint.AsErrors(err)
	if verr := blueprint.Validate(bps, blueprint.Options{Files: so.filesFS()}); verr != nil {
		errs = append(errs, blueprint.AsErrors(verr)...)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool {
			if errs[i].File != errs[j].File {
				return errs[i].File < errs[j].File
			}
			return errs[i].Line < errs[j].Line
		})
		return problems(o.IO.ErrOut, errs, "validate")
	}
	cs := o.IO.ColorScheme()
	for _, bp := range bps {
		fmt.Fprintf(o.IO.Out, "%s: %s (%d entries)\n", bp.Path, cs.Green("valid"), len(bp.Entries))
	}
	return nil
}

// ListOptions are the parsed command line of `akctl blueprint list`.
type ListOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Instances *resource.Resource
	Output    output.Options
}

// NewCmdList builds `akctl blueprint list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the blueprint instances with their status",
		Long: `List the server's BlueprintInstances: status of the last apply, when it
ran, how many objects the instance owns (managed_models), whether it is
enabled, and where its blueprint comes from (a path in the server's
blueprints directory, or content stored by akctl apply).`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(instanceResource)
			if err != nil {
				return err
			}
			opts.Instances = r
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output)
	return cmd
}

func listRun(ctx context.Context, o *ListOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	p := output.NewPrinter(o.IO, &o.Output)
	q := url.Values{"page_size": {"1000"}, "ordering": {"name"}}
	if f := o.Output.Format; o.Output.Structured() || f == output.Name {
		return get.List(ctx, o.IO, rc, o.Instances, q, true, p)
	}
	headers := []string{"NAME", "STATUS", "ENABLED", "LAST APPLIED", "MANAGED", "SOURCE"}
	if o.Output.Format == output.Wide {
		headers = append(headers, "PK")
	}
	t := output.NewTable(o.IO, headers...)
	err = rc.Walk(ctx, o.Instances, q, true, func(page *resource.Page) error {
		for _, raw := range page.Results {
			in, err := decodeInstance(raw)
			if err != nil {
				return err
			}
			row := []string{in.str("name"), in.str("status"), in.str("enabled"), in.str("last_applied"), fmt.Sprint(len(in.managed())), in.source()}
			if o.Output.Format == output.Wide {
				row = append(row, in.str("pk"))
			}
			t.Row(row...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", o.Instances.Name, err)
	}
	if t.Len() == 0 && o.IO.IsStdoutTTY() {
		fmt.Fprintln(o.IO.ErrOut, "No blueprint instances found.")
		return nil
	}
	return t.Close()
}

// instanceObj is an instance as the API returns it.
type instanceObj map[string]any

func decodeInstance(raw json.RawMessage) (instanceObj, error) {
	v, err := output.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("decode blueprint instance: %w", err)
	}
	m, _ := v.(map[string]any)
	return instanceObj(m), nil
}

func (in instanceObj) str(k string) string {
	if v, ok := in[k]; ok && v != nil {
		return output.Scalar(v)
	}
	return ""
}

func (in instanceObj) managed() []string {
	l, _ := in["managed_models"].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// source says where the instance's blueprint comes from.
func (in instanceObj) source() string {
	if p := in.str("path"); p != "" {
		return p
	}
	if c := in.str("content"); c != "" {
		return fmt.Sprintf("content (%d lines)", strings.Count(strings.TrimRight(c, "\n"), "\n")+1)
	}
	return ""
}

// StatusOptions are the parsed command line of `akctl blueprint status`.
type StatusOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Instances *resource.Resource
	Name      string
	Output    output.Options
}

// NewCmdStatus builds `akctl blueprint status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "status <name>",
		Short: "Show a blueprint instance: status, last apply, what it owns",
		Long: `Show one BlueprintInstance (by name or pk): the status of its last apply
and when it ran, whether it is enabled, where its blueprint comes from,
its context, the objects it owns per model, and the messages of its last
failed apply.`,
		Args:              cmdutil.ExactArgs(1, "a blueprint instance name"),
		ValidArgsFunction: cmdutil.ObjectArgs(f, instanceResource, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(instanceResource)
			if err != nil {
				return err
			}
			opts.Instances, opts.Name = r, args[0]
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.Format("text"), output.JSON, output.YAML)
	return cmd
}

func statusRun(ctx context.Context, o *StatusOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	obj, err := rc.Resolve(ctx, o.Instances, o.Name)
	if err != nil {
		return err
	}
	if o.Output.Structured() {
		return output.NewPrinter(o.IO, &o.Output).Object(obj.Raw, o.Instances.View())
	}
	in := instanceObj(obj.Map)
	cs := o.IO.ColorScheme()
	status := in.str("status")
	switch status {
	case statusSuccessful:
		status = cs.Green(status)
	case statusError:
		status = cs.Red(status)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "Name:          %s\n", in.str("name"))
	fmt.Fprintf(w, "PK:            %s\n", in.str("pk"))
	fmt.Fprintf(w, "Status:        %s\n", status)
	fmt.Fprintf(w, "Enabled:       %s\n", in.str("enabled"))
	fmt.Fprintf(w, "Last applied:  %s\n", in.str("last_applied"))
	if h := in.str("last_applied_hash"); h != "" {
		if len(h) > 16 {
			h = h[:16] + "…"
		}
		fmt.Fprintf(w, "Applied hash:  %s\n", h)
	}
	fmt.Fprintf(w, "Source:        %s\n", in.source())
	if c, ok := in["context"].(map[string]any); ok && len(c) > 0 {
		data, _ := json.Marshal(c)
		fmt.Fprintf(w, "Context:       %s\n", data)
	}
	if meta, ok := in["metadata"].(map[string]any); ok {
		if labels, ok := meta["labels"].(map[string]any); ok && len(labels) > 0 {
			fmt.Fprintln(w, "Labels:")
			for _, k := range output.SortedKeys(labels) {
				fmt.Fprintf(w, "  %s: %s\n", k, output.Scalar(labels[k]))
			}
		}
	}
	managed := in.managed()
	fmt.Fprintf(w, "Managed:       %d object(s)\n", len(managed))
	perModel := map[string]int{}
	for _, m := range managed {
		model, _, _ := strings.Cut(m, ":")
		perModel[model]++
	}
	for _, m := range output.SortedKeys(perModel) {
		fmt.Fprintf(w, "  %s: %d\n", m, perModel[m])
	}
	if in.str("status") == statusError {
		msgs, err := failureMessages(ctx, rc.API, in.str("name"))
		if err != nil {
			return fmt.Errorf("blueprint instance %q: last failure: %w", in.str("name"), err)
		}
		if len(msgs) > 0 {
			fmt.Fprintln(w, "Last failure:")
			for _, m := range msgs {
				fmt.Fprintf(w, "  %s\n", m)
			}
		}
	}
	return nil
}

// ApplyInstanceOptions are the parsed command line of `akctl blueprint
// apply-instance`.
type ApplyInstanceOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Instances *resource.Resource
	Name      string
	Prune     bool
}

// NewCmdApplyInstance builds `akctl blueprint apply-instance`.
func NewCmdApplyInstance(f *cmdutil.Factory, runF func(context.Context, *ApplyInstanceOptions) error) *cobra.Command {
	opts := &ApplyInstanceOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "apply-instance <name>",
		Short: "Ask the server to apply a blueprint instance now",
		Long: `Ask the server to apply one BlueprintInstance (by name or pk) now, in one
transaction, as its apply action does, and report the outcome: the
status and owned objects, or the messages of the failed apply (exit 1).`,
		Example:           `  akctl blueprint apply-instance "Default - Tenant"`,
		Args:              cmdutil.ExactArgs(1, "a blueprint instance name"),
		ValidArgsFunction: cmdutil.ObjectArgs(f, instanceResource, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(instanceResource)
			if err != nil {
				return err
			}
			opts.Instances, opts.Name = r, args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return applyInstanceRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "also delete the objects the instance owned and no longer declares")
	return cmd
}

func applyInstanceRun(ctx context.Context, o *ApplyInstanceOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	obj, err := rc.Resolve(ctx, o.Instances, o.Name)
	if err != nil {
		return err
	}
	var in client.BlueprintInstance
	if err := json.Unmarshal(obj.Raw, &in); err != nil {
		return fmt.Errorf("decode blueprint instance: %w", err)
	}
	return reportInstanceApply(ctx, o.IO, rc.API, &in, o.Prune)
}
