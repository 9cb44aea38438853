package get

import (
	"context"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
	"github.com/akgo/akgo/internal/akctl/output"
)

func TestNewCmdGet(t *testing.T) {
	tests := []struct {
		name      string
		args      string
		resource  string
		names     []string
		query     string
		format    output.Format
		allPages  bool
		wantErr   string
		wantUsage bool
	}{
		{name: "list", args: "flows", resource: "flows", format: output.Table},
		{name: "singular and names", args: "flow a b", resource: "flows", names: []string{"a", "b"}, format: output.Table},
		{name: "family member", args: "stage/password -o json", resource: "stages/password", format: output.JSON},
		{name: "search filter ordering", args: "users -s jane --filter is_active=true --filter type=internal,external --ordering -username,name -o wide",
			resource: "users", query: "is_active=true&ordering=-username%2Cname&search=jane&type=internal&type=external", format: output.Wide},
		{name: "all pages uses large pages", args: "users -A -o json", resource: "users", query: "page_size=1000", allPages: true, format: output.JSON},
		{name: "explicit page size", args: "users --page-size 5", resource: "users", query: "page_size=5", format: output.Table},
		{name: "jq implies json", args: "flows --jq .[].slug", resource: "flows", format: output.JSON},
		{name: "no resource", args: "", wantErr: "want a resource", wantUsage: true},
		{name: "unknown resource", args: "flowz", wantErr: `unknown resource "flowz"; did you mean flows`},
		{name: "unknown filter names the valid ones", args: "flows --filter foo=1", wantErr: `flows has no filter "foo"; valid: denied_action, designation, flow_uuid, name, slug`, wantUsage: true},
		{name: "filter value type", args: "users --filter is_active=maybe", wantErr: "want true or false", wantUsage: true},
		{name: "filter enum", args: "flows --filter designation=nope", wantErr: "want one of", wantUsage: true},
		{name: "ordering checked", args: "flows --ordering bogus", wantErr: `cannot be ordered by "bogus"`, wantUsage: true},
		{name: "list flags with names", args: "flows x --search y", wantErr: "apply to lists", wantUsage: true},
		{name: "bad format", args: "flows -o xml", wantErr: `unknown format "xml"`},
		{name: "bad jq", args: "flows --jq .[", wantErr: "--jq", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *GetOptions
			cmd := NewCmdGet(cmdtest.Factory(), func(_ context.Context, o *GetOptions) error { got = o; return nil })
			err := cmdtest.Execute(t, cmd, tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, tt.wantUsage) {
				return
			}
			if got.Resource.Name != tt.resource {
				t.Errorf("resource %s, want %s", got.Resource.Name, tt.resource)
			}
			if strings.Join(got.Names, ",") != strings.Join(tt.names, ",") {
				t.Errorf("names %v, want %v", got.Names, tt.names)
			}
			if got.Output.Format != tt.format {
				t.Errorf("format %s, want %s", got.Output.Format, tt.format)
			}
			if got.AllPages != tt.allPages {
				t.Errorf("all pages %v", got.AllPages)
			}
			if len(got.Names) == 0 {
				q, err := got.Query()
				if err != nil {
					t.Fatal(err)
				}
				if q.Encode() != tt.query {
					t.Errorf("query %q, want %q", q.Encode(), tt.query)
				}
			}
		})
	}
}
