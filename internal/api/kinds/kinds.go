// Package kinds owns the types/ listings of authentik's polymorphic
// families (stages, policies, providers, sources, property mappings,
// outpost service connections): one entry per concrete kind, with the
// component the admin UI opens to create it. The entries come from the
// registry, so a new kind appears without code here.
package kinds

import (
	"net/http"
	"sort"
	"strings"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/registry"
)

// Type is one creatable kind (the API's TypeCreate).
type Type struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Component   string `json:"component"`
	ModelName   string `json:"model_name"`
}

// appended lists entries authentik's view sets add after a family's kinds.
var appended = map[string][]Type{
	"authentik_core.provider": {{
		Name: "SAML Provider from Metadata", Description: "Create a SAML Provider by importing its Metadata.",
		Component: "ak-provider-saml-import-form", ModelName: "",
	}},
}

// debugOnly kinds exist only in authentik's debug builds (__debug_only__).
var debugOnly = map[string]bool{
	"authentik_stages_dummy.dummystage":    true,
	"authentik_policies_dummy.dummypolicy": true,
}

// oauthKinds are the per-provider OAuth source classes authentik lists in
// place of OAuthSource itself (a class with subclasses is skipped).
var oauthKinds = []Type{
	{"Apple OAuth Source", "Social Login using Apple.", "", "appleoauthsource"},
	{"Azure AD OAuth Source", "Social Login using Azure AD.", "", "azureadoauthsource"},
	{"Discord OAuth Source", "Social Login using Discord.", "", "discordoauthsource"},
	{"Facebook OAuth Source", "Social Login using Facebook.com.", "", "facebookoauthsource"},
	{"GitHub OAuth Source", "Social Login using GitHub.com or a GitHub-Enterprise Instance.", "", "githuboauthsource"},
	{"Google OAuth Source", "Social Login using Google or Google Workspace (GSuite).", "", "googleoauthsource"},
	{"Mailcow OAuth Source", "Social Login using Mailcow.", "", "mailcowoauthsource"},
	{"Okta OAuth Source", "Social Login using Okta.", "", "oktaoauthsource"},
	{"OpenID OAuth Source", "Login using a Generic OpenID-Connect compliant provider.", "", "openidconnectoauthsource"},
	{"Patreon OAuth Source", "Social Login using Patreon.", "", "patreonoauthsource"},
	{"Reddit OAuth Source", "Social Login using reddit.com.", "", "redditoauthsource"},
	{"Twitch OAuth Source", "Social Login using Twitch.", "", "twitchoauthsource"},
	{"Twitter OAuth Source", "Social Login using Twitter.com", "", "twitteroauthsource"},
}

// List returns a family's kinds in authentik's order: stages sorted by
// name, other families in class-name order, then the appended entries.
func List(reg *registry.Registry, family string) []Type {
	out := []Type{}
	for _, m := range reg.Members(family) {
		if m.Abstract || m.Component == "" || debugOnly[m.Name] {
			continue
		}
		if m.Name == "authentik_sources_oauth.oauthsource" {
			for _, k := range oauthKinds {
				k.Component = m.Component
				out = append(out, k)
			}
			continue
		}
		out = append(out, Type{Name: m.VerboseName, Description: m.Description, Component: m.Component, ModelName: m.ModelName()})
	}
	if family == "authentik_flows.stage" {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	} else {
		sort.SliceStable(out, func(i, j int) bool { return out[i].ModelName < out[j].ModelName })
	}
	return append(out, appended[family]...)
}

// Register installs GET <family>/all/types/ for every family endpoint.
func Register(s *api.Server) {
	reg := s.Engine.Registry
	for _, ep := range reg.Endpoints {
		if !ep.Family || !strings.HasSuffix(ep.Path, "/all/") {
			continue
		}
		op, ok := s.Engine.Spec.OperationAt(http.MethodGet, ep.Path+"types/")
		if !ok {
			continue
		}
		family := ep.Model
		s.Register(op.ID, func(w http.ResponseWriter, r *http.Request) error {
			api.WriteJSON(w, http.StatusOK, List(reg, family))
			return nil
		})
	}
}
