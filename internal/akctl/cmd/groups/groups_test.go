package groups

import (
	"context"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
)

func TestNewCmdMembership(t *testing.T) {
	tests := []struct {
		name      string
		add       bool
		args      string
		group     string
		users     []string
		wantErr   string
		wantUsage bool
	}{
		{name: "add one", add: true, args: "ops jane", group: "ops", users: []string{"jane"}},
		{name: "add several by name and pk", add: true, args: "ops jane 7 john", group: "ops", users: []string{"jane", "7", "john"}},
		{name: "remove", add: false, args: "ops jane", group: "ops", users: []string{"jane"}},
		{name: "add without a user", add: true, args: "ops", wantErr: "want a group and at least one user", wantUsage: true},
		{name: "remove without arguments", add: false, args: "", wantErr: "want a group and at least one user", wantUsage: true},
		{name: "unknown flag", add: true, args: "ops jane --force", wantErr: "unknown flag: --force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *MembershipOptions
			cmd := NewCmdMembership(cmdtest.Factory(), tt.add, func(_ context.Context, o *MembershipOptions) error { got = o; return nil })
			if cmdtest.CheckErr(t, cmdtest.Execute(t, cmd, tt.args), tt.wantErr, tt.wantUsage) {
				return
			}
			if got.Add != tt.add || got.Group != tt.group || strings.Join(got.UserNames, ",") != strings.Join(tt.users, ",") {
				t.Errorf("add %v group %q users %v, want %v %q %v", got.Add, got.Group, got.UserNames, tt.add, tt.group, tt.users)
			}
			if got.Groups.Name != "groups" || got.Users.Name != "users" {
				t.Errorf("resources %s %s", got.Groups.Name, got.Users.Name)
			}
		})
	}
}

func TestGroupsSubcommands(t *testing.T) {
	cmd := NewCmdGroups(cmdtest.Factory())
	for _, name := range []string{"add-user", "remove-user"} {
		if c, _, err := cmd.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("groups %s: %v", name, err)
		}
	}
}
