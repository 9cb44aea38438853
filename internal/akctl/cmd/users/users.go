// Package users implements `akctl users`: the current user, and setting
// a user's password.
package users

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/pkg/client"
)

// NewCmdUsers builds `akctl users`.
func NewCmdUsers(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Users: who am I, set a password",
		Long:  "Commands for users beyond get/create/edit/delete (akctl get users, ...).",
	}
	cmd.AddCommand(NewCmdMe(f, nil), NewCmdSetPassword(f, nil))
	return cmd
}

// MeOptions are the parsed command line of `users me`.
type MeOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Output output.Options
}

// NewCmdMe builds `akctl users me`.
func NewCmdMe(f *cmdutil.Factory, runF func(context.Context, *MeOptions) error) *cobra.Command {
	opts := &MeOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "me",
		Short: "Show the user the token belongs to",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return meRun(cmd.Context(), opts, cmd.Flags().Changed("output"))
		},
	}
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	return cmd
}

func meRun(ctx context.Context, o *MeOptions, structured bool) error {
	c, err := o.Client()
	if err != nil {
		return err
	}
	var raw []byte
	if err := c.Do(ctx, "GET", "/core/users/me/", nil, nil, &raw); err != nil {
		return fmt.Errorf("get the current user: %w", err)
	}
	if structured || o.Output.JQ != "" {
		return output.NewPrinter(o.IO, &o.Output).JSON(raw)
	}
	var me struct {
		User struct {
			PK          int    `json:"pk"`
			Username    string `json:"username"`
			Name        string `json:"name"`
			Email       string `json:"email"`
			IsSuperuser bool   `json:"is_superuser"`
			Type        string `json:"type"`
			Groups      []struct {
				Name string `json:"name"`
			} `json:"groups"`
		} `json:"user"`
		Original *struct {
			Username string `json:"username"`
		} `json:"original"`
	}
	if err := json.Unmarshal(raw, &me); err != nil {
		return fmt.Errorf("decode the current user: %w", err)
	}
	u := me.User
	groups := make([]string, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = g.Name
	}
	cs := o.IO.ColorScheme()
	w := o.IO.Out
	fmt.Fprintf(w, "%s %s\n", cs.Bold("username: "), u.Username)
	fmt.Fprintf(w, "%s %s\n", cs.Bold("name:     "), u.Name)
	fmt.Fprintf(w, "%s %s\n", cs.Bold("email:    "), u.Email)
	fmt.Fprintf(w, "%s %d\n", cs.Bold("pk:       "), u.PK)
	fmt.Fprintf(w, "%s %s\n", cs.Bold("type:     "), u.Type)
	fmt.Fprintf(w, "%s %t\n", cs.Bold("superuser:"), u.IsSuperuser)
	fmt.Fprintf(w, "%s %s\n", cs.Bold("groups:   "), strings.Join(groups, ", "))
	if me.Original != nil && me.Original.Username != "" {
		fmt.Fprintf(w, "%s %s\n", cs.Bold("impersonated by:"), me.Original.Username)
	}
	return nil
}

// SetPasswordOptions are the parsed command line of `users set-password`.
type SetPasswordOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Users     *resource.Resource
	User      string
	// FromStdin reads the password from stdin's first line.
	FromStdin bool
	// ReadPassword reads a password from the terminal without echo.
	ReadPassword func(prompt string) (string, error)
}

// NewCmdSetPassword builds `akctl users set-password`.
func NewCmdSetPassword(f *cmdutil.Factory, runF func(context.Context, *SetPasswordOptions) error) *cobra.Command {
	opts := &SetPasswordOptions{IO: f.IOStreams, Resources: f.Resources, ReadPassword: terminalPassword(f.IOStreams)}
	cmd := &cobra.Command{
		Use:   "set-password <user> [--password-stdin]",
		Short: "Set a user's password",
		Long: `Set a user's password (username or pk). On a terminal the password is
asked twice without echo; otherwise --password-stdin reads it from the
first line of stdin. It is never taken from the command line, where it
would end up in the shell's history.`,
		Example: `  akctl users set-password jane
  printf '%s\n' "$PASSWORD" | akctl users set-password jane --password-stdin`,
		Args:              cmdutil.ExactArgs(1, "a user (username or pk)"),
		ValidArgsFunction: cmdutil.ObjectArgs(f, "users", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			users, err := f.Catalog().Lookup("users")
			if err != nil {
				return err
			}
			opts.Users, opts.User = users, args[0]
			if !opts.FromStdin && !opts.IO.IsStdinTTY() {
				return cmdutil.Usagef("stdin is not a terminal: pass --password-stdin to read the password from it")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return setPasswordRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.FromStdin, "password-stdin", false, "read the password from stdin")
	return cmd
}

func terminalPassword(ios *iostreams.IOStreams) func(string) (string, error) {
	return func(prompt string) (string, error) {
		fmt.Fprint(ios.ErrOut, prompt)
		defer fmt.Fprintln(ios.ErrOut)
		if f, ok := ios.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			b, err := term.ReadPassword(int(f.Fd()))
			return string(b), err
		}
		line, err := bufio.NewReader(ios.In).ReadString('\n')
		if err != nil && line == "" {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
}

func setPasswordRun(ctx context.Context, o *SetPasswordOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	user, err := rc.Resolve(ctx, o.Users, o.User)
	if err != nil {
		return err
	}
	var password string
	if o.FromStdin {
		line, err := bufio.NewReader(o.IO.In).ReadBytes('\n')
		if err != nil && len(line) == 0 {
			return cmdutil.Usagef("--password-stdin: stdin is empty")
		}
		password = string(bytes.TrimRight(line, "\r\n"))
	} else {
		p1, err := o.ReadPassword(fmt.Sprintf("New password for %s: ", o.Users.Display(user.Map)))
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		p2, err := o.ReadPassword("Repeat it: ")
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		if p1 != p2 {
			return cmdutil.Usagef("the passwords do not match; nothing was changed")
		}
		password = p1
	}
	if password == "" {
		return cmdutil.Usagef("the password is empty; nothing was changed")
	}
	body := map[string]any{"password": password}
	if err := rc.API.Do(ctx, "POST", "/core/users/"+user.Lookup+"/set_password/", nil, body, nil); err != nil {
		return fmt.Errorf("set the password of user %q: %w", o.Users.Display(user.Map), err)
	}
	fmt.Fprintf(o.IO.ErrOut, "Password of user %q set.\n", o.Users.Display(user.Map))
	return nil
}
