// Package get implements `akctl get`: list objects of a resource, or
// show some of them by name or id.
package get

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
	"github.com/akgo/akgo/internal/registry"
)

// AllPagesSize is the page size --all-pages asks for: few round trips,
// and one page of even large objects fits comfortably in memory.
const AllPagesSize = 1000

// GetOptions are the parsed command line of `akctl get`.
type GetOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)

	Resource *resource.Resource
	Names    []string
	Search   string
	Filters  []string
	Ordering string
	PageSize int
	AllPages bool
	Output   output.Options
}

// NewCmdGet builds `akctl get`; runF replaces getRun in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *GetOptions) error) *cobra.Command {
	opts := &GetOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "get <resource> [name-or-id...]",
		Short: "List objects of a resource, or show some by name or id",
		Long: `List the objects of a resource, or show the ones named.

Resources are named by plural, singular or short name (flows, flow,
stage/password, policy/expression, users, ...; see akctl api-resources).
Objects are named by primary key or natural key (slug, name, username).

Without names, get prints the first page of the list; --all-pages walks
every page (streamed, one page in memory at a time). On a terminal the
output is an aligned table; piped, it is tab-separated rows without a
header, stable for scripts.`,
		Example: `  akctl get flows
  akctl get users --search jane -o wide
  akctl get stage/password --filter name=default-authentication-password
  akctl get flow default-authentication-flow -o yaml
  akctl get users --all-pages -o json --jq '.[].username'`,
		Args:              cmdutil.MinArgs(1, "a resource (and optionally names or ids)"),
		ValidArgsFunction: cmdutil.ResourceArgs(f, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Catalog().Lookup(args[0])
			if err != nil {
				return err
			}
			opts.Resource, opts.Names = r, args[1:]
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Search, "search", "s", "", "only objects matching a search term")
	cmd.Flags().StringArrayVar(&opts.Filters, "filter", nil, "only objects whose `field=value` (repeatable; the resource's filters)")
	cmd.Flags().StringVar(&opts.Ordering, "ordering", "", "sort by `field` (prefix - for descending; comma-separated)")
	cmd.Flags().IntVar(&opts.PageSize, "page-size", 0, "objects per page (default: the server's, or 1000 with --all-pages)")
	cmd.Flags().BoolVarP(&opts.AllPages, "all-pages", "A", false, "fetch every page, not only the first")
	output.AddFlags(cmd, &opts.Output)
	_ = cmd.RegisterFlagCompletionFunc("filter", func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		r, err := f.Catalog().Lookup(args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, fl := range r.Endpoint.Filters {
			out = append(out, fl.Param+"=")
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	_ = cmd.RegisterFlagCompletionFunc("ordering", func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		r, err := f.Catalog().Lookup(args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return r.Model.Ordering, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// validate checks list flags against the resource before anything is
// sent.
func (o *GetOptions) validate() error {
	listing := len(o.Names) == 0
	if !listing && (o.Search != "" || len(o.Filters) > 0 || o.Ordering != "" || o.AllPages || o.PageSize != 0) {
		return cmdutil.Usagef("--search, --filter, --ordering, --page-size and --all-pages apply to lists, not to named objects")
	}
	if o.PageSize < 0 {
		return cmdutil.Usagef("--page-size must be positive")
	}
	if !listing {
		return nil
	}
	if !o.Resource.Can(registry.OpList) {
		return cmdutil.MarkUsage(&resource.UnsupportedError{Resource: o.Resource.Name, Verb: "listed"})
	}
	if _, err := o.Query(); err != nil {
		return err
	}
	return nil
}

// Query builds the list query, checking filters and ordering against
// the endpoint: an unknown one is a usage error naming the valid ones.
func (o *GetOptions) Query() (url.Values, error) {
	q := url.Values{}
	ep := o.Resource.Endpoint
	if o.Search != "" {
		if len(o.Resource.Model.Search) == 0 && ep.Paginated != "" {
			return nil, cmdutil.Usagef("%s cannot be searched; use --filter (valid: %s)", o.Resource.Name, filterNames(ep))
		}
		q.Set("search", o.Search)
	}
	for _, fv := range o.Filters {
		key, val, ok := strings.Cut(fv, "=")
		if !ok || key == "" {
			return nil, cmdutil.Usagef("--filter %q: want FIELD=VALUE", fv)
		}
		fl, found := findFilter(ep, key)
		if !found {
			return nil, cmdutil.Usagef("--filter %s: %s has no filter %q; valid: %s", fv, o.Resource.Name, key, filterNames(ep))
		}
		vals := []string{val}
		if fl.Multi {
			vals = strings.Split(val, ",")
		}
		for _, v := range vals {
			if err := checkFilterValue(fl, v); err != nil {
				return nil, cmdutil.Usagef("--filter %s: %v", fv, err)
			}
			q.Add(key, v)
		}
	}
	if o.Ordering != "" {
		for part := range strings.SplitSeq(o.Ordering, ",") {
			field := strings.TrimPrefix(strings.TrimSpace(part), "-")
			if !slices.Contains(o.Resource.Model.Ordering, field) {
				return nil, cmdutil.Usagef("--ordering %s: %s cannot be ordered by %q; valid: %s", o.Ordering, o.Resource.Name, field, strings.Join(o.Resource.Model.Ordering, ", "))
			}
		}
		q.Set("ordering", o.Ordering)
	}
	switch {
	case o.PageSize > 0:
		q.Set("page_size", strconv.Itoa(o.PageSize))
	case o.AllPages:
		q.Set("page_size", strconv.Itoa(AllPagesSize))
	}
	return q, nil
}

func findFilter(ep *registry.Endpoint, name string) (registry.Filter, bool) {
	for _, f := range ep.Filters {
		if f.Param == name {
			return f, true
		}
	}
	return registry.Filter{}, false
}

func filterNames(ep *registry.Endpoint) string {
	if len(ep.Filters) == 0 {
		return "none"
	}
	names := make([]string, len(ep.Filters))
	for i, f := range ep.Filters {
		names[i] = f.Param
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func checkFilterValue(f registry.Filter, v string) error {
	switch f.Kind {
	case registry.KindInt:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("want an integer, got %q", v)
		}
	case registry.KindFloat:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("want a number, got %q", v)
		}
	case registry.KindBool:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
	case registry.KindUUID:
		if !uuidRE.MatchString(v) {
			return fmt.Errorf("want a UUID (the object's pk), got %q", v)
		}
	}
	if len(f.Enum) > 0 && !slices.Contains(f.Enum, v) {
		return fmt.Errorf("want one of %s, got %q", strings.Join(f.Enum, ", "), v)
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

func getRun(ctx context.Context, o *GetOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	p := output.NewPrinter(o.IO, &o.Output)
	r := o.Resource
	if len(o.Names) > 0 {
		objs := make([]*resource.Object, 0, len(o.Names))
		for _, n := range o.Names {
			obj, err := rc.Resolve(ctx, r, n)
			if err != nil {
				return err
			}
			objs = append(objs, obj)
		}
		if len(objs) == 1 {
			return p.Object(objs[0].Raw, r.View())
		}
		lw := p.List(r.View())
		for _, obj := range objs {
			if err := lw.Add(obj.Raw); err != nil {
				return err
			}
		}
		return lw.Close()
	}
	q, err := o.Query()
	if err != nil {
		return err
	}
	return List(ctx, o.IO, rc, r, q, o.AllPages, p)
}

// List prints a list page by page. With all, every page is fetched; a
// progress bar shows on a terminal's stderr unless the objects are being
// streamed to that terminal.
func List(ctx context.Context, ios *iostreams.IOStreams, rc *resource.Client, r *resource.Resource, q url.Values, all bool, p *output.Printer) error {
	lw := p.List(r.View())
	streamingToTTY := ios.IsStdoutTTY() && (p.Opts.Format == output.JSON || p.Opts.Format == output.YAML || p.Opts.Format == output.Name) && p.Opts.JQ == ""
	var bar output.Progress
	var last resource.Page
	err := rc.Walk(ctx, r, q, all, func(page *resource.Page) error {
		if bar == nil {
			bar = output.NewProgress(ios, all && !streamingToTTY && page.Pagination.Next > 0, int(page.Pagination.Count), "Fetching "+r.Name)
		}
		for _, raw := range page.Results {
			if err := lw.Add(json.RawMessage(raw)); err != nil {
				return err
			}
		}
		bar.Add(len(page.Results))
		last.Pagination = page.Pagination
		return nil
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", r.Name, err)
	}
	if err := lw.Close(); err != nil {
		return err
	}
	if !all && last.Pagination.Next > 0 && ios.IsStdoutTTY() {
		cs := ios.ErrColorScheme()
		fmt.Fprintln(ios.ErrOut, cs.Gray(fmt.Sprintf("Showing %d-%d of %d %s; use --all-pages for all of them.",
			int(last.Pagination.StartIndex), int(last.Pagination.EndIndex), int(last.Pagination.Count), r.Name)))
	}
	return nil
}
