package resource

// names gives each endpoint the names users type: the first is the
// resource's canonical (plural) name, the second its singular, the rest
// short aliases. Family members are "<family>/<kind>" ("stages/password",
// singular "stage/password"), like the API paths they come from. Every
// resource also answers to its API path without slashes around it
// ("core/users", "flows/instances") and, for the endpoint that creates
// it, its model's blueprint name ("authentik_flows.flow").
//
// TestEveryEndpointIsNamed fails when the registry gains an endpoint this
// table does not name; until then such an endpoint is named by its path.
var names = map[string][]string{
	"/admin/system_tasks/": {"systemtasks", "systemtask", "tasks", "task"},

	"/authenticators/admin/duo/":      {"authenticators/admin/duo", "authenticator/admin/duo"},
	"/authenticators/admin/mobile/":   {"authenticators/admin/mobile", "authenticator/admin/mobile"},
	"/authenticators/admin/sms/":      {"authenticators/admin/sms", "authenticator/admin/sms"},
	"/authenticators/admin/static/":   {"authenticators/admin/static", "authenticator/admin/static"},
	"/authenticators/admin/totp/":     {"authenticators/admin/totp", "authenticator/admin/totp"},
	"/authenticators/admin/webauthn/": {"authenticators/admin/webauthn", "authenticator/admin/webauthn"},
	"/authenticators/duo/":            {"authenticators/duo", "authenticator/duo"},
	"/authenticators/mobile/":         {"authenticators/mobile", "authenticator/mobile"},
	"/authenticators/sms/":            {"authenticators/sms", "authenticator/sms"},
	"/authenticators/static/":         {"authenticators/static", "authenticator/static"},
	"/authenticators/totp/":           {"authenticators/totp", "authenticator/totp"},
	"/authenticators/webauthn/":       {"authenticators/webauthn", "authenticator/webauthn"},

	"/core/applications/":           {"applications", "application", "apps", "app"},
	"/core/authenticated_sessions/": {"sessions", "session", "authenticatedsessions"},
	"/core/groups/":                 {"groups", "group"},
	"/core/tenants/":                {"tenants", "tenant"},
	"/core/tokens/":                 {"tokens", "token"},
	"/core/user_consent/":           {"userconsents", "userconsent", "consents"},
	"/core/users/":                  {"users", "user"},

	"/crypto/certificatekeypairs/": {"certificatekeypairs", "certificatekeypair", "certs", "cert", "certificates", "kp"},
	"/enterprise/license/":         {"licenses", "license"},

	"/events/events/":        {"events", "event", "ev"},
	"/events/notifications/": {"notifications", "notification"},
	"/events/rules/":         {"notificationrules", "notificationrule", "rules"},
	"/events/transports/":    {"notificationtransports", "notificationtransport", "transports"},

	"/flows/bindings/":  {"flowbindings", "flowbinding", "fsb"},
	"/flows/instances/": {"flows", "flow"},

	"/managed/blueprints/": {"blueprintinstances", "blueprintinstance", "bpi", "blueprints", "blueprint"},

	"/oauth2/access_tokens/":       {"oauth2/accesstokens", "oauth2/accesstoken"},
	"/oauth2/authorization_codes/": {"oauth2/authorizationcodes", "oauth2/authorizationcode"},
	"/oauth2/refresh_tokens/":      {"oauth2/refreshtokens", "oauth2/refreshtoken"},

	"/outposts/instances/":                      {"outposts", "outpost"},
	"/outposts/ldap/":                           {"outposts/ldap", "outpost/ldap"},
	"/outposts/proxy/":                          {"outposts/proxy", "outpost/proxy"},
	"/outposts/radius/":                         {"outposts/radius", "outpost/radius"},
	"/outposts/service_connections/all/":        {"serviceconnections", "serviceconnection"},
	"/outposts/service_connections/docker/":     {"serviceconnections/docker", "serviceconnection/docker"},
	"/outposts/service_connections/kubernetes/": {"serviceconnections/kubernetes", "serviceconnection/kubernetes"},

	"/policies/all/":               {"policies", "policy"},
	"/policies/bindings/":          {"policybindings", "policybinding", "pb"},
	"/policies/dummy/":             {"policies/dummy", "policy/dummy"},
	"/policies/event_matcher/":     {"policies/event_matcher", "policy/event_matcher", "policy/eventmatcher"},
	"/policies/expression/":        {"policies/expression", "policy/expression"},
	"/policies/password/":          {"policies/password", "policy/password"},
	"/policies/password_expiry/":   {"policies/password_expiry", "policy/password_expiry", "policy/expiry"},
	"/policies/reputation/":        {"policies/reputation", "policy/reputation"},
	"/policies/reputation/scores/": {"reputationscores", "reputationscore"},

	"/propertymappings/all/":          {"propertymappings", "propertymapping", "pm"},
	"/propertymappings/ldap/":         {"propertymappings/ldap", "propertymapping/ldap"},
	"/propertymappings/notification/": {"propertymappings/notification", "propertymapping/notification"},
	"/propertymappings/saml/":         {"propertymappings/saml", "propertymapping/saml"},
	"/propertymappings/scim/":         {"propertymappings/scim", "propertymapping/scim"},
	"/propertymappings/scope/":        {"propertymappings/scope", "propertymapping/scope"},

	"/providers/all/":    {"providers", "provider"},
	"/providers/ldap/":   {"providers/ldap", "provider/ldap"},
	"/providers/oauth2/": {"providers/oauth2", "provider/oauth2"},
	"/providers/proxy/":  {"providers/proxy", "provider/proxy"},
	"/providers/radius/": {"providers/radius", "provider/radius"},
	"/providers/saml/":   {"providers/saml", "provider/saml"},
	"/providers/scim/":   {"providers/scim", "provider/scim"},

	"/rbac/permissions/": {"permissions", "permission", "perms"},
	"/rbac/roles/":       {"roles", "role"},

	"/sources/all/":                    {"sources", "source"},
	"/sources/ldap/":                   {"sources/ldap", "source/ldap"},
	"/sources/oauth/":                  {"sources/oauth", "source/oauth"},
	"/sources/plex/":                   {"sources/plex", "source/plex"},
	"/sources/saml/":                   {"sources/saml", "source/saml"},
	"/sources/user_connections/all/":   {"sourceconnections", "sourceconnection"},
	"/sources/user_connections/oauth/": {"sourceconnections/oauth", "sourceconnection/oauth"},
	"/sources/user_connections/plex/":  {"sourceconnections/plex", "sourceconnection/plex"},
	"/sources/user_connections/saml/":  {"sourceconnections/saml", "sourceconnection/saml"},

	"/stages/all/":                    {"stages", "stage"},
	"/stages/authenticator/duo/":      {"stages/authenticator/duo", "stage/authenticator/duo"},
	"/stages/authenticator/mobile/":   {"stages/authenticator/mobile", "stage/authenticator/mobile"},
	"/stages/authenticator/sms/":      {"stages/authenticator/sms", "stage/authenticator/sms"},
	"/stages/authenticator/static/":   {"stages/authenticator/static", "stage/authenticator/static"},
	"/stages/authenticator/totp/":     {"stages/authenticator/totp", "stage/authenticator/totp"},
	"/stages/authenticator/validate/": {"stages/authenticator/validate", "stage/authenticator/validate"},
	"/stages/authenticator/webauthn/": {"stages/authenticator/webauthn", "stage/authenticator/webauthn"},
	"/stages/captcha/":                {"stages/captcha", "stage/captcha"},
	"/stages/consent/":                {"stages/consent", "stage/consent"},
	"/stages/deny/":                   {"stages/deny", "stage/deny"},
	"/stages/dummy/":                  {"stages/dummy", "stage/dummy"},
	"/stages/email/":                  {"stages/email", "stage/email"},
	"/stages/identification/":         {"stages/identification", "stage/identification"},
	"/stages/invitation/invitations/": {"invitations", "invitation"},
	"/stages/invitation/stages/":      {"stages/invitation", "stage/invitation"},
	"/stages/password/":               {"stages/password", "stage/password"},
	"/stages/prompt/prompts/":         {"prompts", "prompt"},
	"/stages/prompt/stages/":          {"stages/prompt", "stage/prompt"},
	"/stages/user_delete/":            {"stages/user_delete", "stage/user_delete"},
	"/stages/user_login/":             {"stages/user_login", "stage/user_login"},
	"/stages/user_logout/":            {"stages/user_logout", "stage/user_logout"},
	"/stages/user_write/":             {"stages/user_write", "stage/user_write"},
}
