// Package cmdtest holds what akctl's command parsing tests share: running
// a command line through cobra with its run function intercepted, a
// factory with test streams and no environment, and the check of an
// expected error.
package cmdtest

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

// Execute runs a command line through cobra with the run function
// intercepted by the caller.
func Execute(t *testing.T, cmd *cobra.Command, args string) error {
	t.Helper()
	return ExecuteArgs(t, cmd, strings.Fields(args))
}

// ExecuteArgs is Execute with the arguments already split, for a command
// line whose arguments contain spaces (paths, JSON).
func ExecuteArgs(t *testing.T, cmd *cobra.Command, args []string) error {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

// Factory is a factory with test streams and an empty environment.
func Factory() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	return FactoryFor(ios)
}

// FactoryFor is Factory over the given streams, for a test that feeds
// stdin or makes it a terminal.
func FactoryFor(ios *iostreams.IOStreams) *cmdutil.Factory {
	return cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
}

// CheckErr reports whether the test case ends with an expected error,
// failing the test when the error is not the one expected.
func CheckErr(t *testing.T, err error, wantErr string, wantUsage bool) bool {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("err = %v, want %q", err, wantErr)
	}
	if wantUsage && !cmdutil.IsUsage(err) {
		t.Errorf("%v is not a usage error", err)
	}
	return true
}
