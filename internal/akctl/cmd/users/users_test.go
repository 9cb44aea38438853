package users

import (
	"context"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func TestNewCmdSetPassword(t *testing.T) {
	tests := []struct {
		name      string
		args      string
		stdinTTY  bool
		fromStdin bool
		wantErr   string
	}{
		{name: "terminal prompts", args: "jane", stdinTTY: true},
		{name: "pipe needs the flag", args: "jane", wantErr: "pass --password-stdin"},
		{name: "pipe with the flag", args: "jane --password-stdin", fromStdin: true},
		{name: "no user", args: "", stdinTTY: true, wantErr: "want a user"},
		{name: "no password flag", args: "jane --password x", stdinTTY: true, wantErr: "unknown flag: --password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			ios.SetStdinTTY(tt.stdinTTY)
			f := cmdtest.FactoryFor(ios)
			var got *SetPasswordOptions
			cmd := NewCmdSetPassword(f, func(_ context.Context, o *SetPasswordOptions) error { got = o; return nil })
			err := cmdtest.Execute(t, cmd, tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, false) {
				return
			}
			if got.User != "jane" || got.FromStdin != tt.fromStdin || got.Users.Name != "users" {
				t.Errorf("got %+v", got)
			}
		})
	}
}
