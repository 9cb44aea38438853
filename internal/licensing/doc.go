// Package licensing owns authentik's enterprise licence rules: what makes a
// licence key (an ES512-signed JWT) acceptable, which installation it is
// bound to, who counts as a licensed user, and how the stored licences add
// up to the summary and forecast the admin UI shows.
//
// It is kept apart from the HTTP layer because two callers need the same
// rules: the model hook that validates a key on save (internal/modelhooks)
// and the licence actions (internal/api/certs).
//
// A key names the installation it was issued for in its audience
// ("enterprise.goauthentik.io/license/<install id>"), so the install id is
// generated once and kept in akgo_settings.
//
// authentik verifies keys against the licensing certificate it ships. akgo
// cannot ship that certificate, so the trust anchor is whatever PEM an
// operator stores under the akgo_settings key "license_certificate". With
// none stored nothing vouches for the signer, so a key is checked only for
// structure, audience and expiry (and, when it carries an x5c chain, for
// that chain and its signature being consistent).
package licensing
