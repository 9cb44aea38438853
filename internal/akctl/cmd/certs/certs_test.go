package certs

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func TestNewCmdGenerate(t *testing.T) {
	for _, tt := range []struct {
		args, san string
		days      int
		wantErr   string
	}{
		{args: "sso.example.com", days: 365},
		{args: "sso.example.com --san a.example.com,b.example.com --days 30", san: "a.example.com,b.example.com", days: 30},
		{args: "sso.example.com --days 0", wantErr: "--days must be at least 1"},
		{args: "", wantErr: "want a common name"},
	} {
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
		var got *GenerateOptions
		cmd := NewCmdGenerate(f, func(_ context.Context, o *GenerateOptions) error { got = o; return nil })
		cmd.SetArgs(strings.Fields(tt.args))
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !cmdutil.IsUsage(err) {
				t.Errorf("%q: err = %v, want usage error %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got.CommonName != "sso.example.com" || strings.Join(got.SubjectAlt, ",") != tt.san || got.ValidityDays != tt.days {
			t.Errorf("%q: got %+v", tt.args, got)
		}
	}
}

func TestNewCmdExportKeyFileImpliesKey(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
	var got *ExportOptions
	cmd := NewCmdExport(f, func(_ context.Context, o *ExportOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"my-cert", "--key-file", "k.pem"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.WithKey || got.KeyFile != "k.pem" || got.Name != "my-cert" {
		t.Errorf("got %+v", got)
	}
}
