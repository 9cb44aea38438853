package stagesapi

import (
	"net/http"
	"strings"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/policies"
)

type handler struct {
	s        *api.Server
	e        *engine.Engine
	policies *policies.Engine
}

// Register installs the actions. Only the admin device list is for
// superusers; the others check their own permissions, and the mobile
// device endpoints authenticate the device token themselves.
func Register(s *api.Server) {
	h := &handler{s: s, e: s.Engine, policies: policies.For(s.Engine)}
	s.RegisterOpen("authenticators_all_list", h.ownDevices)
	s.Register("authenticators_admin_all_list", h.adminDevices)
	s.RegisterOpen("stages_all_user_settings_list", h.stageSettings)
	s.RegisterOpen("sources_all_user_settings_list", h.sourceSettings)
	s.RegisterOpen("stages_email_templates_list", h.emailTemplates)
	s.RegisterOpen("core_users_recovery_email_retrieve", h.recoveryEmail)
	s.RegisterOpen("core_applications_metrics_list", h.applicationMetrics)
	s.RegisterOpen("stages_authenticator_duo_enrollment_status_create", h.duoEnrollmentStatus)
	s.RegisterOpen("stages_authenticator_duo_import_device_manual_create", h.duoImportManual)
	s.RegisterOpen("stages_authenticator_duo_import_devices_automatic_create", h.duoImportAutomatic)
	s.Register("authenticators_mobile_check_in_create", h.mobile(h.mobileCheckIn))
	s.Register("authenticators_mobile_enrollment_callback_create", h.mobile(h.mobileEnrollmentCallback))
	s.Register("authenticators_mobile_enrollment_status_create", h.mobile(h.mobileEnrollmentStatus))
	s.Register("authenticators_mobile_receive_response_create", h.mobile(h.mobileReceiveResponse))
	s.Register("authenticators_mobile_set_notification_key_create", h.mobile(h.mobileSetNotificationKey))
}

func notFound() error { return &engine.NotFoundError{Detail: "Not found."} }

// httpRequest is the request as policy expressions see it.
func httpRequest(r *http.Request, user *expression.User) *expression.HTTPRequest {
	scheme := "http"
	if strings.HasPrefix(engine.BaseURLFrom(r.Context()), "https://") {
		scheme = "https"
	}
	return &expression.HTTPRequest{Method: r.Method, Path: r.URL.Path, Scheme: scheme, Host: r.Host,
		Query: r.URL.Query(), Headers: r.Header.Clone(), ClientIP: api.ClientIP(r), User: user}
}
