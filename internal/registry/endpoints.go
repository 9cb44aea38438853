package registry

import (
	"fmt"
	"sort"
	"strings"
)

// WriteEndpoint returns the API endpoint that writes a model: the one with
// a request schema, preferring the administrators' endpoint when a model
// has several (authenticator devices are served to their owners and to
// admins). The model name is matched case-insensitively, as blueprints
// spell it either way.
func (r *Registry) WriteEndpoint(model string) (*Endpoint, error) {
	return r.modelEndpoint(model, false)
}

// ReadEndpoint is WriteEndpoint, falling back to the read-only "/all/"
// endpoint of a polymorphic base (authentik_flows.stage), which can be
// listed but not written.
func (r *Registry) ReadEndpoint(model string) (*Endpoint, error) {
	return r.modelEndpoint(model, true)
}

func (r *Registry) modelEndpoint(model string, withFamily bool) (*Endpoint, error) {
	name := strings.ToLower(model)
	var cands []*Endpoint
	for _, ep := range r.Endpoints {
		if ep.Model == name && !ep.Family {
			cands = append(cands, ep)
		}
	}
	if len(cands) == 0 && withFamily {
		for _, ep := range r.Endpoints {
			if ep.Model == name && ep.Family {
				cands = append(cands, ep)
			}
		}
	}
	if len(cands) == 0 {
		if _, ok := r.Model(name); ok {
			return nil, fmt.Errorf("model %s is not served by the API", name)
		}
		return nil, fmt.Errorf("unknown model %s", model)
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if (a.Request != "") != (b.Request != "") {
			return a.Request != ""
		}
		if ai, bi := strings.Contains(a.Path, "/admin/"), strings.Contains(b.Path, "/admin/"); ai != bi {
			return ai
		}
		return a.Path < b.Path
	})
	return cands[0], nil
}
