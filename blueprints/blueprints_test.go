package blueprints

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/expression"
	"github.com/akgo/akgo/internal/registry"
)

// shipped lists every blueprint file and the objects it must declare,
// taken from the reference list of authentik 2023.10's default objects
// (reference/default-objects.md): "model|field=value|field=value", all on
// one entry, values as written in the file (a !Context value is compared
// with the file's default context). A file added to the embedded
// directories without a row here fails TestEveryFileIsListed.
var shipped = []struct {
	path    string
	objects []string
}{
	{"default/default-tenant.yaml", []string{
		"authentik_tenants.tenant|domain=authentik-default|default=true",
	}},
	{"default/events-default.yaml", []string{
		"authentik_events.notificationtransport|name=default-email-transport|mode=email",
		"authentik_events.notificationtransport|name=default-local-transport|mode=local",
		"authentik_core.group|name=authentik Admins",
		"authentik_policies_event_matcher.eventmatcherpolicy|name=default-match-configuration-error|action=configuration_error",
		"authentik_policies_event_matcher.eventmatcherpolicy|name=default-match-update|action=update_available",
		"authentik_policies_event_matcher.eventmatcherpolicy|name=default-match-policy-exception|action=policy_exception",
		"authentik_policies_event_matcher.eventmatcherpolicy|name=default-match-property-mapping-exception|action=property_mapping_exception",
		"authentik_events.notificationrule|name=default-notify-configuration-error|severity=alert",
		"authentik_events.notificationrule|name=default-notify-update|severity=alert",
		"authentik_events.notificationrule|name=default-notify-exception|severity=alert",
	}},
	{"default/flow-default-authentication-flow.yaml", []string{
		"authentik_flows.flow|slug=default-authentication-flow|name=Welcome to authentik!|title=Welcome to authentik!|designation=authentication|authentication=none",
		"authentik_stages_password.passwordstage|name=default-authentication-password",
		"authentik_stages_authenticator_validate.authenticatorvalidatestage|name=default-authentication-mfa-validation",
		"authentik_stages_identification.identificationstage|name=default-authentication-identification",
		"authentik_stages_user_login.userloginstage|name=default-authentication-login",
		"authentik_policies_expression.expressionpolicy|name=default-authentication-flow-password-stage",
	}},
	{"default/flow-default-authenticator-static-setup.yaml", []string{
		"authentik_flows.flow|slug=default-authenticator-static-setup|name=default-authenticator-static-setup|title=Setup Static OTP Tokens|designation=stage_configuration|authentication=require_authenticated",
		"authentik_stages_authenticator_static.authenticatorstaticstage|name=default-authenticator-static-setup|token_count=6",
	}},
	{"default/flow-default-authenticator-totp-setup.yaml", []string{
		"authentik_flows.flow|slug=default-authenticator-totp-setup|name=default-authenticator-totp-setup|title=Setup Two-Factor authentication|designation=stage_configuration|authentication=require_authenticated",
		"authentik_stages_authenticator_totp.authenticatortotpstage|name=default-authenticator-totp-setup|digits=6",
	}},
	{"default/flow-default-authenticator-webauthn-setup.yaml", []string{
		"authentik_flows.flow|slug=default-authenticator-webauthn-setup|name=default-authenticator-webauthn-setup|title=Setup WebAuthn|designation=stage_configuration|authentication=require_authenticated",
		"authentik_stages_authenticator_webauthn.authenticatewebauthnstage|name=default-authenticator-webauthn-setup",
	}},
	{"default/flow-default-invalidation-flow.yaml", []string{
		"authentik_flows.flow|slug=default-invalidation-flow|name=Logout|title=Default Invalidation Flow|designation=invalidation|authentication=none",
		"authentik_stages_user_logout.userlogoutstage|name=default-invalidation-logout",
	}},
	{"default/flow-default-provider-authorization-explicit-consent.yaml", []string{
		"authentik_flows.flow|slug=default-provider-authorization-explicit-consent|name=Authorize Application|title=Redirecting to %(app)s|designation=authorization|authentication=require_authenticated",
		"authentik_stages_consent.consentstage|name=default-provider-authorization-consent|mode=expiring",
	}},
	{"default/flow-default-provider-authorization-implicit-consent.yaml", []string{
		"authentik_flows.flow|slug=default-provider-authorization-implicit-consent|name=Authorize Application|title=Redirecting to %(app)s|designation=authorization|authentication=require_authenticated",
	}},
	{"default/flow-default-source-authentication.yaml", []string{
		"authentik_flows.flow|slug=default-source-authentication|name=Welcome to authentik!|title=Welcome to authentik!|designation=authentication|authentication=require_unauthenticated",
		"authentik_policies_expression.expressionpolicy|name=default-source-authentication-if-sso",
		"authentik_stages_user_login.userloginstage|name=default-source-authentication-login",
	}},
	{"default/flow-default-source-enrollment.yaml", []string{
		"authentik_flows.flow|slug=default-source-enrollment|name=Welcome to authentik! Please select a username.|title=Welcome to authentik! Please select a username.|designation=enrollment|authentication=none",
		"authentik_stages_prompt.prompt|name=default-source-enrollment-field-username|field_key=username",
		"authentik_policies_expression.expressionpolicy|name=default-source-enrollment-if-username",
		"authentik_policies_expression.expressionpolicy|name=default-source-enrollment-if-sso",
		"authentik_stages_user_login.userloginstage|name=default-source-enrollment-login",
		"authentik_stages_prompt.promptstage|name=default-source-enrollment-prompt",
		"authentik_stages_user_write.userwritestage|name=default-source-enrollment-write|user_creation_mode=always_create",
	}},
	{"default/flow-default-source-pre-authentication.yaml", []string{
		"authentik_flows.flow|slug=default-source-pre-authentication|name=Pre-Authentication|title=Pre-authentication|designation=stage_configuration|authentication=none",
	}},
	{"default/flow-default-user-settings-flow.yaml", []string{
		"authentik_flows.flow|slug=default-user-settings-flow|name=User settings|title=Update your info|designation=stage_configuration|authentication=require_authenticated",
		"authentik_stages_prompt.prompt|name=default-user-settings-field-username|field_key=username",
		"authentik_stages_prompt.prompt|name=default-user-settings-field-name|field_key=name",
		"authentik_stages_prompt.prompt|name=default-user-settings-field-email|field_key=email",
		"authentik_stages_prompt.prompt|name=default-user-settings-field-locale|field_key=attributes.settings.locale",
		"authentik_policies_expression.expressionpolicy|name=default-user-settings-authorization",
		"authentik_stages_user_write.userwritestage|name=default-user-settings-write|user_creation_mode=never_create",
		"authentik_stages_prompt.promptstage|name=default-user-settings",
	}},
	{"default/flow-oobe.yaml", []string{
		"authentik_flows.flow|slug=initial-setup|name=default-oobe-setup|title=Welcome to authentik!|designation=stage_configuration|denied_action=message_continue",
		"authentik_stages_prompt.prompt|name=initial-setup-field-header|field_key=oobe-header-text",
		"authentik_stages_prompt.prompt|name=initial-setup-field-email|field_key=email",
		"authentik_stages_prompt.prompt|name=initial-setup-field-password|field_key=password",
		"authentik_stages_prompt.prompt|name=initial-setup-field-password-repeat|field_key=password_repeat",
		"authentik_policies_expression.expressionpolicy|name=default-oobe-prefill-user",
		"authentik_policies_expression.expressionpolicy|name=default-oobe-password-usable",
		"authentik_policies_expression.expressionpolicy|name=default-oobe-flow-set-authentication",
		"authentik_stages_prompt.promptstage|name=stage-default-oobe-password",
		"authentik_stages_user_login.userloginstage|name=default-authentication-login",
		"authentik_stages_user_write.userwritestage|name=default-password-change-write|user_creation_mode=never_create",
	}},
	{"default/flow-password-change.yaml", []string{
		"authentik_flows.flow|slug=default-password-change|name=Change Password|title=Change password|designation=stage_configuration|authentication=require_authenticated",
		"authentik_stages_prompt.prompt|name=default-password-change-field-password|field_key=password",
		"authentik_stages_prompt.prompt|name=default-password-change-field-password-repeat|field_key=password_repeat",
		"authentik_stages_prompt.promptstage|name=default-password-change-prompt",
		"authentik_stages_user_write.userwritestage|name=default-password-change-write|user_creation_mode=never_create",
	}},
	{"system/bootstrap.yaml", []string{
		"authentik_core.group|name=authentik Admins|is_superuser=true",
		"authentik_core.user|username=akadmin|name=authentik Default Admin",
		"authentik_core.token|identifier=authentik-bootstrap-token|intent=api|expiring=false",
	}},
	{"system/providers-oauth2.yaml", []string{
		"authentik_providers_oauth2.scopemapping|managed=goauthentik.io/providers/oauth2/scope-openid|name=authentik default OAuth Mapping: OpenID 'openid'|scope_name=openid",
		"authentik_providers_oauth2.scopemapping|managed=goauthentik.io/providers/oauth2/scope-email|name=authentik default OAuth Mapping: OpenID 'email'|scope_name=email|description=Email address",
		"authentik_providers_oauth2.scopemapping|managed=goauthentik.io/providers/oauth2/scope-profile|name=authentik default OAuth Mapping: OpenID 'profile'|scope_name=profile|description=General Profile Information",
	}},
	{"system/providers-proxy.yaml", []string{
		"authentik_providers_oauth2.scopemapping|managed=goauthentik.io/providers/proxy/scope-proxy|name=authentik default OAuth Mapping: Proxy outpost|scope_name=ak_proxy|description=authentik Proxy - User information",
	}},
	{"system/providers-saml.yaml", []string{
		"authentik_providers_saml.samlpropertymapping|managed=goauthentik.io/providers/saml/upn|name=authentik default SAML Mapping: UPN|saml_name=http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
		"authentik_providers_saml.samlpropertymapping|managed=goauthentik.io/providers/saml/name|name=authentik default SAML Mapping: Name|saml_name=http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		"authentik_providers_saml.samlpropertymapping|managed=goauthentik.io/providers/saml/email|name=authentik default SAML Mapping: Email|saml_name=http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"authentik_providers_saml.samlpropertymapping|managed=goauthentik.io/providers/saml/username|name=authentik default SAML Mapping: Username|saml_name=http://schemas.goauthentik.io/2021/02/saml/username",
		"authentik_providers_saml.samlpropertymapping|managed=goauthentik.io/providers/saml/uid|name=authentik default SAML Mapping: User ID|saml_name=http://schemas.goauthentik.io/2021/02/saml/uid",
		"authentik_providers_saml.samlpropertymapping|managed=goauthentik.io/providers/saml/groups|name=authentik default SAML Mapping: Groups|saml_name=http://schemas.xmlsoap.org/claims/Group",
		"authentik_providers_saml.samlpropertymapping|managed=goauthentik.io/providers/saml/ms-windowsaccountname|name=authentik default SAML Mapping: WindowsAccountname (Username)|saml_name=http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname",
	}},
	{"system/providers-scim.yaml", []string{
		"authentik_providers_scim.scimmapping|managed=goauthentik.io/providers/scim/user|name=authentik default SCIM Mapping: User",
		"authentik_providers_scim.scimmapping|managed=goauthentik.io/providers/scim/group|name=authentik default SCIM Mapping: Group",
	}},
	{"system/sources-ldap.yaml", []string{
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/default-dn-path|name=authentik default LDAP Mapping: DN to User Path|object_field=path",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/default-name|name=authentik default LDAP Mapping: Name|object_field=name",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/default-mail|name=authentik default LDAP Mapping: mail|object_field=email",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/ms-samaccountname|name=authentik default Active Directory Mapping: sAMAccountName|object_field=username",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/ms-userprincipalname|name=authentik default Active Directory Mapping: userPrincipalName|object_field=attributes.upn",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/ms-givenName|name=authentik default Active Directory Mapping: givenName|object_field=attributes.givenName",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/ms-sn|name=authentik default Active Directory Mapping: sn|object_field=attributes.sn",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/openldap-uid|name=authentik default OpenLDAP Mapping: uid|object_field=username",
		"authentik_sources_ldap.ldappropertymapping|managed=goauthentik.io/sources/ldap/openldap-cn|name=authentik default OpenLDAP Mapping: cn|object_field=name",
	}},
	{"example/flow-enrollment-simple.yaml", []string{
		"authentik_flows.flow|slug=example-enrollment-simple|designation=enrollment",
	}},
	{"example/tenant-branded.yaml", []string{
		"authentik_tenants.tenant|domain=login.example.com",
	}},
}

// blueprintOnly are the fields authentik's serializers accept only from
// a blueprint (not in the API's *Request schemas): the user's password
// (hashed, null meaning unusable) and the token's key.
var blueprintOnly = map[string]map[string]bool{
	"authentik_core.user":  {"password": true},
	"authentik_core.token": {"key": true},
}

// knownLabels are the labels authentik 2023.10 reads or writes.
var knownLabels = map[string]bool{
	"blueprints.goauthentik.io/instantiate":      true,
	"blueprints.goauthentik.io/system":           true,
	"blueprints.goauthentik.io/system-bootstrap": true,
	"blueprints.goauthentik.io/description":      true,
	"blueprints.goauthentik.io/generated":        true,
}

var states = map[string]bool{"present": true, "created": true, "must_created": true, "absent": true}

func TestEveryFileIsListed(t *testing.T) {
	var embedded []string
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, s := range shipped {
		listed = append(listed, s.path)
	}
	sort.Strings(embedded)
	sort.Strings(listed)
	if !slices.Equal(embedded, listed) {
		t.Errorf("embedded files %v\ndiffer from the test table %v", embedded, listed)
	}
}

func TestMetadataNamesAreUnique(t *testing.T) {
	files, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	// Discovery names each instance after metadata.name, which is unique:
	// a duplicate aborts discovery.
	seen := map[string]string{}
	for _, f := range files {
		if other, ok := seen[f.name]; ok {
			t.Errorf("%s and %s share metadata.name %q", other, f.path, f.name)
		}
		seen[f.name] = f.path
	}
}

func TestNoApplyCycles(t *testing.T) {
	files, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	graph := map[string][]string{}
	for _, f := range files {
		for _, e := range f.entries {
			if e.model == metaApply {
				if p := metaPath(e); p != "" {
					graph[f.path] = append(graph[f.path], p)
				}
			}
		}
	}
	// A cycle would apply blueprints inside each other until the nested
	// transactions give up.
	const (
		visiting = 1
		done     = 2
	)
	mark := map[string]int{}
	var visit func(p string, trail []string)
	visit = func(p string, trail []string) {
		switch mark[p] {
		case visiting:
			t.Errorf("metaapplyblueprint cycle: %s -> %s", strings.Join(trail, " -> "), p)
			return
		case done:
			return
		}
		mark[p] = visiting
		for _, next := range graph[p] {
			visit(next, append(trail, p))
		}
		mark[p] = done
	}
	for _, f := range files {
		visit(f.path, nil)
	}
}

func TestSharedObjectsAgree(t *testing.T) {
	files, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	// Some objects are declared by several blueprints (the OOBE reuses the
	// login and password write stages, the admin group appears in the
	// bootstrap and events blueprints). Conflicting values would make the
	// result depend on which blueprint ran last.
	seen := map[string]*bpEntry{}
	for _, f := range files {
		for _, e := range f.entries {
			if e.model == metaApply || e.state == "absent" {
				continue
			}
			sig := entrySig(e)
			prev, ok := seen[sig]
			if !ok {
				seen[sig] = e
				continue
			}
			forEachPair(e.attrs, func(k string, v *yaml.Node) {
				pv := mapGet(prev.attrs, k)
				if pv == nil || containsTag(v) || containsTag(pv) {
					return
				}
				a, _ := plain(v)
				b, _ := plain(pv)
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Errorf("%s sets %s = %v, %s sets %v", e, k, a, prev, b)
				}
			})
		}
	}
}

func TestShippedBlueprints(t *testing.T) {
	files, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*bpFile{}
	for _, f := range files {
		byPath[f.path] = f
	}
	c := newChecker(t, files)
	for _, tc := range shipped {
		t.Run(tc.path, func(t *testing.T) {
			f := byPath[tc.path]
			if f == nil {
				t.Fatalf("%s is not embedded", tc.path)
			}
			for _, p := range f.problems {
				t.Error(p)
			}
			c.checkLabels(t, f)
			c.checkEntries(t, f)
			for _, want := range tc.objects {
				if !declares(f, want) {
					t.Errorf("%s declares no object %s", f.path, want)
				}
			}
		})
	}
}

// checker holds what every file is checked against.
type checker struct {
	reg      *registry.Registry
	spec     *apispec.Spec
	files    []*bpFile
	byPath   map[string]*bpFile
	byName   map[string]*bpFile
	requests map[string]string // model -> *Request schema
}

func newChecker(t *testing.T, files []*bpFile) *checker {
	t.Helper()
	spec, err := apispec.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{reg: registry.Default(), spec: spec, files: files,
		byPath: map[string]*bpFile{}, byName: map[string]*bpFile{}, requests: map[string]string{}}
	for _, f := range files {
		c.byPath[f.path] = f
		c.byName[f.name] = f
	}
	for _, ep := range c.reg.Endpoints {
		if ep.Request != "" && !ep.Family && c.requests[ep.Model] == "" {
			c.requests[ep.Model] = ep.Request
		}
	}
	return c
}

func (c *checker) checkLabels(t *testing.T, f *bpFile) {
	for k, v := range f.labels {
		if !knownLabels[k] {
			t.Errorf("%s:%d: unknown label %s", f.path, v.Line, k)
		}
	}
	label := func(k string) string {
		if v := f.labels[k]; v != nil {
			return v.Value
		}
		return ""
	}
	if label("blueprints.goauthentik.io/description") == "" {
		t.Errorf("%s: no blueprints.goauthentik.io/description label", f.path)
	}
	switch dir, _, _ := strings.Cut(f.path, "/"); dir {
	case "system":
		if label("blueprints.goauthentik.io/system") != "true" {
			t.Errorf("%s: system blueprints carry blueprints.goauthentik.io/system: \"true\"", f.path)
		}
	case "example":
		if label("blueprints.goauthentik.io/instantiate") != "false" {
			t.Errorf("%s: examples carry blueprints.goauthentik.io/instantiate: \"false\"", f.path)
		}
	case "default":
		if strings.EqualFold(label("blueprints.goauthentik.io/instantiate"), "false") {
			t.Errorf("%s: a default blueprint must be instantiated", f.path)
		}
	default:
		t.Errorf("%s: blueprints live in default/, system/ or example/", f.path)
	}
}

func (c *checker) checkEntries(t *testing.T, f *bpFile) {
	ids := map[string]*bpEntry{}
	for _, e := range f.entries {
		if e.id != "" {
			if prev, dup := ids[e.id]; dup {
				t.Errorf("%s: id %q already used by %s", e, e.id, prev)
			}
			ids[e.id] = e
		}
		if !states[e.state] {
			t.Errorf("%s: unknown state %q", e, e.state)
		}
		if e.conditions != nil {
			for _, cond := range e.conditions.Content {
				if !isTag(cond) && cond.ShortTag() != "!!bool" {
					t.Errorf("%s:%d: a condition is a boolean or a tag", f.path, cond.Line)
				}
			}
		}
		c.checkTags(t, e)
		if e.model == metaApply {
			c.checkMeta(t, e)
			continue
		}
		m, ok := c.reg.Model(e.model)
		if !ok {
			t.Errorf("%s: model %s is not in the registry", e, e.model)
			continue
		}
		if m.Abstract {
			t.Errorf("%s: %s is a base model; authentik refuses it in blueprints", e, e.model)
		}
		c.checkFields(t, e, m)
		if e.state != "absent" {
			c.checkSchema(t, e)
		}
		c.checkExpressions(t, e)
	}
}

// checkFields checks identifiers and attrs against the registry: lookups
// need stored fields, writes need writable ones, and relations must be
// expressed as references (a literal pk differs between installs).
func (c *checker) checkFields(t *testing.T, e *bpEntry, m *registry.Model) {
	if len(mapKeys(e.identifiers)) == 0 {
		t.Errorf("%s: no identifiers (authentik: \"No or invalid identifiers\")", e)
	}
	forEachPair(e.identifiers, func(k string, v *yaml.Node) {
		fd, ok := m.Field(k)
		switch {
		case !ok:
			t.Errorf("%s: identifier %s is not a field of %s", e, k, m.Name)
		case !fd.Stored() && k != "pk":
			t.Errorf("%s: identifier %s is not a stored field of %s", e, k, m.Name)
		// Identifiers are written too: authentik merges them into attrs.
		case k != "pk" && (fd.ReadOnly || fd.Hidden && !blueprintOnly[m.Name][k]):
			t.Errorf("%s: identifier %s of %s is not writable", e, k, m.Name)
		default:
			c.checkReference(t, e, fd, v)
		}
	})
	forEachPair(e.attrs, func(k string, v *yaml.Node) {
		fd, ok := m.Field(k)
		switch {
		case !ok:
			t.Errorf("%s: attr %s is not a field of %s", e, k, m.Name)
		case fd.ReadOnly:
			t.Errorf("%s: attr %s of %s is read-only", e, k, m.Name)
		case fd.Hidden && !blueprintOnly[m.Name][k]:
			t.Errorf("%s: attr %s of %s is not part of the API", e, k, m.Name)
		default:
			c.checkReference(t, e, fd, v)
		}
	})
}

// checkReference checks a relation's value: a reference tag to an object
// of the right model (or a descendant of it).
func (c *checker) checkReference(t *testing.T, e *bpEntry, fd *registry.Field, v *yaml.Node) {
	target := fd.Ref
	if target == "" {
		target = fd.M2M
	}
	if target == "" {
		return
	}
	values := []*yaml.Node{v}
	if fd.M2M != "" {
		if v.Kind != yaml.SequenceNode {
			t.Errorf("%s: %s is a list of references", e, fd.Name)
			return
		}
		values = v.Content
	}
	for _, item := range values {
		if item.ShortTag() == "!!null" {
			if fd.M2M != "" {
				t.Errorf("%s:%d: null in the list %s fails validation", e.file.path, item.Line, fd.Name)
			}
			continue
		}
		if !isTag(item) {
			t.Errorf("%s:%d: %s refers to a literal %q; use !KeyOf or !Find", e.file.path, item.Line, fd.Name, item.Value)
			continue
		}
		var got string
		switch item.Tag {
		case "!KeyOf":
			if ref := entryByID(e, item.Value); ref != nil {
				got = ref.model
			}
		case "!Find":
			if len(item.Content) > 0 {
				got = item.Content[0].Value
			}
		}
		if got != "" && !c.isA(got, target) {
			t.Errorf("%s:%d: %s wants a %s, the reference is a %s", e.file.path, item.Line, fd.Name, target, got)
		}
	}
}

// isA reports whether objects of model name may stand where base is
// expected (the model itself or one of its ancestors).
func (c *checker) isA(name, base string) bool {
	if name == base {
		return true
	}
	m, ok := c.reg.Model(name)
	return ok && slices.Contains(m.Ancestors, base)
}

// checkSchema validates the data authentik would hand the serializer
// (identifiers merged into attrs) against the model's *Request schema,
// as akserver's import does: known properties, required ones present,
// and every tag-free value valid.
func (c *checker) checkSchema(t *testing.T, e *bpEntry) {
	name := c.requests[e.model]
	sch, ok := c.spec.Schema(name)
	if !ok {
		t.Errorf("%s: no request schema for %s", e, e.model)
		return
	}
	keys := map[string]*yaml.Node{}
	forEachPair(e.attrs, func(k string, v *yaml.Node) { keys[k] = v })
	forEachPair(e.identifiers, func(k string, v *yaml.Node) { keys[k] = v })
	for _, req := range sch.Required {
		if keys[req] == nil {
			t.Errorf("%s: %s requires %s", e, name, req)
		}
	}
	for k, v := range keys {
		if blueprintOnly[e.model][k] {
			continue
		}
		prop := sch.Properties[k]
		if prop == nil || prop.Value == nil {
			t.Errorf("%s: %s has no property %s", e, name, k)
			continue
		}
		if !containsTag(v) {
			c.validateValue(t, e, k, prop.Value, v)
			continue
		}
		// A list mixing references and literals: check the literals.
		if v.Kind == yaml.SequenceNode && !isTag(v) && prop.Value.Items != nil {
			for _, item := range v.Content {
				if !containsTag(item) {
					c.validateValue(t, e, k, prop.Value.Items.Value, item)
				}
			}
		}
	}
}

func (c *checker) validateValue(t *testing.T, e *bpEntry, key string, sch *openapi3.Schema, n *yaml.Node) {
	v, err := plain(n)
	if err != nil {
		t.Errorf("%s: %s: %v", e, key, err)
		return
	}
	if err := sch.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsRequest(), openapi3.DisablePatternValidation()); err != nil {
		t.Errorf("%s:%d: %s = %v: %v", e.file.path, n.Line, key, v, err)
	}
	if s, ok := v.(string); ok && sch.Pattern != "" {
		if re, err := regexp.Compile(sch.Pattern); err == nil && !re.MatchString(s) {
			t.Errorf("%s:%d: %s = %q does not match %s", e.file.path, n.Line, key, s, sch.Pattern)
		}
	}
}

// checkExpressions compiles every expression the entry stores, so a
// blueprint never fails on "expression is not valid" at apply time.
func (c *checker) checkExpressions(t *testing.T, e *bpEntry) {
	for _, src := range expressionsOf(e) {
		if err := expression.Compile(src.code); err != nil {
			t.Errorf("%s:%d: %s does not compile: %v", e.file.path, src.line, src.field, err)
		}
	}
}

type exprSource struct {
	field string
	code  string
	line  int
}

// expressionsOf returns the entry's Python sources: an expression field,
// and prompt values flagged as expressions.
func expressionsOf(e *bpEntry) []exprSource {
	var out []exprSource
	add := func(field string) {
		if v := mapGet(e.attrs, field); v != nil && !isTag(v) {
			out = append(out, exprSource{field, v.Value, v.Line})
		}
	}
	add("expression")
	if flag := mapGet(e.attrs, "placeholder_expression"); flag != nil && flag.Value == "true" {
		add("placeholder")
	}
	if flag := mapGet(e.attrs, "initial_value_expression"); flag != nil && flag.Value == "true" {
		add("initial_value")
	}
	return out
}

// checkMeta checks a metaapplyblueprint entry: its attrs, and that the
// blueprint it applies is one of ours.
func (c *checker) checkMeta(t *testing.T, e *bpEntry) {
	if e.identifiers != nil {
		t.Errorf("%s: a metaapplyblueprint takes its identifiers inside attrs", e)
	}
	bi := c.reg.MustModel("authentik_blueprints.blueprintinstance")
	forEachPair(e.attrs, func(k string, v *yaml.Node) {
		switch k {
		case "required":
			if v.ShortTag() != "!!bool" {
				t.Errorf("%s: required is a boolean", e)
			}
		case "identifiers":
			forEachPair(v, func(ik string, iv *yaml.Node) {
				if fd, ok := bi.Field(ik); !ok || !fd.Stored() {
					t.Errorf("%s: %s is not a stored field of blueprint instances", e, ik)
				}
			})
			if p := mapGet(v, "path"); p != nil {
				if c.byPath[p.Value] == nil {
					t.Errorf("%s: applies %s, which is not a shipped blueprint", e, p.Value)
				} else if p.Value == e.file.path {
					t.Errorf("%s: applies itself", e)
				}
			}
			if n := mapGet(v, "name"); n != nil && c.byName[n.Value] == nil {
				t.Errorf("%s: applies %q, which is no shipped blueprint's name", e, n.Value)
			}
			if mapGet(v, "path") == nil && mapGet(v, "name") == nil {
				t.Errorf("%s: identify the blueprint to apply by path or name", e)
			}
		default:
			t.Errorf("%s: unknown metaapplyblueprint attr %s", e, k)
		}
	})
	if mapGet(e.attrs, "identifiers") == nil {
		t.Errorf("%s: metaapplyblueprint without identifiers", e)
	}
}

// checkTags checks the argument shapes of every tag of the entry and what
// the references point at.
func (c *checker) checkTags(t *testing.T, e *bpEntry) {
	for _, part := range []*yaml.Node{e.identifiers, e.attrs, e.conditions} {
		walkTags(part, func(n *yaml.Node) { c.checkTag(t, e, n) })
	}
}

func (c *checker) checkTag(t *testing.T, e *bpEntry, n *yaml.Node) {
	at := fmt.Sprintf("%s:%d: %s", e.file.path, n.Line, n.Tag)
	if !tags[n.Tag] {
		t.Errorf("%s is not a blueprint tag of authentik 2023.10", at)
		return
	}
	seq := n.Kind == yaml.SequenceNode
	switch n.Tag {
	case "!KeyOf":
		if n.Kind != yaml.ScalarNode {
			t.Errorf("%s takes an id", at)
			return
		}
		if ref := entryByID(e, n.Value); ref == nil {
			t.Errorf("%s %s: no earlier entry of this file has that id", at, n.Value)
		} else if ref.state == "absent" {
			t.Errorf("%s %s: the entry is absent and has no instance", at, n.Value)
		}
	case "!Find":
		c.checkFind(t, e, n, at)
	case "!Context":
		key, hasDefault := n.Value, false
		if seq {
			if len(n.Content) != 2 {
				t.Errorf("%s takes a key or [key, default]", at)
				return
			}
			key, hasDefault = n.Content[0].Value, true
		}
		if _, ok := e.file.context[key]; !ok && !hasDefault {
			t.Errorf("%s %s: the file's context has no such key and no default is given", at, key)
		}
	case "!Env":
		if seq && len(n.Content) != 2 || !seq && n.Kind != yaml.ScalarNode {
			t.Errorf("%s takes a name or [name, default]", at)
		}
	case "!Format":
		if !seq || len(n.Content) == 0 || n.Content[0].Kind != yaml.ScalarNode {
			t.Errorf("%s takes [format, args...]", at)
			return
		}
		verbs := len(regexp.MustCompile(`%[-#0 +]*\d*(?:\.\d+)?[sdifrxXoeEgGc]`).FindAllString(strings.ReplaceAll(n.Content[0].Value, "%%", ""), -1))
		if verbs != len(n.Content)-1 {
			t.Errorf("%s: %d placeholders, %d arguments", at, verbs, len(n.Content)-1)
		}
	case "!If":
		if !seq || (len(n.Content) != 1 && len(n.Content) != 3) {
			t.Errorf("%s takes [condition] or [condition, then, else]", at)
		}
	case "!Condition":
		if !seq || len(n.Content) < 2 {
			t.Errorf("%s takes [mode, value, ...]", at)
			return
		}
		switch strings.ToUpper(n.Content[0].Value) {
		case "AND", "NAND", "OR", "NOR", "XOR", "XNOR":
		default:
			t.Errorf("%s: unknown mode %s", at, n.Content[0].Value)
		}
	case "!Enumerate":
		if !seq || len(n.Content) != 3 || (n.Content[1].Value != "SEQ" && n.Content[1].Value != "MAP") {
			t.Errorf("%s takes [iterable, SEQ|MAP, body]", at)
		}
	case "!Index", "!Value":
		if _, err := strconv.Atoi(n.Value); err != nil || n.Kind != yaml.ScalarNode {
			t.Errorf("%s takes a depth", at)
		}
	}
}

// checkFind checks a !Find: the model and lookup fields exist, the object
// is declared by a shipped blueprint, and a blueprint declared elsewhere
// is applied (metaapplyblueprint) before this entry, since !Find quietly
// returns null for an object that does not exist yet.
func (c *checker) checkFind(t *testing.T, e *bpEntry, n *yaml.Node, at string) {
	if n.Kind != yaml.SequenceNode || len(n.Content) < 2 {
		t.Errorf("%s takes [model, [field, value], ...]", at)
		return
	}
	model := n.Content[0].Value
	m, ok := c.reg.Model(model)
	if !ok {
		t.Errorf("%s: model %s is not in the registry", at, model)
		return
	}
	conds := map[string]string{}
	for _, cond := range n.Content[1:] {
		if cond.Kind != yaml.SequenceNode || len(cond.Content) != 2 {
			t.Errorf("%s: each condition is [field, value]", at)
			return
		}
		field, _, _ := strings.Cut(cond.Content[0].Value, "__")
		if fd, ok := m.Field(field); !ok || (!fd.Stored() && field != "pk") {
			t.Errorf("%s: %s is not a stored field of %s", at, field, model)
		}
		conds[cond.Content[0].Value] = cond.Content[1].Value
	}
	var declaring []string
	for _, f := range c.files {
		for _, other := range f.entries {
			if other.model != model || other.state == "absent" {
				continue
			}
			match := true
			for k, v := range conds {
				if fv := other.field(k); fv == nil || fv.Value != v || isTag(fv) {
					match = false
				}
			}
			if match && !slices.Contains(declaring, f.path) {
				declaring = append(declaring, f.path)
			}
		}
	}
	if len(declaring) == 0 {
		t.Errorf("%s: no shipped blueprint declares %s %v", at, model, conds)
		return
	}
	if slices.Contains(declaring, e.file.path) {
		return
	}
	applied := c.appliedBefore(e)
	for _, p := range declaring {
		if applied[p] {
			return
		}
	}
	t.Errorf("%s: %s %v comes from %v, which this file does not apply first", at, model, conds, declaring)
}

// appliedBefore lists the blueprints the metaapplyblueprint entries before
// e apply, with what those apply in turn.
func (c *checker) appliedBefore(e *bpEntry) map[string]bool {
	out := map[string]bool{}
	var add func(p string)
	add = func(p string) {
		if out[p] {
			return
		}
		out[p] = true
		if f := c.byPath[p]; f != nil {
			for _, x := range f.entries {
				if x.model == metaApply {
					add(metaPath(x))
				}
			}
		}
	}
	for _, x := range e.file.entries[:e.index] {
		if x.model == metaApply {
			if p := metaPath(x); p != "" {
				add(p)
			} else if n := mapGet(mapGet(x.attrs, "identifiers"), "name"); n != nil && c.byName[n.Value] != nil {
				add(c.byName[n.Value].path)
			}
		}
	}
	return out
}

func metaPath(e *bpEntry) string {
	if p := mapGet(mapGet(e.attrs, "identifiers"), "path"); p != nil {
		return p.Value
	}
	return ""
}

// entryByID finds the entry with the id among those before e.
func entryByID(e *bpEntry, id string) *bpEntry {
	for _, x := range e.file.entries[:e.index] {
		if x.id == id {
			return x
		}
	}
	return nil
}

// declares reports whether the file has an entry of the model with every
// field=value of the spec ("model|field=value|...").
func declares(f *bpFile, spec string) bool {
	parts := strings.Split(spec, "|")
	for _, e := range f.entries {
		if e.model != parts[0] {
			continue
		}
		match := true
		for _, kv := range parts[1:] {
			k, want, _ := strings.Cut(kv, "=")
			if v := e.field(k); v == nil || displayValue(f, v) != want {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// displayValue renders a scalar as the spec writes it, with a !Context
// replaced by the file's default context value.
func displayValue(f *bpFile, v *yaml.Node) string {
	if v.Tag == "!Context" && v.Kind == yaml.ScalarNode {
		if cv := f.context[v.Value]; cv != nil && !isTag(cv) {
			return cv.Value
		}
	}
	return v.Value
}
