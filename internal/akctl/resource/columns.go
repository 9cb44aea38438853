package resource

import (
	"slices"

	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/registry"
)

// columnOverrides are the table columns of the common resources, chosen
// by hand because what matters to a reader (the provider an application
// uses, the user a token belongs to) is not something the registry can
// rank. Paths are JSON field names, dotted into nested objects. Columns
// marked Wide appear only with -o wide. Every other resource gets
// derivedColumns. TestColumnOverridesMatchSchemas checks each path
// against the response schema.
var columnOverrides = map[string][]output.Column{
	"/core/users/": {
		{Header: "PK", Path: "pk"}, {Header: "USERNAME", Path: "username"}, {Header: "NAME", Path: "name"},
		{Header: "ACTIVE", Path: "is_active"}, {Header: "SUPERUSER", Path: "is_superuser"}, {Header: "TYPE", Path: "type"},
		{Header: "EMAIL", Path: "email", Wide: true}, {Header: "PATH", Path: "path", Wide: true},
		{Header: "LAST LOGIN", Path: "last_login", Wide: true}, {Header: "UUID", Path: "uuid", Wide: true},
	},
	"/core/groups/": {
		{Header: "NAME", Path: "name"}, {Header: "SUPERUSER", Path: "is_superuser"}, {Header: "PARENT", Path: "parent_name"},
		{Header: "USERS", Path: "users", Count: true}, {Header: "PK", Path: "pk"},
		{Header: "ROLES", Path: "roles_obj", Wide: true, Key: "name"},
	},
	"/flows/instances/": {
		{Header: "SLUG", Path: "slug"}, {Header: "NAME", Path: "name"}, {Header: "DESIGNATION", Path: "designation"},
		{Header: "TITLE", Path: "title", Wide: true}, {Header: "AUTHENTICATION", Path: "authentication", Wide: true},
		{Header: "STAGES", Path: "stages", Count: true, Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/core/applications/": {
		{Header: "SLUG", Path: "slug"}, {Header: "NAME", Path: "name"}, {Header: "PROVIDER", Path: "provider_obj.name"},
		{Header: "GROUP", Path: "group"}, {Header: "LAUNCH URL", Path: "launch_url", Wide: true},
		{Header: "POLICY MODE", Path: "policy_engine_mode", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/core/tokens/": {
		{Header: "IDENTIFIER", Path: "identifier"}, {Header: "INTENT", Path: "intent"}, {Header: "USER", Path: "user_obj.username"},
		{Header: "EXPIRING", Path: "expiring"}, {Header: "EXPIRES", Path: "expires"},
		{Header: "DESCRIPTION", Path: "description", Wide: true}, {Header: "MANAGED", Path: "managed", Wide: true}, {Header: "PK", Path: "pk", Wide: true},
	},
	"/core/tenants/": {
		{Header: "DOMAIN", Path: "domain"}, {Header: "DEFAULT", Path: "default"}, {Header: "TITLE", Path: "branding_title"},
		{Header: "AUTHENTICATION FLOW", Path: "flow_authentication", Wide: true}, {Header: "UUID", Path: "tenant_uuid"},
	},
	"/core/authenticated_sessions/": {
		{Header: "UUID", Path: "uuid"}, {Header: "USER", Path: "user"}, {Header: "LAST IP", Path: "last_ip"},
		{Header: "LAST USED", Path: "last_used"}, {Header: "EXPIRES", Path: "expires"},
		{Header: "USER AGENT", Path: "last_user_agent", Wide: true},
	},
	"/stages/all/": {
		{Header: "NAME", Path: "name"}, {Header: "KIND", Path: "verbose_name"}, {Header: "FLOWS", Path: "flow_set", Key: "slug"},
		{Header: "PK", Path: "pk"}, {Header: "COMPONENT", Path: "component", Wide: true},
	},
	"/policies/all/": {
		{Header: "NAME", Path: "name"}, {Header: "KIND", Path: "verbose_name"}, {Header: "BOUND TO", Path: "bound_to"},
		{Header: "LOGGING", Path: "execution_logging", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/providers/all/": {
		{Header: "NAME", Path: "name"}, {Header: "KIND", Path: "verbose_name"}, {Header: "APPLICATION", Path: "assigned_application_slug"},
		{Header: "AUTHORIZATION FLOW", Path: "authorization_flow", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/sources/all/": {
		{Header: "SLUG", Path: "slug"}, {Header: "NAME", Path: "name"}, {Header: "KIND", Path: "verbose_name"},
		{Header: "ENABLED", Path: "enabled"}, {Header: "USER MATCHING", Path: "user_matching_mode", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/propertymappings/all/": {
		{Header: "NAME", Path: "name"}, {Header: "KIND", Path: "verbose_name"}, {Header: "MANAGED", Path: "managed", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/crypto/certificatekeypairs/": {
		{Header: "NAME", Path: "name"}, {Header: "EXPIRES", Path: "cert_expiry"}, {Header: "PRIVATE KEY", Path: "private_key_available"},
		{Header: "KEY TYPE", Path: "private_key_type", Wide: true}, {Header: "SUBJECT", Path: "cert_subject", Wide: true},
		{Header: "SHA256", Path: "fingerprint_sha256", Wide: true}, {Header: "MANAGED", Path: "managed", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/events/events/": {
		{Header: "CREATED", Path: "created"}, {Header: "ACTION", Path: "action"}, {Header: "USER", Path: "user.username"},
		{Header: "APP", Path: "app"}, {Header: "CLIENT IP", Path: "client_ip"}, {Header: "PK", Path: "pk", Wide: true},
	},
	"/outposts/instances/": {
		{Header: "NAME", Path: "name"}, {Header: "TYPE", Path: "type"}, {Header: "PROVIDERS", Path: "providers_obj", Key: "name"},
		{Header: "SERVICE CONNECTION", Path: "service_connection_obj.name", Wide: true}, {Header: "MANAGED", Path: "managed", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/flows/bindings/": {
		{Header: "TARGET", Path: "target"}, {Header: "ORDER", Path: "order"}, {Header: "STAGE", Path: "stage_obj.name"},
		{Header: "KIND", Path: "stage_obj.verbose_name", Wide: true}, {Header: "EVALUATE ON PLAN", Path: "evaluate_on_plan", Wide: true},
		{Header: "RE-EVALUATE", Path: "re_evaluate_policies", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/policies/bindings/": {
		{Header: "TARGET", Path: "target"}, {Header: "ORDER", Path: "order"}, {Header: "POLICY", Path: "policy_obj.name"},
		{Header: "GROUP", Path: "group_obj.name"}, {Header: "USER", Path: "user_obj.username"},
		{Header: "ENABLED", Path: "enabled"}, {Header: "NEGATE", Path: "negate"}, {Header: "TIMEOUT", Path: "timeout", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/rbac/roles/": {{Header: "NAME", Path: "name"}, {Header: "PK", Path: "pk"}},
	"/rbac/permissions/": {
		{Header: "APP", Path: "app_label"}, {Header: "CODENAME", Path: "codename"}, {Header: "MODEL", Path: "model"},
		{Header: "NAME", Path: "name", Wide: true}, {Header: "ID", Path: "id"},
	},
	"/stages/invitation/invitations/": {
		{Header: "NAME", Path: "name"}, {Header: "FLOW", Path: "flow_obj.slug"}, {Header: "EXPIRES", Path: "expires"},
		{Header: "SINGLE USE", Path: "single_use"}, {Header: "PK", Path: "pk"},
	},
	"/stages/prompt/prompts/": {
		{Header: "NAME", Path: "name"}, {Header: "FIELD KEY", Path: "field_key"}, {Header: "TYPE", Path: "type"},
		{Header: "REQUIRED", Path: "required"}, {Header: "ORDER", Path: "order", Wide: true}, {Header: "LABEL", Path: "label", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/admin/system_tasks/": {
		{Header: "NAME", Path: "task_name"}, {Header: "STATUS", Path: "status"}, {Header: "FINISHED", Path: "task_finish_timestamp"},
		{Header: "DURATION", Path: "task_duration", Wide: true}, {Header: "DESCRIPTION", Path: "task_description", Wide: true},
	},
	"/managed/blueprints/": {
		{Header: "NAME", Path: "name"}, {Header: "PATH", Path: "path"}, {Header: "STATUS", Path: "status"}, {Header: "ENABLED", Path: "enabled"},
		{Header: "LAST APPLIED", Path: "last_applied", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/events/rules/": {
		{Header: "NAME", Path: "name"}, {Header: "SEVERITY", Path: "severity"}, {Header: "GROUP", Path: "group_obj.name"},
		{Header: "TRANSPORTS", Path: "transports", Count: true, Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/events/transports/": {
		{Header: "NAME", Path: "name"}, {Header: "MODE", Path: "mode"}, {Header: "SEND ONCE", Path: "send_once"},
		{Header: "WEBHOOK URL", Path: "webhook_url", Wide: true}, {Header: "PK", Path: "pk"},
	},
	"/enterprise/license/": {
		{Header: "NAME", Path: "name"}, {Header: "EXPIRY", Path: "expiry"}, {Header: "INTERNAL USERS", Path: "internal_users"},
		{Header: "EXTERNAL USERS", Path: "external_users"}, {Header: "UUID", Path: "license_uuid"},
	},
}

// maxDerivedColumns bounds the derived default columns (besides the
// natural key and pk), so a table stays readable on a terminal.
const maxDerivedColumns = 4

// derivedColumns picks a table for a resource without an override: the
// natural key, the name, the model's booleans and enums (up to
// maxDerivedColumns, the rest in -o wide), then the primary key. Fields
// are taken in registry order (alphabetical), so the result is stable.
func derivedColumns(m *registry.Model, pkField string) []output.Column {
	var cols []output.Column
	used := map[string]bool{}
	add := func(name string, wide bool) {
		if used[name] {
			return
		}
		used[name] = true
		cols = append(cols, output.Column{Header: header(name), Path: name, Wide: wide})
	}
	visible := func(f *registry.Field) bool {
		return !f.Hidden && !f.WriteOnly && f.Kind != registry.KindJSON
	}
	for _, nk := range m.NaturalKey {
		if f, ok := m.Field(nk); ok && visible(f) {
			add(nk, false)
		}
	}
	if f, ok := m.Field("name"); ok && visible(f) {
		add("name", false)
	}
	n := 0
	for i := range m.Fields {
		f := &m.Fields[i]
		if !visible(f) || f.Ref != "" || f.M2M != "" || used[f.Name] || f.Name == pkField {
			continue
		}
		if f.Kind == registry.KindBool || len(f.Enum) > 0 {
			add(f.Name, n >= maxDerivedColumns)
			n++
		}
	}
	if pkField != "" {
		add(pkField, false)
	}
	return cols
}

// header turns a field name into a column header: "user_matching_mode"
// is "USER MATCHING MODE".
func header(field string) string {
	b := []byte(field)
	for i, c := range b {
		switch {
		case c == '_' || c == '.':
			b[i] = ' '
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// columnsFor returns an endpoint's table columns.
func columnsFor(ep *registry.Endpoint, m *registry.Model, pkField string) []output.Column {
	if cols, ok := columnOverrides[ep.Path]; ok {
		return slices.Clone(cols)
	}
	return derivedColumns(m, pkField)
}
