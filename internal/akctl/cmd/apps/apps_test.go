package apps

import (
	"context"
	"testing"

	"github.com/akgo/akgo/internal/akctl/output"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
)

func TestNewCmdCheckAccess(t *testing.T) {
	tests := []struct {
		name       string
		args       string
		app, user  string
		structured bool
		format     output.Format
		wantErr    string
		wantUsage  bool
	}{
		{name: "app and user", args: "grafana jane", app: "grafana", user: "jane", format: output.JSON},
		{name: "json", args: "grafana 7 -o json", app: "grafana", user: "7", structured: true, format: output.JSON},
		{name: "yaml", args: "grafana jane -o yaml", app: "grafana", user: "jane", structured: true, format: output.YAML},
		{name: "jq", args: "grafana jane --jq .passing", app: "grafana", user: "jane", structured: true, format: output.JSON},
		{name: "no user", args: "grafana", wantErr: "want an application and a user", wantUsage: true},
		{name: "too many", args: "grafana jane john", wantErr: "got 3", wantUsage: true},
		{name: "tables are not offered", args: "grafana jane -o table", wantErr: `unknown format "table"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *CheckAccessOptions
			err := cmdtest.Execute(t, NewCmdCheckAccess(cmdtest.Factory(), func(_ context.Context, o *CheckAccessOptions) error { got = o; return nil }), tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, tt.wantUsage) {
				return
			}
			if got.App != tt.app || got.User != tt.user {
				t.Errorf("app %q user %q, want %q %q", got.App, got.User, tt.app, tt.user)
			}
			if got.Apps.Name != "applications" || got.Users.Name != "users" {
				t.Errorf("resources %s %s", got.Apps.Name, got.Users.Name)
			}
			if got.structured != tt.structured || got.Output.Format != tt.format {
				t.Errorf("structured %v format %s, want %v %s", got.structured, got.Output.Format, tt.structured, tt.format)
			}
		})
	}
}
