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
		{"/sources/all/types/", "ak-source-oauth-form", "githuboauthsource"},
		{"/propertymappings/all/types/", "ak-property-mapping-scope-form", "scopemapping"},
		{"/outposts/service_connections/all/types/", "ak-service-connection-docker-form", "dockerserviceconnection"},
	}
	for _, tc := range cases {
		t.Run(tc.path+tc.model, func(t *testing.T) {
			list, _ := h.Do(http.MethodGet, tc.path, nil).Expect(t, http.StatusOK).JSON.([]any)
			found := false
			for _, item := range list {
				o := item.(map[string]any)
				if o["model_name"] == "dummystage" || o["model_name"] == "dummypolicy" || o["model_name"] == "oauthsource" {
					t.Errorf("%s lists %s, which authentik hides", tc.path, o["model_name"])
				}
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

func TestStagesSortedByName(t *testing.T) {
	h := apitest.Start(t, "sqlite")
	list := h.Do(http.MethodGet, "/stages/all/types/", nil).Expect(t, http.StatusOK).JSON.([]any)
	prev := ""
	for _, item := range list {
		name := item.(map[string]any)["name"].(string)
		if name < prev {
			t.Fatalf("stage types not sorted by name: %q after %q", name, prev)
		}
		prev = name
	}
}
