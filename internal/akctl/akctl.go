package akctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmd/api"
	"github.com/akgo/akgo/internal/akctl/cmd/apiresources"
	"github.com/akgo/akgo/internal/akctl/cmd/apps"
	"github.com/akgo/akgo/internal/akctl/cmd/blueprintcmds"
	"github.com/akgo/akgo/internal/akctl/cmd/certs"
	"github.com/akgo/akgo/internal/akctl/cmd/configcmd"
	"github.com/akgo/akgo/internal/akctl/cmd/create"
	"github.com/akgo/akgo/internal/akctl/cmd/deletecmd"
	"github.com/akgo/akgo/internal/akctl/cmd/describe"
	"github.com/akgo/akgo/internal/akctl/cmd/edit"
	"github.com/akgo/akgo/internal/akctl/cmd/events"
	"github.com/akgo/akgo/internal/akctl/cmd/get"
	"github.com/akgo/akgo/internal/akctl/cmd/groups"
	"github.com/akgo/akgo/internal/akctl/cmd/tasks"
	"github.com/akgo/akgo/internal/akctl/cmd/tokens"
	"github.com/akgo/akgo/internal/akctl/cmd/users"
	"github.com/akgo/akgo/internal/akctl/cmd/version"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

// Commands are akctl's top-level commands, in help order. A new command
// (akctl blueprint, plan, diff, apply, export, tui) is one more line here,
// with its group in groupOf.
var Commands = []cmdutil.Constructor{
	func(f *cmdutil.Factory) *cobra.Command { return get.NewCmdGet(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return describe.NewCmdDescribe(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return create.NewCmdCreate(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return edit.NewCmdEdit(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return deletecmd.NewCmdDelete(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return apiresources.NewCmdAPIResources(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return api.NewCmdAPI(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return blueprintcmds.NewCmdPlan(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return blueprintcmds.NewCmdDiff(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return blueprintcmds.NewCmdApply(f, nil) },
	func(f *cmdutil.Factory) *cobra.Command { return blueprintcmds.NewCmdExport(f, nil) },
	blueprintcmds.NewCmdBlueprint,
	users.NewCmdUsers,
	tokens.NewCmdTokens,
	groups.NewCmdGroups,
	apps.NewCmdApps,
	certs.NewCmdCerts,
	tasks.NewCmdTasks,
	events.NewCmdEvents,
	configcmd.NewCmdConfig,
	func(f *cmdutil.Factory) *cobra.Command { return version.NewCmdVersion(f, nil) },
}

// Help groups of the top-level commands.
var helpGroups = []*cobra.Group{
	{ID: "resources", Title: "Resources (every model of the API):"},
	{ID: "blueprints", Title: "Blueprints (declarative configuration):"},
	{ID: "operations", Title: "Operations:"},
	{ID: "settings", Title: "Settings:"},
}

var groupOf = map[string]string{
	"get": "resources", "describe": "resources", "create": "resources", "edit": "resources",
	"delete": "resources", "api-resources": "resources",
	"plan": "blueprints", "diff": "blueprints", "apply": "blueprints", "export": "blueprints", "blueprint": "blueprints",
	"api": "operations", "users": "operations", "tokens": "operations", "groups": "operations",
	"apps": "operations", "certs": "operations", "tasks": "operations", "events": "operations",
	"config": "settings", "version": "settings", "completion": "settings",
}

func init() {
	// Help lists commands in the order of Commands, grouped.
	cobra.EnableCommandSorting = false
}

// NewRootCmd builds the command tree from constructors.
func NewRootCmd(f *cmdutil.Factory, cmds ...cmdutil.Constructor) *cobra.Command {
	root := &cobra.Command{
		Use:   "akctl <command> [flags]",
		Short: "Administer authentik (and akserver) from the command line",
		Long: `akctl administers an authentik server (authentik 2023.10 or akserver)
through its API: every model as a resource (get, describe, create, edit,
delete), any operation with akctl api, and shortcuts for common tasks.

It connects to the server of the current context (akctl config), unless
--url and --token or AUTHENTIK_URL and AUTHENTIK_TOKEN say otherwise.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Version is printed by `akctl version`; no --version flag, so
		// the generated documentation does not depend on the build.
	}
	root.PersistentFlags().String(config.FlagURL, "", "server `URL` (overrides AUTHENTIK_URL and the context)")
	root.PersistentFlags().String(config.FlagToken, "", "API `token` (overrides AUTHENTIK_TOKEN and the context)")
	root.PersistentFlags().String(config.FlagContext, "", "use this `context` of the configuration file")
	_ = root.RegisterFlagCompletionFunc(config.FlagContext, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cfg.Names(), cobra.ShellCompDirectiveNoFileComp
	})
	f.GlobalFlags = root.PersistentFlags()
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return cmdutil.Usagef("%v; see `%s --help`", err, cmd.CommandPath())
	})
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.AddGroup(helpGroups...)
	for _, c := range cmds {
		cmd := c(f)
		if g, ok := groupOf[cmd.Name()]; ok {
			cmd.GroupID = g
		}
		root.AddCommand(cmd)
	}
	root.SetCompletionCommandGroupID("settings")
	root.SetHelpCommandGroupID("settings")
	root.InitDefaultCompletionCmd()
	return root
}

// Main runs akctl with the given arguments, streams and environment and
// returns the exit code. Ctrl-C cancels the command's context.
func Main(args []string, ios *iostreams.IOStreams, lookupEnv func(string) (string, bool)) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	f := cmdutil.New(ios, Version(), lookupEnv)
	return int(Run(ctx, f, args))
}

// Run executes one command line with a factory and reports its error.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) cmdutil.ExitCode {
	root := NewRootCmd(f, Commands...)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && isCobraUsage(err) {
		err = cmdutil.MarkUsage(err)
	}
	code, msg := cmdutil.Report(err, f.CurrentConnection())
	if code == cmdutil.ExitOK || msg == "" {
		return code
	}
	cmdutil.PrintError(f.IOStreams, msg)
	// The pointer to --help helps with a wrong command line, not with a
	// missing configuration, which the message itself explains.
	var notConf *cmdutil.NotConfiguredError
	if code == cmdutil.ExitUsage && cmd != nil && !errors.Is(err, cmdutil.ErrCancelled) && !errors.As(err, &notConf) && !strings.Contains(msg, "--help") {
		fmt.Fprintf(f.IOStreams.ErrOut, "Run `%s --help` for usage.\n", cmd.CommandPath())
	}
	return code
}

// isCobraUsage recognises the command-line errors cobra reports itself
// (it has no error types for them).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// version is set at link time (-ldflags "-X github.com/akgo/akgo/internal/akctl.linkVersion=v1.2.3").
var linkVersion = ""

// Version is akctl's version: the link-time version, else the module
// version or VCS revision the binary was built from, else "dev".
func Version() string {
	if linkVersion != "" {
		return linkVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
