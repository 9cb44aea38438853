// Package admin owns the /admin/ actions: version, system information,
// installed apps and models, workers, login metrics and system tasks.
package admin

import "github.com/akgo/akgo/internal/api"

// Register installs the admin actions.
func Register(s *api.Server) {}
