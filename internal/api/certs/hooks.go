package certs

import (
	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// installHooks adds the save-time check of certificate-key pairs and their
// display name (their __str__ in authentik, used by events and used_by
// listings). Licence keys are checked by internal/licensing through the
// licence model hook in internal/modelhooks.
func installHooks(s *api.Server) {
	h := s.Engine.Hooks
	h.BeforeWrite[keypairModel] = append(h.BeforeWrite[keypairModel], checkKeypair)
	h.Display[keypairModel] = func(m *registry.Model, r store.Row) string {
		name, _ := r[column(m, "name")].(string)
		return "Certificate-Key Pair " + name
	}
}
