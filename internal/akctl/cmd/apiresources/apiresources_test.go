package apiresources

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
)

func TestNewCmdAPIResources(t *testing.T) {
	tests := []struct {
		name      string
		args      string
		format    output.Format
		wantErr   string
		wantUsage bool
	}{
		{name: "table", args: "", format: output.Table},
		{name: "wide", args: "-o wide", format: output.Wide},
		{name: "json", args: "-o json", format: output.JSON},
		{name: "name", args: "-o name", format: output.Name},
		{name: "jq", args: "--jq .[].name", format: output.JSON},
		{name: "no arguments", args: "flows", wantErr: "takes no arguments", wantUsage: true},
		{name: "jq with yaml", args: "-o yaml --jq .", wantErr: "--jq cannot be combined with -o yaml", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *Options
			err := cmdtest.Execute(t, NewCmdAPIResources(cmdtest.Factory(), func(_ context.Context, o *Options) error { got = o; return nil }), tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, tt.wantUsage) {
				return
			}
			if got.Output.Format != tt.format || got.Catalog == nil {
				t.Errorf("format %s (catalog %v), want %s", got.Output.Format, got.Catalog != nil, tt.format)
			}
		})
	}
}

// TestOutput runs the real command: piped rows carry the short names
// and verbs; JSON carries every resource with its natural key.
func TestOutput(t *testing.T) {
	run := func(tty bool, args ...string) string {
		t.Helper()
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
		cmd := NewCmdAPIResources(f, nil)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	piped := run(false)
	if !strings.Contains(piped, "\nsystemtasks\ttasks,task\tauthentik_events.systemtask\tget,describe\n") {
		t.Errorf("piped systemtasks row missing:\n%s", piped)
	}
	if strings.Contains(piped, "NAME") {
		t.Errorf("piped output has a header")
	}
	if tty := run(true); !strings.HasPrefix(tty, "NAME") {
		t.Errorf("terminal output has no header:\n%.200s", tty)
	}
	var entries []entry
	if err := json.NewDecoder(bytes.NewBufferString(run(false, "-o", "json"))).Decode(&entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name == "flowbindings" && strings.Join(e.NaturalKey, "/") != "target/stage/order" {
			t.Errorf("flowbindings natural key %v", e.NaturalKey)
		}
	}
	if len(entries) < 50 {
		t.Errorf("%d resources", len(entries))
	}
}
