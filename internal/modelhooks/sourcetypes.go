package modelhooks

// SourceType describes a kind of OAuth source (GitHub, Google, ...) with
// the endpoint URLs authentik pre-fills for it; Customizable kinds take the
// URLs from the source instead.
type SourceType struct {
	Name, Slug                                        string
	Customizable                                      bool
	RequestTokenURL, AuthorizationURL, AccessTokenURL string
	ProfileURL, OIDCWellKnownURL, OIDCJWKSURL         string
}

// OAuthSourceTypes lists the provider types of authentik 2023.10's OAuth
// source, sorted by slug.
var OAuthSourceTypes = []SourceType{
	{Name: "Apple", Slug: "apple", AuthorizationURL: "https://appleid.apple.com/auth/authorize", AccessTokenURL: "https://appleid.apple.com/auth/token"},
	{Name: "Azure AD", Slug: "azuread", Customizable: true, AuthorizationURL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		AccessTokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token", ProfileURL: "https://graph.microsoft.com/v1.0/me",
		OIDCWellKnownURL: "https://login.microsoftonline.com/common/.well-known/openid-configuration", OIDCJWKSURL: "https://login.microsoftonline.com/common/discovery/v2.0/keys"},
	{Name: "Discord", Slug: "discord", AuthorizationURL: "https://discord.com/api/oauth2/authorize", AccessTokenURL: "https://discord.com/api/oauth2/token", ProfileURL: "https://discord.com/api/users/@me"},
	{Name: "Facebook", Slug: "facebook", AuthorizationURL: "https://www.facebook.com/v7.0/dialog/oauth", AccessTokenURL: "https://graph.facebook.com/v7.0/oauth/access_token", ProfileURL: "https://graph.facebook.com/v7.0/me?fields=id,name,email"},
	{Name: "GitHub", Slug: "github", Customizable: true, AuthorizationURL: "https://github.com/login/oauth/authorize", AccessTokenURL: "https://github.com/login/oauth/access_token", ProfileURL: "https://api.github.com/user"},
	{Name: "Google", Slug: "google", AuthorizationURL: "https://accounts.google.com/o/oauth2/auth", AccessTokenURL: "https://oauth2.googleapis.com/token", ProfileURL: "https://www.googleapis.com/oauth2/v1/userinfo",
		OIDCWellKnownURL: "https://accounts.google.com/.well-known/openid-configuration", OIDCJWKSURL: "https://www.googleapis.com/oauth2/v3/certs"},
	{Name: "Mailcow", Slug: "mailcow", Customizable: true},
	{Name: "Okta", Slug: "okta", Customizable: true},
	{Name: "OpenID Connect", Slug: "openidconnect", Customizable: true},
	{Name: "Patreon", Slug: "patreon", AuthorizationURL: "https://www.patreon.com/oauth2/authorize", AccessTokenURL: "https://www.patreon.com/api/oauth2/token", ProfileURL: "https://www.patreon.com/api/oauth2/api/current_user"},
	{Name: "Reddit", Slug: "reddit", AuthorizationURL: "https://www.reddit.com/api/v1/authorize", AccessTokenURL: "https://www.reddit.com/api/v1/access_token", ProfileURL: "https://oauth.reddit.com/api/v1/me"},
	{Name: "Twitch", Slug: "twitch", AuthorizationURL: "https://id.twitch.tv/oauth2/authorize", AccessTokenURL: "https://id.twitch.tv/oauth2/token", ProfileURL: "https://id.twitch.tv/oauth2/userinfo"},
	{Name: "Twitter", Slug: "twitter", AuthorizationURL: "https://twitter.com/i/oauth2/authorize", AccessTokenURL: "https://api.twitter.com/2/oauth2/token", ProfileURL: "https://api.twitter.com/2/users/me"},
}

// JSON renders the type as the API's SourceType object.
func (t SourceType) JSON() map[string]any {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return map[string]any{"name": t.Name, "slug": t.Slug, "urls_customizable": t.Customizable,
		"request_token_url": opt(t.RequestTokenURL), "authorization_url": opt(t.AuthorizationURL),
		"access_token_url": opt(t.AccessTokenURL), "profile_url": opt(t.ProfileURL),
		"oidc_well_known_url": opt(t.OIDCWellKnownURL), "oidc_jwks_url": opt(t.OIDCJWKSURL)}
}

// SourceTypeBySlug finds a type; unknown slugs yield a customizable type
// named after the slug, so a source never renders without one.
func SourceTypeBySlug(slug string) SourceType {
	for _, t := range OAuthSourceTypes {
		if t.Slug == slug {
			return t
		}
	}
	return SourceType{Name: slug, Slug: slug, Customizable: true}
}
