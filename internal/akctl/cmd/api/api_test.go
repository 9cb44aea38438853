package api

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func TestNewCmdAPI(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "body.yaml")
	os.WriteFile(input, []byte("name: from-file\nis_superuser: true\n"), 0o600)
	pw := filepath.Join(dir, "pw.txt")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	tests := []struct {
		name      string
		args      []string
		op        string
		path      string
		query     string
		body      string
		files     string
		wantErr   string
		wantUsage bool
	}{
		{name: "operationId", args: []string{"admin_version_retrieve"}, op: "admin_version_retrieve", path: "/admin/version/"},
		{name: "method and path", args: []string{"GET", "/flows/instances/", "-f", "designation=recovery"}, op: "flows_instances_list", path: "/flows/instances/", query: "designation=recovery"},
		{name: "one argument with a space", args: []string{"get /api/v3/core/users/me/"}, op: "core_users_me_retrieve", path: "/core/users/me/"},
		{name: "path parameters from the path", args: []string{"POST", "/core/users/7/set_password/", "-F", "password=@" + pw}, op: "core_users_set_password_create", path: "/core/users/7/set_password/", body: `{"password":"s3cret"}`},
		{name: "input file with fields", args: []string{"core_groups_create", "--input", input, "-f", "name=ops"}, op: "core_groups_create", path: "/core/groups/", body: `{"is_superuser":true,"name":"ops"}`},
		{name: "upload", args: []string{"flows_instances_import_create", "-F", "file=@" + pw}, op: "flows_instances_import_create", path: "/flows/instances/import/", files: "file=" + pw},
		{name: "paginate a list", args: []string{"core_users_list", "--paginate"}, op: "core_users_list", path: "/core/users/"},
		{name: "unknown operation", args: []string{"core_users_lis"}, wantErr: `unknown operation "core_users_lis"; did you mean core_users_list`, wantUsage: true},
		{name: "unknown path", args: []string{"GET", "/nope/"}, wantErr: "no operation GET /nope/", wantUsage: true},
		{name: "wrong method names the right ones", args: []string{"DELETE", "/core/users/me/"}, wantErr: "that path has: GET /core/users/me/", wantUsage: true},
		{name: "bad method", args: []string{"FETCH", "/core/users/"}, wantErr: `unknown method "FETCH"`, wantUsage: true},
		{name: "query in path", args: []string{"GET", "/core/users/?page=2"}, wantErr: "give query parameters with -f", wantUsage: true},
		{name: "unknown parameter", args: []string{"core_users_list", "-f", "nope=1"}, wantErr: `has no parameter "nope"; valid:`, wantUsage: true},
		{name: "wrong type", args: []string{"core_users_list", "-f", "page=two"}, wantErr: `want an integer, got "two"`, wantUsage: true},
		{name: "paginate a non-list", args: []string{"admin_version_retrieve", "--paginate"}, wantErr: "not a paginated list", wantUsage: true},
		{name: "no operation", args: nil, wantErr: "name an operation", wantUsage: true},
		{name: "field without =", args: []string{"core_users_list", "-f", "page"}, wantErr: "want key=value", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
			var got *APIOptions
			cmd := NewCmdAPI(f, func(_ context.Context, o *APIOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.wantUsage && !cmdutil.IsUsage(err) {
					t.Errorf("%v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := got.Request
			if r.Op.ID != tt.op || r.Path != tt.path || r.Query.Encode() != tt.query {
				t.Errorf("got %s %s ?%s, want %s %s ?%s", r.Op.ID, r.Path, r.Query.Encode(), tt.op, tt.path, tt.query)
			}
			body := ""
			if len(r.Body) > 0 {
				b, _ := json.Marshal(r.Body)
				body = string(b)
			}
			if body != tt.body {
				t.Errorf("body %s, want %s", body, tt.body)
			}
			files := ""
			for k, v := range r.Files {
				files = k + "=" + v
			}
			if files != tt.files {
				t.Errorf("files %s, want %s", files, tt.files)
			}
		})
	}
}

func TestListAndDescribe(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
	cmd := NewCmdAPI(f, nil)
	cmd.SetArgs([]string{"--list", "set_password"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "core_users_set_password_create\tPOST\t/core/users/{id}/set_password/\tSet password for user\n" {
		t.Errorf("--list: %q", out.String())
	}
	out.Reset()
	cmd = NewCmdAPI(f, nil)
	cmd.SetArgs([]string{"--describe", "core_users_set_password_create"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"core_users_set_password_create POST /core/users/{id}/set_password/", "id\tpath\tinteger\tyes", "password\tbody\tstring\tyes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--describe output lacks %q:\n%s", want, out.String())
		}
	}
}
