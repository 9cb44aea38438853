package version

import (
	"context"
	"testing"

	"github.com/akgo/akgo/internal/akctl/output"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
)

func TestNewCmdVersion(t *testing.T) {
	tests := []struct {
		name       string
		args       string
		clientOnly bool
		structured bool
		format     output.Format
		wantErr    string
		wantUsage  bool
	}{
		{name: "client and server", args: "", format: output.JSON},
		{name: "client only", args: "--client", clientOnly: true, format: output.JSON},
		{name: "json", args: "-o json", structured: true, format: output.JSON},
		{name: "yaml client only", args: "--client -o yaml", clientOnly: true, structured: true, format: output.YAML},
		{name: "jq", args: "--jq .server.version_current", structured: true, format: output.JSON},
		{name: "no arguments", args: "server", wantErr: "takes no arguments", wantUsage: true},
		{name: "no table", args: "-o table", wantErr: `unknown format "table"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *VersionOptions
			err := cmdtest.Execute(t, NewCmdVersion(cmdtest.Factory(), func(_ context.Context, o *VersionOptions) error { got = o; return nil }), tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, tt.wantUsage) {
				return
			}
			if got.Version != "test" || got.ClientOnly != tt.clientOnly {
				t.Errorf("version %q client-only %v, want test %v", got.Version, got.ClientOnly, tt.clientOnly)
			}
			if got.structured != tt.structured || got.Output.Format != tt.format {
				t.Errorf("structured %v format %s, want %v %s", got.structured, got.Output.Format, tt.structured, tt.format)
			}
		})
	}
}
