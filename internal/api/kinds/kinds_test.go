package kinds_test

import (
	"net/http"
	"testing"

	"github.com/akgo/akgo/internal/apitest"
)

func TestTypesListings(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	cases := []struct {
		path      string
		component string
		model     string
	}{
		{"/stages/all/types/", "ak-stage-password-form", "passwordstage"},
		{"/policies/all/types/", "ak-policy-expression-form", "expressionpolicy"},
		{"/providers/all/types/", "ak-provider-oauth2-form", "oauth2provider"},
		{"/providers/all/types/", "ak-provider-saml-import-form", ""},
		{"/sources/all/types/", "ak-source-ldap-form", "ldapsource"},
		{"/propertymappings/all/types/", "ak-property-mapping-scope-form", "scopemapping"},
		{"/outposts/service_connections/all/types/", "ak-service-connection-docker-form", "dockerserviceconnection"},
	}
	for _, tc := range cases {
		t.Run(tc.path+tc.model, func(t *testing.T) {
			list, _ := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK).JSON.([]any)
			found := false
			prev := ""
			for _, item := range list {
				o := item.(map[string]any)
				if o["name"].(string) < prev {
					t.Errorf("not sorted by name: %q after %q", o["name"], prev)
				}
				prev = o["name"].(string)
				if o["component"] == tc.component && o["model_name"] == tc.model {
					found = true
				}
			}
			if !found {
				t.Fatalf("%s lacks %s/%s: %v", tc.path, tc.component, tc.model, list)
			}
		})
	}
}
