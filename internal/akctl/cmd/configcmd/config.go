// Package configcmd implements `akctl config`: named contexts (server
// URL, token, CA file) in akctl's configuration file.
package configcmd

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/config"
	"github.com/akgo/akgo/internal/akctl/output"
)

// NewCmdConfig builds `akctl config` and its subcommands.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Manage contexts: named servers and tokens",
		Long: `Manage the configuration file's contexts. A context names a server URL,
an API token and optionally a CA file or the insecure flag; the current
context is used unless --context names another. --url and --token (and
AUTHENTIK_URL, AUTHENTIK_TOKEN) override a context's values.

The file is $AKCTL_CONFIG, else $XDG_CONFIG_HOME/akctl/config.yaml, else
~/.config/akctl/config.yaml; it is written with mode 0600.`,
	}
	cmd.AddCommand(NewCmdSetContext(f, nil), NewCmdUseContext(f, nil), NewCmdGetContexts(f),
		NewCmdCurrentContext(f), NewCmdDeleteContext(f), NewCmdView(f))
	return cmd
}

// SetContextOptions are the parsed command line of `config set-context`.
type SetContextOptions struct {
	Name     string
	URL      string
	Token    string
	CAFile   string
	Insecure bool
	// Set records which flags were given: only those change an existing
	// context.
	Set     map[string]bool
	Current bool
}

// NewCmdSetContext builds `akctl config set-context`.
func NewCmdSetContext(f *cmdutil.Factory, runF func(*SetContextOptions) error) *cobra.Command {
	opts := &SetContextOptions{}
	var tokenStdin bool
	cmd := &cobra.Command{
		Use:   "set-context <name> [--url URL] [--token TOKEN] [--ca-file FILE] [--insecure]",
		Short: "Create or change a context",
		Long: `Create a context, or change the given values of an existing one. The
first context created becomes the current one; --use makes this one
current. --token-stdin reads the token from stdin, keeping it out of
the shell's history.`,
		Example: `  akctl config set-context local --url http://127.0.0.1:9000 --token "$TOKEN"
  echo "$TOKEN" | akctl config set-context prod --url https://auth.example.com --token-stdin --use`,
		Args: cmdutil.ExactArgs(1, "a context name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.Set = map[string]bool{}
			for _, n := range []string{"url", "token", "ca-file", "insecure"} {
				opts.Set[n] = cmd.Flags().Changed(n)
			}
			if tokenStdin {
				if opts.Set["token"] {
					return cmdutil.Usagef("--token and --token-stdin cannot both be given")
				}
				data, err := cmdutil.ReadInput(f, "-")
				if err != nil {
					return err
				}
				opts.Token, opts.Set["token"] = string(trimNewline(data)), true
			}
			if runF != nil {
				return runF(opts)
			}
			return setContextRun(f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", "", "the server's `URL` (https://authentik.example.com)")
	cmd.Flags().StringVar(&opts.Token, "token", "", "the API `token`")
	cmd.Flags().BoolVar(&tokenStdin, "token-stdin", false, "read the token from stdin")
	cmd.Flags().StringVar(&opts.CAFile, "ca-file", "", "trust the CA certificates in this PEM `file`")
	cmd.Flags().BoolVar(&opts.Insecure, "insecure", false, "do not verify the server's TLS certificate")
	cmd.Flags().BoolVar(&opts.Current, "use", false, "make it the current context")
	return cmd
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func setContextRun(f *cmdutil.Factory, o *SetContextOptions) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	c, exists := cfg.Context(o.Name)
	ctx := config.Context{Name: o.Name}
	if exists {
		ctx = *c
	}
	if o.Set["url"] {
		ctx.URL = o.URL
	}
	if o.Set["token"] {
		ctx.Token = o.Token
	}
	if o.Set["ca-file"] {
		if o.CAFile != "" {
			if _, err := os.Stat(o.CAFile); err != nil {
				return cmdutil.Usagef("--ca-file: %v", err)
			}
		}
		ctx.CAFile = o.CAFile
	}
	if o.Set["insecure"] {
		ctx.Insecure = o.Insecure
	}
	if ctx.URL == "" {
		return cmdutil.Usagef("context %q needs a server: give --url", o.Name)
	}
	cfg.SetContext(ctx)
	if o.Current || cfg.CurrentContext == "" {
		cfg.CurrentContext = o.Name
	}
	if err := cfg.Save(); err != nil {
		return err
	}
	verb := "created"
	if exists {
		verb = "updated"
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "Context %q %s in %s.\n", o.Name, verb, cfg.Path)
	if cfg.CurrentContext == o.Name {
		fmt.Fprintf(f.IOStreams.ErrOut, "Current context is %q.\n", o.Name)
	}
	return nil
}

// UseContextOptions are the parsed command line of `config use-context`.
type UseContextOptions struct{ Name string }

// NewCmdUseContext builds `akctl config use-context`.
func NewCmdUseContext(f *cmdutil.Factory, runF func(*UseContextOptions) error) *cobra.Command {
	opts := &UseContextOptions{}
	return &cobra.Command{
		Use:   "use-context <name>",
		Short: "Make a context the current one",
		Args:  cmdutil.ExactArgs(1, "a context name"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return contextNames(f), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if _, ok := cfg.Context(opts.Name); !ok {
				return &config.UnknownContextError{Name: opts.Name, Known: cfg.Names(), Path: cfg.Path}
			}
			cfg.CurrentContext = opts.Name
			if err := cfg.Save(); err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "Switched to context %q.\n", opts.Name)
			return nil
		},
	}
}

func contextNames(f *cmdutil.Factory) []string {
	cfg, err := f.Config()
	if err != nil {
		return nil
	}
	return cfg.Names()
}

// NewCmdGetContexts builds `akctl config get-contexts`.
func NewCmdGetContexts(f *cmdutil.Factory) *cobra.Command {
	var opts output.Options
	cmd := &cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts (tokens masked)",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			p := output.NewPrinter(f.IOStreams, &opts)
			lw := p.List(output.View{
				Columns: []output.Column{{Header: "CURRENT", Path: "current"}, {Header: "NAME", Path: "name"}, {Header: "URL", Path: "url"},
					{Header: "TOKEN", Path: "token"}, {Header: "CA FILE", Path: "ca-file", Wide: true}, {Header: "INSECURE", Path: "insecure", Wide: true}},
				Name:  func(m map[string]any) string { return output.Scalar(m["name"]) },
				Empty: "No contexts; create one with `akctl config set-context`.",
			})
			for _, c := range cfg.Contexts {
				cur := ""
				if c.Name == cfg.CurrentContext {
					cur = "*"
				}
				raw, err := json.Marshal(map[string]any{"current": cur, "name": c.Name, "url": c.URL, "token": config.MaskToken(c.Token), "ca-file": c.CAFile, "insecure": c.Insecure})
				if err != nil {
					return err
				}
				if err := lw.Add(raw); err != nil {
					return err
				}
			}
			return lw.Close()
		},
	}
	output.AddFlags(cmd, &opts)
	return cmd
}

// NewCmdCurrentContext builds `akctl config current-context`.
func NewCmdCurrentContext(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "current-context",
		Short: "Print the current context's name",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if cfg.CurrentContext == "" {
				return &config.UnknownContextError{Name: "(current)", Known: cfg.Names(), Path: cfg.Path}
			}
			fmt.Fprintln(f.IOStreams.Out, cfg.CurrentContext)
			return nil
		},
	}
}

// NewCmdDeleteContext builds `akctl config delete-context`.
func NewCmdDeleteContext(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "delete-context <name>",
		Short: "Remove a context",
		Args:  cmdutil.ExactArgs(1, "a context name"),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return contextNames(f), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if !cfg.DeleteContext(args[0]) {
				return &config.UnknownContextError{Name: args[0], Known: cfg.Names(), Path: cfg.Path}
			}
			if err := cfg.Save(); err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "Context %q deleted.\n", args[0])
			return nil
		},
	}
}

// NewCmdView builds `akctl config view`.
func NewCmdView(f *cmdutil.Factory) *cobra.Command {
	var raw bool
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Show the configuration (tokens masked) and the connection in use",
		Long: `Print the configuration file (tokens masked unless --raw) and the
connection commands would use now, with where each value comes from
(flag, environment or context).`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			shown := *cfg
			shown.Contexts = slices.Clone(cfg.Contexts)
			if !raw {
				for i := range shown.Contexts {
					shown.Contexts[i].Token = config.MaskToken(shown.Contexts[i].Token)
				}
			}
			out := f.IOStreams.Out
			fmt.Fprintf(out, "# %s\n", cfg.Path)
			if len(shown.Contexts) == 0 && shown.CurrentContext == "" {
				fmt.Fprintln(out, "# (no configuration file yet; create a context with `akctl config set-context`)")
			} else {
				enc := yaml.NewEncoder(out)
				enc.SetIndent(2)
				if err := enc.Encode(&shown); err != nil {
					return err
				}
				if err := enc.Close(); err != nil {
					return err
				}
			}
			conn, err := f.Connection()
			if err != nil {
				return err
			}
			token := config.MaskToken(conn.Token)
			if raw {
				token = conn.Token
			}
			fmt.Fprintln(out, "# in use:")
			fmt.Fprintf(out, "#   context: %s\n", orNone(conn.Context))
			fmt.Fprintf(out, "#   url:     %s%s\n", orNone(conn.URL), from(conn.URLSource, "--url", config.EnvURL))
			fmt.Fprintf(out, "#   token:   %s%s\n", orNone(token), from(conn.TokenSource, "--token", config.EnvToken))
			return nil
		},
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "show tokens unmasked")
	return cmd
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func from(s config.Source, flag, env string) string {
	switch s {
	case config.SourceFlag:
		return " (from " + flag + ")"
	case config.SourceEnv:
		return " (from " + env + ")"
	case config.SourceContext:
		return " (from the context)"
	}
	return ""
}
