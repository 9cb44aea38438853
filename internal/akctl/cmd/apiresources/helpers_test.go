package apiresources

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

// execute runs a command line through cobra with the run function
// intercepted by the caller.
func execute(t *testing.T, cmd *cobra.Command, args string) error {
	t.Helper()
	cmd.SetArgs(strings.Fields(args))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

func factory() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	return cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
}

// checkErr reports whether the test case ends with an expected error.
func checkErr(t *testing.T, err error, wantErr string, wantUsage bool) bool {
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
