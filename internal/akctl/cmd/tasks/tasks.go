// Package tasks implements `akctl tasks list / retry`: the server's
// system tasks.
package tasks

import (
	"context"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmd/get"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/pkg/client"
)

// NewCmdTasks builds `akctl tasks`.
func NewCmdTasks(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "System tasks: list their last runs, retry them",
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdRetry(f, nil))
	return cmd
}

// ListOptions are the parsed command line of `tasks list`.
type ListOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Tasks     *resource.Resource
	Output    output.Options
}

// NewCmdList builds `akctl tasks list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the system tasks with their last status",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tasks, err := f.Catalog().Lookup("systemtasks")
			if err != nil {
				return err
			}
			opts.Tasks = tasks
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

// RetryOptions are the parsed command line of `tasks retry`.
type RetryOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Names     []string
}

// NewCmdRetry builds `akctl tasks retry`.
func NewCmdRetry(f *cmdutil.Factory, runF func(context.Context, *RetryOptions) error) *cobra.Command {
	opts := &RetryOptions{IO: f.IOStreams, Resources: f.Resources}
	return &cobra.Command{
		Use:               "retry <task>...",
		Short:             "Run system tasks again now",
		Example:           "  akctl tasks retry clean_expired_models",
		Args:              cmdutil.MinArgs(1, "at least one task name"),
		ValidArgsFunction: cmdutil.ObjectArgs(f, "systemtasks", 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return retryRun(cmd.Context(), opts)
		},
	}
}

func listRun(ctx context.Context, o *ListOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	return get.List(ctx, o.IO, rc, o.Tasks, url.Values{}, false, output.NewPrinter(o.IO, &o.Output))
}

func retryRun(ctx context.Context, o *RetryOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	for _, n := range o.Names {
		err := rc.API.Do(ctx, "POST", "/admin/system_tasks/"+url.PathEscape(n)+"/retry/", nil, nil, nil)
		if err != nil {
			if client.IsNotFound(err) {
				return &resource.NotFoundError{Resource: "systemtasks", Name: n}
			}
			return fmt.Errorf("retry task %q: %w", n, err)
		}
		fmt.Fprintf(o.IO.Out, "task %q retried\n", n)
	}
	return nil
}
