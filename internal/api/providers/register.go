package providers

import (
	"net/http"

	"github.com/akgo/akgo/internal/api"
)

// Register installs the provider and source actions. Each action checks
// what authentik's view checks (view permission on the object, the
// permission a decorator names, or nothing for static data), so they are
// open to every authenticated user; the SAML metadata and the anonymous
// Plex redemption are open to anyone, as the schema says.
func Register(s *api.Server) {
	h := &handlers{s: s}
	s.RegisterOpen("providers_oauth2_setup_urls_retrieve", h.oauth2SetupURLs)
	s.Register("providers_saml_metadata_retrieve", h.samlProviderMetadata)
	s.RegisterOpen("providers_saml_import_metadata_create", h.samlImportMetadata)
	s.RegisterOpen("providers_scim_sync_status_retrieve", h.scimSyncStatus)
	s.RegisterOpen("providers_oauth2_preview_user_retrieve", h.oauth2PreviewUser)
	s.RegisterOpen("providers_saml_preview_user_retrieve", h.samlPreviewUser)

	for _, t := range fileTargets {
		t := t
		s.RegisterOpen(t.uploadOp, func(w http.ResponseWriter, r *http.Request) error { return h.setFile(w, r, t) })
		s.RegisterOpen(t.urlOp, func(w http.ResponseWriter, r *http.Request) error { return h.setFileURL(w, r, t) })
	}

	s.RegisterOpen("sources_oauth_source_types_list", h.oauthSourceTypes)
	s.RegisterOpen("sources_saml_metadata_retrieve", h.samlSourceMetadata)
	s.RegisterOpen("sources_ldap_debug_retrieve", h.ldapDebug)
	s.RegisterOpen("sources_ldap_sync_status_retrieve", h.ldapSyncStatus)
	s.Register("sources_plex_redeem_token_create", h.plexRedeem)
	s.RegisterOpen("sources_plex_redeem_token_authenticated_create", h.plexRedeemAuthenticated)
}
