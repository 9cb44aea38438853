// Package tokens implements `akctl tokens`: create a token and show a
// token's key.
package tokens

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/pkg/client"
)

// NewCmdTokens builds `akctl tokens`.
func NewCmdTokens(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Tokens: create one, show a key",
		Long:  "Commands for tokens beyond get/edit/delete (akctl get tokens, ...).",
	}
	cmd.AddCommand(NewCmdViewKey(f, nil), NewCmdCreate(f, nil))
	return cmd
}

// ViewKeyOptions are the parsed command line of `tokens view-key`.
type ViewKeyOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	Identifier string
}

// NewCmdViewKey builds `akctl tokens view-key`.
func NewCmdViewKey(f *cmdutil.Factory, runF func(context.Context, *ViewKeyOptions) error) *cobra.Command {
	opts := &ViewKeyOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:               "view-key <identifier>",
		Short:             "Print a token's key (the server records the access)",
		Example:           `  export AUTHENTIK_TOKEN=$(akctl tokens view-key my-automation)`,
		Args:              cmdutil.ExactArgs(1, "a token identifier"),
		ValidArgsFunction: cmdutil.ObjectArgs(f, "tokens", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Identifier = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			c, err := opts.Client()
			if err != nil {
				return err
			}
			key, err := viewKey(cmd.Context(), c, opts.Identifier)
			if err != nil {
				return err
			}
			fmt.Fprintln(opts.IO.Out, key)
			return nil
		},
	}
}

func viewKey(ctx context.Context, c *client.Client, identifier string) (string, error) {
	v, err := c.Core.TokensViewKeyRetrieve(ctx, identifier)
	if err != nil {
		if client.IsNotFound(err) {
			return "", &resource.NotFoundError{Resource: "tokens", Name: identifier}
		}
		return "", fmt.Errorf("view the key of token %q: %w", identifier, err)
	}
	return v.Key, nil
}

// CreateOptions are the parsed command line of `tokens create`.
type CreateOptions struct {
	IO          *iostreams.IOStreams
	Resources   func() (*resource.Client, error)
	Catalog     *resource.Catalog
	Identifier  string
	User        string
	Intent      string
	Description string
	// Expires is when the token expires; zero with NoExpiry means never.
	Expires  time.Time
	NoExpiry bool
	Output   output.Options

	structured bool
}

var intents = []string{"api", "app_password", "recovery", "verification"}

// NewCmdCreate builds `akctl tokens create`.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Resources: f.Resources}
	var expires string
	cmd := &cobra.Command{
		Use:   "create <identifier>",
		Short: "Create a token and print its key",
		Long: `Create a token and print its key on stdout (the rest goes to stderr,
so the key can be captured). --user names its owner (username or pk;
default: the server's choice, the caller). --expires takes a date
(RFC 3339) or a duration from now (720h); --no-expiry makes a token that
never expires.`,
		Example: `  akctl tokens create ci-deploy --user deploy-bot --no-expiry --description "CI"
  akctl tokens create temp --expires 24h`,
		Args: cmdutil.ExactArgs(1, "a token identifier"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Identifier, opts.Catalog = args[0], f.Catalog()
			opts.structured = cmd.Flags().Changed("output") || opts.Output.JQ != ""
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if !slices.Contains(intents, opts.Intent) {
				return cmdutil.Usagef("--intent %q: want one of %s", opts.Intent, strings.Join(intents, ", "))
			}
			if expires != "" {
				if opts.NoExpiry {
					return cmdutil.Usagef("--expires and --no-expiry cannot both be given")
				}
				t, err := parseExpiry(expires, f.Now())
				if err != nil {
					return cmdutil.Usagef("--expires %q: %v", expires, err)
				}
				opts.Expires = t
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.User, "user", "", "the token's owner (username or pk)")
	cmd.Flags().StringVar(&opts.Intent, "intent", "api", "the token's intent: "+strings.Join(intents, ", "))
	cmd.Flags().StringVar(&opts.Description, "description", "", "a description")
	cmd.Flags().StringVar(&expires, "expires", "", "expiry: an RFC 3339 `date` or a duration from now (720h)")
	cmd.Flags().BoolVar(&opts.NoExpiry, "no-expiry", false, "the token never expires")
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	_ = cmd.RegisterFlagCompletionFunc("user", func(_ *cobra.Command, _ []string, tc string) ([]string, cobra.ShellCompDirective) {
		return cmdutil.CompleteObjects(f, "users", tc), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("intent", cobra.FixedCompletions(intents, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// parseExpiry reads an RFC 3339 date or a duration from now.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 date (2030-01-02T15:04:05Z) or a duration (720h)")
	}
	if d <= 0 {
		return time.Time{}, fmt.Errorf("the duration must be positive")
	}
	return now.Add(d).UTC().Truncate(time.Second), nil
}

func createRun(ctx context.Context, o *CreateOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	tokens, err := o.Catalog.Lookup("tokens")
	if err != nil {
		return err
	}
	body := map[string]any{"identifier": o.Identifier, "intent": o.Intent}
	if o.Description != "" {
		body["description"] = o.Description
	}
	if o.NoExpiry {
		body["expiring"] = false
	} else if !o.Expires.IsZero() {
		body["expiring"] = true
		body["expires"] = o.Expires.Format(time.RFC3339)
	}
	if o.User != "" {
		users, err := o.Catalog.Lookup("users")
		if err != nil {
			return err
		}
		u, err := rc.Resolve(ctx, users, o.User)
		if err != nil {
			return err
		}
		body["user"] = u.Map["pk"]
	}
	raw, err := rc.Create(ctx, tokens, body)
	if err != nil {
		return fmt.Errorf("create token %q: %w", o.Identifier, err)
	}
	if o.structured {
		return output.NewPrinter(o.IO, &o.Output).Object(raw, tokens.View())
	}
	key, err := viewKey(ctx, rc.API, o.Identifier)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Token %q created; its key:\n", o.Identifier)
	fmt.Fprintln(o.IO.Out, key)
	return nil
}
