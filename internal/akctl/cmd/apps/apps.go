// Package apps implements `akctl apps check-access`: would a user be
// allowed into an application.
package apps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
)

// NewCmdApps builds `akctl apps`.
func NewCmdApps(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apps",
		Short: "Applications: check a user's access",
		Long:  "Commands for applications beyond get/create/edit/delete (akctl get apps, ...).",
	}
	cmd.AddCommand(NewCmdCheckAccess(f, nil))
	return cmd
}

// CheckAccessOptions are the parsed command line of `apps check-access`.
type CheckAccessOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Apps      *resource.Resource
	Users     *resource.Resource
	App       string
	User      string
	Output    output.Options

	structured bool
}

// NewCmdCheckAccess builds `akctl apps check-access`.
func NewCmdCheckAccess(f *cmdutil.Factory, runF func(context.Context, *CheckAccessOptions) error) *cobra.Command {
	opts := &CheckAccessOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "check-access <application> <user>",
		Short: "Evaluate an application's policies for a user",
		Long: `Evaluate an application's policy bindings for a user (slug or pk; user
by username or pk) and print whether access is allowed, with the
policies' messages.`,
		Example: `  akctl apps check-access grafana jane`,
		Args:    cmdutil.ExactArgs(2, "an application and a user"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, tc string) ([]string, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return cmdutil.CompleteObjects(f, "applications", tc), cobra.ShellCompDirectiveNoFileComp
			case 1:
				return cmdutil.CompleteObjects(f, "users", tc), cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Apps, err = f.Catalog().Lookup("applications"); err != nil {
				return err
			}
			if opts.Users, err = f.Catalog().Lookup("users"); err != nil {
				return err
			}
			opts.App, opts.User = args[0], args[1]
			opts.structured = cmd.Flags().Changed("output") || opts.Output.JQ != ""
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return checkAccessRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	return cmd
}

func checkAccessRun(ctx context.Context, o *CheckAccessOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	app, err := rc.Resolve(ctx, o.Apps, o.App)
	if err != nil {
		return err
	}
	user, err := rc.Resolve(ctx, o.Users, o.User)
	if err != nil {
		return err
	}
	q := url.Values{"for_user": {user.Lookup}}
	var raw []byte
	if err := rc.API.Do(ctx, "GET", "/core/applications/"+url.PathEscape(app.Lookup)+"/check_access/", q, nil, &raw); err != nil {
		return fmt.Errorf("check access of user %q to application %q: %w", o.Users.Display(user.Map), o.Apps.Display(app.Map), err)
	}
	if o.structured {
		return output.NewPrinter(o.IO, &o.Output).JSON(raw)
	}
	var res struct {
		Passing  bool     `json:"passing"`
		Messages []string `json:"messages"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("decode the access check: %w", err)
	}
	cs := o.IO.ColorScheme()
	verdict := cs.Green("allowed")
	if !res.Passing {
		verdict = cs.Red("denied")
	}
	fmt.Fprintf(o.IO.Out, "user %q → application %q: %s\n", o.Users.Display(user.Map), o.Apps.Display(app.Map), verdict)
	for _, m := range res.Messages {
		fmt.Fprintf(o.IO.Out, "  %s\n", m)
	}
	return nil
}
