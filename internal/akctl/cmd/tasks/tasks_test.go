package tasks

import (
	"context"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/output"
)

func TestNewCmdList(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		format  output.Format
		wantErr string
	}{
		{name: "table by default", args: "", format: output.Table},
		{name: "json", args: "-o json", format: output.JSON},
		{name: "jq implies json", args: "--jq .[].name", format: output.JSON},
		{name: "no arguments", args: "extra", wantErr: "takes no arguments"},
		{name: "bad format", args: "-o xml", wantErr: `unknown format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *ListOptions
			err := cmdtest.Execute(t, NewCmdList(cmdtest.Factory(), func(_ context.Context, o *ListOptions) error { got = o; return nil }), tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Tasks.Name != "systemtasks" || got.Output.Format != tt.format {
				t.Errorf("resource %s format %s, want systemtasks %s", got.Tasks.Name, got.Output.Format, tt.format)
			}
		})
	}
}

func TestNewCmdRetry(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    []string
		wantErr string
	}{
		{name: "one task", args: "clean_expired_models", want: []string{"clean_expired_models"}},
		{name: "several tasks in order", args: "b a", want: []string{"b", "a"}},
		{name: "no task", args: "", wantErr: "want at least one task name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *RetryOptions
			err := cmdtest.Execute(t, NewCmdRetry(cmdtest.Factory(), func(_ context.Context, o *RetryOptions) error { got = o; return nil }), tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !cmdutil.IsUsage(err) {
					t.Fatalf("err = %v, want usage error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("names %v, want %v", got.Names, tt.want)
			}
		})
	}
}
