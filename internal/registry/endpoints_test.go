package registry_test

import (
	"testing"

	"github.com/akgo/akgo/internal/registry"
)

func TestModelEndpoint(t *testing.T) {
	reg := registry.Default()
	cases := []struct {
		name, model string
		family      bool
		want        string // endpoint path; "" when the lookup must fail
	}{
		{name: "write", model: "authentik_flows.flow", want: "/flows/instances/"},
		{name: "case-insensitive", model: "authentik_Flows.Flow", want: "/flows/instances/"},
		{name: "admin endpoint preferred", model: "authentik_stages_authenticator_totp.totpdevice", want: "/authenticators/admin/totp/"},
		{name: "provider", model: "authentik_providers_ldap.ldapprovider", want: "/providers/ldap/"},
		{name: "read falls back to family", model: "authentik_flows.stage", family: true, want: "/stages/all/"},
		{name: "read prefers writable", model: "authentik_flows.flow", family: true, want: "/flows/instances/"},
		{name: "write refuses family", model: "authentik_flows.stage"},
		{name: "unknown model", model: "authentik_nope.nope"},
		{name: "unknown model read", model: "authentik_nope.nope", family: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lookup := reg.WriteEndpoint
			if tc.family {
				lookup = reg.ReadEndpoint
			}
			ep, err := lookup(tc.model)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("endpoint %s, want an error", ep.Path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.Path != tc.want {
				t.Errorf("endpoint %s, want %s", ep.Path, tc.want)
			}
		})
	}
}
