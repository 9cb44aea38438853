// Package edit implements `akctl edit`: change an object in $EDITOR and
// send only what changed.
package edit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/pkg/client"
)

// EditOptions are the parsed command line of `akctl edit`.
type EditOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Catalog   *resource.Catalog
	LookupEnv func(string) (string, bool)

	Resource *resource.Resource
	Name     string
	Output   output.Options

	printObject bool
}

// NewCmdEdit builds `akctl edit`.
func NewCmdEdit(f *cmdutil.Factory, runF func(context.Context, *EditOptions) error) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Resources: f.Resources, LookupEnv: f.LookupEnv}
	cmd := &cobra.Command{
		Use:   "edit <resource> <name-or-id>",
		Short: "Edit an object in $EDITOR; only changed fields are sent",
		Long: `Open an object as YAML in $EDITOR (else $VISUAL, else vi) and send the
fields you changed as a PATCH.

Read-only fields are shown for reference; changing them is refused. When
the server rejects the change, the editor opens again with its messages
as comments at the top; save without changes to give up (the edited copy
is kept and its path printed). Saving an empty file cancels the edit.`,
		Example: `  akctl edit flow default-authentication-flow
  EDITOR="code --wait" akctl edit user jane`,
		Args:              cmdutil.ExactArgs(2, "a resource and a name or id"),
		ValidArgsFunction: cmdutil.ResourceArgs(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(args[0])
			if err != nil {
				return err
			}
			if !r.Can(registry.OpPartialUpdate) {
				return &resource.UnsupportedError{Resource: r.Name, Verb: "edited"}
			}
			opts.Resource, opts.Name, opts.Catalog = r, args[1], f.Catalog()
			opts.printObject = cmd.Flags().Changed("output") || opts.Output.JQ != ""
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return editRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML, output.Name)
	return cmd
}

func editRun(ctx context.Context, o *EditOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	r := o.Resource
	obj, err := rc.Resolve(ctx, r, o.Name)
	if err != nil {
		return err
	}
	node, err := output.YAMLNode(obj.Raw)
	if err != nil {
		return err
	}
	var doc bytes.Buffer
	if err := output.EncodeYAML(&doc, node); err != nil {
		return err
	}
	original, err := output.FromYAML(doc.Bytes())
	if err != nil {
		return err
	}
	origMap, _ := original.(map[string]any)

	dir, err := os.MkdirTemp("", "akctl-edit-")
	if err != nil {
		return fmt.Errorf("edit: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	file := filepath.Join(dir, strings.ReplaceAll(r.Singular, "/", "-")+"-"+sanitize(r.Display(obj.Map))+".yaml")
	header := fmt.Sprintf("# Editing %s %q. Lines starting with '#' are ignored.\n# Only the fields you change are sent; an empty file cancels the edit.\n", r.Singular, r.Display(obj.Map))
	content := doc.String()
	var problems []string
	// lastErr is what the user gives up on by saving unchanged.
	var lastErr error
	for {
		presented := commentBlock(problems) + header + content
		if err := os.WriteFile(file, []byte(presented), 0o600); err != nil {
			return fmt.Errorf("edit: %w", err)
		}
		if err := runEditor(ctx, o, file); err != nil {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("edit: %w", err)
		}
		edited := stripComments(string(data))
		if strings.TrimSpace(edited) == "" {
			fmt.Fprintln(o.IO.ErrOut, "Edit cancelled: the file is empty.")
			return cmdutil.ErrCancelled
		}
		if problems != nil && edited == content {
			// Saved unchanged after an error: the user gives up. The
			// comments are left out of the comparison: an editor (or a
			// script) that rewrites them changes nothing that is sent,
			// and comparing them would loop forever.
			keep = true
			return fmt.Errorf("edit %s %q: not saved; your changes are in %s: %w", r.Name, o.Name, file, lastErr)
		}
		content = edited
		changes, probs := Changes(r, origMap, edited)
		if len(probs) > 0 {
			problems, lastErr = probs, cmdutil.Usagef("%s", strings.Join(probs, "; "))
			continue
		}
		if len(changes) == 0 {
			fmt.Fprintln(o.IO.ErrOut, "Edit cancelled: no changes made.")
			return nil
		}
		if err := rc.ResolveRefs(ctx, o.Catalog, r, changes); err != nil {
			problems, lastErr = []string{err.Error()}, err
			continue
		}
		raw, err := rc.Patch(ctx, r, obj.Lookup, changes)
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == 400 {
			problems, lastErr = validationLines(apiErr), err
			continue
		}
		if err != nil {
			return fmt.Errorf("edit %s %q: %w", r.Name, o.Name, err)
		}
		if o.printObject {
			return output.NewPrinter(o.IO, &o.Output).Object(raw, r.View())
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.Out, "%s %s (%s)\n", r.QualifiedName(m), o.IO.ColorScheme().Green("edited"), strings.Join(output.SortedKeys(changes), ", "))
		return nil
	}
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

func commentBlock(problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("# The server rejected the change; fix these and save (save unchanged to give up):\n")
	for _, p := range problems {
		for line := range strings.SplitSeq(p, "\n") {
			b.WriteString("#   " + line + "\n")
		}
	}
	b.WriteString("#\n")
	return b.String()
}

func validationLines(e *client.APIError) []string {
	var out []string
	if e.Detail != "" {
		out = append(out, e.Detail)
	}
	out = append(out, e.NonField...)
	for _, f := range output.SortedKeys(e.Fields) {
		out = append(out, f+": "+strings.Join(e.Fields[f], " "))
	}
	if len(out) == 0 {
		out = append(out, strings.TrimSpace(string(e.Body)))
	}
	return out
}

// stripComments drops whole-line comments (the header and error
// messages akctl wrote); comments inside values are the user's.
func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// Changes compares an edited document with the original object and
// returns the top-level fields that changed, or the problems that stop
// it from being sent (YAML errors, unknown or read-only fields).
func Changes(r *resource.Resource, original map[string]any, edited string) (map[string]any, []string) {
	v, err := output.FromYAML([]byte(edited))
	if err != nil {
		return nil, []string{"invalid YAML: " + err.Error()}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []string{"the document must be a YAML mapping of fields"}
	}
	changes := map[string]any{}
	var problems []string
	for _, k := range output.SortedKeys(m) {
		val := m[k]
		if old, had := original[k]; had && same(old, val) {
			continue
		}
		f, known := r.Model.Field(k)
		switch {
		case !known || f.Hidden:
			if _, had := original[k]; !had {
				problems = append(problems, fmt.Sprintf("%s: %s has no such field; writable fields: %s", k, r.Name, strings.Join(r.WritableFields(), ", ")))
				continue
			}
			problems = append(problems, fmt.Sprintf("%s: this field is read-only", k))
		case f.ReadOnly:
			problems = append(problems, fmt.Sprintf("%s: this field is read-only", k))
		default:
			changes[k] = val
		}
	}
	return changes, problems
}

// same compares two decoded values by their canonical JSON.
func same(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return reflect.DeepEqual(a, b)
	}
	return bytes.Equal(ja, jb)
}

// runEditor opens the file in $EDITOR (else $VISUAL, else vi), through
// the shell so that EDITOR may carry arguments ("code --wait").
func runEditor(ctx context.Context, o *EditOptions, file string) error {
	editor := ""
	for _, name := range []string{"EDITOR", "VISUAL"} {
		if v, ok := o.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			editor = v
			break
		}
	}
	if editor == "" {
		editor = "vi"
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", editor+` "$1"`, "akctl-editor", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.IO.In, o.IO.Out, o.IO.ErrOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("editor %q failed: %w (set EDITOR to the editor to use)", editor, err)
	}
	return nil
}
