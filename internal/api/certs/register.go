package certs

import (
	"github.com/akgo/akgo/internal/api"
)

// Register installs the certificate and licence actions and the save-time
// check of certificate-key pairs.
func Register(s *api.Server) {
	installHooks(s)
	kp := &keypairs{s: s}
	s.Register("crypto_certificatekeypairs_generate_create", kp.generate)
	s.Register("crypto_certificatekeypairs_view_certificate_retrieve", kp.viewCertificate)
	s.Register("crypto_certificatekeypairs_view_private_key_retrieve", kp.viewPrivateKey)
	lic := &licenses{s: s}
	// Every signed-in user may read the summary (authentik: IsAuthenticated);
	// the user-facing licence warnings come from it.
	s.RegisterOpen("enterprise_license_summary_retrieve", lic.summary)
	s.Register("enterprise_license_forecast_retrieve", lic.forecast)
	s.Register("enterprise_license_get_install_id_retrieve", lic.installID)
}
