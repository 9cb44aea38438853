// Package stagesapi owns the custom actions that serve what stages and
// sources manage for users: the authenticator devices of the caller and of
// any user, the settings entries stages and sources offer in the user
// interface, the email templates and the recovery email sent through an
// email stage's SMTP settings, the Duo Auth/Admin API calls of the Duo
// stage, and the endpoints the mobile authenticator app calls with its
// device token. It also answers an application's authorization metrics,
// which count the events the authorization stages record.
//
// External services (SMTP, Duo) are reached with short timeouts through
// settings tests can point at local fakes: GlobalEmail, DuoBaseURL.
package stagesapi
