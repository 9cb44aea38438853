package cmdutil

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/output"
)

// ReadInput reads a file named on the command line; "-" is stdin.
func ReadInput(f *Factory, path string) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(f.IOStreams.In)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, MarkUsage(fmt.Errorf("read %s: %w", path, err))
	}
	return data, nil
}

// Confirm asks a yes/no question on the terminal; without a terminal it
// refuses, naming the flag that skips the question.
func Confirm(f *Factory, question, skipFlag string) error {
	ios := f.IOStreams
	if !ios.IsStdinTTY() || !ios.IsStderrTTY() {
		return Usagef("refusing to continue without confirmation: stdin is not a terminal; pass %s to proceed", skipFlag)
	}
	fmt.Fprintf(ios.ErrOut, "%s [y/N] ", question)
	line, err := bufio.NewReader(ios.In).ReadString('\n')
	if err != nil && line == "" {
		return ErrCancelled
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return ErrCancelled
}

// completionTimeout bounds the server calls of shell completion: a
// slow server must not hang the user's shell.
const completionTimeout = 3 * time.Second

// CompleteResources completes resource names.
func CompleteResources(f *Factory, toComplete string) []string {
	var out []string
	for _, n := range f.Catalog().Names() {
		if strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out
}

// CompleteObjects completes object names (natural keys, else lookup
// values) of a resource from the server, searching for what was typed.
// Errors give no completions: completion must never print errors.
func CompleteObjects(f *Factory, resourceName, toComplete string) []string {
	r, err := f.Catalog().Lookup(resourceName)
	if err != nil {
		return nil
	}
	rc, err := f.Resources()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	q := url.Values{"page_size": {"100"}}
	if toComplete != "" {
		q.Set("search", toComplete)
	}
	page, err := rc.ListPage(ctx, r, q)
	if err != nil {
		return nil
	}
	var out []string
	for _, raw := range page.Results {
		v, err := output.Decode(raw)
		if err != nil {
			continue
		}
		obj, _ := v.(map[string]any)
		name := r.Display(obj)
		if name != "" && strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	return out
}

// ResourceArgs completes "<resource> <name>..." arguments.
func ResourceArgs(f *Factory, objects bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return CompleteResources(f, toComplete), cobra.ShellCompDirectiveNoFileComp
		}
		if !objects {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return CompleteObjects(f, args[0], toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// ObjectArgs completes every argument with objects of one resource.
func ObjectArgs(f *Factory, resourceName string, max int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if max > 0 && len(args) >= max {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return CompleteObjects(f, resourceName, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}
