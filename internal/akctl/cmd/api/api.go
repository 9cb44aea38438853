// Package api implements `akctl api`: call any operation of the schema
// by operationId or by method and path, with parameters checked against
// the schema before anything is sent.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/apiop"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/pkg/client"
)

// APIOptions are the parsed command line of `akctl api`.
type APIOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	// Request is the checked call.
	Request  *apiop.Request
	Paginate bool
	Output   output.Options
	// Describe prints the operation's parameters instead of calling it.
	Describe bool
}

// NewCmdAPI builds `akctl api`.
func NewCmdAPI(f *cmdutil.Factory, runF func(context.Context, *APIOptions) error) *cobra.Command {
	opts := &APIOptions{IO: f.IOStreams, Client: f.Client}
	var fields, fileFields []string
	var input string
	var list bool
	cmd := &cobra.Command{
		Use:   "api <operationId | METHOD /path/>",
		Short: "Call any API operation, with parameters checked against the schema",
		Long: `Call any operation of the authentik API, named by its operationId
(core_users_set_password_create) or by method and path relative to
/api/v3 (POST /core/users/7/set_password/).

Parameters are given with -f key=value and converted to the type the
schema declares for them; an unknown parameter or a value of the wrong
type is a usage error naming the valid ones, and nothing is sent. Each
key is a path parameter, a query parameter or a field of the request
body, in that order; "attributes.key=value" sets a key inside an object
field. -F key=@file reads the value from a file (@- for stdin), or
uploads the file for file fields. --input reads the whole body from a
YAML or JSON file; -f fields are merged into it.

The response is printed as the API's JSON (--jq filters it, -o yaml
converts it); responses that are not JSON are written as they are.

akctl api --list [TEXT] lists the operations; --describe shows an
operation's parameters.`,
		Example: `  akctl api admin_version_retrieve
  akctl api GET /flows/instances/ -f designation=authentication --jq '.results[].slug'
  akctl api core_users_set_password_create -f id=7 -f password=s3cret
  akctl api POST /core/groups/ -f name=ops -f attributes.team=ops
  akctl api flows_instances_import_create -F file=@flow.yaml
  akctl api core_users_list --paginate -o yaml
  akctl api --list tokens`,
		Args: cmdutil.RangeArgs(0, 2, "an operationId, or a method and a path"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, o := range apiop.All() {
				if strings.HasPrefix(o.ID, toComplete) {
					out = append(out, o.ID+"\t"+o.Method+" "+o.Path)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				if len(args) > 1 {
					return cmdutil.Usagef("--list takes at most one filter text")
				}
				filter := ""
				if len(args) == 1 {
					filter = args[0]
				}
				return listOperations(f.IOStreams, filter)
			}
			if len(args) == 0 {
				return cmdutil.Usagef("api: name an operation (operationId, or METHOD /path/); `akctl api --list` lists them")
			}
			op, pathVals, err := findOperation(args)
			if err != nil {
				return err
			}
			if opts.Describe {
				return describeOperation(f.IOStreams, op)
			}
			parsed, err := parseFields(f, fields, fileFields)
			if err != nil {
				return err
			}
			var body map[string]any
			if input != "" {
				data, err := cmdutil.ReadInput(f, input)
				if err != nil {
					return err
				}
				v, err := output.FromYAML(data)
				if err != nil {
					return cmdutil.Usagef("--input %s: %v", input, err)
				}
				m, ok := v.(map[string]any)
				if !ok {
					return cmdutil.Usagef("--input %s: want a JSON or YAML object", input)
				}
				body = m
			}
			req, err := op.Build(pathVals, parsed, body)
			if err != nil {
				return cmdutil.MarkUsage(err)
			}
			if opts.Paginate {
				if cop, ok := client.LookupOperation(op.ID); !ok || !cop.Paginated {
					return cmdutil.Usagef("--paginate: %s is not a paginated list", op.ID)
				}
			}
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			opts.Request = req
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return apiRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&fields, "field", "f", nil, "a parameter `key=value`, typed by the schema (repeatable)")
	cmd.Flags().StringArrayVarP(&fileFields, "file-field", "F", nil, "a parameter `key=@file` read from a file (@- for stdin), or a file upload")
	cmd.Flags().StringVar(&input, "input", "", "read the request body from a JSON or YAML `file` (- for stdin)")
	cmd.Flags().BoolVar(&opts.Paginate, "paginate", false, "fetch every page of a list and print an array of all results")
	cmd.Flags().BoolVar(&list, "list", false, "list the operations (whose id or path contains the argument)")
	cmd.Flags().BoolVar(&opts.Describe, "describe", false, "show the operation's parameters instead of calling it")
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	return cmd
}

// findOperation reads the operation arguments: an operationId, or a
// method and a path.
func findOperation(args []string) (*apiop.Operation, map[string]string, error) {
	if len(args) == 1 && strings.Contains(args[0], " ") {
		args = strings.Fields(args[0])
	}
	if len(args) == 1 {
		op, ok := apiop.Lookup(args[0])
		if !ok {
			return nil, nil, cmdutil.Usagef("unknown operation %q%s (`akctl api --list` lists them)", args[0], suggest(args[0]))
		}
		return op, nil, nil
	}
	method, path := strings.ToUpper(args[0]), args[1]
	switch method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		return nil, nil, cmdutil.Usagef("unknown method %q: want GET, POST, PUT, PATCH or DELETE", args[0])
	}
	path = strings.TrimPrefix(path, client.APIRoot)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return nil, nil, cmdutil.Usagef("give query parameters with -f key=value, not in the path (%s)", path[i:])
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	op, vals, ok := apiop.Match(method, path)
	if !ok {
		msg := fmt.Sprintf("no operation %s %s in the authentik API", method, path)
		if others := apiop.PathsFor(path); len(others) > 0 {
			msg += "; that path has: " + strings.Join(others, ", ")
		}
		return nil, nil, cmdutil.Usagef("%s", msg)
	}
	return op, vals, nil
}

func suggest(id string) string {
	var out []string
	for _, o := range apiop.All() {
		if strings.Contains(o.ID, id) || strings.HasPrefix(id, strings.TrimSuffix(o.ID, "_list")) {
			out = append(out, o.ID)
		}
		if len(out) == 5 {
			break
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(out, ", ") + "?"
}

// parseFields reads -f and -F.
func parseFields(f *cmdutil.Factory, fields, fileFields []string) ([]apiop.Field, error) {
	var out []apiop.Field
	for _, kv := range fields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cmdutil.Usagef("-f %q: want key=value", kv)
		}
		out = append(out, apiop.Field{Key: k, Value: v})
	}
	for _, kv := range fileFields {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cmdutil.Usagef("-F %q: want key=@file", kv)
		}
		if !strings.HasPrefix(v, "@") {
			out = append(out, apiop.Field{Key: k, Value: v})
			continue
		}
		path := v[1:]
		data, err := cmdutil.ReadInput(f, path)
		if err != nil {
			return nil, err
		}
		out = append(out, apiop.Field{Key: k, Value: strings.TrimSuffix(string(data), "\n"), Path: path})
	}
	return out, nil
}

func apiRun(ctx context.Context, o *APIOptions) error {
	c, err := o.Client()
	if err != nil {
		return err
	}
	req := o.Request
	p := output.NewPrinter(o.IO, &o.Output)
	what := req.Op.ID
	if req.Op.Multipart {
		raw, err := callMultipart(ctx, c, req)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if len(raw) == 0 {
			return nil
		}
		return p.JSON(raw)
	}
	var body any
	if req.Body != nil {
		body = req.Body
	}
	if o.Paginate {
		lw := p.List(output.View{})
		for n := 1; ; {
			q := cloneQuery(req)
			q.Set("page", strconv.Itoa(n))
			var page struct {
				Pagination client.Pagination `json:"pagination"`
				Results    []json.RawMessage `json:"results"`
			}
			if err := c.Do(ctx, req.Op.Method, req.Path, q, body, &page); err != nil {
				return fmt.Errorf("%s (page %d): %w", what, n, err)
			}
			for _, r := range page.Results {
				if err := lw.Add(r); err != nil {
					return err
				}
			}
			next := int(page.Pagination.Next)
			if next <= n {
				break
			}
			n = next
		}
		return lw.Close()
	}
	var raw []byte
	if err := c.Do(ctx, req.Op.Method, req.Path, req.Query, body, &raw); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(raw) == 0 {
		return nil
	}
	return p.JSON(raw)
}

func cloneQuery(req *apiop.Request) url.Values {
	q := url.Values{}
	for k, v := range req.Query {
		q[k] = append([]string(nil), v...)
	}
	if _, ok := q["page_size"]; !ok {
		q["page_size"] = []string{"1000"}
	}
	return q
}

func listOperations(ios *iostreams.IOStreams, filter string) error {
	t := output.NewTable(ios, "OPERATION", "METHOD", "PATH", "SUMMARY")
	n := 0
	for _, o := range apiop.All() {
		if filter != "" && !strings.Contains(o.ID, filter) && !strings.Contains(o.Path, filter) {
			continue
		}
		t.Row(o.ID, o.Method, o.Path, o.Summary)
		n++
	}
	if n == 0 {
		return cmdutil.Usagef("no operation matches %q", filter)
	}
	return t.Close()
}

func describeOperation(ios *iostreams.IOStreams, op *apiop.Operation) error {
	cs := ios.ColorScheme()
	fmt.Fprintf(ios.Out, "%s %s %s\n", cs.Bold(op.ID), op.Method, op.Path)
	if op.Summary != "" {
		fmt.Fprintln(ios.Out, op.Summary)
	}
	params := op.Parameters()
	if len(params) == 0 {
		fmt.Fprintln(ios.Out, "No parameters.")
		return nil
	}
	sort.SliceStable(params, func(i, j int) bool { return params[i].In < params[j].In })
	if op.Body != "" {
		fmt.Fprintf(ios.Out, "Body: %s", op.Body)
		if op.Multipart {
			fmt.Fprint(ios.Out, " (multipart/form-data)")
		}
		fmt.Fprintln(ios.Out)
	}
	fmt.Fprintln(ios.Out)
	t := output.NewTable(ios, "PARAMETER", "IN", "TYPE", "REQUIRED")
	for _, p := range params {
		req := ""
		if p.Required {
			req = "yes"
		}
		t.Row(p.Name, p.In.String(), p.Describe(), req)
	}
	return t.Close()
}
