package create

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func TestNewCmdCreate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one.yaml", "slug: a\nname: A\ntitle: A\ndesignation: authentication\npk: 0a66c75d-738b-4f0b-8de7-d5babece3261\nexport_url: /x\n")
	list := write("list.json", `[{"slug":"a","name":"A","title":"A","designation":"authentication"},{"slug":"b","name":"B","title":"B","designation":"recovery"}]`)
	unknown := write("unknown.yaml", "slug: a\nbogus: 1\n")
	scalar := write("scalar.yaml", "just a string\n")
	tests := []struct {
		name      string
		args      []string
		stdin     string
		bodies    string
		dropped   string
		wantErr   string
		wantUsage bool
	}{
		{name: "set only", args: []string{"flows", "--set", "slug=x", "--set", "name=X", "--set", "compatibility_mode=true"},
			bodies: `[{"compatibility_mode":true,"name":"X","slug":"x"}]`},
		{name: "file drops read-only fields", args: []string{"flow", "-f", one},
			bodies: `[{"designation":"authentication","name":"A","slug":"a","title":"A"}]`, dropped: "export_url,pk"},
		{name: "list file with --set applied to each", args: []string{"flows", "-f", list, "--set", "layout=stacked"},
			bodies: `[{"designation":"authentication","layout":"stacked","name":"A","slug":"a","title":"A"},{"designation":"recovery","layout":"stacked","name":"B","slug":"b","title":"B"}]`},
		{name: "stdin", args: []string{"groups", "-f", "-"}, stdin: `{"name": "ops", "attributes": {"a": 1}}`,
			bodies: `[{"attributes":{"a":1},"name":"ops"}]`},
		{name: "nothing to create", args: []string{"flows"}, wantErr: "nothing to create", wantUsage: true},
		{name: "unknown field in file", args: []string{"flows", "-f", unknown}, wantErr: `flows has no field "bogus"`, wantUsage: true},
		{name: "not an object", args: []string{"flows", "-f", scalar}, wantErr: "want an object or a list", wantUsage: true},
		{name: "missing file", args: []string{"flows", "-f", filepath.Join(dir, "none.yaml")}, wantErr: "no such file", wantUsage: true},
		{name: "bad --set", args: []string{"flows", "--set", "designation=nope"}, wantErr: "want one of", wantUsage: true},
		{name: "read-only resource", args: []string{"systemtasks", "--set", "task_name=x"}, wantErr: "cannot be created"},
		{name: "output formats", args: []string{"flows", "--set", "slug=x", "-o", "wide"}, wantErr: `unknown format "wide"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, in, _, _ := iostreams.Test()
			in.WriteString(tt.stdin)
			f := cmdtest.FactoryFor(ios)
			var got *CreateOptions
			cmd := NewCmdCreate(f, func(_ context.Context, o *CreateOptions) error { got = o; return nil })
			err := cmdtest.ExecuteArgs(t, cmd, tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, tt.wantUsage) {
				return
			}
			b, _ := json.Marshal(got.Bodies)
			if string(b) != tt.bodies {
				t.Errorf("bodies %s, want %s", b, tt.bodies)
			}
			if d := strings.Join(got.Dropped, ","); d != tt.dropped {
				t.Errorf("dropped %s, want %s", d, tt.dropped)
			}
		})
	}
}
