package modelhooks

import (
	"fmt"
	"strings"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// displays installs the __str__ of authentik's models that used_by shows.
func (h *hooks) displays() {
	format := func(model, tmpl string, fields ...string) {
		h.e.Hooks.Display[model] = func(m *registry.Model, r store.Row) string {
			args := make([]any, len(fields))
			for i, f := range fields {
				if f == "pk" {
					args[i] = str(r[m.PKColumn])
				} else if c, ok := hasCol(m, f); ok {
					args[i] = str(r[c])
				}
			}
			return fmt.Sprintf(tmpl, args...)
		}
	}
	format("authentik_flows.flow", "Flow %s (%s)", "name", "slug")
	format("authentik_flows.stage", "Stage %s", "name")
	format("authentik_flows.flowstagebinding", "Flow-stage binding #%s to %s", "order", "target")
	format("authentik_core.group", "Group %s", "name")
	format("authentik_core.user", "%s", "username")
	format("authentik_core.propertymapping", "Property Mapping %s", "name")
	format("authentik_core.application", "%s", "name")
	format("authentik_core.provider", "%s", "name")
	format("authentik_core.source", "%s", "name")
	format("authentik_outposts.outpost", "Outpost %s", "name")
	format("authentik_core.usersourceconnection", "User-source connection (user=%s, source=%s)", "user", "source")
	h.e.Hooks.Display["authentik_core.token"] = func(m *registry.Model, r store.Row) string {
		s := str(r[col(m, "identifier")])
		if exp, _ := r[col(m, "expiring")].(bool); exp && r[col(m, "expires")] != nil {
			s += fmt.Sprintf(" (expires=%s)", strings.TrimSuffix(str(r[col(m, "expires")]), " +0000 UTC"))
		}
		return s
	}
}
