package tokens

import (
	"context"
	"testing"
	"time"

	"github.com/akgo/akgo/internal/akctl/cmd/cmdtest"
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
			f := cmdtest.Factory()
			f.Now = func() time.Time { return now }
			var got *CreateOptions
			cmd := NewCmdCreate(f, func(_ context.Context, o *CreateOptions) error { got = o; return nil })
			err := cmdtest.Execute(t, cmd, tt.args)
			if cmdtest.CheckErr(t, err, tt.wantErr, true) {
				return
			}
			if got.Identifier != "ci" || got.Intent != tt.intent || !got.Expires.Equal(tt.expires) || got.NoExpiry != tt.noExpiry {
				t.Errorf("got %+v", got)
			}
		})
	}
}
