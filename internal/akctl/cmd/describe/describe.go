// Package describe implements `akctl describe`: one object for people,
// with its fields, the objects it refers to, and what refers to it.
package describe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"
)

// DescribeOptions are the parsed command line of `akctl describe`.
type DescribeOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Catalog   *resource.Catalog

	Resource *resource.Resource
	Name     string
	Output   output.Options

	// structured is -o or --jq given: data for programs instead of text.
	structured bool
}

// NewCmdDescribe builds `akctl describe`.
func NewCmdDescribe(f *cmdutil.Factory, runF func(context.Context, *DescribeOptions) error) *cobra.Command {
	opts := &DescribeOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "describe <resource> <name-or-id>",
		Short: "Show one object: fields, related objects, and what uses it",
		Long: `Show one object for people: its fields in the server's order, the
objects it refers to (by name), and the objects that refer to it, with
what deleting it would do to them (the API's used_by).

-o json and -o yaml print the same for programs: {"object": the API's
JSON of the object, "related": [{field, resource, value, name}],
"used_by": the API's used_by list} (used_by is left out for resources
without that operation).`,
		Example: `  akctl describe flow default-authentication-flow
  akctl describe user akadmin
  akctl describe policy/expression my-policy
  akctl describe stage/password my-stage -o json --jq '.used_by[].name'`,
		Args:              cmdutil.ExactArgs(2, "a resource and a name or id"),
		ValidArgsFunction: cmdutil.ResourceArgs(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(args[0])
			if err != nil {
				return err
			}
			opts.Resource, opts.Name, opts.Catalog = r, args[1], f.Catalog()
			opts.structured = cmd.Flags().Changed("output") || opts.Output.JQ != ""
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return describeRun(cmd.Context(), opts)
		},
	}
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	return cmd
}

func describeRun(ctx context.Context, o *DescribeOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	r := o.Resource
	obj, err := rc.Resolve(ctx, r, o.Name)
	if err != nil {
		return err
	}
	usedBy, err := rc.UsedBy(ctx, r, obj.Lookup)
	if err != nil {
		return fmt.Errorf("describe %s %q: used by: %w", r.Name, o.Name, err)
	}
	related := Related(ctx, rc, o.Catalog, r, obj.Map)
	if o.structured {
		raw, err := Document(r, obj, related, usedBy)
		if err != nil {
			return err
		}
		return output.NewPrinter(o.IO, &o.Output).JSON(raw)
	}
	var b bytes.Buffer
	if err := Write(&b, o.IO.ColorScheme(), r, obj, related, usedBy); err != nil {
		return err
	}
	_, err = o.IO.Out.Write(b.Bytes())
	return err
}

// Relation is one object the described object refers to.
type Relation struct {
	Field    string `json:"field"`
	Resource string `json:"resource"`
	Value    string `json:"value"`
	Name     string `json:"name,omitempty"`
}

// document is what -o json prints. The object stays the API's raw JSON
// (field order and numbers as sent), as for `akctl get -o json`.
type document struct {
	Object  json.RawMessage    `json:"object"`
	Related []Relation         `json:"related"`
	UsedBy  *[]resource.UsedBy `json:"used_by,omitempty"`
}

// Document renders the description as JSON for -o json|yaml and --jq.
func Document(r *resource.Resource, obj *resource.Object, related []Relation, usedBy []resource.UsedBy) ([]byte, error) {
	d := document{Object: obj.Raw, Related: related}
	if d.Related == nil {
		d.Related = []Relation{}
	}
	if r.Can(registry.OpUsedBy) {
		if usedBy == nil {
			usedBy = []resource.UsedBy{}
		}
		d.UsedBy = &usedBy
	}
	return json.Marshal(d)
}

// maxLookups bounds the extra requests describe makes to name related
// objects that the response does not embed.
const maxLookups = 10

// Related names the objects an object refers to through its foreign
// keys: from the embedded X_obj when the API sends one, else by fetching
// the target (at most maxLookups of them).
func Related(ctx context.Context, rc *resource.Client, cat *resource.Catalog, r *resource.Resource, obj map[string]any) []Relation {
	var out []Relation
	lookups := 0
	for i := range r.Model.Fields {
		f := &r.Model.Fields[i]
		if f.Ref == "" || f.Hidden || f.WriteOnly {
			continue
		}
		v, ok := obj[f.Name]
		if !ok || v == nil || output.Scalar(v) == "" {
			continue
		}
		rel := Relation{Field: f.Name, Value: output.Scalar(v)}
		target, hasTarget := cat.ForModel(f.Ref)
		if hasTarget {
			rel.Resource = target.Singular
		} else {
			rel.Resource = f.Ref
		}
		if emb, ok := obj[f.Name+"_obj"].(map[string]any); ok && hasTarget {
			rel.Name = target.Display(emb)
		} else if hasTarget && lookups < maxLookups {
			lookups++
			if o, err := rc.Resolve(ctx, target, rel.Value); err == nil {
				rel.Name = target.Display(o.Map)
			}
		}
		out = append(out, rel)
	}
	return out
}

// Consequence says in words what an on-delete action does to the object
// that refers.
func Consequence(action string) string {
	switch strings.ToLower(action) {
	case "cascade", "cascade_many":
		return "deleted along with it"
	case "set_null":
		return "its reference is cleared"
	case "set_default":
		return "its reference is reset to the default"
	}
	return action
}

// Write renders the description.
func Write(w io.Writer, cs *iostreams.ColorScheme, r *resource.Resource, obj *resource.Object, related []Relation, usedBy []resource.UsedBy) error {
	fmt.Fprintf(w, "%s %s\n", cs.Bold(r.Singular+":"), r.Display(obj.Map))
	fmt.Fprintf(w, "%s %s (%s)\n", cs.Bold("Model:"), r.Model.Name, r.Model.VerboseName)
	node, err := output.YAMLNode(obj.Raw)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, cs.Bold("Fields:"))
	width := 0
	for i := 0; i+1 < len(node.Content); i += 2 {
		width = max(width, len(node.Content[i].Value))
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, val := node.Content[i].Value, node.Content[i+1]
		if val.Kind == yaml.ScalarNode && !strings.Contains(val.Value, "\n") {
			v := val.Value
			if val.Tag == "!!null" {
				v = cs.Gray("<none>")
			} else if v == "" {
				v = cs.Gray(`""`)
			}
			fmt.Fprintf(w, "  %-*s  %s\n", width+1, key+":", v)
			continue
		}
		if (val.Kind == yaml.SequenceNode || val.Kind == yaml.MappingNode) && len(val.Content) == 0 {
			empty := "[]"
			if val.Kind == yaml.MappingNode {
				empty = "{}"
			}
			fmt.Fprintf(w, "  %-*s  %s\n", width+1, key+":", cs.Gray(empty))
			continue
		}
		fmt.Fprintf(w, "  %s\n", key+":")
		var buf bytes.Buffer
		if err := output.EncodeYAML(&buf, val); err != nil {
			return err
		}
		for line := range strings.Lines(buf.String()) {
			fmt.Fprint(w, "    "+line)
		}
	}
	if len(related) > 0 {
		fmt.Fprintln(w, cs.Bold("Related:"))
		for _, rel := range related {
			name := rel.Value
			if rel.Name != "" && rel.Name != rel.Value {
				name = fmt.Sprintf("%s (%s)", rel.Name, rel.Value)
			}
			fmt.Fprintf(w, "  %-*s  %s/%s\n", width+1, rel.Field+":", rel.Resource, name)
		}
	}
	if r.Can(registry.OpUsedBy) {
		if len(usedBy) == 0 {
			fmt.Fprintf(w, "%s %s\n", cs.Bold("Used by:"), cs.Gray("nothing"))
		} else {
			fmt.Fprintf(w, "%s\n", cs.Bold(fmt.Sprintf("Used by (%d):", len(usedBy))))
			for _, u := range usedBy {
				fmt.Fprintf(w, "  %s.%s %q (pk %s): %s (%s)\n", u.App, u.ModelName, u.Name, u.PK, Consequence(u.Action), strings.ToLower(u.Action))
			}
		}
	}
	return nil
}
