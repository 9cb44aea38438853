package deletecmd

import (
	"context"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func TestNewCmdDelete(t *testing.T) {
	tests := []struct {
		name, args, resource, names string
		yes                         bool
		wantErr                     string
	}{
		{name: "one", args: "flow a", resource: "flows", names: "a"},
		{name: "several with --yes", args: "users a b -y", resource: "users", names: "a,b", yes: true},
		{name: "no names", args: "flows", wantErr: "at least one name or id"},
		{name: "cannot delete", args: "rbac/permissions 1", wantErr: "cannot be deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *DeleteOptions
			cmd := NewCmdDelete(cmdtest.Factory(), func(_ context.Context, o *DeleteOptions) error { got = o; return nil })
			err := cmdtest.Execute(t, cmd, tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, false) {
				return
			}
			if got.Resource.Name != tt.resource || strings.Join(got.Names, ",") != tt.names || got.Yes != tt.yes {
				t.Errorf("got %s %v yes=%v", got.Resource.Name, got.Names, got.Yes)
			}
		})
	}
}

func TestConfirmNeedsATerminal(t *testing.T) {
	ios, in, _, errOut := iostreams.Test()
	f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
	if err := cmdutil.Confirm(f, "Delete?", "--yes"); !cmdutil.IsUsage(err) || !strings.Contains(err.Error(), "pass --yes") {
		t.Errorf("without a terminal: %v", err)
	}
	ios.SetStdinTTY(true)
	ios.SetStderrTTY(true)
	in.WriteString("y\n")
	if err := cmdutil.Confirm(f, "Delete?", "--yes"); err != nil || !strings.Contains(errOut.String(), "Delete? [y/N]") {
		t.Errorf("yes: %v %q", err, errOut.String())
	}
	in.WriteString("\n")
	if err := cmdutil.Confirm(f, "Delete?", "--yes"); err != cmdutil.ErrCancelled {
		t.Errorf("default answer: %v", err)
	}
}
