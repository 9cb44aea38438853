package blueprint

import (
	"fmt"
	"strings"
	"sync"

	"github.com/akgo/akgo/internal/apispec"
	"github.com/akgo/akgo/internal/registry"
)

// MetaApplyBlueprint is the meta model that applies another blueprint.
const MetaApplyBlueprint = "authentik_blueprints.metaapplyblueprint"

// allowedModels is authentik 2023.10.4's blueprint allow-list: the models
// of its blueprints/schema.json (every SerializerModel except the excluded
// ones), plus the meta model.
var allowedModels = map[string]bool{
	"authentik_blueprints.blueprintinstance": true, MetaApplyBlueprint: true,
	"authentik_core.application": true, "authentik_core.group": true, "authentik_core.token": true, "authentik_core.user": true,
	"authentik_crypto.certificatekeypair": true, "authentik_enterprise.license": true,
	"authentik_events.event": true, "authentik_events.notification": true, "authentik_events.notificationrule": true,
	"authentik_events.notificationtransport": true, "authentik_events.notificationwebhookmapping": true,
	"authentik_flows.flow": true, "authentik_flows.flowstagebinding": true,
	"authentik_outposts.dockerserviceconnection": true, "authentik_outposts.kubernetesserviceconnection": true, "authentik_outposts.outpost": true,
	"authentik_policies.policybinding": true, "authentik_policies_dummy.dummypolicy": true,
	"authentik_policies_event_matcher.eventmatcherpolicy": true, "authentik_policies_expiry.passwordexpirypolicy": true,
	"authentik_policies_expression.expressionpolicy": true, "authentik_policies_password.passwordpolicy": true,
	"authentik_policies_reputation.reputation": true, "authentik_policies_reputation.reputationpolicy": true,
	"authentik_providers_ldap.ldapprovider":  true,
	"authentik_providers_oauth2.accesstoken": true, "authentik_providers_oauth2.authorizationcode": true,
	"authentik_providers_oauth2.oauth2provider": true, "authentik_providers_oauth2.refreshtoken": true, "authentik_providers_oauth2.scopemapping": true,
	"authentik_providers_proxy.proxyprovider": true, "authentik_providers_radius.radiusprovider": true,
	"authentik_providers_saml.samlpropertymapping": true, "authentik_providers_saml.samlprovider": true,
	"authentik_providers_scim.scimmapping": true, "authentik_providers_scim.scimprovider": true,
	"authentik_rbac.role":                        true,
	"authentik_sources_ldap.ldappropertymapping": true, "authentik_sources_ldap.ldapsource": true,
	"authentik_sources_oauth.oauthsource": true, "authentik_sources_oauth.useroauthsourceconnection": true,
	"authentik_sources_plex.plexsource": true, "authentik_sources_plex.plexsourceconnection": true,
	"authentik_sources_saml.samlsource": true, "authentik_sources_saml.usersamlsourceconnection": true,
	"authentik_stages_authenticator_duo.authenticatorduostage": true, "authentik_stages_authenticator_duo.duodevice": true,
	"authentik_stages_authenticator_sms.authenticatorsmsstage": true, "authentik_stages_authenticator_sms.smsdevice": true,
	"authentik_stages_authenticator_static.authenticatorstaticstage": true, "authentik_stages_authenticator_static.staticdevice": true,
	"authentik_stages_authenticator_totp.authenticatortotpstage": true, "authentik_stages_authenticator_totp.totpdevice": true,
	"authentik_stages_authenticator_validate.authenticatorvalidatestage": true,
	"authentik_stages_authenticator_webauthn.authenticatewebauthnstage":  true, "authentik_stages_authenticator_webauthn.webauthndevice": true,
	"authentik_stages_captcha.captchastage": true, "authentik_stages_consent.consentstage": true, "authentik_stages_consent.userconsent": true,
	"authentik_stages_deny.denystage": true, "authentik_stages_dummy.dummystage": true, "authentik_stages_email.emailstage": true,
	"authentik_stages_identification.identificationstage": true,
	"authentik_stages_invitation.invitation":              true, "authentik_stages_invitation.invitationstage": true,
	"authentik_stages_password.passwordstage": true, "authentik_stages_prompt.prompt": true, "authentik_stages_prompt.promptstage": true,
	"authentik_stages_user_delete.userdeletestage": true, "authentik_stages_user_login.userloginstage": true,
	"authentik_stages_user_logout.userlogoutstage": true, "authentik_stages_user_write.userwritestage": true,
	"authentik_tenants.tenant": true,
}

// AllowedModels lists the models a blueprint entry may name, sorted.
func AllowedModels() []string { return sortedKeys(allowedModels) }

// Allowed reports whether entries may use a model (lower-case name).
func Allowed(model string) bool { return allowedModels[model] }

// blueprintOnly are the serializer fields authentik accepts only in a
// blueprint (its REST API does not): the Target receives them as ordinary
// attributes and stores them (a user's password via set_password).
var blueprintOnly = map[string]map[string]bool{
	"authentik_core.user":  {"password": true},
	"authentik_core.token": {"key": true},
}

// secretNames are fields whose values plans never print.
var secretNames = map[string]bool{
	"password": true, "key": true, "client_secret": true, "private_key": true, "key_data": true,
	"bind_password": true, "consumer_secret": true, "shared_secret": true, "secret_key": true,
	"admin_secret_key": true, "plex_token": true, "token": true, "auth": true, "kubeconfig": true,
}

// modelInfo is what the engine needs to know about a model, computed once.
type modelInfo struct {
	name     string
	m        *registry.Model
	allowed  bool
	pkField  string
	pbmField string // the field holding the policy binding model key ("" if not a PBM)
	// writable: request-schema fields plus blueprint-only ones.
	writable map[string]bool
	// members: the concrete models of an abstract family.
	members []string
}

var (
	infoMu    sync.RWMutex
	infoCache = map[string]*modelInfo{}
)

const pbmModel = "authentik_policies.policybindingmodel"

// info returns the model's descriptor, or nil for a model the registry
// does not know.
func info(name string) *modelInfo {
	infoMu.RLock()
	mi, ok := infoCache[name]
	infoMu.RUnlock()
	if ok {
		return mi
	}
	infoMu.Lock()
	defer infoMu.Unlock()
	if mi, ok := infoCache[name]; ok {
		return mi
	}
	reg := registry.Default()
	m, ok := reg.Model(name)
	if !ok {
		if name == MetaApplyBlueprint {
			mi := &modelInfo{name: name, allowed: true, writable: map[string]bool{"identifiers": true, "required": true, "context": true}}
			infoCache[name] = mi
			return mi
		}
		infoCache[name] = nil
		return nil
	}
	mi = &modelInfo{name: name, m: m, allowed: allowedModels[name], pkField: pkFieldOf(m)}
	// A policy binding's target is the policy binding model's key, which
	// differs from the pk when the model has its own primary key (a flow's
	// flow_uuid vs its pbm_uuid).
	for cur := m; cur != nil; {
		if cur.Parent == pbmModel {
			if cur.ParentColumn == cur.PKColumn {
				mi.pbmField = mi.pkField
			} else if f, ok := m.FieldByColumn(cur.ParentColumn); ok {
				mi.pbmField = f.Name
			}
			break
		}
		next, ok := reg.Model(cur.Parent)
		if !ok {
			break
		}
		cur = next
	}
	if m.Abstract {
		for _, mm := range reg.Members(name) {
			mi.members = append(mi.members, mm.Name)
		}
	}
	mi.writable = writableFields(reg, m)
	for f := range blueprintOnly[name] {
		mi.writable[f] = true
	}
	infoCache[name] = mi
	return mi
}

// PKField is the name of a model's primary key in API objects: "pk" for
// almost every model, the key column's field otherwise (a tenant's
// "tenant_uuid").
func PKField(model string) string {
	if mi := info(strings.ToLower(model)); mi != nil && mi.pkField != "" {
		return mi.pkField
	}
	return "pk"
}

func pkFieldOf(m *registry.Model) string {
	if _, ok := m.Field("pk"); ok {
		return "pk"
	}
	if f, ok := m.FieldByColumn(m.PKColumn); ok {
		return f.Name
	}
	return "pk"
}

// writableFields are the properties of the model's request schema (the
// endpoint that creates it); without one, the registry's writable fields.
func writableFields(reg *registry.Registry, m *registry.Model) map[string]bool {
	out := map[string]bool{}
	if ep := writeEndpoint(reg, m.Name); ep != nil && ep.Request != "" {
		if spec, err := apispec.Load(); err == nil {
			if s, ok := spec.Schema(ep.Request); ok {
				for name, p := range s.Properties {
					if p.Value != nil && p.Value.ReadOnly {
						continue
					}
					out[name] = true
				}
				return out
			}
		}
	}
	for _, f := range m.Fields {
		if f.ReadOnly || f.Hidden || (f.Computed != "" && f.M2M == "") {
			continue
		}
		out[f.Name] = true
	}
	return out
}

// Endpoint is the API endpoint a Target uses for a model: the one with a
// request schema (the administrators' one when there are several), or the
// "/all/" endpoint of an abstract family, which can only be listed.
func Endpoint(model string) (*registry.Endpoint, error) {
	reg := registry.Default()
	name := strings.ToLower(model)
	m, ok := reg.Model(name)
	if !ok {
		return nil, fmt.Errorf("unknown model %s", model)
	}
	if m.Abstract {
		for _, ep := range reg.Endpoints {
			if ep.Model == name && ep.Family {
				return ep, nil
			}
		}
	}
	if ep := writeEndpoint(reg, name); ep != nil {
		return ep, nil
	}
	return nil, fmt.Errorf("model %s is not served by the API", name)
}

// writeEndpoint is the registry's endpoint that writes a model (nil when
// the API does not serve it).
func writeEndpoint(reg *registry.Registry, model string) *registry.Endpoint {
	ep, err := reg.WriteEndpoint(model)
	if err != nil {
		return nil
	}
	return ep
}

// field returns a registry field of the model (nil when unknown).
func (mi *modelInfo) field(name string) *registry.Field {
	if mi == nil || mi.m == nil {
		return nil
	}
	if name == "pk" {
		name = mi.pkField
	}
	f, ok := mi.m.Field(name)
	if !ok {
		if alias, ok := mi.m.Aliases[name]; ok {
			if f, ok := mi.m.FieldByColumn(alias); ok {
				return f
			}
		}
		return nil
	}
	return f
}

// sensitive reports whether plans must hide a field's value.
func (mi *modelInfo) sensitive(name string) bool {
	if secretNames[name] {
		return true
	}
	if f := mi.field(name); f != nil && f.WriteOnly {
		return true
	}
	return false
}

// writeOnly reports whether the API never returns the field, so a live
// object cannot show its current value.
func (mi *modelInfo) writeOnly(name string) bool {
	if blueprintOnly[mi.name][name] {
		return true
	}
	f := mi.field(name)
	return f != nil && (f.WriteOnly || f.Hidden)
}

// displayName names an object for humans: its natural key, else its name.
func (mi *modelInfo) displayName(obj map[string]any) string {
	if obj == nil {
		return ""
	}
	var keys []string
	if mi != nil && mi.m != nil {
		keys = mi.m.NaturalKey
	}
	var parts []string
	for _, k := range keys {
		v, ok := obj[k]
		if !ok || v == nil {
			continue
		}
		if f := mi.field(k); f != nil && f.Ref != "" {
			// A pk says nothing to a human, and what is left of the key
			// (a binding's order) would mislead.
			parts = nil
			break
		}
		if _, isUnknown := v.(*Unknown); isUnknown {
			continue
		}
		parts = append(parts, pyStr(normalize(v)))
	}
	if len(parts) == 0 {
		for _, k := range []string{"name", "slug", "username", "identifier", "title"} {
			if s, ok := obj[k].(string); ok && s != "" {
				return s
			}
		}
		return ""
	}
	return strings.Join(parts, "/")
}
