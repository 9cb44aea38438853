package engine

import (
	"sort"
	"strings"
)

// ZeroFields lists "Schema.property" of every response property the engine
// can only fill with its type's zero value: no column, no relation, no
// generic rule and no hook. It documents what is not yet computed for real.
func (e *Engine) ZeroFields() []string {
	var out []string
	seen := map[string]bool{}
	for _, ep := range e.Registry.Endpoints {
		m, ok := e.Registry.Model(ep.Model)
		if !ok {
			continue
		}
		sch, ok := e.Spec.Schema(ep.Schema)
		if !ok {
			continue
		}
		for name, p := range sch.Properties {
			key := ep.Schema + "." + name
			if seen[key] || p.Value.WriteOnly {
				continue
			}
			seen[key] = true
			f, _ := m.Field(name)
			switch {
			case e.Hooks.compute(ep.Schema, m.Name, f, name) != nil:
			case name == "pk" || name == m.PKColumn:
			case f != nil && f.Stored() && f.Computed == "":
			case f != nil && f.M2M != "":
				if _, ok := e.Join(m, f); !ok {
					out = append(out, key)
				}
			case name == "component" || name == "verbose_name" || name == "verbose_name_plural" || name == "meta_model_name":
			case strings.HasSuffix(name, "_obj"):
				if rf, ok := m.Field(strings.TrimSuffix(name, "_obj")); !ok || (!rf.Stored() && rf.M2M == "") {
					out = append(out, key)
				}
			default:
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out
}
