package tokens

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func TestNewCmdCreate(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name     string
		args     string
		intent   string
		expires  time.Time
		noExpiry bool
		wantErr  string
	}{
		{name: "defaults", args: "ci", intent: "api"},
		{name: "duration", args: "ci --expires 24h --intent app_password", intent: "app_password", expires: now.Add(24 * time.Hour)},
		{name: "date", args: "ci --expires 2031-05-06T07:08:09Z", intent: "api", expires: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)},
		{name: "never", args: "ci --no-expiry", intent: "api", noExpiry: true},
		{name: "both", args: "ci --no-expiry --expires 1h", wantErr: "cannot both"},
		{name: "bad expiry", args: "ci --expires tomorrow", wantErr: "want an RFC 3339 date"},
		{name: "negative", args: "ci --expires -1h", wantErr: "must be positive"},
		{name: "bad intent", args: "ci --intent nope", wantErr: "want one of api, app_password"},
		{name: "no identifier", args: "", wantErr: "want a token identifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := cmdutil.New(ios, "test", func(string) (string, bool) { return "", false })
			f.Now = func() time.Time { return now }
			var got *CreateOptions
			cmd := NewCmdCreate(f, func(_ context.Context, o *CreateOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !cmdutil.IsUsage(err) {
					t.Fatalf("err = %v, want usage error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Identifier != "ci" || got.Intent != tt.intent || !got.Expires.Equal(tt.expires) || got.NoExpiry != tt.noExpiry {
				t.Errorf("got %+v", got)
			}
		})
	}
}
