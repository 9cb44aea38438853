// Package certs owns the certificate-key pair actions: generating
// self-signed pairs, viewing and downloading PEM data, validating PEM on
// save, and the self-signed certificate akserver creates at first start.
package certs

import "github.com/akgo/akgo/internal/api"

// Register installs the certificate actions.
func Register(s *api.Server) {}
