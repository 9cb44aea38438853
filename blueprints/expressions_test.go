package blueprints

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/akgo/akgo/internal/expression"
)

// The expressions of the shipped blueprints are ours, so beyond compiling
// (TestShippedBlueprints) they are run here with akserver's evaluator in
// the situations they exist for.

// directory is a fixed set of users and groups for ak_user_by,
// user.ak_groups and group_attributes.
type directory struct {
	users  []*expression.User
	groups map[int64][]*expression.Group
}

func (d *directory) UserBy(_ context.Context, filters []expression.Filter) (*expression.User, error) {
	for _, u := range d.users {
		if expression.MatchUser(u, filters) {
			return u, nil
		}
	}
	return nil, nil
}

func (d *directory) Groups(_ context.Context, u *expression.User) ([]*expression.Group, error) {
	return d.groups[u.PK], nil
}

func (d *directory) AllGroups(ctx context.Context, u *expression.User) ([]*expression.Group, error) {
	return d.Groups(ctx, u)
}

func (d *directory) Group(_ context.Context, pk string) (*expression.Group, error) {
	for _, gs := range d.groups {
		for _, g := range gs {
			if g.PK == pk {
				return g, nil
			}
		}
	}
	return nil, nil
}

func (d *directory) HasAuthenticator(context.Context, *expression.User, string) (bool, error) {
	return false, nil
}

// exprSetup is what a case's variables are built from.
type exprSetup struct {
	dir          *directory
	admin, alice *expression.User
}

// fixture: akadmin (no usable password yet) and alice, a member of
// "staff", whose attributes let members change their email.
func fixture(adminPasswordUsable bool) (*directory, *expression.User, *expression.User) {
	admin := &expression.User{PK: 1, Username: "akadmin", Name: "authentik Default Admin", Email: "root@localhost",
		IsActive: true, PasswordUsable: adminPasswordUsable}
	alice := &expression.User{PK: 2, Username: "alice", Name: "Alice Pleasance Liddell", Email: "alice@example.com",
		IsActive: true, PasswordUsable: true, Avatar: "https://avatars.example.com/alice.png",
		Attributes: map[string]any{"settings": map[string]any{"locale": "de"}, "team": "wonderland"}}
	staff := &expression.Group{PK: "g-staff", Name: "staff",
		Attributes: map[string]any{"goauthentik.io/user/can-change-email": true, "team": "staff"}}
	readers := &expression.Group{PK: "g-readers", Name: "readers", Attributes: map[string]any{}}
	return &directory{users: []*expression.User{admin, alice},
		groups: map[int64][]*expression.Group{2: {readers, staff}}}, admin, alice
}

func evaluator(d expression.Directory) *expression.Evaluator {
	// authentik 2023.10's configuration defaults.
	settings := map[string]any{
		"default_user_change_name":     true,
		"default_user_change_email":    false,
		"default_user_change_username": false,
	}
	return &expression.Evaluator{Directory: d, Config: func(key string) (any, bool) {
		v, ok := settings[key]
		return v, ok
	}}
}

// policyVars are the variables an expression policy receives.
func policyVars(req *expression.Request, sso bool) map[string]any {
	return map[string]any{"request": req, "context": req.Context, "ak_is_sso_flow": sso, "http_request": req.HTTP}
}

// ldapSource stands for the LDAP source a mapping receives.
var ldapSource = starlarkstruct.FromStringDict(starlark.String("LDAPSource"), starlark.StringDict{
	"get_user_path": starlark.NewBuiltin("get_user_path", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.String("goauthentik.io/sources/ldap/corp"), nil
	}),
})

func TestExpressionBehaviour(t *testing.T) {
	cases := []struct {
		name string
		// where: file, "field=value" identifying the entry, and the
		// attribute holding the source.
		file, entry, field string
		vars               func(s exprSetup) (map[string]any, *expression.Request)
		adminHasPassword   bool
		want               string   // JSON of the result
		messages           []string // ak_message output
		after              func(t *testing.T, s exprSetup, vars map[string]any)
	}{
		{
			name: "password stage needed without a flow plan",
			file: "default/flow-default-authentication-flow.yaml", entry: "name=default-authentication-flow-password-stage", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, Context: map[string]any{}}
				return policyVars(req, false), req
			},
			want: "true",
		},
		{
			name: "password stage needed for a user not yet authenticated",
			file: "default/flow-default-authentication-flow.yaml", entry: "name=default-authentication-flow-password-stage", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				plan := &expression.FlowPlan{Context: map[string]any{"pending_user": s.alice}}
				req := &expression.Request{User: s.alice, Context: map[string]any{"flow_plan": plan}}
				return policyVars(req, false), req
			},
			want: "true",
		},
		{
			name: "password stage skipped when identification checked the password",
			file: "default/flow-default-authentication-flow.yaml", entry: "name=default-authentication-flow-password-stage", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				s.alice.Backend = "authentik.core.auth.InbuiltBackend"
				plan := &expression.FlowPlan{Context: map[string]any{"pending_user": s.alice}}
				req := &expression.Request{User: s.alice, Context: map[string]any{"flow_plan": plan}}
				return policyVars(req, false), req
			},
			want: "false",
		},
		{
			name: "source authentication passes for SSO",
			file: "default/flow-default-source-authentication.yaml", entry: "name=default-source-authentication-if-sso", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, Context: map[string]any{}}
				return policyVars(req, true), req
			},
			want: "true",
		},
		{
			name: "source authentication denied when opened directly",
			file: "default/flow-default-source-authentication.yaml", entry: "name=default-source-authentication-if-sso", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, Context: map[string]any{}}
				return policyVars(req, false), req
			},
			want: "false",
		},
		{
			name: "source enrollment denied when opened directly",
			file: "default/flow-default-source-enrollment.yaml", entry: "name=default-source-enrollment-if-sso", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, Context: map[string]any{}}
				return policyVars(req, false), req
			},
			want: "false",
		},
		{
			name: "username prompt shown when the source sent none",
			file: "default/flow-default-source-enrollment.yaml", entry: "name=default-source-enrollment-if-username", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, Context: map[string]any{"prompt_data": map[string]any{"email": "x@example.com"}}}
				return policyVars(req, true), req
			},
			want: "true",
		},
		{
			name: "username prompt shown without any prompt data",
			file: "default/flow-default-source-enrollment.yaml", entry: "name=default-source-enrollment-if-username", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, Context: map[string]any{}}
				return policyVars(req, true), req
			},
			want: "true",
		},
		{
			name: "username prompt skipped when the source sent a username",
			file: "default/flow-default-source-enrollment.yaml", entry: "name=default-source-enrollment-if-username", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, Context: map[string]any{"prompt_data": map[string]any{"username": "alice"}}}
				return policyVars(req, true), req
			},
			want: "false",
		},
		{
			name: "user settings prefill the username",
			file: "default/flow-default-user-settings-flow.yaml", entry: "name=default-user-settings-field-username", field: "initial_value",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				return map[string]any{"user": s.alice, "request": &expression.Request{User: s.alice}}, nil
			},
			want: `"alice"`,
		},
		{
			name: "user settings prefill the locale from the user's settings",
			file: "default/flow-default-user-settings-flow.yaml", entry: "name=default-user-settings-field-locale", field: "initial_value",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				return map[string]any{"user": s.alice, "request": &expression.Request{User: s.alice}}, nil
			},
			want: `"de"`,
		},
		{
			name: "user settings prefill nothing without a user",
			file: "default/flow-default-user-settings-flow.yaml", entry: "name=default-user-settings-field-email", field: "initial_value",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				return map[string]any{"request": &expression.Request{}}, nil
			},
			want: `""`,
		},
		{
			name: "user settings accept unchanged values",
			file: "default/flow-default-user-settings-flow.yaml", entry: "name=default-user-settings-authorization", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.admin, HTTP: &expression.HTTPRequest{User: s.admin}, Context: map[string]any{
					"prompt_data": map[string]any{"username": "akadmin", "name": "Admin", "email": "root@localhost"}}}
				return policyVars(req, false), req
			},
			want: "true",
		},
		{
			name: "user settings refuse an email change by default",
			file: "default/flow-default-user-settings-flow.yaml", entry: "name=default-user-settings-authorization", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.admin, HTTP: &expression.HTTPRequest{User: s.admin}, Context: map[string]any{
					"prompt_data": map[string]any{"username": "akadmin", "name": "authentik Default Admin", "email": "admin@example.com"}}}
				return policyVars(req, false), req
			},
			want:     "false",
			messages: []string{"Not allowed to change email address."},
		},
		{
			name: "user settings allow an email change a group permits",
			file: "default/flow-default-user-settings-flow.yaml", entry: "name=default-user-settings-authorization", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, HTTP: &expression.HTTPRequest{User: s.alice}, Context: map[string]any{
					"prompt_data": map[string]any{"username": "alice", "name": "Alice", "email": "alice@wonderland.example"}}}
				return policyVars(req, false), req
			},
			want: "true",
		},
		{
			name: "user settings refuse a username change by default",
			file: "default/flow-default-user-settings-flow.yaml", entry: "name=default-user-settings-authorization", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{User: s.alice, HTTP: &expression.HTTPRequest{User: s.alice}, Context: map[string]any{
					"prompt_data": map[string]any{"username": "white-rabbit", "name": "Alice Pleasance Liddell", "email": "alice@example.com"}}}
				return policyVars(req, false), req
			},
			want:     "false",
			messages: []string{"Not allowed to change username."},
		},
		{
			name: "initial setup open while akadmin has no password",
			file: "default/flow-oobe.yaml", entry: "name=default-oobe-password-usable", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{Context: map[string]any{}}
				return policyVars(req, false), req
			},
			want: "true",
		},
		{
			name: "initial setup closed once akadmin has a password",
			file: "default/flow-oobe.yaml", entry: "name=default-oobe-password-usable", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{Context: map[string]any{}}
				return policyVars(req, false), req
			},
			adminHasPassword: true,
			want:             "false",
		},
		{
			name: "initial setup login planned only while setup is pending",
			file: "default/flow-oobe.yaml", entry: "name=default-oobe-flow-set-authentication", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				req := &expression.Request{Context: map[string]any{}}
				return policyVars(req, false), req
			},
			adminHasPassword: true,
			want:             "false",
		},
		{
			name: "initial setup writes akadmin",
			file: "default/flow-oobe.yaml", entry: "name=default-oobe-prefill-user", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				plan := &expression.FlowPlan{Context: map[string]any{}}
				req := &expression.Request{Context: map[string]any{"flow_plan": plan}}
				return policyVars(req, false), req
			},
			want: "true",
			after: func(t *testing.T, s exprSetup, vars map[string]any) {
				plan := vars["context"].(map[string]any)["flow_plan"].(*expression.FlowPlan)
				if got, _ := plan.Context["pending_user"].(*expression.User); got != s.admin {
					t.Errorf("pending_user is %#v, want akadmin", plan.Context["pending_user"])
				}
			},
		},
		{
			name: "openid scope adds no claims",
			file: "system/providers-oauth2.yaml", entry: "managed=goauthentik.io/providers/oauth2/scope-openid", field: "expression",
			vars: mappingVars, want: `{}`,
		},
		{
			name: "email scope",
			file: "system/providers-oauth2.yaml", entry: "managed=goauthentik.io/providers/oauth2/scope-email", field: "expression",
			vars: mappingVars, want: `{"email": "alice@example.com", "email_verified": true}`,
		},
		{
			name: "profile scope",
			file: "system/providers-oauth2.yaml", entry: "managed=goauthentik.io/providers/oauth2/scope-profile", field: "expression",
			vars: mappingVars,
			want: `{"name": "Alice Pleasance Liddell", "given_name": "Alice Pleasance Liddell", "preferred_username": "alice",
				"nickname": "alice", "groups": ["readers", "staff"]}`,
		},
		{
			name: "proxy scope carries the merged attributes",
			file: "system/providers-proxy.yaml", entry: "managed=goauthentik.io/providers/proxy/scope-proxy", field: "expression",
			vars: mappingVars,
			want: `{"ak_proxy": {"is_superuser": false, "user_attributes": {
				"goauthentik.io/user/can-change-email": true, "settings": {"locale": "de"}, "team": "wonderland"}}}`,
		},
		{
			name: "SAML UPN falls back to the email",
			file: "system/providers-saml.yaml", entry: "managed=goauthentik.io/providers/saml/upn", field: "expression",
			vars: mappingVars, want: `"alice@example.com"`,
		},
		{
			name: "SAML user id",
			file: "system/providers-saml.yaml", entry: "managed=goauthentik.io/providers/saml/uid", field: "expression",
			vars: mappingVars, want: `2`,
		},
		{
			name: "SAML groups",
			file: "system/providers-saml.yaml", entry: "managed=goauthentik.io/providers/saml/groups", field: "expression",
			vars: mappingVars, want: `["readers", "staff"]`,
		},
		{
			name: "SAML windows account name",
			file: "system/providers-saml.yaml", entry: "managed=goauthentik.io/providers/saml/ms-windowsaccountname", field: "expression",
			vars: mappingVars, want: `"alice"`,
		},
		{
			name: "SCIM user",
			file: "system/providers-scim.yaml", entry: "managed=goauthentik.io/providers/scim/user", field: "expression",
			vars: mappingVars,
			want: `{"userName": "alice", "name": {"formatted": "Alice Pleasance Liddell", "givenName": "Alice", "familyName": "Pleasance Liddell"},
				"displayName": "Alice Pleasance Liddell", "photos": [{"value": "https://avatars.example.com/alice.png", "type": "photo"}],
				"locale": "de", "active": true, "emails": [{"value": "alice@example.com", "type": "other", "primary": true}]}`,
		},
		{
			name: "SCIM user without email, locale or URL avatar",
			file: "system/providers-scim.yaml", entry: "managed=goauthentik.io/providers/scim/user", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				u := &expression.User{PK: 9, Username: "svc", Name: "svc", IsActive: false, Avatar: "data:image/svg+xml;base64,AA=="}
				req := &expression.Request{User: u, Context: map[string]any{}}
				return map[string]any{"request": req, "user": u}, req
			},
			want: `{"userName": "svc", "name": {"formatted": "svc", "givenName": "svc", "familyName": ""}, "displayName": "svc",
				"photos": null, "locale": null, "active": false, "emails": []}`,
		},
		{
			name: "SCIM group",
			file: "system/providers-scim.yaml", entry: "managed=goauthentik.io/providers/scim/group", field: "expression",
			vars: func(s exprSetup) (map[string]any, *expression.Request) {
				g := s.dir.groups[2][1]
				req := &expression.Request{User: &expression.User{}, Context: map[string]any{"group": g}}
				return map[string]any{"request": req, "group": g}, req
			},
			want: `{"displayName": "staff"}`,
		},
		{
			name: "LDAP DN to user path",
			file: "system/sources-ldap.yaml", entry: "managed=goauthentik.io/sources/ldap/default-dn-path", field: "expression",
			vars: ldapVars(map[string]any{"distinguishedName": "CN=Alice,OU=People,OU=Eng,DC=corp,DC=example"}),
			want: `"goauthentik.io/sources/ldap/corp/Eng/People"`,
		},
		{
			name: "LDAP DN directly below the domain",
			file: "system/sources-ldap.yaml", entry: "managed=goauthentik.io/sources/ldap/default-dn-path", field: "expression",
			vars: ldapVars(map[string]any{"distinguishedName": "CN=Alice,DC=corp,DC=example"}),
			want: `"goauthentik.io/sources/ldap/corp"`,
		},
		{
			name: "LDAP user principal name",
			file: "system/sources-ldap.yaml", entry: "managed=goauthentik.io/sources/ldap/ms-userprincipalname", field: "expression",
			vars: ldapVars(map[string]any{"userPrincipalName": []any{"alice@corp.example"}}),
			want: `"alice@corp.example"`,
		},
		{
			name: "LDAP sAMAccountName",
			file: "system/sources-ldap.yaml", entry: "managed=goauthentik.io/sources/ldap/ms-samaccountname", field: "expression",
			vars: ldapVars(map[string]any{"sAMAccountName": "alice"}),
			want: `"alice"`,
		},
	}
	files, err := shippedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := findExpression(t, files, tc.file, tc.entry, tc.field)
			dir, admin, alice := fixture(tc.adminHasPassword)
			s := exprSetup{dir: dir, admin: admin, alice: alice}
			vars, req := tc.vars(s)
			out, err := evaluator(dir).Run(context.Background(), expression.Call{Source: src, Filename: tc.entry, Vars: vars, Request: req})
			if err != nil {
				t.Fatalf("%s %s: %v", tc.file, tc.entry, err)
			}
			got, err := out.JSON(0)
			if err != nil {
				t.Fatal(err)
			}
			if !sameJSON(t, got, tc.want) {
				t.Errorf("result %s, want %s", got, tc.want)
			}
			if !slices.Equal(out.Messages, tc.messages) {
				t.Errorf("messages %q, want %q", out.Messages, tc.messages)
			}
			if tc.after != nil {
				tc.after(t, s, vars)
			}
		})
	}
}

// mappingVars are the variables of a property mapping evaluated for alice.
func mappingVars(s exprSetup) (map[string]any, *expression.Request) {
	req := &expression.Request{User: s.alice, Context: map[string]any{}}
	return map[string]any{"request": req, "user": s.alice}, req
}

// ldapVars are the variables of an LDAP source mapping for an entry with
// the given attributes.
func ldapVars(attrs map[string]any) func(exprSetup) (map[string]any, *expression.Request) {
	return func(exprSetup) (map[string]any, *expression.Request) {
		req := &expression.Request{User: &expression.User{}, Context: map[string]any{"ldap": attrs}}
		dn, _ := attrs["distinguishedName"].(string)
		return map[string]any{"request": req, "ldap": attrs, "dn": dn, "source": ldapSource}, req
	}
}

// findExpression returns the source of an entry's expression field.
func findExpression(t *testing.T, files []*bpFile, file, entry, field string) string {
	t.Helper()
	key, value, _ := strings.Cut(entry, "=")
	for _, f := range files {
		if f.path != file {
			continue
		}
		for _, e := range f.entries {
			if v := e.field(key); v != nil && v.Value == value {
				if src := mapGet(e.attrs, field); src != nil {
					return src.Value
				}
			}
		}
	}
	t.Fatalf("%s has no entry %s with %s", file, entry, field)
	return ""
}

func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("result is not JSON: %s", a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("bad expectation: %s", b)
	}
	return reflect.DeepEqual(x, y)
}
