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

// extra lists entries authentik's view sets add to a family's types.
var extra = map[string][]Type{
	"authentik_core.provider": {{
		Name: "SAML Provider from Metadata", Description: "Create a SAML Provider by importing its Metadata.",
		Component: "ak-provider-saml-import-form", ModelName: "",
	}},
}

// List returns the kinds of a family sorted by name, as authentik's
// TypesMixin does.
func List(reg *registry.Registry, family string) []Type {
	out := []Type{}
	for _, m := range reg.Members(family) {
		if m.Abstract || m.Component == "" {
			continue
		}
		out = append(out, Type{Name: m.VerboseName, Description: m.Description, Component: m.Component, ModelName: m.ModelName()})
	}
	out = append(out, extra[family]...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
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
