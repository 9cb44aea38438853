package main

import (
	"go/token"
	"strings"
	"unicode"
)

// initialisms are the words written in capitals (or in their usual
// spelling) when a snake_case name becomes a Go name, following the Go
// convention (UserID, not UserId).
var initialisms = map[string]string{
	"acs": "ACS", "api": "API", "csrf": "CSRF", "css": "CSS", "dn": "DN", "dns": "DNS",
	"guid": "GUID", "html": "HTML", "http": "HTTP",
	"https": "HTTPS", "id": "ID", "idp": "IDP", "ip": "IP", "json": "JSON", "jwks": "JWKS",
	"jwt": "JWT", "ldap": "LDAP", "mfa": "MFA", "oauth": "OAuth", "oauth2": "OAuth2",
	"oidc": "OIDC", "otp": "OTP", "pk": "PK", "rbac": "RBAC", "saml": "SAML", "scim": "SCIM",
	"smtp": "SMTP", "sms": "SMS", "sp": "SP", "sql": "SQL", "ssh": "SSH", "sso": "SSO",
	"ssl": "SSL", "tcp": "TCP", "tls": "TLS", "totp": "TOTP", "ttl": "TTL", "udp": "UDP",
	"ui": "UI", "uid": "UID", "upn": "UPN", "uri": "URI", "url": "URL", "uuid": "UUID",
	"xml": "XML",
}

// words splits a name on every character that cannot be part of a Go
// identifier ("user_uuid", "cross-platform", "authentik.core" ...).
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// exported turns a snake_case (or dotted, dashed, ...) name into an
// exported Go identifier: words are capitalised, initialisms upper-cased.
// Upper-case words (enum values such as "POST_AUTO") are title-cased so
// that they read like the rest.
func exported(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		lw := strings.ToLower(w)
		if v, ok := initialisms[lw]; ok {
			b.WriteString(v)
			continue
		}
		if w == strings.ToUpper(w) {
			w = lw
		}
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// unexported is exported with a lower-case first word, for parameter
// names; Go keywords and names the generated methods use get a suffix.
func unexported(s string) string {
	ws := words(s)
	if len(ws) == 0 {
		return "v"
	}
	first := strings.ToLower(ws[0])
	name := first + exported(strings.Join(ws[1:], "_"))
	if token.IsKeyword(name) || reservedArgs[name] {
		name += "Arg"
	}
	return name
}

// reservedArgs are the argument and variable names generated methods use
// themselves.
var reservedArgs = map[string]bool{"ctx": true, "body": true, "params": true, "out": true, "s": true, "err": true}

// typeName is the Go name of a component schema: schema names are already
// CamelCase, except for a few (modelRequest) that only need a capital.
func typeName(s string) string {
	if strings.ContainsAny(s, "_-. ") {
		return exported(s)
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
