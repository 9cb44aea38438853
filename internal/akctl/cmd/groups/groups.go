// Package groups implements `akctl groups add-user / remove-user`.
package groups

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/resource"
)

// NewCmdGroups builds `akctl groups`.
func NewCmdGroups(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "Groups: add and remove members",
		Long:  "Commands for groups beyond get/create/edit/delete (akctl get groups, ...).",
	}
	cmd.AddCommand(NewCmdMembership(f, true, nil), NewCmdMembership(f, false, nil))
	return cmd
}

// MembershipOptions are the parsed command line of `groups add-user` and
// `groups remove-user`.
type MembershipOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Groups    *resource.Resource
	Users     *resource.Resource
	Add       bool
	Group     string
	UserNames []string
}

// NewCmdMembership builds `groups add-user` (add) or `groups remove-user`.
func NewCmdMembership(f *cmdutil.Factory, add bool, runF func(context.Context, *MembershipOptions) error) *cobra.Command {
	opts := &MembershipOptions{IO: f.IOStreams, Resources: f.Resources, Add: add}
	use, short := "add-user", "Add users to a group"
	if !add {
		use, short = "remove-user", "Remove users from a group"
	}
	return &cobra.Command{
		Use:     use + " <group> <user>...",
		Short:   short,
		Example: "  akctl groups " + use + " admins jane john",
		Args:    cmdutil.MinArgs(2, "a group and at least one user"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, tc string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return cmdutil.CompleteObjects(f, "groups", tc), cobra.ShellCompDirectiveNoFileComp
			}
			return cmdutil.CompleteObjects(f, "users", tc), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Groups, err = f.Catalog().Lookup("groups"); err != nil {
				return err
			}
			if opts.Users, err = f.Catalog().Lookup("users"); err != nil {
				return err
			}
			opts.Group, opts.UserNames = args[0], args[1:]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return membershipRun(cmd.Context(), opts)
		},
	}
}

func membershipRun(ctx context.Context, o *MembershipOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	group, err := rc.Resolve(ctx, o.Groups, o.Group)
	if err != nil {
		return err
	}
	users := make([]*resource.Object, 0, len(o.UserNames))
	for _, n := range o.UserNames {
		u, err := rc.Resolve(ctx, o.Users, n)
		if err != nil {
			return err
		}
		users = append(users, u)
	}
	action, verb, prep := "add_user", "added to", "to"
	if !o.Add {
		action, verb, prep = "remove_user", "removed from", "from"
	}
	gname := o.Groups.Display(group.Map)
	for _, u := range users {
		uname := o.Users.Display(u.Map)
		body := map[string]any{"pk": u.Map["pk"]}
		if err := rc.API.Do(ctx, "POST", "/core/groups/"+group.Lookup+"/"+action+"/", nil, body, nil); err != nil {
			return fmt.Errorf("%s user %q %s group %q: %w", map[bool]string{true: "add", false: "remove"}[o.Add], uname, prep, gname, err)
		}
		fmt.Fprintf(o.IO.Out, "user %q %s group %q\n", uname, verb, gname)
	}
	return nil
}
