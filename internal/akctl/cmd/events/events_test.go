package events

import (
	"context"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
	"github.com/akgo/akgo/internal/akctl/output"
)

func TestNewCmdTail(t *testing.T) {
	tests := []struct {
		name     string
		args     string
		query    string
		interval time.Duration
		lines    int
		format   output.Format
		wantErr  string
	}{
		{name: "defaults", args: "", interval: 2 * time.Second, lines: 10, format: output.Table},
		{name: "filters", args: "--action login --user jane -n 0 --interval 500ms -o json", query: "action=login&username=jane", interval: 500 * time.Millisecond, format: output.JSON},
		{name: "interval too short", args: "--interval 1ms", wantErr: "at least 100ms"},
		{name: "too many lines", args: "-n 5000", wantErr: "between 0 and 1000"},
		{name: "no jq", args: "--jq .", wantErr: "--jq is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *TailOptions
			cmd := NewCmdTail(cmdtest.Factory(), func(_ context.Context, o *TailOptions) error { got = o; return nil })
			err := cmdtest.Execute(t, cmd, tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, true) {
				return
			}
			if got.Query.Encode() != tt.query || got.Interval != tt.interval || got.Lines != tt.lines || got.Output.Format != tt.format {
				t.Errorf("got query %q interval %s lines %d format %s", got.Query.Encode(), got.Interval, got.Lines, got.Output.Format)
			}
		})
	}
}

func TestPad(t *testing.T) {
	if got := pad([]string{"a", "bb", "c"}, []int{3, 3, 3}); got != "a     bb    c" {
		t.Errorf("pad: %q", got)
	}
}
